"""Builders for engine tests: specs, statuses mid-release and observations, with readable defaults.

Revisions: "A" is stable, "B" the release, "C" a newer template. R = 4 replicas.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from grayrelease.api.spec import GrayReleaseSpec
from grayrelease.api.status import (
    Command, GateCounters, GrayReleaseStatus, InspectionStatus, MeasurementPhase, MetricStatus, PauseReason, Phase,
    StepAnalysisStatus,
)
from grayrelease.engine.observations import (
    DeploymentObservation, InspectionObservation, Measurement, Observations, TrafficObservation,
)

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
R = 4

STEPS = [
    {"setWeight": 25},                                  # 0
    {"pause": {"duration": "2m"}},                      # 1
    {"analysis": {"metrics": ["error-rate"], "count": 2}},  # 2
    {"inspect": {"webhook": {"url": "http://smoke/run"}}},  # 3
    {"pause": {}},                                      # 4
    {"setWeight": 50},                                  # 5
]


def metric(name: str = "error-rate", **extra: Any) -> dict[str, Any]:
    return {"name": name, "provider": {"prometheus": {"address": "http://p:9090"}}, "query": "q",
            "successCondition": "result < 0.01", **extra}


def spec(*, steps: list[dict] | None = None, router: bool = False, on_failure: str = "rollback",
         metrics: list[dict] | None = None, **analysis: Any) -> GrayReleaseSpec:
    data: dict[str, Any] = {
        "replicas": R,
        "selector": {"matchLabels": {"app": "a"}},
        "template": {"metadata": {"labels": {"app": "a"}}, "spec": {}},
        "service": {"name": "a", "port": 80},
        "strategy": {"steps": STEPS if steps is None else steps, "onFailure": on_failure},
        "analysis": {"metrics": [metric()] if metrics is None else metrics, **analysis},
        "progressDeadlineSeconds": 600,
    }
    if router:
        data["trafficRouting"] = {"gatewayAPI": {"httpRoute": "a"}}
    return GrayReleaseSpec.model_validate(data)


def at_step(index: int, *, started: datetime = T0, weight: int = 0, phase: Phase = Phase.PROGRESSING,
            **fields: Any) -> GrayReleaseStatus:
    """A release of B against stable A, at ``index``, entered at ``started``."""
    base = dict(
        phase=phase, stable_revision="A", canary_revision="B", current_step_index=index, canary_weight=weight,
        release_started_at=T0 - timedelta(minutes=10), step_started_at=started, observed_generation=1,
    )
    if index == 2 and "step_analysis" not in fields:
        base["step_analysis"] = StepAnalysisStatus(step=2)
    if index == 3 and "inspection" not in fields:
        base["inspection"] = InspectionStatus(step=3, name="3-abc")
    if index == 4 and "pause_reason" not in fields:
        base.update(phase=Phase.PAUSED, pause_reason=PauseReason.PAUSE_STEP, paused_at=started)
    base.update(fields)
    return GrayReleaseStatus(**base)


def dep(revision: str, replicas: int, ready: int | None = None) -> DeploymentObservation:
    ready = replicas if ready is None else ready
    return DeploymentObservation(
        revision=revision, replicas=replicas, ready_replicas=ready, available_replicas=ready,
        updated_replicas=ready, rolled_out=ready >= replicas,
    )


def obs(*, template: str = "B", stable: DeploymentObservation | None = None,
        canary: DeploymentObservation | None = None, weight: int | None = None, router: bool = False,
        measurements: tuple[Measurement, ...] = (), inspection: InspectionObservation | None = None,
        baseline: DeploymentObservation | None = None, baseline_weight: int | None = None) -> Observations:
    return Observations(
        generation=1, template_revision=template, stable=stable, canary=canary, baseline=baseline,
        traffic=TrafficObservation(canary_weight=weight, baseline_weight=baseline_weight), measurements=measurements,
        inspection=inspection, router_mode="gatewayAPI" if router else "replicas",
    )


def measured(phase: str, value: float | None = 0.001, at: datetime = T0, name: str = "error-rate",
             marginal: bool = False) -> Measurement:
    return Measurement(metric=name, value=value, phase=MeasurementPhase(phase), message=f"result {value}", measured_at=at,
                       marginal=marginal)


def command(action: str, at: datetime = T0) -> Command:
    return Command(action=action, requested_at=at, requested_by="alice")


def counted(successes: int = 0, failures: int = 0, inconclusives: int = 0, errors: int = 0,
            last: datetime | None = None, phase: str = "Successful") -> MetricStatus:
    return MetricStatus(phase=phase, successes=successes, failures=failures, inconclusives=inconclusives,
                        consecutive_errors=errors, last_measured_at=last, last_value=0.5)


def gate(**counters: GateCounters) -> StepAnalysisStatus:
    return StepAnalysisStatus(step=2, metrics=counters)
