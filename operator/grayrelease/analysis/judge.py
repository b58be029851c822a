"""The canary judge: compare canary with stable, metric by metric, and decide the release's fate.

Pure and stateless. The operator keeps each side's per-interval history of a metric in the
GrayRelease status and calls ``judge_metric`` every analysis interval with the whole history so
far; ``overall`` folds the metrics' verdicts into continue, rollback or pause. Replaying a
recorded release offline (``grayrelease replay``) calls exactly the same functions.

This module picks the test for each metric and folds the answers; the tests live beside it:
``counttest`` (error ratios), ``pairedtest`` (everything else), ``ranktest`` (Kayenta's rank
test, on request), with ``evidence`` for what they share, ``settings`` for each kind's defaults,
``querywindow`` for windows read off the data, ``liveness`` for a canary gone silent, and
``series`` for the histories themselves.

How one metric is judged (docs/judge.md has the full story):

* error ratios with request counts: the canary's share of the errors, conditional on their total,
  which stays honest with the handful of errors a 5% canary sees, as a sequential mixture
  likelihood ratio per start interval (``stats.rate_ratio_log_evidence``); without counts, the
  same test on the counts read back from ratios that are exact fractions (``counts``), or, with
  the canary weight, on effective counts estimated from how much the ratios wander
  (``counttest.effective_counts``), beside the paired test of their log ratios (each at half the
  alpha) where no value is zero, since a wander both sides share makes those counts too few;
* success ratios, availability, Apdex (values in [0, 1], higher is better): their complement,
  the failure ratio (taken in decimal, so exact fractions stay exact and their counts are read
  back, except an Apdex's), judged as an error ratio;
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
* a difference must be significant *and* larger than ``maxDegradation`` to fail the metric, and a
  latency's must show in most intervals of its window (a sign test), not only in its mean;
* marginal: a canary worse beyond the tolerance at one look (``marginalConfidence``, fixed-sample
  tests over the whole release, its second half and last quarter, folded by Simes' test) but not over the release
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
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from grayrelease.analysis import counttest, evidence, liveness, pairedtest, querywindow, ranktest, series, settings, stats
from grayrelease.analysis.series import MetricHistory
from grayrelease.api.compare import CompareConfig

__all__ = ["CompareConfig", "MetricHistory", "MetricVerdict", "Verdict", "judge", "judge_metric", "judge_together", "overall"]


Classification = Literal["Pass", "High", "Low", "NoData"]
Decision = Literal["continue", "rollback", "pause"]


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
    tolerance at ``marginalConfidence``, a fresh canary's latency still settling (``pairedtest.settling``),
    a latency worse on average but not in most intervals (``pairedtest.majority_confirms``), or a
    count-less error ratio's excess over a side without errors from too few errors to be beyond
    chance (``pairedtest.too_few_errors``): not proof of a regression, too suspect to promote unseen."""


@dataclass(frozen=True)
class Verdict:
    """The release-level answer at one look."""

    decision: Decision
    metrics: tuple[MetricVerdict, ...] = field(default_factory=tuple)
    reason: str = ""


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
            history = querywindow.unknown_window(history, config)
        if settings.is_success_ratio(history, config):
            return _judge_success_ratio(history, config)
        return _judge(history, config)
    except (ArithmeticError, ValueError) as error:
        # Values no metric produces (1e300, counts beyond float range) must not crash the operator
        # into a retry loop: they are no measurement, and no data is never a pass.
        return MetricVerdict(name=history.name, classification="NoData", failed=False,
                             reason=f"values the judge cannot compute with ({type(error).__name__}: {error})")


def _judge_success_ratio(history: MetricHistory, config: CompareConfig) -> MetricVerdict:
    """Judge 1 - value (100% - value, in percent) as an error ratio, and report the classification in the metric's own terms."""
    scale = settings.success_scale(history, config) or 1.0

    failures = dataclasses.replace(
        history,
        stable=series.complement(history.stable, scale),
        canary=series.complement(history.canary, scale),
        kind="error-ratio",
        better="lower",
    )
    # An Apdex's complement counts tolerated requests as halves: (2 frustrated + tolerated) / 2n
    # would read back as twice the requests and errors there are, and twice the evidence.
    apdex = "apdex" in history.name.lower()
    verdict = _judge(failures, config.model_copy(update={"kind": "error-ratio", "better": "lower"}), read_counts=not apdex)
    flipped: dict[str, Classification] = {"High": "Low", "Low": "High"}
    return dataclasses.replace(
        verdict,
        classification=flipped.get(verdict.classification, verdict.classification),
        reason=f"failures ({'100% - value' if scale == 100 else '1 - value'}): {verdict.reason}",
    )


def _judge(history: MetricHistory, config: CompareConfig, read_counts: bool = True) -> MetricVerdict:
    cfg = settings.resolve(history, config)
    length = len(history.stable)  # the same as the canary's: ``judge_metric`` checks
    if length == 0:
        return MetricVerdict(name=history.name, classification="NoData", failed=False, reason="no intervals yet")

    stable = series.as_array(history.stable, length)
    canary = series.as_array(history.canary, length)
    weights = series.weights(history, length)
    stable_n = series.as_array(history.stable_requests, length) if history.stable_requests is not None else None
    canary_n = series.as_array(history.canary_requests, length) if history.canary_requests is not None else None
    # Counts read back from exact fractions serve the count test and the window's estimate; whether
    # the canary is silent is still judged as for a ratio without counts (a null ratio may only
    # mean no error series yet).
    read = (
        counttest.read_counts(stable, canary, stable_n, canary_n, weights)
        if read_counts and cfg.kind == "error-ratio" and cfg.test == "auto" and (stable_n is None or canary_n is None)
        else None
    )
    # A value asked for again before Prometheus had a new sample is the same measurement: the
    # tests and the window's estimate see it once.
    repeated = series.repeats(stable, canary, stable_n, canary_n, history.interval_seconds)
    if not cfg.overlap_known:
        shown_n = read or (stable_n, canary_n)
        shared = querywindow.shared_data(np.where(repeated, np.nan, stable), canary, shown_n[0], shown_n[1], cfg.kind)
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
        expected = np.nan_to_num(series.as_array(history.expected_canary_requests, length), nan=np.inf)
    else:
        expected = series.expected_canary_requests(stable_n, weights)
    quiet = expected < liveness.SILENCE_MIN_REQUESTS
    # With request counts, a canary that served requests is alive even where its ratio is null: in
    # PromQL an error ratio returns nothing until the canary's first error creates the error series.
    no_requests = ~(canary_n > 0) if canary_n is not None else canary_missing
    # Without counts, the same null comes from a canary without errors: where stable had none
    # either, a canary on a share of its traffic most likely had none, and its null says nothing.
    errorless = (stable == 0) if cfg.kind == "error-ratio" and canary_n is None else np.zeros(length, dtype=bool)
    starting = liveness.starting_up(no_requests, history.interval_seconds, history.first_age_seconds)
    unproven = liveness.unproven_silence(cfg.kind, stable, no_requests, canary_n is None, expected, weights,
                                         read[0] if read is not None else None, ~stable_missing, cfg.overlap,
                                         history.stable_trials)
    says_nothing = stable_missing | quiet | errorless | starting
    silent, needed = liveness.canary_silence(no_requests, says_nothing, cfg.overlap, unproven)
    needed = max(needed, liveness.silent_intervals_needed(history.interval_seconds))
    if silent >= max(cfg.missing_limit, needed):
        return MetricVerdict(
            name=history.name,
            classification="NoData",
            failed=True,
            reason=f"canary reported nothing for {silent} intervals while {cfg.other} did",
        )
    if unproven.any():
        unheard, _ = liveness.canary_silence(no_requests, says_nothing, cfg.overlap)
        if unheard >= max(cfg.missing_limit, needed):
            due = "errors" if cfg.kind == "error-ratio" else "requests"
            return MetricVerdict(
                name=history.name,
                classification="NoData",
                failed=False,
                reason=f"canary has reported nothing for {unheard} intervals while {cfg.other} did, and nothing says it"
                       f" was due {due}: without traffic it reads the same as a dead one; held, not promoted",
            )

    if cfg.kind in ("latency", "throughput") or (cfg.kind == "error-ratio" and canary_n is None):
        # A quantile or a rate of a handful of requests is noise, not a measurement.
        canary_missing = canary_missing | quiet
        stable_missing = stable_missing | quiet
    if cfg.kind == "throughput":
        canary = pairedtest.per_share_throughput(stable, canary, weights, cfg.per, series.pod_ratio(history, len(stable)))
        # A rate per side in an interval whose weight is unknown cannot be read per share: no measurement.
        canary_missing = canary_missing | np.isnan(canary)
    present = ~canary_missing & ~stable_missing
    both = present & ~repeated  # what the tests weigh: each measurement once
    samples = int(present.sum())
    pseudo = False
    if read is not None:
        stable_n = np.where(stable_missing, np.nan, read[0])
        canary_n = np.where(canary_missing, np.nan, read[1])
    if (
        cfg.test == "auto"
        and cfg.kind == "error-ratio"
        and (stable_n is None or canary_n is None)
        and not np.all(np.isnan(weights))
    ):
        estimated = counttest.effective_counts(stable, ~stable_missing, canary, ~canary_missing, weights, cfg.overlap,
                                               cfg.overlap_known)
        if estimated is not None:
            stable_n = np.where(stable_missing, np.nan, estimated[0])
            canary_n = np.where(canary_missing, np.nan, estimated[1])
            pseudo = True
    use_counts = (
        cfg.test in ("auto", "two-proportion") and cfg.kind == "error-ratio" and stable_n is not None and canary_n is not None
    )
    marginal: list[evidence.WindowResult] = []
    if use_counts:
        results, marginal = counttest.count_evidence(stable, canary, stable_n, canary_n, both, cfg, exact=not pseudo)
        min_window = evidence.MIN_SEGMENT
        if pseudo and np.all(stable[both] > 0) and np.all(canary[both] > 0):
            # Counts estimated from how the ratios wander take a wander both sides share (a
            # dependency's errors, a burst) for the binomial noise of few requests, and the count
            # test then sees little evidence in a canary failing several times as often. The log
            # ratio cancels what is shared: both tests are asked, each at half the alpha.
            paired, paired_marginal = pairedtest.shift_evidence(stable, canary, both, cfg, logs=True)
            # The count test's windows meet ``min_window`` below; the paired test's need its own minimum.
            results = [evidence.halved(r) for r in (*results, *(r for r in paired if r.samples >= pairedtest.MIN_PAIRED))]
            marginal = marginal + paired_marginal
    elif cfg.test == "mann-whitney":
        windows = ranktest.windows(length, ranktest.SAMPLE_WINDOWS)
        results = ranktest.mann_whitney_windows(stable, canary, ~stable_missing, ~canary_missing, windows, cfg)
        min_window = min(ranktest.SAMPLE_WINDOWS)
    else:
        most = {"gauge": pairedtest.GAUGE_WARM_UP, "latency": pairedtest.LATENCY_WARM_UP}.get(cfg.kind, 0)
        tested = pairedtest.past_warm_up(both, stable, canary, cfg, most) if most else both
        results, marginal = pairedtest.shift_evidence(stable, canary, tested, cfg, weights=weights)
        min_window = pairedtest.MIN_PAIRED_GAUGE if cfg.kind == "gauge" else pairedtest.MIN_PAIRED
    sequential = use_counts or cfg.test != "mann-whitney"
    # Sequential tests give always-valid p-values, compared with the release-wide alpha at every
    # look; the rank test spends alpha over looks and splits each look's share over its windows.
    per_window_alpha = cfg.alpha if sequential else stats.spent_alpha(cfg.alpha, length) / len(windows)
    # One interval is never enough to judge: a single burst or slow scrape must not decide.
    results = [r for r in results if r.samples >= min_window]

    sign = 1.0 if cfg.better == "lower" else -1.0
    bad_label: Classification = "High" if cfg.better == "lower" else "Low"
    good_label: Classification = "Low" if cfg.better == "lower" else "High"
    deciding: evidence.WindowResult | None = None
    unconfirmed: evidence.WindowResult | None = None
    for result in results:
        if result.p_bad < per_window_alpha and sign * result.effect > cfg.tolerance:
            if not result.confirmed and cfg.marginal_alpha > 0:
                # Worse on average but not in most intervals: held, not promoted on it, not rolled
                # back on it either; as for a warm-up, with marginalConfidence 0 it fails as before.
                unconfirmed = unconfirmed or result
                continue
            # A warm-up can only wait as a marginal verdict: with marginalConfidence 0 it fails as before.
            settling = cfg.kind == "latency" and cfg.marginal_alpha > 0 and pairedtest.settling(stable, canary, both, cfg)
            reason = f"canary {_describe(result.effect)} than {cfg.other} over the last {result.samples} intervals"
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

    suspect, marginal_bar = evidence.simes_suspect(
        [r for r in marginal if r.samples >= min_window], len(marginal), cfg.marginal_alpha,
        lambda r: sign * r.effect > cfg.tolerance,
    )
    # The whole history: last of the windows, first of the count test's starts.
    full = (results[0] if sequential else results[-1]) if results else None
    if samples < cfg.min_samples or not bool(present[-1]):
        why = (
            f"{samples} of {cfg.min_samples} intervals with data on both sides"
            if samples < cfg.min_samples
            else "no data at the latest interval"
        )
        served = _served_without_error_series(history, cfg, canary, stable)
        if served is not None:
            why = (f"{why}: the canary's error ratio has had no value yet, though it served about {served:.0f} requests; PromQL"
                   " returns nothing for errors / requests until the first error creates the error series, so it may"
                   " have had none (`(sum(rate(errors[1m])) or vector(0)) / ...` reads that as 0); held, not promoted")
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
    if unconfirmed is not None and unconfirmed.doubt is not None:
        return _marginal(history.name, cfg.other, unconfirmed, per_window_alpha, samples, f"(p={unconfirmed.p_bad:.2g}), but {unconfirmed.doubt}")
    if unconfirmed is not None:
        beyond_null = _describe(sign * pairedtest.SHIFT_NULL_SHARE * cfg.tolerance, 1)
        return _marginal(history.name, cfg.other, unconfirmed, per_window_alpha, samples,
                         f"(p={unconfirmed.p_bad:.2g}), but more than {beyond_null} in only {unconfirmed.worse} of them: "
                         "a minority of intervals carries the excess")
    if suspect is not None:
        return _marginal(history.name, cfg.other, suspect, marginal_bar, samples,
                         f"(p={suspect.p_bad:.3f} at this look), not conclusive over the release")
    if deciding is not None:
        return MetricVerdict(
            name=history.name,
            classification=good_label,
            failed=False,
            effect=deciding.effect,
            p_value=deciding.p_good,
            threshold=per_window_alpha,
            samples=samples,
            reason=f"canary {_describe(deciding.effect)} than {cfg.other} (better)",
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


def _served_without_error_series(history: MetricHistory, cfg: settings.Resolved, canary: np.ndarray,
                                 stable: np.ndarray) -> float | None:
    """Requests a canary served while its error ratio never had a value and stable's did, or None.

    Read as no data, and held: the same null comes from a query that matches nothing on the canary's
    side. The reason says which is likelier and how the query can tell them apart."""
    if cfg.kind != "error-ratio" or history.canary_requests is None or not np.all(np.isnan(canary)):
        return None
    served = np.nan_to_num(series.as_array(history.canary_requests, len(canary)))
    if float(served.sum()) <= 0 or not np.any(~np.isnan(stable) & (served > 0)):
        return None
    return float(served.sum()) / max(cfg.overlap, 1.0)  # counts over overlapping windows hold each request that often


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
        fill = max([max(querywindow.own_fill(h), querywindow.rate_fill(h, settings.config_for(h, configs))) for h in histories], default=1.0)
        histories = [dataclasses.replace(h, window_fill=max(h.window_fill, fill)) if h.overlap is None else h
                     for h in histories]
    expected = liveness.shared_expected_requests(histories)
    if expected is not None:
        # Lined up by the latest values: a latency history that waited for its window to fill is
        # shorter than the error ratio's, and its canary was due the same requests.
        histories = [
            h if h.stable_requests is not None
            else dataclasses.replace(h, expected_canary_requests=series.latest(expected, len(h.stable)))
            for h in histories
        ]
    elif (trials := liveness.estimated_trials(histories, configs)) is not None:
        histories = [dataclasses.replace(h, stable_trials=trials) for h in histories]
    verdicts = [judge_metric(h, configs.get(h.name)) for h in histories if judged is None or h.name in judged]
    alive = liveness.still_reporting(histories, configs)
    serving = liveness.still_serving(histories, configs)

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


def _marginal(name: str, other: str, suspect: evidence.WindowResult, threshold: float, samples: int, why: str) -> MetricVerdict:
    """A Pass that holds the release: ``suspect`` is the window that makes it too suspect to promote."""
    return MetricVerdict(
        name=name,
        classification="Pass",
        failed=False,
        effect=suspect.effect,
        p_value=suspect.p_bad,
        threshold=threshold,
        samples=samples,
        reason=f"marginal: canary {_describe(suspect.effect)} than {other} over the last {suspect.samples} intervals {why}",
        marginal=True,
    )


def _describe(effect: float, digits: int = 0) -> str:
    return f"{abs(effect) * 100:.{digits}f}% {'higher' if effect > 0 else 'lower'}"
