"""What a perfect observer could tell from a generated release: the ceiling any judge is held to.

The oracle knows what no judge can: when the regression started, the true request counts (also
where the scenario reports ratios only), and the generator's noise model. It looks once, at the
end of the release, at the intervals from the onset on, with a one-sided test at the judge's
default level (alpha = 0.01). A bad release it cannot tell apart from a good one is *invisible*:
no judge, however clever, catches it without also rolling back good releases at a comparable
rate. The benchmark reports recall on all bad releases and on the visible ones.

The other corpora come from generators that keep no such oracle. ``counts_visible`` is a weaker
one for them: it knows only the onset and what the scenario itself records, and sizes error
regressions alone, from the recorded request counts. ``persistently_worse`` looks at their good
releases instead: one whose canary is worse than stable beyond the default tolerance in most of its
intervals is, in its data, a small regression, whatever its label says.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats as sps

from grayrelease.analysis import pairedtest, series, settings
from grayrelease.analysis.backtest import histories_at
from grayrelease.analysis.scenario import Scenario, ScenarioMetric
from grayrelease.api.compare import CompareConfig

ALPHA = 0.01


def errors_visible(
    stable_x: np.ndarray, stable_n: np.ndarray, canary_x: np.ndarray, canary_n: np.ndarray, relative_noise: float
) -> bool:
    """Are the canary's errors since the onset more than stable's, given the true counts?

    Conditional on the total, the canary's share of errors is binomial; the per-interval error
    rates of both sides wander by ``relative_noise`` (a standard deviation, relative), which
    widens the share's variance by 1 + 2 noise^2 x errors per interval (quasi-binomial).
    """
    keep = (stable_n > 0) & (canary_n > 0)
    cx, sx = float(canary_x[keep].sum()), float(stable_x[keep].sum())
    cn, sn = float(canary_n[keep].sum()), float(stable_n[keep].sum())
    total = cx + sx
    if total <= 0 or cn <= 0 or sn <= 0:
        return False
    share = cn / (cn + sn)
    per_interval = total / max(int(keep.sum()), 1)
    dispersion = 1.0 + 2.0 * relative_noise**2 * per_interval * share * (1.0 - share)
    z = (cx - total * share) / math.sqrt(total * share * (1.0 - share) * dispersion)
    return bool(sps.norm.sf(z) < ALPHA) and cx >= 3


def shift_visible(log_ratios: np.ndarray, sigmas: np.ndarray) -> bool:
    """Is the mean of per-interval canary/stable log ratios above zero, given each interval's true noise?"""
    keep = ~np.isnan(log_ratios)
    if keep.sum() < 2:
        return False
    values, weights = log_ratios[keep], 1.0 / sigmas[keep] ** 2
    z = float((values * weights).sum() / math.sqrt(weights.sum()))
    return bool(sps.norm.sf(z) < ALPHA)


COUNT_NOISE = 0.1
"""Wander of the error rates the count oracle allows for when it only has the data (10%, relative)."""


def counts_visible(scenario: Scenario) -> bool | None:
    """Do a bad release's recorded error counts show its regression to one look since the onset?

    For corpora whose generator keeps no oracle: only the scenario's own data and its truth's onset.
    Errors are read back as ratio x requests from every error ratio with request counts on both
    sides, over non-overlapping query windows (every ``query_window_seconds`` / interval-th value,
    back from the last one, those wholly after the onset), and tested as ``errors_visible`` does with
    ``COUNT_NOISE``. True when any error ratio shows it; None for a good release, or one without
    such a metric (a latency or gauge regression, which this oracle cannot size).
    """
    if scenario.truth is None or not scenario.truth.bad:
        return None
    onset = scenario.truth.onset_index or 0
    shown = [_counts_show(scenario, metric, onset, len(metric.canary) - 1) for metric in _counted_error_ratios(scenario)]
    return any(shown) if shown else None


def counts_visible_after(scenario: Scenario) -> int | None:
    """Intervals from the onset to the first interval whose recorded error counts show the regression.

    The same look as ``counts_visible``, taken at every interval from the onset on over the values
    up to it: the earliest that an observer who knows the onset, and looks once with no alpha spent
    on earlier looks or other starts, could see it (0: at the onset's own interval). A bound no
    online judge can beat at the same level; the benchmark sets the judge's time to detect beside
    it. None for a good release, one without counts, or one whose counts never show it.
    """
    if scenario.truth is None or not scenario.truth.bad:
        return None
    onset = scenario.truth.onset_index or 0
    first = [
        next((end - onset for end in range(onset, len(metric.canary)) if _counts_show(scenario, metric, onset, end)), None)
        for metric in _counted_error_ratios(scenario)
    ]
    seen = [f for f in first if f is not None]
    return min(seen) if seen else None


def _counted_error_ratios(scenario: Scenario) -> list[ScenarioMetric]:
    return [m for m in scenario.metrics
            if m.kind == "error-ratio" and m.stable_requests is not None and m.canary_requests is not None]


def _counts_show(scenario: Scenario, metric: ScenarioMetric, onset: int, end: int) -> bool:
    """Do ``metric``'s recorded counts from ``onset`` to ``end`` (inclusive) show more canary errors than stable's?"""
    step = max(1, round((metric.query_window_seconds or scenario.interval_seconds) / scenario.interval_seconds))
    picked = list(range(end, onset + step - 2, -step))
    ratios_s, ratios_c = _at(metric.stable, picked), _at(metric.canary, picked)
    n_s, n_c = _at(metric.stable_requests or [], picked), _at(metric.canary_requests or [], picked)
    keep = ~(np.isnan(ratios_s) | np.isnan(ratios_c) | np.isnan(n_s) | np.isnan(n_c))
    return errors_visible(
        np.round(ratios_s[keep] * n_s[keep]), n_s[keep], np.round(ratios_c[keep] * n_c[keep]), n_c[keep], COUNT_NOISE
    )


WORSE_SHARE = 0.6
"""Share of a good release's intervals in which the canary must be worse for ``persistently_worse``."""

WORSE_MIN = 6
"""Fewest intervals with data on both sides ``persistently_worse`` counts on."""


def persistently_worse(scenario: Scenario) -> bool | None:
    """Is a good release's canary worse than stable, beyond its kind's default tolerance, in most intervals?

    True when some metric has at least ``WORSE_MIN`` intervals with data on both sides, and in
    ``WORSE_SHARE`` of them or more the canary is worse than stable by more than the default
    ``maxDegradation`` of its kind, read as the judge reads it (a success ratio by its complement,
    a request rate summed per side by the canary's share). No test, no model: a count a reader can
    check. Such a release (a canary that gets more than its share of the load, runs on a busier
    node, or warms up for longer than the release lasts) looks in its data like a small
    regression, and a judge that rolls back regressions of that size rolls it back too. None for
    a bad release.
    """
    if scenario.truth is None or scenario.truth.bad:
        return None
    return any(_worse_share(history) >= WORSE_SHARE for history in histories_at(scenario, scenario.intervals - 1, scenario.intervals))


def _worse_share(history: series.MetricHistory) -> float:
    """Share of the intervals with data on both sides where the canary is worse beyond the tolerance; 0 below ``WORSE_MIN``."""
    length = len(history.canary)
    stable, canary = series.as_array(history.stable, length), series.as_array(history.canary, length)
    defaults = CompareConfig()
    cfg = settings.resolve(history, defaults)
    scale = settings.success_scale(history, defaults)
    if scale is not None:
        stable, canary, better, tolerance = scale - stable, scale - canary, "lower", settings.KIND_DEFAULTS["error-ratio"].max_degradation
    else:
        better, tolerance = cfg.better, cfg.tolerance
        if cfg.kind == "throughput":
            canary = pairedtest.per_share_throughput(stable, canary, series.weights(history, length))
    both = ~np.isnan(stable) & ~np.isnan(canary)
    if both.sum() < WORSE_MIN:
        return 0.0
    s, c = stable[both], canary[both]
    worse = c > s * (1.0 + tolerance) if better == "lower" else c < s / (1.0 + tolerance)
    return float(worse.mean())


def _at(values: Sequence[float | None], indices: list[int]) -> np.ndarray:
    """The values at ``indices``, NaN where there was no data."""
    return np.array([np.nan if values[i] is None else float(values[i]) for i in indices])
