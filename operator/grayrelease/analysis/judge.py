"""The canary judge: compare canary with stable, metric by metric, and decide the release's fate.

Pure and stateless. The operator keeps each side's per-interval history of a metric in the
GrayRelease status and calls ``judge_metric`` every analysis interval with the whole history so
far; ``overall`` folds the metrics' verdicts into continue, rollback or pause. Replaying a
recorded release offline (``grayrelease replay``) calls exactly the same functions.

How one metric is judged (docs/judge.md has the full story):

* error ratios with request counts: the canary's share of the errors, conditional on their total,
  which stays honest with the handful of errors a 5% canary sees, as a sequential mixture
  likelihood ratio per start interval (``stats.rate_ratio_log_evidence``); without counts, the
  same test on the counts read back from ratios that are exact fractions (``counts``), or, with
  the canary weight, on effective counts estimated from how much the ratios wander
  (``_effective_counts``), beside the paired test of their log ratios (each at half the alpha)
  where no value is zero, since a wander both sides share makes those counts too few;
* success ratios, availability, Apdex (values in [0, 1], higher is better): their complement,
  the failure ratio, judged as an error ratio;
* everything else: per-interval canary/stable log ratios, paired by interval so that load,
  diurnal drift and incidents that hit both sides cancel out; a sequential mixture test of their
  mean shift per start interval (``stats.shift_log_evidence``) against a noise scale pooled from
  the data and a per-kind prior; Hodges–Lehmann estimate of the shift; a rate summed per side is
  first scaled to stable's share of the traffic; ``test: mann-whitney`` gives Kayenta's unpaired
  rank test over recent windows instead;
* the release-wide false-alarm rate is held below ``1 - confidence`` per metric: the sequential
  tests are always valid, so looking again costs nothing, and split alpha over start intervals
  (``stats.start_weight``) so a regression that starts mid-release is judged on the intervals
  since its onset; the rank test spends alpha over looks (``stats.spent_alpha``);
* a difference must be significant *and* larger than ``maxDegradation`` to fail the metric;
* marginal: a canary worse beyond the tolerance at one look (``marginalConfidence``, fixed-sample
  tests over the whole release, its second half and last quarter) but not over the release
  passes, flagged: the release is not promoted on it unseen; so does a fresh canary's latency
  excess that falls at every interval of its first few (warm-up), until it stops falling;
* values over overlapping query windows (``rate(x[5m])`` read every minute) share data: their
  evidence since a start is discounted by ``stats.overlap_inflation``, little for a few values
  and by the overlap for many;
* missing data is never a pass: a metric without enough data is NoData (the release pauses),
  and a canary that stops reporting while stable still does fails after ``missingLimit``
  intervals, longer if it often had no data before, never where it was due only a trickle of requests.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from grayrelease.analysis import counts, stats

from grayrelease.api.compare import WINDOW_FILLING_KINDS, Better, CompareConfig, MetricKind, TestName  # noqa: E402 - the API owns the schema
Classification = Literal["Pass", "High", "Low", "NoData"]
Decision = Literal["continue", "rollback", "pause"]

SAMPLE_WINDOWS = (3, 6, 12, 24, 48)
"""Recent windows (in intervals) the rank test checks besides the whole history; three is also the
fewest intervals a per-interval metric is judged on, the least a Hodges–Lehmann estimate shrugs
one bad interval off with."""


@dataclass(frozen=True)
class KindDefaults:
    """What an untuned metric of one kind assumes."""

    better: Better
    max_degradation: float
    prior_noise: float
    """Typical standard deviation of the per-interval canary-vs-stable difference (log ratio or
    relative difference) before the data say otherwise."""


KIND_DEFAULTS: dict[str, KindDefaults] = {
    "error-ratio": KindDefaults(better="lower", max_degradation=0.25, prior_noise=0.5),
    "latency": KindDefaults(better="lower", max_degradation=0.05, prior_noise=0.12),
    "throughput": KindDefaults(better="higher", max_degradation=0.2, prior_noise=0.08),
    "gauge": KindDefaults(better="lower", max_degradation=0.1, prior_noise=0.1),
}
PRIOR_DF = 6.0
"""Weight of the prior noise, in degrees of freedom: worth about ten intervals of data."""
RATE_NOISE_PRIOR = 0.1
"""Prior interval-to-interval wander of the canary's share of errors: tau^2 = 0.1, about 30%, the
most the test allows (``RATE_NOISE_MAX``) until the data show a steadier share. Production error
ratios wander beyond binomial (client batches, a pod's hiccup on a canary of one to three pods), and
a dozen intervals of a few errors each cannot show it yet."""
RATE_NOISE_PRIOR_DF = 4.0
"""Weight of that prior, in degrees of freedom."""
RATE_NOISE_MAX = 0.1
"""Most extra-binomial wander the count test allows for (tau^2 = 0.1, about 30% per interval):
beyond that, a canary whose share of the errors jumps around is failing in bursts, not noisy."""
MIN_CANARY_EVENTS = 3
"""Fewest canary errors in a window before the count test may call the canary worse."""
MIN_SEGMENT = 2
"""Fewest intervals with counts the count test decides on: a single burst of errors never does."""
COUNT_CAP_SHARE = 0.55
"""Most evidence one interval adds to the count test, as a share of what two intervals need to
reach the bar of their start (log 1 / (alpha x start weight), 5.3 nats since the first interval
at 99% and 10 since the tenth, plus the mixture's log 7). One burst of errors on a canary pod,
or a client's batch of failures that happened to land on it, is one witness however many errors
it holds; a canary failing outright is still caught at the second interval of its failure,
wherever in the release it starts."""
COUNT_NULL_SHARE = 0.25
"""The count test's null hypothesis is a ratio of 1 + COUNT_NULL_SHARE x maxDegradation: a canary
that is a little worse, harmlessly, does not pile up evidence over a long release; the full
tolerance is then applied to the estimate."""
CHI2_1_MEDIAN = 0.4549364
"""Median of a chi-squared variable with one degree of freedom."""
REFERENCE_WEIGHT = 5.0
"""Canary weight (percent) the latency and throughput priors are meant for."""
SHIFT_NULL_SHARE = 0.5
"""The paired test's null hypothesis is a shift of SHIFT_NULL_SHARE x maxDegradation: a canary that
is harmlessly a little slower does not pile up evidence, and a slower one than that must also
show an estimate beyond the full tolerance."""
ESTIMATE_COUNTS = True
"""Use the count test with effective counts for error ratios without request counts when the canary weight is known."""
MIN_PAIRED = 3
"""Fewest intervals the paired test decides on. Four would spare a few good canaries with a slow
first interval, but moves the median detection of large regressions from two intervals to three."""
MIN_PAIRED_GAUGE = 6
"""Fewest intervals the paired test decides a gauge on. A fresh pod's CPU and memory differ from a
warm one's for its first minute or so (JIT compilation, caches filling), and the regressions a
gauge shows, leaks above all, build up over many intervals: waiting costs them nothing."""
GAUGE_WARM_UP = 3
"""Most leading intervals of a gauge the paired test leaves out as a fresh canary's warm-up (CPU of a
JIT compiling and caches filling), where the canary is worse in each, by more than the tolerance,
than in any later interval."""
SETTLING_LOOKS = 6
"""Most intervals of a canary's life a fading latency excess is taken for its warm-up (``_settling``)."""
SETTLING_SHARE = 0.6
"""How far a fresh canary's latency excess must have fallen from its first interval to be read as warm-up."""
SILENCE_MIN_REQUESTS = 5.0
"""A canary with no data counts as silent only where it should have had this many requests (if
known): the chance of none at all is then below 1%."""
SILENCE_PRIOR = (0.5, 2.5)
"""Prior of the canary's rate of intervals without data: half a gap in two and a half intervals."""
SILENCE_CHANCE = 0.01
"""How unlikely a live canary's run of intervals without data must be before it counts as silent."""
MARGINAL_FRACTIONS = (1.0, 0.5, 0.25)
"""Trailing windows (shares of the intervals with data) the marginal check tests at one look: the
whole release, and its second half and last quarter for a regression that started mid-release."""
TRIALS_BOUND = 0.2
"""Requests behind count-less ratios come from the lower 80% confidence bound of what their
wander allows: a variance from a dozen differences of sparse errors is often half the true one,
and the estimate would then double the evidence."""
MIN_SCALE = 0.005
"""Noise floor (0.5%): a metric that never moves must not make a 1% difference infinitely significant."""


@dataclass(frozen=True)
class MetricHistory:
    """A metric's values so far, one per interval and side; None where there was no data."""

    name: str
    stable: Sequence[float | None]
    canary: Sequence[float | None]
    kind: MetricKind = "gauge"
    better: Better | None = None
    stable_requests: Sequence[float | None] | None = None
    canary_requests: Sequence[float | None] | None = None
    canary_weight: float | None = None
    """Percent of the traffic the canary gets (the current step's weight), if known. Lets an
    error ratio without request counts use the count test with estimated effective counts."""
    canary_weights: Sequence[float | None] | None = None
    """The canary's weight at each interval, where it changed during the release (the operator
    records it); intervals without one take ``canary_weight``."""
    expected_canary_requests: Sequence[float | None] | None = None
    """Requests the canary should have had per interval, from another metric's request counts;
    where it is tiny, a canary without data is quiet rather than dead."""
    overlap: float | None = 1.0
    """Intervals one value's query window spans (``rate(x[4m])`` read every minute: 4). Consecutive
    values then share their data: each request counts in up to ``overlap`` of them, and the values
    wander less from one interval to the next than they spread. The operator knows it from the
    query, a replayed scenario from its ``query_window_seconds``. None: unknown (a scenario that
    does not record it), and estimated from the data (``_unknown_window``)."""
    overlap_known: bool = True
    """False where ``overlap`` was estimated from the data rather than known (set by the judge)."""
    window_fill: float = 1.0
    """Where ``overlap`` is unknown: how many intervals a fresh canary's window took to fill, as the
    release's request counts show it (``stats.fill_overlap``); ``judge_together`` sets it."""

    def aligned(self, length: int) -> MetricHistory:
        """The last ``length`` intervals, with no data in front where the history is shorter: another
        metric's history lined up with this one's by their latest values, as context."""

        def fit(values: Sequence[float | None] | None) -> list[float | None] | None:
            return None if values is None else _latest(values, length)

        return dataclasses.replace(
            self, stable=_latest(self.stable, length), canary=_latest(self.canary, length),
            stable_requests=fit(self.stable_requests), canary_requests=fit(self.canary_requests),
            canary_weights=fit(self.canary_weights), expected_canary_requests=fit(self.expected_canary_requests),
        )


@dataclass(frozen=True)
class MetricVerdict:
    """One metric's classification at one look and why."""

    name: str
    classification: Classification
    failed: bool
    effect: float | None = None
    """Canary relative to stable (0.3 = 30% higher), from the deciding window."""
    p_value: float | None = None
    threshold: float | None = None
    """The significance level the p-value had to beat at this look."""
    samples: int = 0
    reason: str = ""
    marginal: bool = False
    """A Pass on the release-wide test, but at this one look the canary is worse beyond the
    tolerance at ``marginalConfidence``, or a fresh canary's latency still settling (``_settling``):
    not proof of a regression, too suspect to promote unseen."""


@dataclass(frozen=True)
class Verdict:
    """The release-level answer at one look."""

    decision: Decision
    metrics: tuple[MetricVerdict, ...] = field(default_factory=tuple)
    reason: str = ""


@dataclass(frozen=True)
class _Resolved:
    kind: str
    better: Better
    test: TestName
    alpha: float
    tolerance: float
    prior_noise: float
    min_samples: int
    missing_limit: int
    marginal_alpha: float
    overlap: float
    overlap_known: bool


def _resolve(history: MetricHistory, config: CompareConfig) -> _Resolved:
    kind = config.kind or history.kind or "gauge"
    defaults = KIND_DEFAULTS[kind]
    return _Resolved(
        kind=kind,
        better=config.better or history.better or defaults.better,
        test=config.test,
        alpha=1.0 - config.confidence,
        tolerance=config.max_degradation if config.max_degradation is not None else defaults.max_degradation,
        prior_noise=defaults.prior_noise * _traffic_factor(kind, _latest_weight(history)),
        min_samples=config.min_samples,
        missing_limit=config.missing_limit,
        marginal_alpha=1.0 - config.marginal_confidence if config.marginal_confidence > 0 else 0.0,
        overlap=max(1.0, float(history.overlap or 1.0)),
        overlap_known=history.overlap is not None and history.overlap_known,
    )


def _weights(history: MetricHistory, length: int) -> np.ndarray:
    """The canary's weight (percent) per interval; NaN where unknown or outside (0, 100)."""
    fallback = np.nan if history.canary_weight is None else float(history.canary_weight)
    if history.canary_weights is None:
        weights = np.full(length, fallback)
    else:
        weights = np.array([fallback if w is None else float(w) for w in history.canary_weights], dtype=float)
    return np.where((weights > 0) & (weights < 100), weights, np.nan)


def _latest_weight(history: MetricHistory) -> float | None:
    known = [w for w in (history.canary_weights or []) if w is not None]
    return known[-1] if known else history.canary_weight


def _traffic_factor(kind: str, canary_weight: float | None) -> float:
    """How much noisier than usual a traffic-derived statistic of a small canary is.

    A latency quantile or a request rate computed from n requests wanders about 1 / sqrt(n), and a
    canary below ``REFERENCE_WEIGHT`` percent sees proportionally fewer requests than the priors
    assume, so its prior noise grows as sqrt(REFERENCE_WEIGHT / weight). Gauges (memory, CPU) are
    per pod and do not depend on traffic; error ratios have their own count test.
    """
    if kind not in ("latency", "throughput") or canary_weight is None or canary_weight <= 0:
        return 1.0
    return max(1.0, math.sqrt(REFERENCE_WEIGHT / canary_weight))


def _as_array(values: Sequence[float | None] | None, length: int) -> np.ndarray:
    """Values as floats, NaN where there was no data. A non-finite value (a query's 0/0 or +Inf)
    is no measurement either: the operator's Prometheus client reports it as no data."""
    if values is None:
        return np.full(length, np.nan)
    out = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
    return np.where(np.isfinite(out), out, np.nan)


def _windows(length: int, sizes: tuple[int, ...]) -> list[int]:
    """Suffix lengths to test at a look over ``length`` intervals: recent windows and the whole history."""
    return sorted({w for w in sizes if w < length} | {length})


@dataclass(frozen=True)
class _WindowResult:
    effect: float
    p_bad: float
    p_good: float
    samples: int


def _halved(r: _WindowResult) -> _WindowResult:
    """One of two tests asked at once: Bonferroni, each at half the alpha."""
    return dataclasses.replace(r, p_bad=min(1.0, 2 * r.p_bad), p_good=min(1.0, 2 * r.p_good))


def judge_metric(history: MetricHistory, config: CompareConfig | None = None) -> MetricVerdict:
    """Classify one metric at the latest interval of ``history``.

    High/Low means the canary is significantly (and beyond the tolerance) above/below stable;
    ``failed`` says whether that direction is the bad one, or whether the canary stopped
    reporting. Pass needs ``minSamples`` intervals with data on both sides and data at the
    latest interval; anything less is NoData.
    """
    config = config or CompareConfig()
    if len(history.canary) != len(history.stable):
        raise ValueError(f"metric {history.name}: stable and canary histories differ in length")
    try:
        if history.overlap is None:
            history = _unknown_window(history, config)
        if _is_success_ratio(history, config):
            return _judge_success_ratio(history, config)
        return _judge(history, config)
    except (ArithmeticError, ValueError) as error:
        # Values no metric produces (1e300, counts beyond float range) must not crash the operator
        # into a retry loop: they are no measurement, and no data is never a pass.
        return MetricVerdict(name=history.name, classification="NoData", failed=False,
                             reason=f"values the judge cannot compute with ({type(error).__name__}: {error})")


def _unknown_window(history: MetricHistory, config: CompareConfig) -> MetricHistory:
    """A history whose query window is unknown, judged as the operator would had it known the window.

    Where request counts show a fresh canary's window filling (``stats.fill_overlap``; this
    metric's own counts or, through ``window_fill``, another metric's of the same release), the
    values overlap by as many intervals, and a latency or throughput metric is judged only from
    the first interval whose window is full, as the operator waits for it. Otherwise the overlap
    counts as 1 here, and the paired test estimates it from how the values wander
    (``stats.wander_overlap``).
    """
    fill = max(history.window_fill, _own_fill(history))
    kind = config.kind or history.kind
    skip = math.ceil(fill - 1e-9) - 1 if kind in WINDOW_FILLING_KINDS else 0
    shown = history.aligned(max(len(history.stable) - skip, 0)) if skip > 0 else history
    return dataclasses.replace(shown, overlap=fill, window_fill=fill, overlap_known=False)


def _shared_data(
    stable: np.ndarray, canary: np.ndarray, stable_n: np.ndarray | None, canary_n: np.ndarray | None, kind: str
) -> float:
    """An unknown query window's overlap, as this metric's data show it: error counts by how little the
    canary's share of them moves (``stats.count_overlap``), latency and throughput by how they
    wander (``stats.wander_overlap``). Error ratios without counts are left to the paired test,
    when it runs; gauges (memory is mostly read at an instant, and climbs when it leaks) to the
    release's request counts."""
    if kind == "error-ratio":
        if stable_n is None or canary_n is None:
            return 1.0
        return stats.count_overlap(np.nan_to_num(canary * canary_n), np.nan_to_num(canary_n),
                                   np.nan_to_num(stable * stable_n), np.nan_to_num(stable_n))
    if kind == "gauge":
        return 1.0  # memory is read at an instant, and a leak's climb would pass for shared data
    present = ~np.isnan(stable) & ~np.isnan(canary)
    diffs, _ = _paired_differences(stable, canary, present, kind)
    return stats.wander_overlap(diffs[present])


def _own_fill(history: MetricHistory) -> float:
    if history.stable_requests is None or history.canary_requests is None:
        return 1.0
    length = len(history.stable)
    expected = _expected_canary_requests(_as_array(history.stable_requests, length), _weights(history, length))
    return stats.fill_overlap(_as_array(history.canary_requests, length), np.where(np.isinf(expected), np.nan, expected))


def _rate_fill(history: MetricHistory, config: CompareConfig) -> float:
    """An unknown query window, as a throughput's or a gauge's canary climbs to its share (``stats.climb_overlap``).

    Gauges count because CPU is a ``rate()`` too; a memory gauge that climbs from near zero reads
    the same, and then only delays the judgement by the window it seems to fill."""
    if history.overlap is not None or (config.kind or history.kind) not in ("throughput", "gauge"):
        return 1.0
    length = len(history.stable)
    stable = _as_array(history.stable, length)
    canary = _per_share_throughput(stable, _as_array(history.canary, length), _weights(history, length))
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(stable > 0, canary / stable, np.nan)
    return stats.climb_overlap(shares)


def _is_success_ratio(history: MetricHistory, config: CompareConfig) -> bool:
    """A ratio near 1 (or 100%) where higher is better (success ratio, availability, Apdex)."""
    return _success_scale(history, config) is not None


def _success_scale(history: MetricHistory, config: CompareConfig) -> float | None:
    """1 for a success ratio, 100 for one in percent; None for any other metric.

    Its complement is a failure ratio: a regression from 99.9% to 99% success is tenfold more
    failures, which a relative comparison of the success ratios themselves (-0.9%) would shrug off
    as noise. Recognised from the values: every one within [0, 1] and stable's median above 0.5,
    or every one within [0, 100], some above 1, and stable's median above 50.
    """
    kind = config.kind or history.kind
    better = config.better or history.better
    if better != "higher" or kind not in ("gauge", "error-ratio") or config.test == "mann-whitney":
        return None
    values = np.array([v for v in (*history.stable, *history.canary) if v is not None], dtype=float)
    stable = np.array([v for v in history.stable if v is not None], dtype=float)
    if not stable.size or np.any(values < 0):
        return None
    for scale in (1.0, 100.0):
        if np.all(values <= scale) and np.median(stable) > scale / 2:
            return scale
    return None


def _judge_success_ratio(history: MetricHistory, config: CompareConfig) -> MetricVerdict:
    """Judge 1 - value (100% - value, in percent) as an error ratio, and report the classification in the metric's own terms."""
    scale = _success_scale(history, config) or 1.0

    def complement(values: Sequence[float | None]) -> list[float | None]:
        return [None if v is None else (scale - float(v)) / scale for v in values]

    failures = dataclasses.replace(
        history, stable=complement(history.stable), canary=complement(history.canary), kind="error-ratio", better="lower"
    )
    # Not read back as counts: an Apdex's complement counts tolerated requests as halves, and a
    # complement taken in floating point is no exact fraction anyway.
    verdict = _judge(failures, config.model_copy(update={"kind": "error-ratio", "better": "lower"}), read_counts=False)
    flipped: dict[str, Classification] = {"High": "Low", "Low": "High"}
    return dataclasses.replace(
        verdict,
        classification=flipped.get(verdict.classification, verdict.classification),
        reason=f"failures ({'100% - value' if scale == 100 else '1 - value'}): {verdict.reason}",
    )


def _judge(history: MetricHistory, config: CompareConfig, read_counts: bool = True) -> MetricVerdict:
    cfg = _resolve(history, config)
    length = len(history.stable)  # the same as the canary's: ``judge_metric`` checks
    if length == 0:
        return MetricVerdict(name=history.name, classification="NoData", failed=False, reason="no intervals yet")

    stable = _as_array(history.stable, length)
    canary = _as_array(history.canary, length)
    weights = _weights(history, length)
    stable_n = _as_array(history.stable_requests, length) if history.stable_requests is not None else None
    canary_n = _as_array(history.canary_requests, length) if history.canary_requests is not None else None
    # Counts read back from exact fractions serve the count test and the window's estimate; whether
    # the canary is silent is still judged as for a ratio without counts (a null ratio may only
    # mean no error series yet).
    read = (
        _read_counts(stable, canary, stable_n, canary_n, weights)
        if read_counts and cfg.kind == "error-ratio" and cfg.test == "auto" and (stable_n is None or canary_n is None)
        else None
    )
    if not cfg.overlap_known:
        shown_n = read or (stable_n, canary_n)
        shared = _shared_data(stable, canary, shown_n[0], shown_n[1], cfg.kind)
        cfg = dataclasses.replace(cfg, overlap=max(cfg.overlap, shared))
    canary_missing = np.isnan(canary)
    stable_missing = np.isnan(stable)
    if canary_n is not None:
        canary_missing |= ~(canary_n > 0)
    if stable_n is not None:
        stable_missing |= ~(stable_n > 0)

    # An interval in which a tiny canary was expected to get next to no requests says nothing
    # about whether it is alive: it neither counts towards silence nor breaks a silent run.
    if stable_n is None and history.expected_canary_requests is not None:
        expected = np.nan_to_num(_as_array(history.expected_canary_requests, length), nan=np.inf)
    else:
        expected = _expected_canary_requests(stable_n, weights)
    quiet = expected < SILENCE_MIN_REQUESTS
    # With request counts, a canary that served requests is alive even where its ratio is null: in
    # PromQL an error ratio returns nothing until the canary's first error creates the error series.
    no_requests = ~(canary_n > 0) if canary_n is not None else canary_missing
    # Without counts, the same null comes from a canary without errors: where stable had none
    # either, a canary on a share of its traffic most likely had none, and its null says nothing.
    errorless = (stable == 0) if cfg.kind == "error-ratio" and canary_n is None else np.zeros(length, dtype=bool)
    silent, needed = _canary_silence(no_requests, stable_missing | quiet | errorless, cfg.overlap)
    if silent >= max(cfg.missing_limit, needed):
        return MetricVerdict(
            name=history.name,
            classification="NoData",
            failed=True,
            reason=f"canary reported nothing for {silent} intervals while stable did",
        )

    if cfg.kind in ("latency", "throughput") or (cfg.kind == "error-ratio" and canary_n is None):
        # A quantile or a rate of a handful of requests is noise, not a measurement.
        canary_missing = canary_missing | quiet
        stable_missing = stable_missing | quiet
    if cfg.kind == "throughput":
        canary = _per_share_throughput(stable, canary, weights)
    both = ~canary_missing & ~stable_missing
    samples = int(both.sum())
    pseudo = False
    if read is not None:
        stable_n = np.where(stable_missing, np.nan, read[0])
        canary_n = np.where(canary_missing, np.nan, read[1])
    if (
        ESTIMATE_COUNTS
        and cfg.test == "auto"
        and cfg.kind == "error-ratio"
        and (stable_n is None or canary_n is None)
        and not np.all(np.isnan(weights))
    ):
        estimated = _effective_counts(stable, ~stable_missing, canary, ~canary_missing, weights, cfg.overlap)
        if estimated is not None:
            stable_n = np.where(stable_missing, np.nan, estimated[0])
            canary_n = np.where(canary_missing, np.nan, estimated[1])
            pseudo = True
    use_counts = (
        cfg.test in ("auto", "two-proportion") and cfg.kind == "error-ratio" and stable_n is not None and canary_n is not None
    )
    marginal: list[_WindowResult] = []
    if use_counts:
        results, marginal = _count_evidence(stable, canary, stable_n, canary_n, both, cfg, exact=not pseudo)
        min_window = MIN_SEGMENT
        if pseudo and np.all(stable[both] > 0) and np.all(canary[both] > 0):
            # Counts estimated from how the ratios wander take a wander both sides share (a
            # dependency's errors, a burst) for the binomial noise of few requests, and the count
            # test then sees little evidence in a canary failing several times as often. The log
            # ratio cancels what is shared: both tests are asked, each at half the alpha.
            paired, paired_marginal = _shift_evidence(stable, canary, both, cfg, logs=True)
            # The count test's windows meet ``min_window`` below; the paired test's need its own minimum.
            results = [_halved(r) for r in (*results, *(r for r in paired if r.samples >= MIN_PAIRED))]
            marginal = marginal + paired_marginal
    elif cfg.test == "mann-whitney":
        windows = _windows(length, SAMPLE_WINDOWS)
        results = _mann_whitney_windows(stable, canary, ~stable_missing, ~canary_missing, windows, cfg)
        min_window = min(SAMPLE_WINDOWS)
    else:
        tested = _past_warm_up(both, stable, canary, cfg) if cfg.kind == "gauge" else both
        results, marginal = _shift_evidence(stable, canary, tested, cfg)
        min_window = MIN_PAIRED_GAUGE if cfg.kind == "gauge" else MIN_PAIRED
    sequential = use_counts or cfg.test != "mann-whitney"
    # Sequential tests give always-valid p-values, compared with the release-wide alpha at every
    # look; the rank test spends alpha over looks and splits each look's share over its windows.
    per_window_alpha = cfg.alpha if sequential else stats.spent_alpha(cfg.alpha, length) / len(windows)
    # One interval is never enough to judge: a single burst or slow scrape must not decide.
    results = [r for r in results if r.samples >= min_window]

    sign = 1.0 if cfg.better == "lower" else -1.0
    bad_label: Classification = "High" if cfg.better == "lower" else "Low"
    good_label: Classification = "Low" if cfg.better == "lower" else "High"
    deciding: _WindowResult | None = None
    for result in results:
        if result.p_bad < per_window_alpha and sign * result.effect > cfg.tolerance:
            # A warm-up can only wait as a marginal verdict: with marginalConfidence 0 it fails as before.
            settling = cfg.kind == "latency" and cfg.marginal_alpha > 0 and _settling(stable, canary, both, cfg)
            reason = f"canary {_describe(result.effect)} than stable over the last {result.samples} intervals"
            return MetricVerdict(
                name=history.name,
                classification="Pass" if settling else bad_label,
                failed=not settling,
                effect=result.effect,
                p_value=result.p_bad,
                threshold=per_window_alpha,
                samples=samples,
                reason=f"{reason}, but less so at each of its first {samples}: a fresh canary warming up, judged once it settles"
                if settling else reason,
                marginal=settling,
            )
    for result in results:
        if result.p_good < per_window_alpha and -sign * result.effect > cfg.tolerance:
            deciding = result
            break

    suspect = next(
        (r for r in marginal if r.samples >= min_window and r.p_bad < cfg.marginal_alpha / len(marginal)
         and sign * r.effect > cfg.tolerance),
        None,
    )
    # The whole history: last of the windows, first of the count test's starts.
    full = (results[0] if sequential else results[-1]) if results else None
    if samples < cfg.min_samples or not bool(both[-1]):
        why = (
            f"{samples} of {cfg.min_samples} intervals with data on both sides"
            if samples < cfg.min_samples
            else "no data at the latest interval"
        )
        return MetricVerdict(
            name=history.name,
            classification="NoData",
            failed=False,
            effect=full.effect if full else None,
            p_value=full.p_bad if full else None,
            threshold=per_window_alpha,
            samples=samples,
            reason=why,
        )
    if suspect is not None:
        return MetricVerdict(
            name=history.name,
            classification="Pass",
            failed=False,
            effect=suspect.effect,
            p_value=suspect.p_bad,
            threshold=cfg.marginal_alpha / len(marginal),
            samples=samples,
            reason=(
                f"marginal: canary {_describe(suspect.effect)} than stable over the last {suspect.samples} intervals "
                f"(p={suspect.p_bad:.3f} at this look), not conclusive over the release"
            ),
            marginal=True,
        )
    if deciding is not None:
        return MetricVerdict(
            name=history.name,
            classification=good_label,
            failed=False,
            effect=deciding.effect,
            p_value=deciding.p_good,
            threshold=per_window_alpha,
            samples=samples,
            reason=f"canary {_describe(deciding.effect)} than stable (better)",
        )
    return MetricVerdict(
        name=history.name,
        classification="Pass",
        failed=False,
        effect=full.effect if full else None,
        p_value=full.p_bad if full else None,
        threshold=per_window_alpha,
        samples=samples,
        reason="no significant degradation beyond the tolerance",
    )


def overall(verdicts: Iterable[MetricVerdict]) -> Verdict:
    """Fold metric verdicts: any failed metric rolls back, any NoData or marginal one pauses
    (a release that ends on a pause is not promoted), otherwise continue."""
    verdicts = tuple(verdicts)
    failed = [v for v in verdicts if v.failed]
    if failed:
        return Verdict("rollback", verdicts, "; ".join(f"{v.name}: {v.reason}" for v in failed))
    missing = [v for v in verdicts if v.classification == "NoData"]
    if missing or not verdicts:
        return Verdict("pause", verdicts, "; ".join(f"{v.name}: {v.reason}" for v in missing) or "no metrics")
    marginal = [v for v in verdicts if v.marginal]
    if marginal:
        return Verdict("pause", verdicts, "; ".join(f"{v.name}: {v.reason}" for v in marginal))
    return Verdict("continue", verdicts, "all metrics pass")


def judge(histories: Iterable[MetricHistory], configs: dict[str, CompareConfig] | None = None) -> Verdict:
    """Judge every metric of a release at one look (config by metric name, defaults otherwise) and fold the verdicts."""
    return overall(judge_together(histories, configs))


def judge_together(
    histories: Iterable[MetricHistory],
    configs: dict[str, CompareConfig] | None = None,
    judged: Container[str] | None = None,
) -> list[MetricVerdict]:
    """The verdicts of the ``judged`` metrics (default: all), in order, with what the release's
    other metrics tell about their canary.

    Metrics of one release share its traffic: request counts of one metric tell the others how
    many requests the canary should have had, so a trickle is not mistaken for a dead canary; a
    canary whose pods still report a gauge, or whose latency or rate still comes in, is not dead
    because another metric went silent. The histories must end at the same interval, one value
    per interval each; one may start later (a latency that waited for its query window to fill),
    and is lined up with the others by its latest values (``MetricHistory.aligned`` does the same);
    metrics that are not judged serve as context only.
    """
    configs = configs or {}
    histories = list(histories)
    if any(h.overlap is None for h in histories):
        # One query window for the release: a window seen filling in one metric's counts or rate holds for all.
        fill = max([max(_own_fill(h), _rate_fill(h, _config(h, configs))) for h in histories], default=1.0)
        histories = [dataclasses.replace(h, window_fill=max(h.window_fill, fill)) if h.overlap is None else h
                     for h in histories]
    expected = _shared_expected_requests(histories)
    if expected is not None:
        # Lined up by the latest values: a latency history that waited for its window to fill is
        # shorter than the error ratio's, and its canary was due the same requests.
        histories = [
            h if h.stable_requests is not None
            else dataclasses.replace(h, expected_canary_requests=_latest(expected, len(h.stable)))
            for h in histories
        ]
    verdicts = [judge_metric(h, configs.get(h.name)) for h in histories if judged is None or h.name in judged]
    alive = _still_reporting(histories, configs)
    serving = _still_serving(histories, configs)

    def alive_elsewhere(name: str) -> str:
        """Why a metric whose canary went silent is not a dead canary ("" if nothing says so)."""
        if alive is not None:
            return f"its pods still report {alive}: no traffic reaches it"
        return f"it still serves requests ({serving[name]})" if serving.get(name) else ""

    return [
        dataclasses.replace(v, failed=False, reason=f"{v.reason}, but {why}")
        if v.failed and v.classification == "NoData" and (why := alive_elsewhere(v.name)) else v
        for v in verdicts
    ]


def _still_serving(histories: Sequence[MetricHistory], configs: dict[str, CompareConfig]) -> dict[str, str]:
    """For each metric, another request metric the canary reported at the latest interval.

    A canary whose latency or request rate still comes in is serving: an error ratio that went
    silent meanwhile has lost its query (or its error series), not its pods.
    """
    reporting = []
    for h in histories:
        kind = _config(h, configs).kind or h.kind
        if kind in ("latency", "throughput") and _served_lately(h):
            reporting.append(h.name)
    return {h.name: next((r for r in reporting if r != h.name), "") for h in histories}


def _served_lately(history: MetricHistory) -> bool:
    """Whether the canary reported at the latest interval in which stable did.

    An interval without data on either side (Prometheus down, a failed query) says nothing.
    """
    for index in range(len(history.stable) - 1, -1, -1):
        if history.stable[index] is None:
            continue
        served = history.canary_requests is None or (history.canary_requests[index] or 0) > 0
        return history.canary[index] is not None and served
    return False


def _still_reporting(histories: Sequence[MetricHistory], configs: dict[str, CompareConfig]) -> str | None:
    """A per-pod gauge the canary reported at the latest interval, when no metric counts requests.

    Request metrics that go silent while the canary's pods still report memory or CPU mean that no
    traffic reaches the canary (a trickle, a routing mistake), which is inconclusive, not a crash.
    With request counts the judge knows how many requests the canary was due and needs no hint.
    """
    if any(h.stable_requests is not None for h in histories):
        return None
    for h in histories:
        config = _config(h, configs)
        if (config.kind or h.kind) == "gauge" and h.canary and h.canary[-1] is not None and not _is_success_ratio(h, config):
            return h.name
    return None


def _config(history: MetricHistory, configs: dict[str, CompareConfig]) -> CompareConfig:
    return configs.get(history.name) or CompareConfig()


def _shared_expected_requests(histories: Sequence[MetricHistory]) -> list[float | None] | None:
    for h in histories:
        if h.stable_requests is not None:
            expected = _expected_canary_requests(_as_array(h.stable_requests, len(h.stable_requests)), _weights(h, len(h.stable)))
            if np.all(np.isinf(expected)):
                continue
            return [None if np.isinf(e) else float(e) for e in expected]
    return None


def _latest(values: Sequence[float | None], length: int) -> list[float | None]:
    """The last ``length`` values, with no data in front where there are fewer."""
    kept = list(values)[-length:] if length > 0 else []
    return [None] * (length - len(kept)) + kept


def _describe(effect: float) -> str:
    return f"{abs(effect) * 100:.0f}% {'higher' if effect > 0 else 'lower'}"


def _expected_canary_requests(stable_n: np.ndarray | None, weights: np.ndarray) -> np.ndarray:
    """Requests the canary should have had per interval given stable's and the split (inf when unknown)."""
    if stable_n is None:
        return np.full(weights.shape, np.inf)
    return np.nan_to_num(stable_n * weights / (100.0 - weights), nan=np.inf)


def _per_share_throughput(stable: np.ndarray, canary: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The canary's throughput scaled to stable's share of the traffic, when the values are per side.

    A request rate summed over a side is proportional to that side's weight: a healthy 5% canary
    serves about 1/19 of stable's rate. Rates per pod are not. The values say which they are: when
    the canary/stable ratio sits nearer (in log terms) to the traffic split than to parity, they
    are per side and each interval's canary value is scaled by (100 - weight) / weight, with the
    weight the canary had in that interval.
    """
    split = np.log(weights / (100.0 - weights))
    both = ~np.isnan(stable) & ~np.isnan(canary) & (stable > 0) & (canary > 0) & ~np.isnan(split)
    if not both.any():
        return canary
    ratios = np.log(canary[both] / stable[both])
    if np.median(np.abs(ratios - split[both])) < np.median(np.abs(ratios)):
        return np.where(np.isnan(split), np.nan, canary * np.exp(-split))
    return canary


def _canary_silence(canary_missing: np.ndarray, stable_missing: np.ndarray, overlap: float = 1.0) -> tuple[int, int]:
    """Trailing intervals in which the canary had no data while stable had, and how many of those
    make a dead canary more likely than a quiet one at 99%.

    Intervals where stable had no data either (Prometheus down, or a canary expected to get next
    to no requests) neither count nor break the run. A canary that often had no data before the
    run (a trickle of traffic) must be silent for longer: if it missed a fraction f of the
    intervals before, a live one misses k in a row with chance about f^k, so the run must reach
    log(0.01) / log(f). f starts from the prior ``SILENCE_PRIOR``, which asks ``missingLimit``
    (3) intervals of a canary that never reported or reported steadily. Over query windows of
    ``overlap`` intervals, k empty values in a row are k + overlap - 1 intervals without a request,
    about (k + overlap - 1) / overlap windows' worth of chances, and the run must be as much longer.
    """
    count = 0
    end = len(canary_missing)
    for index in range(len(canary_missing) - 1, -1, -1):
        if not canary_missing[index]:
            break
        end = index
        if not stable_missing[index]:
            count += 1
    before = ~stable_missing[:end]
    gaps = float((canary_missing[:end] & before).sum())
    rate = (gaps + SILENCE_PRIOR[0]) / (float(before.sum()) + SILENCE_PRIOR[1])
    needed = math.ceil(overlap * math.log(SILENCE_CHANCE) / math.log(rate) - overlap + 1 - 1e-9)
    return count, needed


def _starts(usable: np.ndarray) -> Iterator[tuple[int, int, float]]:
    """Start intervals a sequential test reports on: (start, usable intervals since it, alpha share).

    Only starts at a usable interval with at least ``MIN_SEGMENT`` usable intervals since.
    """
    since = np.cumsum(usable[::-1])[::-1]
    for start in range(len(usable)):
        if since[start] < MIN_SEGMENT:
            return
        if usable[start]:
            yield start, int(since[start]), stats.start_weight(start)


def _always_valid_p(log_evidence: float, weight: float) -> float:
    """p-value of a sequential test: 1 / (start weight x e-value), at most 1.

    Evidence against the hypothesis can be overwhelming (a canary far better than stable on
    millions of requests), so the e-value is clamped before exponentiating.
    """
    return min(1.0, math.exp(min(-float(log_evidence), 700.0)) / weight)


def _count_evidence(
    stable: np.ndarray,
    canary: np.ndarray,
    stable_n: np.ndarray,
    canary_n: np.ndarray,
    both: np.ndarray,
    cfg: _Resolved,
    exact: bool = True,
) -> tuple[list[_WindowResult], list[_WindowResult]]:
    """Sequential evidence of the count test, one result per start interval, and the marginal check's results.

    ``p_bad`` / ``p_good`` are always-valid p-values: 1 / (start weight x e-value), to be compared
    with the release-wide alpha itself, whatever the look. The marginal results hold one-look
    p-values of the conditional test (``stats.rate_ratio_greater``) per trailing window.
    """
    usable = both & (stable_n > 0) & (canary_n > 0)
    # Real counts are whole numbers; effective counts estimated from ratios stay fractional.
    rounding = np.rint if exact else (lambda x: x)
    canary_events = np.where(usable, rounding(np.nan_to_num(canary) * np.nan_to_num(canary_n)), 0.0)
    stable_events = np.where(usable, rounding(np.nan_to_num(stable) * np.nan_to_num(stable_n)), 0.0)
    c_trials = np.where(usable, canary_n, 0.0)
    s_trials = np.where(usable, stable_n, 0.0)
    tau2, tau2_df = stats.rate_noise(canary_events[usable], c_trials[usable], stable_events[usable], s_trials[usable])
    tau2 = (RATE_NOISE_PRIOR_DF * RATE_NOISE_PRIOR + tau2_df * (tau2 or 0.0)) / (RATE_NOISE_PRIOR_DF + tau2_df)
    tau2 = min(tau2, RATE_NOISE_MAX)
    totals = canary_events + stable_events
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(usable, c_trials / (c_trials + s_trials), 0.0)
    dispersion = 1.0 + tau2 * totals * share * (1 - share)
    bad_null = 1.0 + COUNT_NULL_SHARE * cfg.tolerance
    good_null = max(1.0 - COUNT_NULL_SHARE * cfg.tolerance, 1e-6)
    bars = np.array([math.log(1.0 / (cfg.alpha * stats.start_weight(start))) for start in range(usable.size)])
    cap = COUNT_CAP_SHARE * (bars + math.log(len(stats.RATIO_GRID)))
    higher = stats.rate_ratio_log_evidence(
        canary_events, c_trials, stable_events, s_trials, bad_null, dispersion, overlap=cfg.overlap, cap=cap
    )
    lower = stats.rate_ratio_log_evidence(
        stable_events, s_trials, canary_events, c_trials, 1.0 / good_null, dispersion, overlap=cfg.overlap, cap=cap
    )
    bad_log, good_log = (higher, lower) if cfg.better == "lower" else (lower, higher)
    ce_tail = np.cumsum(canary_events[::-1])[::-1]
    se_tail = np.cumsum(stable_events[::-1])[::-1]
    ct_tail = np.cumsum(c_trials[::-1])[::-1]
    st_tail = np.cumsum(s_trials[::-1])[::-1]
    results = []
    for start, n, weight in _starts(usable):
        ratio = stats.rate_ratio_estimate(ce_tail[start], ct_tail[start], se_tail[start], st_tail[start])
        # Each error counts once per window it falls in.
        bad_events = (ce_tail[start] if cfg.better == "lower" else se_tail[start]) / _inflation(n, cfg.overlap)
        # A couple of errors on a small canary may be one client retrying: not evidence yet.
        p_bad = 1.0 if bad_events < MIN_CANARY_EVENTS else _always_valid_p(bad_log[start], weight)
        p_good = _always_valid_p(good_log[start], weight)
        results.append(_WindowResult(effect=ratio - 1.0, p_bad=p_bad, p_good=p_good, samples=n))
    # The marginal check: the fixed-sample conditional test of the same counts, per trailing window.
    marginal = []
    variances = totals * share * (1 - share)
    for start, n in _marginal_starts(usable):
        at = np.flatnonzero(usable[start:]) + start
        ratio = stats.rate_ratio_estimate(ce_tail[start], ct_tail[start], se_tail[start], st_tail[start])
        inflation = _inflation(n, cfg.overlap)
        spread = stats.dispersion_factor(tau2, variances[at]) * inflation
        if cfg.better == "lower":
            bad_events = ce_tail[start]
            p = stats.rate_ratio_greater(canary_events[at], c_trials[at], stable_events[at], s_trials[at], bad_null, spread)
        else:
            bad_events = se_tail[start]
            p = stats.rate_ratio_greater(stable_events[at], s_trials[at], canary_events[at], c_trials[at], 1 / good_null, spread)
        marginal.append(_WindowResult(ratio - 1.0, 1.0 if bad_events / inflation < MIN_CANARY_EVENTS else p, 1.0, n))
    return results, marginal


def _read_counts(
    stable: np.ndarray, canary: np.ndarray, stable_n: np.ndarray | None, canary_n: np.ndarray | None, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """Request counts of both sides where the error ratios are exact fractions (``counts.recovered_trials``).

    Counts a side was reported with are kept. A side whose counts cannot be read back (a canary
    with too few errors, a stable side too large for the values' precision) takes the other's,
    scaled by the traffic split, where the canary weight is known. None unless one side's counts
    are known or read back.
    """
    stable_n = stable_n if stable_n is not None else counts.recovered_trials(stable)
    canary_n = canary_n if canary_n is not None else counts.recovered_trials(canary)
    if stable_n is not None and canary_n is not None:
        pair = (stable_n, canary_n)
    elif np.all(np.isnan(weights)) or (stable_n is None and canary_n is None):
        return None
    else:
        split = weights / (100.0 - weights)
        pair = (stable_n, stable_n * split) if stable_n is not None else (canary_n / split, canary_n)
    # No count where there was no value: a side's counts taken through the split stop where its values do.
    return np.where(np.isnan(stable), np.nan, pair[0]), np.where(np.isnan(canary), np.nan, pair[1])


def _effective_counts(
    stable: np.ndarray,
    stable_present: np.ndarray,
    canary: np.ndarray,
    canary_present: np.ndarray,
    weights: np.ndarray,
    overlap: float = 1.0,
) -> tuple[float, np.ndarray] | None:
    """Requests per interval behind error ratios reported without counts, as (stable, canary).

    A ratio's interval-to-interval variance (first differences, so drift and an incident onset
    count little) is at least binomial, p (1 - p) / n, so p (1 - p) / variance is at most that
    side's requests per interval: any extra wander only makes the estimate, and the test built
    on it, more cautious. The canary gets its weight's share of stable's estimate, or
    fewer when its own variation says so: a few intervals of a quiet stable side can look far
    steadier than they are, and must not turn one failed request on a tiny canary into fifteen.
    None when stable shows no errors or no variation yet. Over windows of ``overlap`` intervals the
    counts are those of a value's window.
    """
    stable_n = _binomial_trials(stable[stable_present], overlap)
    if stable_n is None:
        return None
    canary_n = stable_n * weights / (100.0 - weights)
    own = _binomial_trials(canary[canary_present], overlap)
    if own is not None:
        canary_n = np.minimum(canary_n, own)
    return stable_n, canary_n


def _binomial_trials(values: np.ndarray, overlap: float = 1.0) -> float | None:
    """Largest number of trials per value consistent with how much a series of ratios wanders.

    The variance comes from the median squared first difference (for normal noise, 0.455 x twice
    the variance), so an incident's few big jumps do not pass for noise and leave a large service
    looking like a tiny one; when most differences are zero (a handful of errors) the median says
    nothing and the mean is used. The variance is then taken at its upper ``TRIALS_BOUND`` bound.
    Ratios over windows of ``overlap`` intervals differ from their neighbour by 1/overlap of their
    spread, which the differences read as overlap times the requests of a window; and the spread
    of the values themselves around their median (robustly, so an incident does not count) bounds
    the estimate too, since a window that shares most of its data with the next one, or a
    window the estimate does not know about, cannot make the values spread less than binomial.
    """
    if values.size < 3:
        return None
    level = float(np.mean(values))
    squares = np.diff(values) ** 2
    median = float(np.median(squares))
    variance = median / (2.0 * CHI2_1_MEDIAN) if median > 0 else float(np.mean(squares) / 2.0)
    if level <= 0 or variance <= 0:
        return None
    df = 2.0 / 3.0 * squares.size  # successive differences share a value
    variance *= df / stats.chi2_quantile(TRIALS_BOUND, df)
    trials = level * (1.0 - level) / variance / overlap
    spread = 1.4826 * float(np.median(np.abs(values - np.median(values))))
    spread *= spread  # inf, not OverflowError, for values beyond any ratio's range
    if spread > 0:
        trials = min(trials, level * (1.0 - level) / spread)
    return trials


def _paired_differences(stable: np.ndarray, canary: np.ndarray, both: np.ndarray, kind: str, logs: bool = False) -> tuple[np.ndarray, bool]:
    """Per-interval canary-vs-stable differences: log ratios when every value is positive,
    otherwise differences relative to stable's typical level. Returns (differences, is_log).

    Error ratios take relative differences unless ``logs`` (a sparse ratio is zero now and then);
    with ``logs``, where every value is positive, a burst that multiplies both sides' errors does
    not read as the canary's excess over stable's typical level."""
    s, c = stable[both], canary[both]
    if (logs or kind != "error-ratio") and np.all(s > 0) and np.all(c > 0):
        diffs = np.full(len(stable), np.nan)
        diffs[both] = np.log(c / s)
        return diffs, True
    level = float(np.median(np.abs(s))) if s.size else 0.0
    if level <= 0:
        level = float(np.mean(np.abs(s))) if s.size and np.mean(np.abs(s)) > 0 else 1e-4
    diffs = np.full(len(stable), np.nan)
    diffs[both] = (c - s) / level
    return diffs, False


def _shift_evidence(
    stable: np.ndarray, canary: np.ndarray, both: np.ndarray, cfg: _Resolved, logs: bool = False
) -> tuple[list[_WindowResult], list[_WindowResult]]:
    """Sequential evidence of the paired test, one result per start interval.

    Per-interval canary-vs-stable differences (log ratios), so load, drift and incidents that
    hit both sides cancel; a mixture likelihood ratio of their mean shift since each start
    (``stats.shift_log_evidence``) against a null of ``SHIFT_NULL_SHARE`` x the tolerance, with
    the noise scale pooled from the data and the kind's prior. ``p_bad`` / ``p_good`` are
    always-valid p-values (1 / (start weight x e-value)); the effect is the Hodges–Lehmann
    estimate since the start, computed only where it can decide. Second, the marginal check's
    one-look t-test results per trailing window.
    """
    diffs, is_log = _paired_differences(stable, canary, both, cfg.kind, logs)
    if not cfg.overlap_known and cfg.kind == "error-ratio":
        # A count-less error ratio judged as paired values, its window unknown: how the differences
        # wander tells how much they share (latency and throughput were read in ``_shared_data``).
        cfg = dataclasses.replace(cfg, overlap=max(cfg.overlap, stats.wander_overlap(diffs[both])))
    sample_scale, sample_df = stats.difference_scale(diffs[both])
    # Values over overlapping windows differ from one interval to the next by sqrt(overlap) less
    # than they spread; the evidence then discounts their shared data (``stats.overlap_inflation``).
    if sample_scale is not None:
        sample_scale *= math.sqrt(cfg.overlap)
    scale, df = stats.moderated_scale(sample_scale, sample_df, cfg.prior_noise, PRIOR_DF)
    # A plug-in scale from few intervals is as often too small as too large, and too small cries
    # wolf: widen it by the ratio of a Student t's standard deviation to a normal's.
    scale = max(scale * math.sqrt(df / (df - 2.0)), MIN_SCALE)
    margin = SHIFT_NULL_SHARE * cfg.tolerance
    up_null, down_null = (math.log1p(margin), math.log1p(-min(margin, 0.5))) if is_log else (margin, -margin)
    higher = stats.shift_log_evidence(diffs, scale, up_null, overlap=cfg.overlap)
    lower = stats.shift_log_evidence(-diffs, scale, -down_null, overlap=cfg.overlap)
    bad_log, good_log = (higher, lower) if cfg.better == "lower" else (lower, higher)
    results = []
    for start, n, weight in _starts(both):
        p_bad = _always_valid_p(bad_log[start], weight)
        p_good = _always_valid_p(good_log[start], weight)
        if start > 0 and min(p_bad, p_good) >= cfg.alpha:
            continue
        window = diffs[start:][both[start:]]
        location = stats.hodges_lehmann_location(window)
        effect = math.expm1(location) if is_log else location
        results.append(_WindowResult(effect=effect, p_bad=p_bad, p_good=p_good, samples=n))
    # The marginal check: a one-sided t-test of the mean shift beyond the same null, per trailing window.
    marginal = []
    for start, n in _marginal_starts(both):
        window = diffs[start:][both[start:]]
        excess = float(np.mean(window)) - up_null if cfg.better == "lower" else down_null - float(np.mean(window))
        location = stats.hodges_lehmann_location(window)
        effect = math.expm1(location) if is_log else location
        spread = scale * math.sqrt(_inflation(n, cfg.overlap))
        marginal.append(_WindowResult(effect, stats.mean_shift_greater(excess, spread, n, df), 1.0, n))
    return results, marginal


def _past_warm_up(both: np.ndarray, stable: np.ndarray, canary: np.ndarray, cfg: _Resolved) -> np.ndarray:
    """The intervals a gauge's paired test judges: all but a fresh canary's warm-up.

    The leading intervals (at most ``GAUGE_WARM_UP``) in which the canary is worse, by more than the
    tolerance, than in every interval after them are left out: a fresh pod's CPU runs high for its
    first minute and falls back. A leak only grows and a step stays, so neither loses an interval.
    """
    at = np.flatnonzero(both)
    if at.size <= GAUGE_WARM_UP:
        return both
    diffs, is_log = _paired_differences(stable, canary, both, "gauge")
    worse = diffs[at] if cfg.better == "lower" else -diffs[at]
    later = float(np.max(worse[GAUGE_WARM_UP:])) + (math.log1p(cfg.tolerance) if is_log else cfg.tolerance)
    lead = 0
    while lead < GAUGE_WARM_UP and worse[lead] > later:
        lead += 1
    tested = both.copy()
    tested[at[:lead]] = False
    return tested


def _settling(stable: np.ndarray, canary: np.ndarray, both: np.ndarray, cfg: _Resolved) -> bool:
    """Whether a fresh canary's latency excess is its warm-up fading rather than a regression.

    Over its first ``SETTLING_LOOKS`` intervals at most, a canary that is worse at every interval
    by less than at the one before, and by now by less than ``SETTLING_SHARE`` of its first excess,
    is a JIT compiling, caches filling or a GC pause leaving the query's window: it is judged once
    the fall stops. A step regression stays; when the noise around it happens to fall so, its
    rollback waits an interval or two."""
    at = np.flatnonzero(both)
    if at.size < MIN_PAIRED or at.size > SETTLING_LOOKS:
        return False
    diffs, _ = _paired_differences(stable, canary, both, cfg.kind)
    worse = diffs[at] if cfg.better == "lower" else -diffs[at]
    return bool(np.all(np.diff(worse) < 0) and worse[0] > 0 and worse[-1] < SETTLING_SHARE * worse[0])


def _inflation(n: int, overlap: float) -> float:
    return float(stats.overlap_inflation(n, overlap))


def _marginal_starts(usable: np.ndarray) -> list[tuple[int, int]]:
    """Trailing windows the marginal check tests: (start, usable intervals since it), per ``MARGINAL_FRACTIONS``."""
    where = np.flatnonzero(usable)
    out = {}
    for fraction in MARGINAL_FRACTIONS:
        k = max(MIN_SEGMENT, math.ceil(fraction * where.size))
        if k <= where.size:
            out[int(where[where.size - k])] = k
    return sorted(out.items())


def _mann_whitney_windows(
    stable: np.ndarray,
    canary: np.ndarray,
    stable_ok: np.ndarray,
    canary_ok: np.ndarray,
    windows: list[int],
    cfg: _Resolved,
) -> list[_WindowResult]:
    positive = bool(np.all(stable[stable_ok] > 0) and np.all(canary[canary_ok] > 0))
    transform = np.log if positive else (lambda x: x)
    level = float(np.median(np.abs(stable[stable_ok]))) if stable_ok.any() else 1.0
    results = []
    for w in windows:
        sl = slice(len(stable) - w, None)
        s = transform(stable[sl][stable_ok[sl]])
        c = transform(canary[sl][canary_ok[sl]])
        if s.size == 0 or c.size == 0:
            continue
        shift = stats.hodges_lehmann_shift(s, c)
        effect = math.expm1(shift) if positive else shift / (level or 1.0)
        greater = stats.mann_whitney_greater(s, c)
        less = stats.mann_whitney_greater(c, s)
        bad_is_greater = cfg.better == "lower"
        results.append(
            _WindowResult(
                effect=effect,
                p_bad=greater if bad_is_greater else less,
                p_good=less if bad_is_greater else greater,
                samples=int(min(s.size, c.size)),
            )
        )
    return results
