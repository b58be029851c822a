"""Scenarios from a GrayRelease's own status: what the judge saw of a real release, to replay it.

The operator keeps each compare metric's recent values in ``status.analysis[name].history`` (the
last 60 per side, with request counts and the canary's weight at each interval). A release read
back with ``kubectl get grayrelease NAME -o yaml`` therefore holds everything the judge decided
on, and ``grayrelease replay --from-release`` judges it again offline: with other settings
(``--confidence``), after an upgrade of the judge, or to keep it in a team's corpus (``--save``).

One scenario per analysis interval: the operator judges each compare metric with the release's
other compare metrics of the same interval as context, lined up by their latest values, and a
scenario has one interval. A metric whose measurements stopped earlier than the others' (one
measured only in analysis steps) was not judged with them at the end, and is a scenario apart.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from collections.abc import Iterable
from typing import Any

from grayrelease.analysis.scenario import FORMAT, Scenario
from grayrelease.api.durations import parse_duration
from grayrelease.api.resource import GrayRelease
from grayrelease.api.spec import Metric
from grayrelease.api.status import GrayReleaseStatus, MetricStatus


def first_age(release_started_at: datetime | None, length: int, interval: timedelta, at: datetime) -> float:
    """Seconds the release had run when the first of ``length`` values, one an interval apart up to
    ``at``, began: 0 for a history that starts with the release, more once the status keeps only
    the last values."""
    if release_started_at is None:
        return 0.0
    return max(0.0, (at - release_started_at - length * interval).total_seconds())


GroupKey = tuple[timedelta, bool]
"""A metric's interval and whether it is compared against a baseline: metrics of one key make one
scenario, since a baseline's weight and pods are not the stable's."""


def group_key(release: GrayRelease, metric: Metric) -> GroupKey:
    return parse_duration(metric.interval or release.spec.analysis.interval), metric.against_baseline


def group_label(name: str, key: GroupKey, keys: Iterable[GroupKey]) -> str:
    """``name`` (``NS/NAME``) with what tells the release's scenarios apart: ``@30s`` where its
    metrics have several intervals, ``~baseline`` where some compare against a baseline and some not."""
    keys = list(keys)
    interval, baseline = key
    label = name
    if len({i for i, _ in keys}) > 1:
        label += f"@{interval.total_seconds():g}s"
    if baseline and len({b for _, b in keys}) > 1:
        label += "~baseline"
    return label


def scenarios_from_release(release: GrayRelease) -> list[Scenario]:
    """The release's compare histories as scenarios (none recorded: empty)."""
    meta = release.metadata
    name = f"{meta.get('namespace', 'default')}/{meta.get('name', '')}"
    groups: dict[GroupKey, list[tuple[Metric, MetricStatus]]] = {}
    for metric in release.spec.analysis.metrics:
        record = release.status.analysis.get(metric.name)
        if metric.compare is None or record is None or record.history is None or not record.history.stable:
            continue
        groups.setdefault(group_key(release, metric), []).append((metric, record))
    looks = [(key, look) for key, members in sorted(groups.items()) for look in _by_look(members, key[0])]
    scenarios = []
    for index, (key, members) in enumerate(looks):
        label = group_label(name, key, groups)
        if index and looks[index - 1][0] == key:
            label += ":" + "+".join(m.name for m, _ in members)
        scenarios.append(_scenario(label, key[0], members, release.status))
    return scenarios


def metric_entry(metric: Metric, step: float, series: dict[str, list[float | None] | None]) -> dict[str, Any]:
    """A scenario metric: its ``series`` (stable, canary and the request counts) and what the
    release knows of it: its kind, the query window as the operator knows it from the query (no
    longer than the interval: independent values), and its ``compare:`` settings."""
    assert metric.compare is not None
    window = metric.query_window()
    return {
        "name": metric.name,
        "kind": metric.compare.kind or "gauge",
        "better": metric.compare.better,
        **series,
        "query_window_seconds": max(window.total_seconds(), step) if window is not None else None,
        "compare": metric.compare.model_copy(update={"requests_query": None, "query_window": None}),
    }


def _by_look(members: list[tuple[Metric, MetricStatus]], interval: timedelta) -> list[list[tuple[Metric, MetricStatus]]]:
    """Metrics of one interval grouped as the operator judges them together: measured within an
    interval of each other at their latest, the most recently measured first. A metric measured
    only in analysis steps (``background: false``) has stopped earlier; it is judged apart."""
    never = datetime.min.replace(tzinfo=UTC)
    ordered = sorted(members, key=lambda item: item[1].last_measured_at or never, reverse=True)
    out: list[list[tuple[Metric, MetricStatus]]] = []
    for metric, record in ordered:
        latest = out[-1][0][1].last_measured_at if out else None
        measured = record.last_measured_at
        if out and (latest is None or measured is None or latest - measured <= interval):
            out[-1].append((metric, record))
        else:
            out.append([(metric, record)])
    return out


def _scenario(name: str, interval: timedelta, members: list[tuple[Metric, MetricStatus]],
              status: GrayReleaseStatus) -> Scenario:
    """One scenario of metrics judged together, lined up by their latest values as the operator
    lines them up."""
    step = interval.total_seconds()
    histories = [(metric, record.history) for metric, record in members if record.history is not None]
    length = max(len(history.stable) for _, history in histories)

    def place(values: list[float | None] | None) -> list[float | None] | None:
        return None if values is None else [None] * (length - len(values)) + list(values)

    metrics = []
    weights, canary_pods, stable_pods = ([None] * length for _ in range(3))
    for metric, history in histories:
        for merged, values in ((weights, history.weights()), (canary_pods, history.pods()[0]), (stable_pods, history.pods()[1])):
            for index, value in enumerate(place(values) or []):
                if value is not None and merged[index] is None:
                    merged[index] = value
        metrics.append(metric_entry(metric, step, {
            "stable": place(history.stable),
            "canary": place(history.canary),
            "stable_requests": place(history.stable_requests),
            "canary_requests": place(history.canary_requests),
        }))
    latest = members[0][1].last_measured_at
    return Scenario.model_validate({
        "format": FORMAT,
        "name": name,
        "interval_seconds": step,
        "canary_weights": known(weights),
        "canary_pods": known(canary_pods),
        "stable_pods": known(stable_pods),
        "first_age_seconds": first_age(status.release_started_at, length, interval, latest) if latest else 0.0,
        "start_time": latest - (length - 1) * interval if latest else None,
        "metrics": metrics,
    })


def known(values: list[Any]) -> list[Any] | None:
    """``values``, or None where none is known (a scenario field left out)."""
    return values if any(v is not None for v in values) else None
