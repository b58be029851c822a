"""Scenarios from a GrayRelease's own status: what the judge saw of a real release, to replay it.

The operator keeps each compare metric's recent values in ``status.analysis[name].history`` (the
last 60 per side, with request counts and the canary's weight at each interval). A release read
back with ``kubectl get grayrelease NAME -o yaml`` therefore holds everything the judge decided
on, and ``grayrelease replay --from-release`` judges it again offline: with other settings
(``--confidence``), after an upgrade of the judge, or to keep it in a team's corpus (``--save``).

One scenario per analysis interval: the operator judges each compare metric with the release's
other compare metrics of the same interval as context, lined up by their latest values, and a
scenario has one interval. Metrics measured less recently than the latest get no data at the end.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from grayrelease.analysis.scenario import FORMAT, Scenario
from grayrelease.api.durations import parse_duration
from grayrelease.api.resource import KIND, GrayRelease
from grayrelease.api.spec import Metric
from grayrelease.api.status import GrayReleaseStatus, MetricStatus


def first_age(release_started_at: datetime | None, length: int, interval: timedelta, at: datetime) -> float:
    """Seconds the release had run when the first of ``length`` values, one an interval apart up to
    ``at``, began: 0 for a history that starts with the release, more once the status keeps only
    the last values."""
    if release_started_at is None:
        return 0.0
    return max(0.0, (at - release_started_at - length * interval).total_seconds())


def scenarios_from_release(resource: Mapping[str, Any]) -> list[Scenario]:
    """The release's compare histories as scenarios, one per analysis interval (none recorded: empty).

    Raises ValueError for an object that is not a valid GrayRelease."""
    if resource.get("kind") != KIND:
        raise ValueError(f"not a {KIND}: kind {resource.get('kind')!r}")
    release = GrayRelease.model_validate(resource)
    meta = release.metadata
    name = f"{meta.get('namespace', 'default')}/{meta.get('name', '')}"
    groups: dict[timedelta, list[tuple[Metric, MetricStatus]]] = {}
    for metric in release.spec.analysis.metrics:
        record = release.status.analysis.get(metric.name)
        if metric.compare is None or record is None or record.history is None or not record.history.stable:
            continue
        interval = parse_duration(metric.interval or release.spec.analysis.interval)
        groups.setdefault(interval, []).append((metric, record))
    return [
        _scenario(name if len(groups) == 1 else f"{name}@{_seconds(interval)}", interval, members, release.status)
        for interval, members in sorted(groups.items())
    ]


def _scenario(name: str, interval: timedelta, members: list[tuple[Metric, MetricStatus]],
              status: GrayReleaseStatus) -> Scenario:
    step = interval.total_seconds()
    latest = max(record.last_measured_at for _, record in members if record.last_measured_at is not None) \
        if any(record.last_measured_at for _, record in members) else None
    # Each history ends at its metric's last measurement; one measured an interval before the
    # latest ends an interval early.
    lags = {m.name: _lag(record.last_measured_at, latest, step) for m, record in members}
    length = max(len(record.history.stable) + lags[m.name] for m, record in members)  # type: ignore[union-attr]

    def place(values: list[float | None] | None, lag: int) -> list[float | None] | None:
        if values is None:
            return None
        return [None] * (length - len(values) - lag) + list(values) + [None] * lag

    metrics, weights = [], [None] * length
    for metric, record in members:
        history, config, lag = record.history, metric.compare, lags[metric.name]
        assert history is not None and config is not None
        for index, weight in enumerate(place(history.weights(), lag) or []):
            if weight is not None and weights[index] is None:
                weights[index] = weight
        window = metric.query_window()
        entry: dict[str, Any] = {
            "name": metric.name,
            "kind": config.kind or "gauge",
            "better": config.better,
            "stable": place(history.stable, lag),
            "canary": place(history.canary, lag),
            "stable_requests": place(history.stable_requests, lag),
            "canary_requests": place(history.canary_requests, lag),
            # Known as the operator knows it: a window no longer than the interval is independent values.
            "query_window_seconds": max(window.total_seconds(), step) if window is not None else None,
            "compare": config.model_copy(update={"requests_query": None, "query_window": None}),
        }
        metrics.append(entry)
    at = latest or status.release_started_at
    age = first_age(status.release_started_at, length, interval, at) if at is not None else 0.0
    return Scenario.model_validate({
        "format": FORMAT,
        "name": name,
        "interval_seconds": step,
        "canary_weights": weights if any(w is not None for w in weights) else None,
        "first_age_seconds": age,
        "metrics": metrics,
    })


def _lag(measured: datetime | None, latest: datetime | None, step: float) -> int:
    """Whole intervals between a metric's last measurement and the latest of its group."""
    if measured is None or latest is None:
        return 0
    return max(0, int(math.floor((latest - measured).total_seconds() / step + 0.5)))


def _seconds(interval: timedelta) -> str:
    return f"{interval.total_seconds():g}s"
