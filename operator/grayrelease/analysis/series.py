"""A metric's history as the judge receives it, and the per-interval arrays every test reads.

The operator builds a ``MetricHistory`` from the GrayRelease status each interval (``controller.observe``);
``grayrelease replay`` builds one from a scenario (``backtest.histories_at``). Values are kept as
the API gives them (``None`` for no data); the tests read them as float arrays with NaN.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from decimal import Decimal
from dataclasses import dataclass

import numpy as np

from grayrelease.api.compare import Better, MetricKind


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
    canary_pods: Sequence[float | None] | None = None
    """Ready pods serving the canary at each interval, where known (the operator records them). A
    rate per pod is not due a stable pod's rate where the split does not follow the pods (a router
    giving one canary pod 5% beside ten stable pods): see ``pod_ratio``."""
    stable_pods: Sequence[float | None] | None = None
    """Ready pods serving stable at each interval, where known."""
    expected_canary_requests: Sequence[float | None] | None = None
    """Requests the canary should have had per interval, from another metric's request counts;
    where it is tiny, a canary without data is quiet rather than dead."""
    stable_trials: float | None = None
    """Requests behind one of stable's values, estimated from how a count-less error ratio of the
    same release wanders (``liveness.estimated_trials``), where no metric counts requests: says
    whether a canary that never reported a latency was due requests, and nothing else."""
    overlap: float | None = 1.0
    """Intervals one value's query window spans (``rate(x[4m])`` read every minute: 4). Consecutive
    values then share their data: each request counts in up to ``overlap`` of them, and the values
    wander less from one interval to the next than they spread. The operator knows it from the
    query, a replayed scenario from its ``query_window_seconds``. None: unknown (a scenario that
    does not record it), and estimated from the data (``querywindow.unknown_window``)."""
    overlap_known: bool = True
    """False where ``overlap`` was estimated from the data rather than known (set by the judge)."""
    window_fill: float = 1.0
    """Where ``overlap`` is unknown: how many intervals a fresh canary's window took to fill, as the
    release's request counts show it (``stats.fill_overlap``); ``judge_together`` sets it."""
    interval_seconds: float | None = None
    """Seconds between two values (the analysis interval), where known: how long a fresh canary
    has had to report its first value."""
    first_age_seconds: float = 0.0
    """How long the canary had been up when the first of these values was measured: 0 for a
    history that starts with the release, more for one the status has cut to its last values."""

    def aligned(self, length: int) -> MetricHistory:
        """The last ``length`` intervals, with no data in front where the history is shorter: another
        metric's history lined up with this one's by their latest values, as context."""

        def fit(values: Sequence[float | None] | None) -> list[float | None] | None:
            return None if values is None else latest(values, length)

        return dataclasses.replace(
            self, stable=latest(self.stable, length), canary=latest(self.canary, length),
            stable_requests=fit(self.stable_requests), canary_requests=fit(self.canary_requests),
            canary_weights=fit(self.canary_weights), expected_canary_requests=fit(self.expected_canary_requests),
            canary_pods=fit(self.canary_pods), stable_pods=fit(self.stable_pods),
        )


def weights(history: MetricHistory, length: int) -> np.ndarray:
    """The canary's weight (percent) per interval; NaN where unknown or outside (0, 100)."""
    fallback = np.nan if history.canary_weight is None else float(history.canary_weight)
    if history.canary_weights is None:
        weights = np.full(length, fallback)
    else:
        weights = np.array([fallback if w is None else float(w) for w in history.canary_weights], dtype=float)
    return np.where((weights > 0) & (weights < 100), weights, np.nan)


def pod_ratio(history: MetricHistory, length: int) -> np.ndarray:
    """log(stable pods / canary pods) per interval; NaN where either count is unknown or zero.

    With the canary's weight w, a canary pod is due w / (100 - w) times the stable side's rate,
    spread over its pods: a rate per pod is due exp(split + pod_ratio) times a stable pod's. Where
    the pods carry the split (no router), that is 1."""
    canary, stable = as_array(history.canary_pods, length), as_array(history.stable_pods, length)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((canary > 0) & (stable > 0), np.log(stable / canary), np.nan)


def latest_weight(history: MetricHistory) -> float | None:
    known = [w for w in (history.canary_weights or []) if w is not None]
    return known[-1] if known else history.canary_weight


def as_array(values: Sequence[float | None] | None, length: int) -> np.ndarray:
    """Values as floats, NaN where there was no data. A non-finite value (a query's 0/0 or +Inf)
    is no measurement either: the operator's Prometheus client reports it as no data."""
    if values is None:
        return np.full(length, np.nan)
    out = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
    return np.where(np.isfinite(out), out, np.nan)


def complement(values: Sequence[float | None], scale: float = 1.0) -> list[float | None]:
    """(scale - value) / scale of each value, taken in decimal so an exact fraction stays one.

    A success ratio of 39/41 written as 0.95122 has the failure ratio 2/41 = 0.04878 in decimal;
    in floating point 1 - 0.95122 is 0.048780000000000046, which is no simple fraction at any
    precision, and ``counts`` could not read the requests back from it.
    """
    whole = Decimal(repr(float(scale)))
    out: list[float | None] = []
    for value in values:
        if value is None or not math.isfinite(float(value)):
            out.append(None if value is None else (scale - float(value)) / scale)
        else:
            out.append(float((whole - Decimal(repr(float(value)))) / whole))
    return out


def latest(values: Sequence[float | None], length: int) -> list[float | None]:
    """The last ``length`` values, with no data in front where there are fewer."""
    kept = list(values)[-length:] if length > 0 else []
    return [None] * (length - len(kept)) + kept


def expected_canary_requests(stable_n: np.ndarray | None, weights: np.ndarray) -> np.ndarray:
    """Requests the canary should have had per interval given stable's and the split (inf when unknown)."""
    if stable_n is None:
        return np.full(weights.shape, np.inf)
    return np.nan_to_num(stable_n * weights / (100.0 - weights), nan=np.inf)


MAX_REPEAT_SECONDS = 120.0
"""Longest a sample can plausibly be answered again before Prometheus has a newer one (a slow
scrape or rule evaluation); a value unchanged for longer is a level that holds still."""


def repeats(stable: np.ndarray, canary: np.ndarray, stable_n: np.ndarray | None = None,
            canary_n: np.ndarray | None = None, interval_seconds: float | None = None) -> np.ndarray:
    """Intervals whose values (and request counts, where given) equal the previous interval's on both sides.

    A query asked more often than Prometheus gets new samples (a 10 s analysis interval over a
    30 s scrape, a recording rule evaluated every minute) returns the same answer again: one
    measurement, not a second witness. Both sides at zero (no errors anywhere) is no repeat. With
    the interval known, a run of equal values counts once per ``MAX_REPEAT_SECONDS``: a gauge that
    holds still for ten minutes was measured ten minutes long, and a canary at twice stable's
    constant level must not pass because its values never change.
    """
    sides = [stable, canary, *(n for n in (stable_n, canary_n) if n is not None)]
    same = np.zeros(stable.shape, dtype=bool)
    if stable.size < 2:
        return same
    same[1:] = np.logical_and.reduce([(v[1:] == v[:-1]) for v in sides])
    same[1:] &= ~((stable[1:] == 0) & (canary[1:] == 0))
    if interval_seconds and interval_seconds > 0:
        every = max(1, int(MAX_REPEAT_SECONDS // interval_seconds))
        run = 0
        for i in range(stable.size):
            run = run + 1 if same[i] else 0
            if run and run % every == 0:
                same[i] = False
    return same
