"""Whether a canary without data is dead (a crash loop) or merely quiet, alone and with the release's other metrics.

A canary that stops reporting while stable still does fails its metric after ``missingLimit``
intervals, longer when it often had no data before; an interval in which it was due next to no
requests says nothing. The release's other metrics tell more: request counts say how many
requests the canary was due, and a gauge or a latency still coming in says its pods are alive.
Without counts, a canary that never reported proves nothing unless it was due enough requests
(errors, for an error ratio) to report at all (``unproven_silence``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from grayrelease.analysis import counttest, series, settings
from grayrelease.api.compare import CompareConfig


SILENCE_MIN_REQUESTS = 5.0
"""A canary with no data counts as silent only where it should have had this many requests (if
known): the chance of none at all is then below 1%."""

SILENCE_PRIOR = (0.5, 2.5)
"""Prior of the canary's rate of intervals without data: half a gap in two and a half intervals."""

SILENCE_CHANCE = 0.01
"""How unlikely a live canary's run of intervals without data must be before it counts as silent."""

STARTUP_SECONDS = 60.0
"""How long a canary that has not reported yet is starting up rather than dead: a fresh pod is
found by service discovery and scraped within a scrape interval or two, and a ``rate()`` needs two
of its samples in the window before it returns anything."""

SILENT_SECONDS = 60.0
"""Shortest silence that makes a canary dead, however short the interval: a scrape that fails for
half a minute, or a pod that Prometheus briefly cannot reach, is no crash."""


def silent_intervals_needed(interval_seconds: float | None) -> int:
    """Intervals that span ``SILENT_SECONDS`` (0 when the interval is unknown)."""
    if not interval_seconds or interval_seconds <= 0:
        return 0
    return math.ceil(SILENT_SECONDS / interval_seconds - 1e-9)


def starting_up(no_data: np.ndarray, interval_seconds: float | None, first_age_seconds: float = 0.0) -> np.ndarray:
    """The leading intervals before the canary's first report that end within its first ``STARTUP_SECONDS``.

    ``first_age_seconds`` is how long the canary had been up when the history's first value was
    measured: a history cut to its last values starts after the canary's start-up."""
    out = np.zeros(no_data.shape, dtype=bool)
    if not interval_seconds or interval_seconds <= 0:
        return out
    reported = np.flatnonzero(~no_data)
    first = int(reported[0]) if reported.size else no_data.size
    ends = first_age_seconds + interval_seconds * np.arange(1, no_data.size + 1)
    out[:first] = ends[:first] <= STARTUP_SECONDS + 1e-9
    return out


def unproven_silence(kind: str | None, stable: np.ndarray, no_data: np.ndarray, countless: bool, expected: np.ndarray,
                     weights: np.ndarray, stable_n: np.ndarray | None, stable_present: np.ndarray,
                     overlap: float = 1.0, stable_trials: float | None = None) -> np.ndarray:
    """The intervals before the canary's first value in which its silence proves nothing.

    Without request counts, a null says a canary is dead only if a live one would have had a
    value. A quantile has none until a request lands in its window, and an error ratio none until
    the first error creates the error series: a canary at 1% of a few requests a second, or one
    due less than an error an interval, stays null for the whole release, alive. So before its
    first value an interval counts as silence only where the canary was due ``SILENCE_MIN_REQUESTS``
    requests (a quantile) or errors (a ratio): known from another metric's request counts, or for
    an error ratio from how much stable's ratio wanders (``counttest.binomial_trials``, at most as
    many requests as that wander allows, so a doubtful estimate leaves the silence unproven). Once
    the canary has reported, its series exist and a null is a silence as any other. Where nothing
    says what the canary was due, a canary that never reported is held (NoData), not rolled back.
    """
    out = np.zeros(no_data.shape, dtype=bool)
    if not countless or kind not in ("latency", "error-ratio"):
        return out
    reported = np.flatnonzero(~no_data)
    first = int(reported[0]) if reported.size else no_data.size
    if first == 0:
        return out
    due = np.asarray(expected, dtype=float).copy()
    if np.all(np.isinf(due)):
        if kind == "error-ratio":
            trials = stable_n if stable_n is not None else counttest.binomial_trials(stable[stable_present], overlap)
        else:
            trials = stable_trials
        share = weights / (100.0 - weights)
        due = np.zeros_like(due) if trials is None else np.nan_to_num(trials * share, nan=0.0)
    due = np.where(np.isinf(due), 0.0, due)  # unknown where no metric said: not due
    if kind == "error-ratio":
        due = due * np.where(np.isnan(stable), 0.0, stable)
    out[:first] = ~(due[:first] >= SILENCE_MIN_REQUESTS)
    return out


def estimated_trials(histories: Sequence[series.MetricHistory], configs: dict[str, CompareConfig]) -> float | None:
    """Requests behind one of stable's values, from the first count-less error (or success) ratio that shows them.

    ``counttest.binomial_trials`` reads them off how much the ratio wanders: at most as many as
    that wander allows, so extra wander (a dependency's errors, bursts) makes it fewer, never more.
    An Apdex is no binomial ratio (a tolerated request counts half) and says nothing here.
    """
    for h in histories:
        config = settings.config_for(h, configs)
        if h.stable_requests is not None or "apdex" in h.name.lower():
            continue
        scale = settings.success_scale(h, config)
        if scale is None and (config.kind or h.kind) != "error-ratio":
            continue
        values = h.stable if scale is None else series.complement(h.stable, scale)
        stable = series.as_array(values, len(values))
        trials = counttest.binomial_trials(stable[~np.isnan(stable)], h.overlap or 1.0)
        if trials is not None:
            return trials
    return None


def canary_silence(canary_missing: np.ndarray, stable_missing: np.ndarray, overlap: float = 1.0,
                   unproven: np.ndarray | None = None) -> tuple[int, int]:
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
    ``unproven`` intervals (``unproven_silence``) neither count nor break the run either, but are
    gaps of a trickle all the same when the run that follows is weighed.
    """
    count = 0
    end = len(canary_missing)
    for index in range(len(canary_missing) - 1, -1, -1):
        if not canary_missing[index]:
            break
        end = index
        if not stable_missing[index] and (unproven is None or not unproven[index]):
            count += 1
    before = ~stable_missing[:end]
    gaps = float((canary_missing[:end] & before).sum())
    rate = (gaps + SILENCE_PRIOR[0]) / (float(before.sum()) + SILENCE_PRIOR[1])
    needed = math.ceil(overlap * math.log(SILENCE_CHANCE) / math.log(rate) - overlap + 1 - 1e-9)
    return count, needed


def still_serving(histories: Sequence[series.MetricHistory], configs: dict[str, CompareConfig]) -> dict[str, str]:
    """For each metric, another request metric the canary reported at the latest interval.

    A canary whose latency or request rate still comes in is serving: an error ratio that went
    silent meanwhile has lost its query (or its error series), not its pods.
    """
    reporting = []
    for h in histories:
        kind = settings.config_for(h, configs).kind or h.kind
        if kind in ("latency", "throughput") and served_lately(h):
            reporting.append(h.name)
    return {h.name: next((r for r in reporting if r != h.name), "") for h in histories}


def served_lately(history: series.MetricHistory) -> bool:
    """Whether the canary reported at the latest interval in which stable did.

    An interval without data on either side (Prometheus down, a failed query) says nothing.
    """
    for index in range(len(history.stable) - 1, -1, -1):
        if history.stable[index] is None:
            continue
        served = history.canary_requests is None or (history.canary_requests[index] or 0) > 0
        return history.canary[index] is not None and served
    return False


def still_reporting(histories: Sequence[series.MetricHistory], configs: dict[str, CompareConfig]) -> str | None:
    """A per-pod gauge the canary reported at the latest interval, when no metric counts requests.

    Request metrics that go silent while the canary's pods still report memory or CPU mean that no
    traffic reaches the canary (a trickle, a routing mistake), which is inconclusive, not a crash.
    With request counts the judge knows how many requests the canary was due and needs no hint.
    """
    if any(h.stable_requests is not None for h in histories):
        return None
    for h in histories:
        config = settings.config_for(h, configs)
        if (config.kind or h.kind) == "gauge" and h.canary and h.canary[-1] is not None and not settings.is_success_ratio(h, config):
            return h.name
    return None


def shared_expected_requests(histories: Sequence[series.MetricHistory]) -> list[float | None] | None:
    for h in histories:
        if h.stable_requests is not None:
            expected = series.expected_canary_requests(series.as_array(h.stable_requests, len(h.stable_requests)), series.weights(h, len(h.stable)))
            if np.all(np.isinf(expected)):
                continue
            return [None if np.isinf(e) else float(e) for e in expected]
    return None
