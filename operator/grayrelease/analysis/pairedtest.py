"""The paired test: canary against stable interval by interval, on their log ratio.

Latency, throughput, gauges and error ratios without counts: load, diurnal drift and incidents
that hit both sides cancel in the per-interval ratio; a sequential mixture test of its mean shift
per start interval (``stats.shift_log_evidence``) against a noise scale pooled from the data and
the kind's prior. A fresh canary's warm-up is read here too: a gauge's leading intervals, a
latency excess that fades.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from grayrelease.analysis import evidence, settings, stats
from grayrelease.api.compare import RatePer


PRIOR_DF = 6.0
"""Weight of the prior noise, in degrees of freedom: worth about ten intervals of data."""

SHIFT_NULL_SHARE = 0.5
"""The paired test's null hypothesis is a shift of SHIFT_NULL_SHARE x maxDegradation: a canary that
is harmlessly a little slower does not pile up evidence, and a slower one than that must also
show an estimate beyond the full tolerance."""

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

LATENCY_WARM_UP = 6
"""Most leading intervals of a latency left out so: a JVM compiling, caches filling, and the
query's window sliding past them (``rate(x[5m])`` keeps a minute's slow requests for five)."""

WARM_UP_LATER = 3
"""Fewest intervals after a warm-up that must show it is over before it is left out: one or two
intervals of a step regression are as often lower than its first as not."""

SETTLING_LOOKS = 6
"""Most intervals of a canary's life a fading latency excess is taken for its warm-up (``settling``)."""

SETTLING_SHARE = 0.6
"""How far a fresh canary's latency excess must have fallen from its first interval to be read as warm-up."""

MAJORITY_ALPHA = 0.1
"""Level of the sign test that must confirm a paired test's rollback: in a window of four intervals
or more, the canary worse than the null in significantly more than half of them."""

MAJORITY_MIN = 4
"""Shortest window the sign test confirms: three intervals all worse are still p = 1/8, above
``MAJORITY_ALPHA``, so a three-interval window rests on the mixture test alone."""

MAJORITY_KINDS = frozenset({"latency"})
"""Kinds whose rollbacks the sign test must confirm: percentiles, whose log ratios have the heavy
right tail of a quantile of few requests. Gauges and throughput gain nothing from it and a leak or
a crash loop, below the null in its first intervals, would be rolled back an interval later; error
ratios are bad in a minority of intervals by nature when the errors are intermittent."""

MIN_SCALE = 0.005
"""Noise floor (0.5%): a metric that never moves must not make a 1% difference infinitely significant."""


def paired_differences(stable: np.ndarray, canary: np.ndarray, both: np.ndarray, kind: str, logs: bool = False) -> tuple[np.ndarray, bool]:
    """Per-interval canary-vs-stable differences: log ratios when every value is positive,
    otherwise differences relative to stable's typical level. Returns (differences, is_log).

    Error ratios take relative differences unless ``logs`` (a sparse ratio is zero now and then);
    with ``logs``, where every value is positive, a burst that multiplies both sides' errors does
    not read as the canary's excess over stable's typical level."""
    s, c = stable[both], canary[both]
    if (logs or kind != "error-ratio") and np.all(s > 0) and np.all(c > 0):
        diffs = np.full(len(stable), np.nan)
        diffs[both] = np.log(c) - np.log(s)  # apart, so extreme values cannot underflow to log(0)
        return diffs, True
    level = float(np.median(np.abs(s))) if s.size else 0.0
    if level <= 0:
        level = float(np.mean(np.abs(s))) if s.size and np.mean(np.abs(s)) > 0 else 1e-4
    diffs = np.full(len(stable), np.nan)
    diffs[both] = (c - s) / level
    return diffs, False


def shift_evidence(
    stable: np.ndarray, canary: np.ndarray, both: np.ndarray, cfg: settings.Resolved, logs: bool = False,
    weights: np.ndarray | None = None,
) -> tuple[list[evidence.WindowResult], list[evidence.WindowResult]]:
    """Sequential evidence of the paired test, one result per start interval.

    Per-interval canary-vs-stable differences (log ratios), so load, drift and incidents that
    hit both sides cancel; a mixture likelihood ratio of their mean shift since each start
    (``stats.shift_log_evidence``) against a null of ``SHIFT_NULL_SHARE`` x the tolerance, with
    the noise scale pooled from the data and the kind's prior. ``p_bad`` / ``p_good`` are
    always-valid p-values (1 / (start weight x e-value)); the effect is the Hodges–Lehmann
    estimate since the start, computed only where it can decide; a latency's must show in most
    intervals (``majority_confirms``), and a count-less error ratio's over a side without errors
    must be more errors than chance gives, for the traffic split in ``weights`` (``too_few_errors``).
    Second, the marginal check's one-look t-test results per trailing window.
    """
    diffs, is_log = paired_differences(stable, canary, both, cfg.kind, logs)
    if not cfg.overlap_known and cfg.kind == "error-ratio":
        # A count-less error ratio judged as paired values, its window unknown: how the differences
        # wander tells how much they share (latency and throughput were read in ``querywindow.shared_data``).
        cfg = dataclasses.replace(cfg, overlap=max(cfg.overlap, stats.wander_overlap(diffs[both])))
    sample_scale, sample_df = stats.difference_scale(diffs[both])
    # Values over overlapping windows differ from one interval to the next by sqrt(overlap) less
    # than they spread; the evidence then discounts their shared data (``stats.overlap_inflation``).
    if sample_scale is not None:
        sample_scale *= math.sqrt(cfg.overlap)
    scale, df = stats.moderated_scale(sample_scale, sample_df, counting_prior(cfg), PRIOR_DF)
    # A plug-in scale from few intervals is as often too small as too large, and too small cries
    # wolf: widen it by the ratio of a Student t's standard deviation to a normal's.
    scale = max(scale * math.sqrt(df / (df - 2.0)), MIN_SCALE)
    margin = SHIFT_NULL_SHARE * cfg.tolerance
    up_null, down_null = (math.log1p(margin), math.log1p(-min(margin, 0.5))) if is_log else (margin, -margin)
    higher = stats.shift_log_evidence(diffs, scale, up_null, overlap=cfg.overlap)
    lower = stats.shift_log_evidence(-diffs, scale, -down_null, overlap=cfg.overlap)
    bad_log, good_log = (higher, lower) if cfg.better == "lower" else (lower, higher)
    results = []
    for start, n, weight in evidence.starts(both):
        p_bad = evidence.always_valid_p(bad_log[start], weight)
        p_good = evidence.always_valid_p(good_log[start], weight)
        if start > 0 and min(p_bad, p_good) >= cfg.alpha:
            continue
        window = diffs[start:][both[start:]]
        location = stats.hodges_lehmann_location(window)
        effect = math.expm1(location) if is_log else location
        worse, confirmed, doubt = None, True, None
        if p_bad < cfg.alpha and cfg.kind in MAJORITY_KINDS:
            worse, confirmed = majority_confirms(window if cfg.better == "lower" else -window,
                                                 up_null if cfg.better == "lower" else -down_null)
        if p_bad < cfg.alpha and cfg.kind == "error-ratio" and not is_log and weights is not None:
            doubt = too_few_errors(stable, canary, both, start, weights, cfg, margin)
            confirmed = doubt is None
        results.append(evidence.WindowResult(effect=effect, p_bad=p_bad, p_good=p_good, samples=n, worse=worse,
                                             confirmed=confirmed, doubt=doubt))
    # The marginal check: a one-sided t-test of the mean shift beyond the same null, per trailing window.
    marginal = []
    for start, n in evidence.marginal_starts(both):
        window = diffs[start:][both[start:]]
        excess = float(np.mean(window)) - up_null if cfg.better == "lower" else down_null - float(np.mean(window))
        location = stats.hodges_lehmann_location(window)
        effect = math.expm1(location) if is_log else location
        spread = scale * math.sqrt(evidence.inflation(n, cfg.overlap))
        marginal.append(evidence.WindowResult(effect, stats.mean_shift_greater(excess, spread, n, df), 1.0, n))
    return results, marginal


def too_few_errors(stable: np.ndarray, canary: np.ndarray, both: np.ndarray, start: int, weights: np.ndarray,
                   cfg: settings.Resolved, margin: float) -> str | None:
    """Why a count-less error ratio's excess over a stable side without errors may be chance, or None.

    Without counts, differences are scaled by stable's typical level; where stable mostly has no
    errors at all, any canary error is then an excess of any size, however few requests it came
    from. What the canary's errors can show is bounded by how many they are, and at the fewest its
    smallest non-zero ratio is one error. Counted so (each error once over windows of ``overlap``
    intervals, stable's errors through the traffic split), the canary's share of both sides' errors
    must be beyond its share of the traffic (and the null's margin) at ``cfg.alpha``. A 5% canary
    needs two such errors against none; a baseline, as many requests as the canary, needs eight.
    """
    window = both.copy()
    window[:start] = False
    seen = canary[both & (canary > 0)]
    known = weights[window][~np.isnan(weights[window])]
    if float(np.median(stable[both])) > 0 or seen.size == 0 or known.size == 0:
        return None
    share = float(np.mean(known))
    if not 0 < share < 100:
        return None
    one = float(seen.min())
    split = (100.0 - share) / share
    canary_errors = float(np.sum(canary[window])) / one / cfg.overlap
    stable_errors = float(np.sum(stable[window])) / one * split / cfg.overlap
    null_share = (1.0 + margin) / (1.0 + margin + split)
    if stats.binomial_tail(math.floor(canary_errors + 1e-9), round(canary_errors + stable_errors), null_share) <= cfg.alpha:
        return None
    return (f"as few as {canary_errors:.0f} canary errors against {stable_errors:.0f} on {cfg.other}'s side, "
            "no more than its share of the traffic could have by chance")


def counting_prior(cfg: settings.Resolved) -> float:
    """The kind's prior noise, raised to a Poisson count's where a rate stands for few events.

    A canary value over a window of ``overlap`` intervals counts ``canary_events x overlap``
    events, and its log wanders by at least 1 / sqrt of that: a 5% canary of a service at
    3 requests/s sees about 5 requests per 30 s interval, whose rate wanders by 45%, where the
    throughput prior assumes 8%. Stable's share of the noise (19 times the events) is left out."""
    if not cfg.canary_events:
        return cfg.prior_noise
    return max(cfg.prior_noise, 1.0 / math.sqrt(cfg.canary_events * cfg.overlap))


def majority_confirms(worse_by: np.ndarray, null: float) -> tuple[int, bool]:
    """How many intervals show the canary worse than ``null`` (in the bad direction), and whether
    significantly more than half do: a one-sided sign test at ``MAJORITY_ALPHA``.

    The mixture test weighs the mean difference, and a mean is moved by a few far-off values: a
    small canary's percentile that jumps to the next histogram bucket now and then, a canary pod
    on a noisy node for a few minutes. A regression moves most intervals. A window shorter than
    ``MAJORITY_MIN`` is confirmed as it stands; ties at the null count for neither side.
    """
    above = int(np.sum(worse_by > null))
    cast = above + int(np.sum(worse_by < null))
    if worse_by.size < MAJORITY_MIN:
        return above, True
    return above, stats.binomial_tail(above, cast, 0.5) <= MAJORITY_ALPHA


def past_warm_up(both: np.ndarray, stable: np.ndarray, canary: np.ndarray, cfg: settings.Resolved, most: int) -> np.ndarray:
    """The intervals the paired test judges: all but a fresh canary's warm-up that is over.

    The longest run of leading intervals (at most ``most``) in each of which the canary is worse,
    by more than the tolerance, than in every interval after them, with at least
    ``WARM_UP_LATER`` intervals after them to show it, is left out: a fresh pod's CPU runs high
    for its first minute, and a JVM's latency is high while it compiles and fades as the query's
    window slides past it. A leak only grows and a step stays, so neither loses an interval; a
    regression whose first intervals happen to be its noisiest loses those.
    """
    at = np.flatnonzero(both)
    if at.size <= WARM_UP_LATER:
        return both
    diffs, is_log = paired_differences(stable, canary, both, cfg.kind)
    worse = diffs[at] if cfg.better == "lower" else -diffs[at]
    margin = math.log1p(cfg.tolerance) if is_log else cfg.tolerance
    lead = next((p for p in range(min(most, at.size - WARM_UP_LATER), 0, -1)
                 if float(np.min(worse[:p])) > float(np.max(worse[p:])) + margin), 0)
    tested = both.copy()
    tested[at[:lead]] = False
    return tested


def settling(stable: np.ndarray, canary: np.ndarray, both: np.ndarray, cfg: settings.Resolved) -> bool:
    """Whether a fresh canary's latency excess is its warm-up fading rather than a regression.

    Over its first ``SETTLING_LOOKS`` intervals at most, a canary that is worse at every interval
    by less than at the one before, and by now by less than ``SETTLING_SHARE`` of its first excess,
    is a JIT compiling, caches filling or a GC pause leaving the query's window: it is judged once
    the fall stops. A step regression stays; when the noise around it happens to fall so, its
    rollback waits an interval or two."""
    at = np.flatnonzero(both)
    if at.size < MIN_PAIRED or at.size > SETTLING_LOOKS:
        return False
    diffs, _ = paired_differences(stable, canary, both, cfg.kind)
    worse = diffs[at] if cfg.better == "lower" else -diffs[at]
    return bool(np.all(np.diff(worse) < 0) and worse[0] > 0 and worse[-1] < SETTLING_SHARE * worse[0])


def per_share_throughput(stable: np.ndarray, canary: np.ndarray, weights: np.ndarray, per: RatePer = "auto",
                         pods: np.ndarray | None = None) -> np.ndarray:
    """The canary's throughput scaled to what stable's values are due, by how the values are taken.

    A request rate summed over a side is proportional to that side's weight: a healthy 5% canary
    serves about 1/19 of stable's rate, and each interval's canary value is scaled by
    (100 - weight) / weight, with the weight the canary had in that interval. A rate per pod is
    due a stable pod's rate where the pods carry the split; where a router sets it, a canary pod
    is due (w / (100 - w)) × (stable pods / canary pods) of a stable pod's rate: one canary pod at
    5% beside ten stable pods serves about half of a stable pod's. ``pods`` (log of stable over
    canary pods per interval, ``series.pod_ratio``; NaN where unknown) scales a rate per pod so;
    where the pods are unknown, a rate per pod is compared as it is. ``per`` (``compare.per``) says
    which the values are; with ``auto`` the values say: the canary/stable ratio nearer (in log
    terms) the split is per side, nearer what a pod is due, per pod. A canary far off its share can
    fool ``auto``; only the setting tells it apart then.
    """
    split = np.log(weights / (100.0 - weights))
    per_pod = np.zeros_like(split) if pods is None else np.where(np.isnan(pods) | np.isnan(split), 0.0, split + pods)
    if per == "pod":
        return canary * np.exp(-per_pod)
    if per != "side":
        both = ~np.isnan(stable) & ~np.isnan(canary) & (stable > 0) & (canary > 0) & ~np.isnan(split)
        if not both.any():
            return canary * np.exp(-per_pod)
        ratios = np.log(canary[both]) - np.log(stable[both])
        if np.median(np.abs(ratios - split[both])) >= np.median(np.abs(ratios - per_pod[both])):
            return canary * np.exp(-per_pod)
    return np.where(np.isnan(split), np.nan, canary * np.exp(-split))
