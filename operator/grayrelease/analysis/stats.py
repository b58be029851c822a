"""Statistical building blocks of the canary judge: tests, effect estimates, noise scales.

Pure numeric functions on numpy arrays, no knowledge of metrics or releases; ``judge`` decides
which of them to apply to which data. Every p-value here is one-sided, for the hypothesis that
the canary is *greater* than the stable side (call with the sides or the sign swapped for the
other direction).
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import special
from scipy import stats as sps

def hodges_lehmann_location(values: np.ndarray) -> float:
    """One-sample Hodges–Lehmann estimate: the median of all Walsh averages (x_i + x_j) / 2, i <= j.

    The location estimate that goes with the signed-rank test: nearly as efficient as the mean on
    normal data (95%) and unmoved by a single wild interval once there are three or more.
    """
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        raise ValueError("no values")
    i, j = _walsh_pairs(values.size)
    return _median((values[i] + values[j]) / 2.0)


@functools.lru_cache(maxsize=64)
def _walsh_pairs(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs i <= j of ``size`` values; the judge asks for the same few sizes at every look."""
    i, j = np.triu_indices(size)
    i.flags.writeable = j.flags.writeable = False
    return i, j


def _median(values: np.ndarray) -> float:
    """Median of a non-empty 1-d array without NaN, as ``np.median`` gives it, with less overhead per call."""
    half = values.size // 2
    if values.size % 2:
        return float(np.partition(values, half)[half])
    low, high = np.partition(values, (half - 1, half))[half - 1:half + 1]
    return float((low + high) / 2.0)


def hodges_lehmann_shift(baseline: np.ndarray, candidate: np.ndarray) -> float:
    """Two-sample Hodges–Lehmann estimate: the median of all differences candidate_j - baseline_i.

    The shift estimate that goes with the Mann-Whitney U test.
    """
    baseline = np.asarray(baseline, dtype=float)
    candidate = np.asarray(candidate, dtype=float)
    if baseline.size == 0 or candidate.size == 0:
        raise ValueError("no values")
    return _median((candidate[None, :] - baseline[:, None]).ravel())


def mann_whitney_greater(baseline: np.ndarray, candidate: np.ndarray) -> float:
    """p-value of Mann-Whitney U for "candidate tends to be greater than baseline".

    Exact for small samples without ties, normal approximation with tie correction otherwise
    (scipy's ``method="auto"``).
    """
    return float(sps.mannwhitneyu(candidate, baseline, alternative="greater").pvalue)


def difference_scale(values: np.ndarray) -> tuple[float | None, float]:
    """Noise scale (a standard deviation) of a series from its first differences, and its degrees of freedom.

    Differencing removes slow drift, and a level shift (a regression onset) costs a single
    difference instead of inflating them all. Deliberately not a robust estimate: occasional slow
    intervals are part of the noise, and a judge that ignored them would cry wolf at the next one.
    None with fewer than two values.
    """
    values = np.asarray(values, dtype=float)
    if values.size < 2:
        return None, 0.0
    diffs = np.diff(values)
    # Successive differences share a value (MA(1)), so each is worth about 2/3 of a df.
    return float(np.sqrt(np.mean(diffs**2) / 2.0)), 2.0 / 3.0 * diffs.size


def moderated_scale(sample_scale: float | None, sample_df: float, prior_scale: float, prior_df: float) -> tuple[float, float]:
    """Combine a noise estimate from few data with a prior one (empirical-Bayes "moderated" variance).

    Returns the pooled scale and its degrees of freedom, the same pooling as limma's moderated t
    (Smyth 2004): with two intervals the prior dominates, with thirty the data do.
    """
    if sample_scale is None or sample_df <= 0:
        return prior_scale, prior_df
    variance = (prior_df * prior_scale**2 + sample_df * sample_scale**2) / (prior_df + sample_df)
    return math.sqrt(variance), prior_df + sample_df


def _log_mean_exp(logs: np.ndarray) -> np.ndarray:
    """log(mean(exp(logs), axis=0)) without overflow: the log of an equal-weight mixture of e-values.

    A few numpy operations; scipy's ``logsumexp`` checks its input for every call, which cost a
    fifth of a replay's time."""
    top = logs.max(axis=0)
    top = np.where(np.isfinite(top), top, 0.0)
    return top + np.log(np.exp(logs - top).mean(axis=0))


def chi2_quantile(probability: float, df: float) -> float:
    """Quantile of a chi-squared distribution with ``df`` degrees of freedom (for variance bounds)."""
    return 2.0 * float(special.gammaincinv(df / 2.0, probability))


def mean_shift_greater(excess: float, scale: float, n: int, df: float) -> float:
    """One-sided p-value that a mean of ``n`` values with noise ``scale`` (``df`` degrees of freedom)
    exceeds its null by ``excess``: Student's t with a pooled scale, for a single look."""
    return float(special.stdtr(df, -excess * math.sqrt(n) / scale))


def hodges_lehmann_standard_error(scale: float, n: int) -> float:
    """Standard error of the one-sample Hodges–Lehmann estimate for noise of standard deviation ``scale``.

    Asymptotically sigma * sqrt(pi / (3 n)); for one or two values the estimate is the mean.
    """
    if n <= 0:
        raise ValueError("n must be positive")
    if n <= 2:
        return scale / math.sqrt(n)
    return scale * math.sqrt(math.pi / (3.0 * n))


def rate_ratio_greater(
    canary_events: np.ndarray,
    canary_trials: np.ndarray,
    stable_events: np.ndarray,
    stable_trials: np.ndarray,
    ratio: float = 1.0,
    dispersion: float = 1.0,
) -> float:
    """p-value for "the canary's event rate exceeds ``ratio`` times the stable's", conditional on events.

    The exact conditional test of two Poisson rates (as in Przyborowski & Wilenski): given the
    total number of events, the canary's share is binomial with probability
    ``ratio * n_c / (ratio * n_c + n_s)``. Works with a handful of events, which is all a 5% canary
    collects at low error ratios, where the normal approximation of a two-proportion z-test is
    far too optimistic in the tail.

    Inputs are per-interval arrays. When the traffic split changes between intervals, the
    canary's share differs per interval; the sum of per-interval binomials is then bounded by the
    binomial with the event-weighted mean share (Hoeffding 1956), so the test stays valid (a
    little conservative) instead of suffering Simpson's paradox.

    ``dispersion`` > 1 (see ``dispersion_factor``) divides the counts, the quasi-binomial way:
    errors come in bursts, and a burst is not as many independent witnesses as it has errors.
    """
    canary_events = np.asarray(canary_events, dtype=float)
    stable_events = np.asarray(stable_events, dtype=float)
    canary_trials = np.asarray(canary_trials, dtype=float)
    stable_trials = np.asarray(stable_trials, dtype=float)
    totals = canary_events + stable_events
    total = float(totals.sum())
    if total <= 0:
        return 1.0
    shares = ratio * canary_trials / (ratio * canary_trials + stable_trials)
    share = min(max(float((totals * shares).sum() / total), 0.0), 1.0)
    observed = float(canary_events.sum())
    if dispersion <= 1.0:
        # Counts reconstructed from ratios may be fractional; the binomial tail wants integers.
        above = math.ceil(observed - 1e-9) - 1
        return 1.0 if above < 0 else float(special.bdtrc(above, round(total), share))
    return binomial_tail(observed / dispersion, total / dispersion, share)


def binomial_tail(successes: float, trials: float, probability: float) -> float:
    """P(X >= successes) for X ~ Binomial(trials, probability), continued to non-integer counts.

    Uses the identity P(X >= k) = I_p(k, n - k + 1) (regularised incomplete beta), which is exact
    for integers and smooth in between.
    """
    if successes <= 0:
        return 1.0
    if successes > trials:
        return 0.0
    if probability <= 0:
        return 0.0
    if probability >= 1:
        return 1.0
    return float(special.betainc(successes, trials - successes + 1.0, probability))


def rate_noise(
    canary_events: np.ndarray,
    canary_trials: np.ndarray,
    stable_events: np.ndarray,
    stable_trials: np.ndarray,
) -> tuple[float | None, float]:
    """Extra-binomial noise of the canary's share of events, as a squared relative size (tau^2), and its df.

    Error rates wander from interval to interval on each side (a slow dependency, one noisy
    client), so the canary's event count varies by ``v + tau^2 v^2`` rather than the binomial
    ``v``: negligible at a few errors, dominant at thousands (an incident). Estimated by moments
    on the first differences of the residuals around the fitted canary/stable ratio, so that a
    step change (a regression onset) costs one difference instead of masquerading as noise.
    None with fewer than three intervals with events.
    """
    canary_events = np.asarray(canary_events, dtype=float)
    stable_events = np.asarray(stable_events, dtype=float)
    canary_trials = np.asarray(canary_trials, dtype=float)
    stable_trials = np.asarray(stable_trials, dtype=float)
    totals = canary_events + stable_events
    keep = totals > 0
    if keep.sum() < 3:
        return None, 0.0
    ratio = rate_ratio_estimate(canary_events.sum(), canary_trials.sum(), stable_events.sum(), stable_trials.sum())
    share = ratio * canary_trials[keep] / (ratio * canary_trials[keep] + stable_trials[keep])
    variance = totals[keep] * share * (1 - share)
    residual = canary_events[keep] - totals[keep] * share
    jumps = np.diff(residual) ** 2 - (variance[1:] + variance[:-1])
    weight = float(np.sum(variance[1:] ** 2 + variance[:-1] ** 2))
    if weight <= 0:
        return None, 0.0
    # Successive differences share a value (MA(1)), so each is worth about 2/3 of a df.
    return max(0.0, float(np.sum(jumps)) / weight), 2.0 / 3.0 * jumps.size


def dispersion_factor(tau2: float, variances: np.ndarray) -> float:
    """How much wider than binomial the canary's total count spreads, given per-interval binomial variances."""
    variances = np.asarray(variances, dtype=float)
    total = float(variances.sum())
    if total <= 0:
        return 1.0
    return 1.0 + tau2 * float(np.sum(variances**2)) / total


def overlap_inflation(n: np.ndarray | float, overlap: float) -> np.ndarray:
    """Variance of a sum of ``n`` consecutive values that each span ``overlap`` intervals of data,
    relative to the sum of ``n`` independent ones.

    A query such as ``rate(x[4m])`` read every minute gives values that share three quarters of
    their data: summed, interval j's data counts in up to min(n, overlap) of them. The variance of
    the sum over that of independent values is sum(c_j^2) / (n overlap) with c_j those counts:
    1 for a single value, growing towards ``overlap`` once ``n`` spans many windows. Early
    evidence is thus discounted little and a long run's fully, as its data warrant.
    """
    n = np.maximum(np.asarray(n, dtype=float), 1.0)
    width = max(1.0, float(overlap))
    if width == 1.0:
        return np.ones_like(n)
    short = ((width - n + 1.0) * n + (n - 1.0) * (2.0 * n - 1.0) / 3.0) / width
    long = ((n - width + 1.0) * width + (width - 1.0) * (2.0 * width - 1.0) / 3.0) / n
    return np.where(n <= width, short, long)


FILL_MIN_REQUESTS = 20.0
"""Fewest requests a full window of the canary should hold before its first values can tell a filling window."""


OVERLAP_MAX = 60.0
"""Most intervals an estimated query window may span (an hour's window read every minute). The
estimates below are ratios of spreads; values no metric produces (1e300 beside 0) make them
infinite or NaN, and a window is then read as unknown (1) or this long, never as either."""


def _bounded_overlap(estimate: float) -> float:
    return min(max(estimate, 1.0), OVERLAP_MAX) if math.isfinite(estimate) else 1.0


def fill_overlap(canary_requests: np.ndarray, expected_requests: np.ndarray) -> float:
    """How many intervals a query window spans, read off a fresh canary's request counts as its window fills.

    Counted over a window of L intervals (``increase(x[4m])`` read every minute), a canary whose
    series began at the first interval reports about 1/L of its full window's requests there,
    2/L at the next, and so on until the window is full. ``expected_requests`` are the requests a
    full window should hold (stable's count scaled by the traffic split). The estimate is 1 /
    (the first value's share of it) when the second value confirms the climb; 1 when the first
    value is already near full, the counts are too few to tell, or the share does not climb (a
    canary that steadily gets less than its weight). A first value cut short by a canary that
    started mid-interval makes the estimate larger, which errs towards caution.
    """
    canary = np.asarray(canary_requests, dtype=float)
    expected = np.asarray(expected_requests, dtype=float)
    served = np.flatnonzero(canary > 0)
    if served.size == 0:
        return 1.0
    first = int(served[0])
    if first + 1 >= canary.size or not expected[first] >= FILL_MIN_REQUESTS or not canary[first + 1] >= 0:
        return 1.0
    share = canary[first] / expected[first]
    following = canary[first + 1] / expected[first + 1] if expected[first + 1] > 0 else float("nan")
    if not share < 0.7 or not following >= min(1.5 * share, 0.85):
        return 1.0
    return _bounded_overlap(1.0 / share)


CLIMB_FULL = 0.85
"""Share of its full level from which a canary's rate counts as full, its window no longer filling."""


def climb_overlap(shares: np.ndarray) -> float:
    """How many intervals a query window spans, read off a fresh canary's request *rate* as its window fills.

    ``shares`` are the canary's rate over the rate it should have (stable's, scaled by the traffic
    split where the rates are per side), one per interval. ``rate(x[4m])`` of a series that began
    at the first interval reads 1/4, 2/4, 3/4 of the full rate before it settles: a line through
    the origin whose slope is one over the window. Rates carry no request counts, so the first
    three values must lie near such a line (a slope of at least half the line's intercept, and a
    first value below ``CLIMB_FULL``); the window is then one over the slope, and no longer than
    the climb went on (a canary serving only part of its share climbs to that part as fast and then
    stays: the climb has ended once three intervals add less than half a step). A first value
    below 70% followed by two full ones is a window of two. Otherwise 1.
    """
    values = np.asarray(shares, dtype=float)
    present = np.flatnonzero(~np.isnan(values) & (values > 0))
    if present.size == 0:
        return 1.0
    climb = values[int(present[0]):]
    if climb.size < 3 or np.any(np.isnan(climb[:3])):
        return 1.0
    if climb[0] < 0.7 and min(climb[1], climb[2]) >= CLIMB_FULL:
        return _bounded_overlap(min(1.0 / float(climb[0]), 2.0))  # full from the second value: a window of two
    slope = float(climb[2] - climb[0]) / 2.0
    intercept = float(np.mean(climb[:3])) - slope
    if not climb[0] < CLIMB_FULL or not slope > 0 or not slope >= 0.5 * intercept:
        return 1.0
    estimate = 1.0 / slope
    for k in range(3, climb.size):
        recent = climb[k - 2:k + 1]
        if np.isnan(climb[k - 3]) or np.all(np.isnan(recent)):
            continue  # scrape gaps: judged where the values are back
        if float(np.nanmax(recent)) < climb[k - 3] + 0.5 * slope:
            estimate = min(estimate, float(k - 2))
            break
    return _bounded_overlap(estimate)


WANDER_LAG = 4
"""Lag (intervals) at which ``wander_overlap`` compares how far values drift apart with how far neighbours do."""
WANDER_BAR = 3.2
"""How far above 1 the lag-4 to lag-1 ratio of independent values may come by chance (times 1 / sqrt(n))."""
WANDER_MIN_VALUES = 10
"""Fewest values ``wander_overlap`` estimates from; below, it answers 1."""
WANDER_SHOWN = 2.2
"""How far above 1 the lag-2 to lag-1 ratio must be (times 1 / sqrt(n)) before ``wander_overlap``
believes any overlap: neighbours over a shared window drift apart twice as far at lag 2, while a
warm-up ramp or a leak raises the lag-4 ratio far more than the lag-2 one."""
WANDER_JUMP = 4.0
"""A step between neighbours beyond this many MADs of the others is a jump (``lone_jump``)."""


def lone_jump(values: np.ndarray) -> int | None:
    """Index i of the only step between neighbours (values[i] to values[i + 1]) beyond ``WANDER_JUMP``
    MADs of the others, or None where there is none or more than one.

    A lone jump is a level shift, a regression's onset. Many are not one onset: a coarse quantile
    of a shared window stays on a bucket and leaps to the next, and a slow interval jumps up and
    back down.
    """
    steps = np.diff(np.asarray(values, dtype=float))
    if steps.size < 2:
        return None
    steps = steps - np.median(steps)
    mad = 1.4826 * float(np.median(np.abs(steps)))
    if not mad > 0:
        return None
    jumps = np.flatnonzero(np.abs(steps) > WANDER_JUMP * mad)
    return int(jumps[0]) if jumps.size == 1 else None


def wander_overlap(values: np.ndarray) -> float:
    """How many intervals' data consecutive values share, judged from how they wander; 1 when nothing shows it.

    Values that are independent from interval to interval differ as much from their neighbour as
    from one four intervals away. Values over a query window of L intervals differ from their
    neighbour by only 1/L of their spread, since they share the rest of the window, while values
    L or more apart share nothing: the ratio of the mean squared lag-4 difference to the lag-1
    one is about min(L, 4). Each difference is centred on the median difference (so a leak or a
    drift does not pass for overlap) and clipped at 4 MADs (a single slow interval neither). By
    chance the ratio of independent values exceeds 1 + 2.4 / sqrt(n) one time in ten (normal or
    heavy-tailed noise, n values), so the ratio is divided by that before it is believed: short
    or noisy histories say little, and a true window of four reads as two to three.
    """
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if values.size < WANDER_MIN_VALUES:
        return 1.0
    # A lone jump splits the series: a level shift (a regression's onset) would otherwise stand
    # in one neighbour difference but in every lag-4 difference across it, and read as overlap.
    jump = lone_jump(values)
    after = np.arange(values.size) > (jump if jump is not None else values.size)

    def spread(lag: int) -> float:
        d = values[lag:] - values[:-lag]
        d = d[after[lag:] == after[:-lag]]
        if d.size < 2:
            return float("nan")
        d = d - np.median(d)
        mad = 1.4826 * float(np.median(np.abs(d)))
        if mad > 0:
            d = np.clip(d, -4.0 * mad, 4.0 * mad)
        return float(np.mean(d**2))

    near = spread(1)
    if not near > 0:
        return 1.0
    if not spread(2) / near >= 1.0 + WANDER_SHOWN / math.sqrt(values.size):
        return 1.0  # neighbours do not drift apart as shared windows make them
    ratio = spread(WANDER_LAG) / near
    return _bounded_overlap(ratio / (1.0 + WANDER_BAR / math.sqrt(values.size)))


def count_overlap(
    canary_events: np.ndarray,
    canary_trials: np.ndarray,
    stable_events: np.ndarray,
    stable_trials: np.ndarray,
    bound: float = 0.1,
) -> float:
    """How many intervals' data consecutive error counts share, from how little the canary's share of them moves.

    Given an interval's errors, the canary's share of them is binomial, so from one interval to
    the next its excess over the expected share changes by at least the binomial spread: extra
    noise (bursts, a canary pod's hiccup, a regression's onset) only adds to it. Counts over a
    query window of L intervals share all but one interval's errors with their neighbour and
    change by 1/L of that. The ratio of the binomial variance to the observed one, at its lower
    ``bound`` confidence limit, is therefore a cautious estimate of L; so is how the residuals,
    scaled to their binomial spread, wander (``wander_overlap``). 1 with too few errors or
    intervals to tell.
    """
    ce = np.asarray(canary_events, dtype=float)
    se = np.asarray(stable_events, dtype=float)
    ct = np.asarray(canary_trials, dtype=float)
    st = np.asarray(stable_trials, dtype=float)
    total = ce + se
    usable = (total > 0) & (ct > 0) & (st > 0)
    if usable.sum() < 7:
        return 1.0
    ratio = rate_ratio_estimate(float(ce[usable].sum()), float(ct[usable].sum()), float(se[usable].sum()), float(st[usable].sum()))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(usable, ratio * ct / (ratio * ct + st), 0.0)
    residual = np.where(usable, ce - total * share, 0.0)
    variance = np.where(usable, total * share * (1.0 - share), 0.0)
    # The same residuals scaled to unit binomial spread wander like any values: a canary whose error
    # rate drifts slowly on its own (a noisy pod for minutes) shares its excess between neighbours too.
    spread = usable & (variance > 0)
    wander = wander_overlap(residual[spread] / np.sqrt(variance[spread]))
    pairs = usable[1:] & usable[:-1]
    reference = float((variance[1:] + variance[:-1])[pairs].sum())
    observed = float((np.diff(residual)[pairs] ** 2).sum())
    if pairs.sum() < 6 or reference / (2.0 * pairs.sum()) < 2.0 or observed <= 0:
        return wander
    df = 2.0 / 3.0 * float(pairs.sum())
    return max(wander, _bounded_overlap(reference / observed * chi2_quantile(bound, df) / df))


def rate_ratio_estimate(canary_events: float, canary_trials: float, stable_events: float, stable_trials: float) -> float:
    """Canary rate over stable rate, with half an event added to each side so zero counts stay finite."""
    if canary_trials <= 0 or stable_trials <= 0:
        return float("nan")
    return ((canary_events + 0.5) / canary_trials) / ((stable_events + 0.5) / stable_trials)


def spent_alpha(alpha: float, look: int) -> float:
    """Share of the release-wide false-alarm budget ``alpha`` that look number ``look`` (1-based) may use.

    alpha / (look * (look + 1)) sums to exactly alpha over all looks, without knowing in advance
    how many intervals the release will last, so the chance of any false alarm over the whole
    release stays below alpha however often the judge is asked (a union bound over looks). Early
    looks get the larger shares because that is when a regression from the first canary pod has
    to be caught.
    """
    if look < 1:
        raise ValueError("looks are numbered from 1")
    return alpha / (look * (look + 1))


RATIO_GRID = (1.25, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0)
"""Alternatives of the rate-ratio mixture, as multiples of the null ratio (equal prior weights)."""


def rate_ratio_log_evidence(
    canary_events: np.ndarray,
    canary_trials: np.ndarray,
    stable_events: np.ndarray,
    stable_trials: np.ndarray,
    null_ratio: float = 1.0,
    dispersion: np.ndarray | float = 1.0,
    grid: tuple[float, ...] = RATIO_GRID,
    overlap: float = 1.0,
    cap: np.ndarray | float | None = None,
) -> np.ndarray:
    """Log e-values of "the canary's event rate exceeds ``null_ratio`` times the stable's", one per start interval.

    Element ``s`` is the log of a mixture likelihood ratio over the intervals ``s..`` (the
    evidence gathered since interval ``s``). Conditional on the events of an interval, the canary's
    share of them is binomial with probability ``r n_c / (r n_c + n_s)``; the alternatives ``r``
    are ``null_ratio`` times each multiple in ``grid``, with equal weights. For a fixed start
    ``s``, the mixture is a non-negative supermartingale under any ratio up to ``null_ratio``
    (monotone likelihood ratio), so by Ville's inequality it ever exceeds ``1 / alpha`` with
    probability at most ``alpha``, however often it is looked at: no alpha is spent per look.

    ``cap`` (one number, or one per start) bounds each interval's log-likelihood ratio: capped
    ratios still have expectation at most 1 under the null, so each start's product stays a
    supermartingale, and a single burst of errors adds at most the cap however large it is.

    ``dispersion`` (per interval, >= 1) tempers each interval's log-likelihood ratio, the
    quasi-likelihood way: errors come in bursts, and a burst is not as many independent
    witnesses as it has errors. Counts over windows of ``overlap`` intervals count each event in
    several of them: the evidence since a start is tempered by ``overlap_inflation`` the same way.
    Pass the sides swapped (and ``1 / null_ratio``-style nulls via ``grid`` < 1) for the other
    direction.
    """
    ce = np.asarray(canary_events, dtype=float)
    se = np.asarray(stable_events, dtype=float)
    ct = np.asarray(canary_trials, dtype=float)
    st = np.asarray(stable_trials, dtype=float)
    phi = np.broadcast_to(np.asarray(dispersion, dtype=float), ce.shape)
    if ce.size == 0:
        return np.zeros(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(ct + st > 0, ct / (ct + st), 0.5)
    q = np.clip(q, 1e-12, 1 - 1e-12)
    p0 = null_ratio * q / (null_ratio * q + 1 - q)
    logs = []
    for multiple in grid:
        r = null_ratio * multiple
        p1 = r * q / (r * q + 1 - q)
        step = (ce * np.log(p1 / p0) + se * np.log((1 - p1) / (1 - p0))) / phi
        if cap is None:
            logs.append(np.cumsum(step[::-1])[::-1])
        else:
            # Evidence since start s sums each interval's log ratio capped at that start's cap.
            caps = np.broadcast_to(np.asarray(cap, dtype=float), ce.shape)
            since = np.triu(np.ones((ce.size, ce.size), dtype=bool))
            logs.append(np.where(since, np.minimum(step[None, :], caps[:, None]), 0.0).sum(axis=1))
    stacked = np.vstack(logs)
    if overlap > 1:
        since = np.cumsum((ct + st > 0)[::-1])[::-1]
        stacked = stacked / overlap_inflation(since, overlap)
    return _log_mean_exp(stacked)


def start_weight(start: int) -> float:
    """Share of the false-alarm budget for evidence gathered since interval ``start`` (0-based).

    Half goes to the whole release (a regression from the first canary pod is the common case),
    the other half to later starts, 1 / (2 s (s + 1)) for start s >= 1; the shares sum to one,
    so the chance that any start's e-value crosses its bar stays below alpha (a union bound over
    starts, not over looks).
    """
    if start < 0:
        raise ValueError("starts count from 0")
    return 0.5 if start == 0 else 0.5 / (start * (start + 1))


SHIFT_GRID = (0.25, 0.5, 1.0, 2.0, 3.0)
"""Alternatives of the shift mixture, in noise standard deviations (equal prior weights)."""
SHIFT_CLIP = 3.0
"""Each interval's contribution is clipped at this many standard deviations from the null."""


def shift_log_evidence(
    values: np.ndarray,
    scale: float,
    null_shift: float = 0.0,
    grid: tuple[float, ...] = SHIFT_GRID,
    clip: float = SHIFT_CLIP,
    overlap: float = 1.0,
) -> np.ndarray:
    """Log e-values of "the mean of ``values`` exceeds ``null_shift``", one per start interval.

    Element ``s`` is the log of a mixture likelihood ratio over ``values[s:]``, the evidence
    gathered since interval ``s`` (NaN values contribute nothing). Each value's excess over the
    null is clipped to +-``clip`` x ``scale``, so one wild interval (a slow scrape, a GC pause)
    adds a bounded amount of evidence, and the clipped excesses are sub-Gaussian with variance
    proxy ``scale``^2: exp(theta x - theta^2 scale^2 / 2) is then a non-negative supermartingale
    under the null for every theta > 0, and so is the mixture over ``grid`` (theta = multiple x
    scale). By Ville's inequality it ever exceeds 1 / alpha with probability at most alpha,
    however often it is looked at: a mixture sequential probability ratio test (Robbins 1970;
    Johari et al. 2017), which wastes far less power on repeated looks than spending alpha per look.

    Values over windows of ``overlap`` intervals share data: the sum since a start is shrunk by the
    square root of its ``overlap_inflation``, so it has the spread of a sum of independent values.
    """
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return np.zeros(0)
    if scale <= 0:
        raise ValueError("scale must be positive")
    excess = np.clip(values - null_shift, -clip * scale, clip * scale) / scale
    present = ~np.isnan(excess)
    excess = np.where(present, excess, 0.0)
    sums = np.cumsum(excess[::-1])[::-1]
    counts = np.cumsum(present[::-1])[::-1].astype(float)
    if overlap > 1:
        sums = sums / np.sqrt(overlap_inflation(counts, overlap))
    logs = [multiple * sums - multiple**2 / 2.0 * counts for multiple in grid]
    return _log_mean_exp(np.vstack(logs))
