"""Which metrics the controller should query now, so Prometheus is asked only when needed.

A metric is due for background analysis once the canary has weight and ``initialDelay`` has
passed, then every ``interval``; it is due for the current analysis step as soon as the step
starts, then every step interval, until it has its ``count`` of successes. One request per
metric: its measurement counts for every use that is active (see ``measurements``).
Measurements continue while a release is paused, so failures still roll back and returning
data can resume a release paused for missing data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from grayrelease.api.spec import GrayReleaseSpec
from grayrelease.api.status import GrayReleaseStatus
from grayrelease.engine import measurements
from grayrelease.engine.observations import Observations
from grayrelease.engine.situation import Situation


@dataclass(frozen=True)
class MeasurementRequest:
    metric: str
    reason: Literal["background", "step"]


def due_measurements(spec: GrayReleaseSpec, status: GrayReleaseStatus, now: datetime) -> list[MeasurementRequest]:
    s = Situation(spec=spec, status=status, obs=_NO_OBSERVATIONS, now=now)
    gate = status.step_analysis
    gate_names = measurements.gate_metrics(s)
    out: list[MeasurementRequest] = []
    for metric in spec.analysis.metrics:
        if metric.name in gate_names:
            counters = gate.metrics.get(metric.name) if gate else None
            wanted = counters is None or counters.successes < measurements.required_successes(s, metric)
            last = counters.last_measured_at if counters else None
            if wanted and (last is None or now >= last + measurements.step_interval(s, metric)):
                out.append(MeasurementRequest(metric=metric.name, reason="step"))
                continue
        if measurements.background_started(s, metric):
            record = status.analysis.get(metric.name)
            last = record.last_measured_at if record else None
            if last is None or now >= last + measurements.background_interval(s, metric):
                out.append(MeasurementRequest(metric=metric.name, reason="background"))
    return out


# Due-ness depends on spec and status only; the Situation needs observations to exist.
_NO_OBSERVATIONS = Observations(generation=0, template_revision="", stable=None, canary=None)
