"""Walk whole releases: decide() in a loop against a fake world that applies its actions.

The world makes pods ready one tick after they are asked for, answers metrics by revision
("bad" revisions fail), runs inspections, and sends `promote` when a pause step waits for a
person. Status goes through JSON at every tick, as if the operator restarted each time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from builders import R, T0, command, spec

from grayrelease.api.spec import GrayReleaseSpec
from grayrelease.api.status import GrayReleaseStatus, InspectionPhase, MeasurementPhase, PauseReason, Phase
from grayrelease.engine import decide, due_measurements
from grayrelease.engine.actions import (
    DeleteInspection, Emit, EnsureCanary, EnsureStable, PromoteStable, SetWeight, StartInspection,
)
from grayrelease.engine.observations import (
    DeploymentObservation, InspectionObservation, Measurement, Observations, TrafficObservation,
)

TICK = timedelta(seconds=15)
STEPS = [
    {"setWeight": 25},
    {"pause": {"duration": "1m"}},
    {"analysis": {"metrics": ["error-rate"], "count": 2}},
    {"inspect": {"webhook": {"url": "http://smoke/run"}}},
    {"pause": {}},
    {"setWeight": 75},
    {"pause": {"duration": "30s"}},
]


@dataclass
class Deployment:
    revision: str
    replicas: int
    ready: int = 0

    def observe(self) -> DeploymentObservation:
        return DeploymentObservation(self.revision, self.replicas, self.ready, self.ready, self.ready,
                                     rolled_out=self.ready == self.replicas)


@dataclass
class World:
    template: str
    bad: set[str]
    router: bool
    stable: Deployment | None = None
    canary: Deployment | None = None
    weight: int | None = None
    inspections: dict[str, InspectionPhase] = field(default_factory=dict)
    events: list[Emit] = field(default_factory=list)
    promoted: list[str] = field(default_factory=list)
    min_ready: int = 10**9

    def tick(self) -> None:
        """Pods asked for last tick become ready; capacity is recorded once the stable exists."""
        for d in (self.stable, self.canary):
            if d is not None:
                d.ready = d.replicas
        if self.stable is not None and self.stable.ready == R:
            self.min_ready = min(self.min_ready, self._ready())

    def _ready(self) -> int:
        return (self.stable.ready if self.stable else 0) + (self.canary.ready if self.canary else 0)

    def _ensure(self, current: Deployment | None, revision: str, replicas: int) -> Deployment:
        if current is None or current.revision != revision:
            assert revision == self.template, "asked to run a revision the template does not hold"
            return Deployment(revision, replicas)
        current.ready = min(current.ready, replicas)
        current.replicas = replicas
        return current

    def apply(self, actions: tuple) -> None:
        for a in actions:
            if isinstance(a, EnsureStable):
                self.stable = self._ensure(self.stable, a.revision, a.replicas)
            elif isinstance(a, EnsureCanary):
                self.canary = self._ensure(self.canary, a.revision, a.replicas)
            elif isinstance(a, PromoteStable):
                assert a.revision == self.template
                if self.stable.revision != a.revision:
                    self.stable = Deployment(a.revision, self.stable.replicas)
                    self.promoted.append(a.revision)
            elif isinstance(a, SetWeight):
                assert self.router, "SetWeight in replicas mode"
                self.weight = a.canary_weight
            elif isinstance(a, StartInspection):
                self.inspections.setdefault(
                    a.name, InspectionPhase.FAILED if self.canary.revision in self.bad else InspectionPhase.SUCCEEDED,
                )
            elif isinstance(a, DeleteInspection):
                self.inspections.pop(a.name, None)
            elif isinstance(a, Emit):
                self.events.append(a)

    def observe(self, status: GrayReleaseStatus, spec_: GrayReleaseSpec, now) -> Observations:
        measurements = tuple(
            Measurement(
                metric=r.metric, value=0.2 if self.canary.revision in self.bad else 0.001,
                phase=MeasurementPhase.FAILED if self.canary.revision in self.bad else MeasurementPhase.SUCCESSFUL,
                message="", measured_at=now,
            )
            for r in due_measurements(spec_, status, now)
        )
        inspection = None
        if status.inspection is not None:
            phase = self.inspections.get(status.inspection.name, InspectionPhase.MISSING)
            inspection = InspectionObservation(status.inspection.step, status.inspection.name, phase)
        return Observations(
            generation=1, template_revision=self.template,
            stable=self.stable.observe() if self.stable else None,
            canary=self.canary.observe() if self.canary else None,
            traffic=TrafficObservation(self.weight), measurements=measurements, inspection=inspection,
            router_mode="gatewayAPI" if self.router else "replicas",
        )


def run(world: World, spec_: GrayReleaseSpec, status: GrayReleaseStatus, now, until: set[Phase]) -> tuple:
    for _ in range(300):
        world.tick()
        if status.pause_reason is PauseReason.PAUSE_STEP and status.command is None:
            status = status.model_copy(update={"command": command("promote", at=now)})
        decision = decide(spec_, status, world.observe(status, spec_, now), now)
        world.apply(decision.actions)
        status = GrayReleaseStatus.from_dict(json.loads(json.dumps(decision.status.to_dict())))
        if status.phase in until and world.template in (status.stable_revision, status.aborted_revision):
            return status, now
        now += TICK
    raise AssertionError(f"no end: {status.message}")


@pytest.fixture(params=[False, True], ids=["replicas mode", "gatewayAPI mode"])
def router(request) -> bool:
    return request.param


def installed(world: World, spec_: GrayReleaseSpec) -> tuple[GrayReleaseStatus, object]:
    status, now = run(world, spec_, GrayReleaseStatus(), T0, {Phase.SUCCEEDED})
    assert status.stable_revision == "A" and world.stable.revision == "A" and world.canary is None
    return status, now


def test_good_release_reaches_succeeded(router: bool) -> None:
    spec_ = spec(steps=STEPS, router=router)
    world = World(template="A", bad=set(), router=router)
    status, now = installed(world, spec_)
    world.template = "B"
    status, now = run(world, spec_, status, now + TICK, {Phase.SUCCEEDED, Phase.ROLLED_BACK})
    for _ in range(3):  # let traffic return to the stable and the canary scale down
        world.tick()
        decision = decide(spec_, status, world.observe(status, spec_, now), now)
        world.apply(decision.actions)
        status, now = decision.status, now + TICK
    assert status.phase is Phase.SUCCEEDED and status.stable_revision == "B"
    assert (world.stable.revision, world.stable.replicas, world.canary.replicas) == ("B", R, 0)
    assert world.weight in ((0,) if router else (None,))
    assert world.promoted == ["B"]
    reasons = [e.reason for e in world.events]
    assert reasons.count("StepCompleted") == len(STEPS) - 1 and "Promoted" in reasons
    assert world.min_ready >= R, "ready capacity dropped during the release"


def test_bad_release_is_rolled_back(router: bool) -> None:
    spec_ = spec(steps=STEPS, router=router)
    world = World(template="A", bad={"B"}, router=router)
    status, now = installed(world, spec_)
    world.template = "B"
    status, now = run(world, spec_, status, now + TICK, {Phase.SUCCEEDED, Phase.ROLLED_BACK})
    assert status.phase is Phase.ROLLED_BACK and status.aborted_revision == "B"
    assert (world.stable.revision, world.stable.replicas, world.canary.replicas) == ("A", R, 0)
    assert world.weight in ((0,) if router else (None,))
    assert world.promoted == []
    assert world.events[-1].type == "Warning" and "value 0.2" in world.events[-1].message


def test_compare_history_records_the_canary_weight_of_each_interval() -> None:
    from grayrelease.api.spec import Metric
    from grayrelease.api.status import CompareHistory, MetricStatus
    from grayrelease.engine import measurements as engine_measurements

    metric = Metric.model_validate({
        "name": "p99", "provider": {"prometheus": {"address": "http://prometheus:9090"}},
        "query": "q", "compare": {"against": "stable", "kind": "latency"},
    })
    # A history recorded before weights were kept: two intervals without one.
    record = MetricStatus(history=CompareHistory(stable=[0.2, 0.2], canary=[0.2, 0.21]))
    for weight in (5.0, 20.0):
        engine_measurements._record(record, metric, Measurement(
            metric="p99", value=0.2, phase=MeasurementPhase.SUCCESSFUL, message="", measured_at=T0,
            stable_value=0.2, canary_weight=weight,
        ))
    assert record.history is not None
    assert record.history.canary_weights == [None, None, 5.0, 20.0]
    assert record.history.weights() == [None, None, 5.0, 20.0]
    assert CompareHistory(stable=[0.1, 0.1, 0.1], canary_weights=[10.0]).weights() == [None, None, 10.0]
