"""Statistical building blocks of the canary judge: tests, effect estimates, noise scales.

Pure numeric functions on numpy arrays, no knowledge of metrics or releases; ``judge`` decides
which of them to apply to which data. Every p-value here is one-sided, for the hypothesis that
the canary is *greater* than the stable side (call with the sides or the sign swapped for the
other direction).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sps

# MAD of a normal sample is 0.6745 sigma; first differences of independent noise have sd sigma*sqrt(2).
_MAD_TO_SIGMA = 1.0 / sps.norm.ppf(0.75)


def hodges_lehmann_location(values: np.ndarray) -> float:
    """One-sample Hodges–Lehmann estimate: the median of all Walsh averages (x_i + x_j) / 2, i <= j.

    The location estimate that goes with the signed-rank test: nearly as efficient as the mean on
    normal data (95%) and unmoved by a single wild interval once there are three or more.
    """
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        raise ValueError("no values")
    i, j = np.triu_indices(values.size)
    return float(np.median((values[i] + values[j]) / 2.0))


def hodges_lehmann_shift(baseline: np.ndarray, candidate: np.ndarray) -> float:
    """Two-sample Hodges–Lehmann estimate: the median of all differences candidate_j - baseline_i.

    The shift estimate that goes with the Mann-Whitney U test.
    """
    baseline = np.asarray(baseline, dtype=float)
    candidate = np.asarray(candidate, dtype=float)
    if baseline.size == 0 or candidate.size == 0:
        raise ValueError("no values")
    return float(np.median(candidate[None, :] - baseline[:, None]))


def mann_whitney_greater(baseline: np.ndarray, candidate: np.ndarray) -> float:
    """p-value of Mann-Whitney U for "candidate tends to be greater than baseline".

    Exact for small samples without ties, normal approximation with tie correction otherwise
    (scipy's ``method="auto"``).
    """
    return float(sps.mannwhitneyu(candidate, baseline, alternative="greater").pvalue)


def difference_scale(values: np.ndarray) -> float | None:
    """Noise scale (a standard deviation) of a series from the MAD of its first differences.

    Differencing removes slow drift and a level shift costs a single difference, so the estimate
    measures interval-to-interval noise even when the series steps up at a regression onset.
    None with fewer than two values.
    """
    values = np.asarray(values, dtype=float)
    if values.size < 2:
        return None
    diffs = np.diff(values)
    mad = float(np.median(np.abs(diffs - np.median(diffs))))
    return mad * _MAD_TO_SIGMA / math.sqrt(2.0)


def moderated_scale(sample_scale: float | None, sample_df: float, prior_scale: float, prior_df: float) -> tuple[float, float]:
    """Combine a noise estimate from few data with a prior one (empirical-Bayes "moderated" variance).

    Returns the pooled scale and its degrees of freedom, the same pooling as limma's moderated t
    (Smyth 2004): with two intervals the prior dominates, with thirty the data do.
    """
    if sample_scale is None or sample_df <= 0:
        return prior_scale, prior_df
    variance = (prior_df * prior_scale**2 + sample_df * sample_scale**2) / (prior_df + sample_df)
    return math.sqrt(variance), prior_df + sample_df


def hodges_lehmann_standard_error(scale: float, n: int) -> float:
    """Standard error of the one-sample Hodges–Lehmann estimate for noise of standard deviation ``scale``.

    Asymptotically sigma * sqrt(pi / (3 n)); for one or two values the estimate is the mean.
    """
    if n <= 0:
        raise ValueError("n must be positive")
    if n <= 2:
        return scale / math.sqrt(n)
    return scale * math.sqrt(math.pi / (3.0 * n))


def t_greater(statistic: float, df: float) -> float:
    """Upper-tail p-value of a Student t statistic."""
    return float(sps.t.sf(statistic, df))


def rate_ratio_greater(
    canary_events: np.ndarray,
    canary_trials: np.ndarray,
    stable_events: np.ndarray,
    stable_trials: np.ndarray,
    ratio: float = 1.0,
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
    share = float((totals * shares).sum() / total)
    observed = float(canary_events.sum())
    # Counts reconstructed from ratios may be fractional; the binomial tail wants integers.
    return float(sps.binom.sf(math.ceil(observed - 1e-9) - 1, round(total), min(max(share, 0.0), 1.0)))


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
