"""Query windows a history does not record, read off the data.

Values over a rate window longer than the interval (``rate(x[5m])`` read every 30 s) share
their data. The operator knows the window from the query; a replayed scenario without
``query_window_seconds``, or a recording rule that hides its range, does not. Then the window is
read from a fresh canary's request counts or rate filling it (``stats.fill_overlap``,
``stats.climb_overlap``), from how error counts share their errors (``stats.count_overlap``) and
from how values wander (``stats.wander_overlap``).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from grayrelease.analysis import pairedtest, series, stats
from grayrelease.api.compare import WINDOW_FILLING_KINDS, CompareConfig


def unknown_window(history: series.MetricHistory, config: CompareConfig) -> series.MetricHistory:
    """A history whose query window is unknown, judged as the operator would had it known the window.

    Where request counts show a fresh canary's window filling (``stats.fill_overlap``; this
    metric's own counts or, through ``window_fill``, another metric's of the same release), the
    values overlap by as many intervals, and a latency or throughput metric is judged only from
    the first interval whose window is full, as the operator waits for it. Otherwise the overlap
    counts as 1 here, and the paired test estimates it from how the values wander
    (``stats.wander_overlap``).
    """
    fill = max(history.window_fill, own_fill(history))
    kind = config.kind or history.kind
    skip = math.ceil(fill - 1e-9) - 1 if kind in WINDOW_FILLING_KINDS else 0
    shown = history.aligned(max(len(history.stable) - skip, 0)) if skip > 0 else history
    return dataclasses.replace(shown, overlap=fill, window_fill=fill, overlap_known=False)


def shared_data(
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
    diffs, _ = pairedtest.paired_differences(stable, canary, present, kind)
    return stats.wander_overlap(diffs[present])


def own_fill(history: series.MetricHistory) -> float:
    if history.stable_requests is None or history.canary_requests is None:
        return 1.0
    length = len(history.stable)
    expected = series.expected_canary_requests(series.as_array(history.stable_requests, length), series.weights(history, length))
    return stats.fill_overlap(series.as_array(history.canary_requests, length), np.where(np.isinf(expected), np.nan, expected))


def rate_fill(history: series.MetricHistory, config: CompareConfig) -> float:
    """An unknown query window, as a throughput's or a gauge's canary climbs to its share (``stats.climb_overlap``).

    Gauges count because CPU is a ``rate()`` too; a memory gauge that climbs from near zero reads
    the same, and then only delays the judgement by the window it seems to fill."""
    if history.overlap is not None or (config.kind or history.kind) not in ("throughput", "gauge"):
        return 1.0
    length = len(history.stable)
    stable = series.as_array(history.stable, length)
    canary = pairedtest.per_share_throughput(stable, series.as_array(history.canary, length), series.weights(history, length),
                                             config.per, series.pod_ratio(history, length))
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(stable > 0, canary / stable, np.nan)
    return stats.climb_overlap(shares)
