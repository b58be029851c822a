"""The release rules as a table: situation -> the transition taken, the new status, the actions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from builders import R, T0, at_step, command, counted, dep, gate, measured, obs, spec

from grayrelease.api.spec import GrayReleaseSpec
from grayrelease.api.status import (
    GateCounters, GrayReleaseStatus, InspectionPhase, MetricStatus, PauseReason, Phase,
)
from grayrelease.engine import decide
from grayrelease.engine.actions import (
    DeleteInspection, Emit, EnsureCanary, EnsureStable, PromoteStable, SetWeight, StartInspection,
)
from grayrelease.engine.observations import InspectionObservation, Observations

MIN = timedelta(minutes=1)
STEADY_A = GrayReleaseStatus(phase=Phase.SUCCEEDED, stable_revision="A", observed_generation=1)
READY_25 = dict(stable=dep("A", 3), canary=dep("B", 1))  # replicas mode, weight 25 reached
READY_50 = dict(stable=dep("A", 2), canary=dep("B", 2))  # replicas mode, weight 50 reached (the last step)


def marginal_record(last: datetime) -> MetricStatus:
    return MetricStatus(phase="Successful", successes=3, last_measured_at=last, last_value=0.02, marginal=True)


@dataclass
class Case:
    id: str
    spec: GrayReleaseSpec
    status: GrayReleaseStatus
    obs: Observations
    now: datetime = T0
    rule: str | None = None
    expect: dict[str, Any] = field(default_factory=dict)  # status fields
    actions: tuple = ()  # must be present, in this order
    absent: tuple = ()  # action types or values that must not be present
    event: tuple[str, str] | None = None  # (type, reason)
    says: str = ""  # substring of the event message


CASES = [
    Case("first revision -> stable directly, no steps",
         spec(), GrayReleaseStatus(), obs(template="A"), rule=None,
         expect={"phase": Phase.PENDING, "stable_revision": None}, actions=(EnsureStable("A", R),), absent=(EnsureCanary,)),
    Case("first revision rolled out -> Succeeded",
         spec(), GrayReleaseStatus(release_started_at=T0), obs(template="A", stable=dep("A", R)),
         rule="first revision installed", expect={"phase": Phase.SUCCEEDED, "stable_revision": "A"},
         event=("Normal", "Installed")),
    Case("first revision never available -> Degraded after the deadline",
         spec(), GrayReleaseStatus(release_started_at=T0), obs(template="A", stable=dep("A", R, ready=1)),
         now=T0 + 11 * MIN, rule="first revision stuck", expect={"phase": Phase.DEGRADED},
         event=("Warning", "ProgressDeadlineExceeded"), says="1/4 available"),
    Case("new template starts a release at step 1 against the stable",
         spec(), STEADY_A, obs(stable=dep("A", R)), rule="new template",
         expect={"phase": Phase.PROGRESSING, "canary_revision": "B", "current_step_index": 0, "step_started_at": T0},
         actions=(EnsureCanary("B", 1), EnsureStable("A", R)), event=("Normal", "ReleaseStarted")),
    Case("replicas: stable kept while the canary is not ready",
         spec(), at_step(0), obs(stable=dep("A", R), canary=dep("B", 1, ready=0)), rule=None,
         actions=(EnsureCanary("B", 1), EnsureStable("A", R))),
    Case("replicas: stable scaled down once the canary is ready",
         spec(), at_step(0), obs(stable=dep("A", R), canary=dep("B", 1)), rule=None,
         actions=(EnsureCanary("B", 1), EnsureStable("A", 3))),
    Case("replicas: setWeight done when canary ready and stable scaled",
         spec(), at_step(0), obs(**READY_25), rule="step complete",
         expect={"current_step_index": 1, "canary_weight": 25}, event=("Normal", "StepCompleted")),
    Case("router: weight held at 0 until the canary is ready",
         spec(router=True), at_step(0), obs(router=True, stable=dep("A", R), canary=dep("B", 1, ready=0), weight=0),
         rule=None, actions=(EnsureStable("A", R), SetWeight(0), EnsureCanary("B", 1))),
    Case("router: weight set once the canary is ready, step waits for read-back",
         spec(router=True), at_step(0), obs(router=True, stable=dep("A", R), canary=dep("B", 1), weight=0),
         rule=None, actions=(EnsureStable("A", R), SetWeight(25), EnsureCanary("B", 1))),
    Case("router: step complete when the weight reads back",
         spec(router=True), at_step(0), obs(router=True, stable=dep("A", R), canary=dep("B", 1), weight=25),
         rule="step complete", expect={"current_step_index": 1, "canary_weight": 25}),
    Case("timed pause still running",
         spec(), at_step(1), obs(**READY_25), now=T0 + MIN, rule=None, expect={"current_step_index": 1}),
    Case("timed pause over -> next step (analysis)",
         spec(), at_step(1), obs(**READY_25), now=T0 + 2 * MIN, rule="step complete",
         expect={"current_step_index": 2, "step_analysis": {"step": 2, "metrics": {}}}),
    Case("analysis step: 1 of 2 successes -> wait",
         spec(), at_step(2), obs(**READY_25, measurements=(measured("Successful", at=T0 + MIN),)),
         now=T0 + MIN, rule=None, expect={"current_step_index": 2}),
    Case("analysis step: second success -> next step starts the inspection",
         spec(), at_step(2, step_analysis=gate(**{"error-rate": GateCounters(successes=1, last_measured_at=T0)})),
         obs(**READY_25, measurements=(measured("Successful", at=T0 + MIN),)), now=T0 + MIN,
         rule="step complete", expect={"current_step_index": 3}, actions=(StartInspection,),
         says="error-rate 2/2 successful"),
    Case("analysis fails at step 3 -> rollback, weight 0",
         spec(router=True), at_step(2, analysis_started_at=T0 - 5 * MIN),
         obs(router=True, stable=dep("A", R), canary=dep("B", 1), weight=25,
             measurements=(measured("Failed", value=0.2, at=T0 + MIN),)),
         now=T0 + MIN, rule="analysis failed",
         expect={"phase": Phase.ROLLED_BACK, "aborted_revision": "B"},
         actions=(SetWeight(0), EnsureStable("A", R), EnsureCanary("B", 0)), event=("Warning", "RolledBack"),
         says="error-rate failed: value 0.2 (result 0.2), 1 failed > limit 0; rolled back to stable A"),
    Case("background failure with onFailure pause -> Paused, weight kept",
         spec(on_failure="pause"), at_step(1, analysis_started_at=T0 - 5 * MIN),
         obs(**READY_25, measurements=(measured("Failed", value=0.2, at=T0 + MIN),)), now=T0 + MIN,
         rule="analysis failed", expect={"phase": Phase.PAUSED, "pause_reason": PauseReason.ANALYSIS_FAILED},
         actions=(EnsureCanary("B", 1), EnsureStable("A", 3)), event=("Warning", "AnalysisFailed")),
    Case("failures within the limit -> keep going",
         spec(failureLimit=1), at_step(1, analysis_started_at=T0 - 5 * MIN),
         obs(**READY_25, measurements=(measured("Failed", value=0.2, at=T0 + MIN),)), now=T0 + MIN, rule=None),
    Case("missing data over inconclusiveLimit -> paused, never promoted",
         spec(inconclusiveLimit=1), at_step(1, analysis_started_at=T0 - 5 * MIN,
                                            analysis={"error-rate": counted(inconclusives=1, last=T0)}),
         obs(**READY_25, measurements=(measured("Inconclusive", value=None, at=T0 + 3 * MIN),)), now=T0 + 3 * MIN,
         rule="metrics data missing",
         expect={"phase": Phase.PAUSED, "pause_reason": PauseReason.ANALYSIS_INCONCLUSIVE, "current_step_index": 1},
         event=("Warning", "AnalysisInconclusive"), says="no value"),
    Case("query errors over consecutiveErrorLimit -> paused",
         spec(consecutiveErrorLimit=2), at_step(1, analysis_started_at=T0 - 5 * MIN,
                                                analysis={"error-rate": counted(errors=2, last=T0)}),
         obs(**READY_25, measurements=(measured("Error", value=None, at=T0 + MIN),)), now=T0 + MIN,
         rule="metrics data missing", says="3 consecutive errors > limit 2"),
    Case("good data returns -> resumes by itself, paused time not counted",
         spec(inconclusiveLimit=0), at_step(1, analysis_started_at=T0 - 5 * MIN, phase=Phase.PAUSED, paused_at=T0 + MIN,
                         pause_reason=PauseReason.ANALYSIS_INCONCLUSIVE,
                         analysis={"error-rate": counted(inconclusives=1, last=T0 + MIN, phase="Inconclusive")}),
         obs(**READY_25, measurements=(measured("Successful", at=T0 + 5 * MIN),)), now=T0 + 5 * MIN,
         rule="metrics data returned",
         expect={"phase": Phase.PROGRESSING, "pause_reason": None, "step_started_at": T0 + 4 * MIN}),
    Case("paused for data: another inconclusive keeps it paused",
         spec(inconclusiveLimit=0), at_step(1, analysis_started_at=T0 - 5 * MIN, phase=Phase.PAUSED, paused_at=T0 + MIN,
                         pause_reason=PauseReason.ANALYSIS_INCONCLUSIVE,
                         analysis={"error-rate": counted(inconclusives=1, last=T0 + MIN, phase="Inconclusive")}),
         obs(**READY_25, measurements=(measured("Inconclusive", value=None, at=T0 + 5 * MIN),)), now=T0 + 5 * MIN,
         rule=None, expect={"phase": Phase.PAUSED}),
    Case("canary never ready -> rollback with ProgressDeadlineExceeded",
         spec(), at_step(0), obs(stable=dep("A", R), canary=dep("B", 1, ready=0)), now=T0 + 11 * MIN,
         rule="progress deadline", expect={"phase": Phase.ROLLED_BACK},
         actions=(EnsureStable("A", R), EnsureCanary("B", 0)), says="progress deadline exceeded, no progress for 600s"),
    Case("indefinite pause waits for a person",
         spec(), at_step(4), obs(**READY_25), now=T0 + 60 * MIN, rule=None, expect={"phase": Phase.PAUSED}),
    Case("promote leaves the indefinite pause",
         spec(), at_step(4, command=command("promote")), obs(**READY_25), now=T0 + MIN, rule="promote",
         expect={"phase": Phase.PROGRESSING, "current_step_index": 5, "command": None,
                 "last_handled_command": command("promote")}, event=("Normal", "StepPromoted"), says="by alice"),
    Case("a command already handled is not handled twice",
         spec(), at_step(4, command=command("promote"), last_handled_command=command("promote")), obs(**READY_25),
         rule=None, expect={"current_step_index": 4, "command": None}, absent=(Emit,)),
    Case("promote-full skips the remaining steps",
         spec(), at_step(1, command=command("promote-full")), obs(**READY_25), rule="promote-full",
         expect={"current_step_index": 6}, actions=(PromoteStable("B"), EnsureStable("B", R))),
    Case("abort -> Aborted, everything back on stable at once",
         spec(router=True), at_step(5, command=command("abort")),
         obs(router=True, stable=dep("A", R), canary=dep("B", 2), weight=50), rule="abort",
         expect={"phase": Phase.ABORTED, "aborted_revision": "B"},
         actions=(SetWeight(0), EnsureStable("A", R), EnsureCanary("B", 0)), event=("Warning", "Aborted")),
    Case("pause command pauses; targets kept",
         spec(), at_step(1, command=command("pause")), obs(**READY_25), rule="pause",
         expect={"phase": Phase.PAUSED, "pause_reason": PauseReason.COMMAND}, actions=(EnsureStable("A", 3),)),
    Case("resume after a pause command shifts the step timer",
         spec(), at_step(1, phase=Phase.PAUSED, pause_reason=PauseReason.COMMAND, paused_at=T0 + MIN,
                         command=command("resume")), obs(**READY_25), now=T0 + 10 * MIN, rule="resume",
         expect={"phase": Phase.PROGRESSING, "step_started_at": T0 + 9 * MIN}),
    Case("resume after a failure pause starts the step over with counters reset",
         spec(on_failure="pause"), at_step(1, phase=Phase.PAUSED, pause_reason=PauseReason.ANALYSIS_FAILED,
                                            paused_at=T0 + MIN, command=command("resume"),
                                            analysis={"error-rate": counted(failures=3, last=T0)}),
         obs(**READY_25), now=T0 + 10 * MIN, rule="resume",
         expect={"phase": Phase.PROGRESSING, "step_started_at": T0 + 10 * MIN}),
    Case("promote with nothing to promote is ignored with a warning",
         spec(), STEADY_A.model_copy(update={"command": command("promote")}), obs(template="A", stable=dep("A", R)),
         rule="command not applicable", expect={"command": None}, event=("Warning", "CommandIgnored")),
    Case("abort during promotion is refused",
         spec(), at_step(6, command=command("abort")), obs(stable=dep("B", R, ready=2), canary=dep("B", 2)),
         rule="command not applicable", expect={"phase": Phase.PROGRESSING}, says="cannot be aborted"),
    Case("new template mid-release restarts at step 1, counters reset",
         spec(), at_step(2, analysis={"error-rate": counted(successes=5, last=T0)}, analysis_started_at=T0),
         obs(template="C", **READY_25), rule="new template",
         expect={"canary_revision": "C", "current_step_index": 0, "analysis": {}, "analysis_started_at": None},
         actions=(EnsureCanary("C", 1), EnsureStable("A", R)), event=("Normal", "ReleaseRestarted")),
    Case("template reverted to stable cancels the release",
         spec(), at_step(1), obs(template="A", **READY_25), rule="template back to stable",
         expect={"phase": Phase.SUCCEEDED, "canary_revision": "A"}, event=("Normal", "ReleaseCancelled")),
    Case("rolled-back revision is not released again by itself",
         spec(), at_step(2, phase=Phase.ROLLED_BACK, aborted_revision="B"), obs(stable=dep("A", R), canary=dep("B", 0)),
         rule=None, expect={"phase": Phase.ROLLED_BACK}, actions=(EnsureStable("A", R), EnsureCanary("B", 0))),
    Case("retry restarts a rolled-back release at step 1",
         spec(), at_step(2, phase=Phase.ROLLED_BACK, aborted_revision="B", command=command("retry")),
         obs(stable=dep("A", R), canary=dep("B", 0)), rule="retry",
         expect={"phase": Phase.PROGRESSING, "current_step_index": 0, "aborted_revision": None},
         event=("Normal", "ReleaseRetried")),
    Case("a newer template after a rollback starts a release",
         spec(), at_step(2, phase=Phase.ROLLED_BACK, aborted_revision="B"), obs(template="C", stable=dep("A", R)),
         rule="new template", expect={"canary_revision": "C", "aborted_revision": None}),
    Case("inspect step: starts its inspection while running",
         spec(), at_step(3), obs(**READY_25, inspection=InspectionObservation(3, "3-abc", InspectionPhase.RUNNING)),
         rule=None, actions=(StartInspection(3, "3-abc"),)),
    Case("inspect step: succeeded -> next step, the passed Job kept for its logs",
         spec(), at_step(3), obs(**READY_25, inspection=InspectionObservation(3, "3-abc", InspectionPhase.SUCCEEDED)),
         rule="step complete", expect={"current_step_index": 4, "phase": Phase.PAUSED, "inspection": None},
         absent=(DeleteInspection,)),
    Case("inspect step: failed -> rollback",
         spec(), at_step(3), obs(**READY_25, inspection=InspectionObservation(3, "3-abc", InspectionPhase.FAILED, "exit 1")),
         rule="inspection failed", expect={"phase": Phase.ROLLED_BACK}, says="inspection failed: exit 1"),
    Case("inspect step: another inspection's result is ignored",
         spec(), at_step(3), obs(**READY_25, inspection=InspectionObservation(3, "3-old", InspectionPhase.FAILED)),
         rule=None, expect={"phase": Phase.PROGRESSING}),
    Case("promotion: stable takes the canary template, canary keeps serving",
         spec(router=True), at_step(6, started=T0), obs(router=True, stable=dep("A", R), canary=dep("B", 2), weight=50),
         rule=None, actions=(PromoteStable("B"), EnsureStable("B", R), SetWeight(50), EnsureCanary("B", 2))),
    Case("promotion done -> Succeeded, weight back to 0 before the canary scales down",
         spec(router=True), at_step(6), obs(router=True, stable=dep("B", R), canary=dep("B", 2), weight=50),
         rule="stable promoted", expect={"phase": Phase.SUCCEEDED, "stable_revision": "B"},
         actions=(EnsureStable("B", R), SetWeight(0)), absent=(EnsureCanary("B", 0),), event=("Normal", "Promoted")),
    Case("promotion done in replicas mode -> weight 0 at once, canary pods drain",
         spec(), at_step(6), obs(stable=dep("B", R), canary=dep("B", 2)),
         rule="stable promoted", expect={"phase": Phase.SUCCEEDED, "canary_weight": 0},
         actions=(EnsureStable("B", R), EnsureCanary("B", 0))),
    Case("after success: canary scaled to 0 once the weight reads 0",
         spec(router=True), at_step(6, phase=Phase.SUCCEEDED, stable_revision="B"),
         obs(router=True, stable=dep("B", R), canary=dep("B", 2), weight=0), rule=None,
         actions=(SetWeight(0), EnsureCanary("B", 0))),
    Case("new template during promotion waits until the promotion completes",
         spec(), at_step(6), obs(template="C", stable=dep("B", R, ready=2), canary=dep("B", 2)), rule=None,
         expect={"canary_revision": "B"}, actions=(PromoteStable("B"), EnsureStable("B", R), EnsureCanary("B", 2))),
    Case("router: a lower weight applies at once, before the canary shrinks",
         spec(router=True, steps=[{"setWeight": 50}, {"setWeight": 25}]), at_step(1),
         obs(router=True, stable=dep("A", R), canary=dep("B", 2), weight=50), rule=None,
         actions=(SetWeight(25), EnsureCanary("B", 1))),
    Case("replicas mode never sets a weight",
         spec(), at_step(0), obs(stable=dep("A", R), canary=dep("B", 1)), rule=None, absent=(SetWeight,)),
    Case("replicas promotion done -> canary to 0 at once",
         spec(), at_step(6), obs(stable=dep("B", R), canary=dep("B", 2)), rule="stable promoted",
         actions=(EnsureStable("B", R), EnsureCanary("B", 0))),
    Case("last step complete, a compare metric marginal -> paused before promotion",
         spec(), at_step(5, analysis_started_at=T0 - 5 * MIN), obs(**READY_50, measurements=(
             measured("Successful", at=T0 + MIN, marginal=True),)), now=T0 + MIN,
         rule="marginal at step end",
         expect={"phase": Phase.PAUSED, "pause_reason": PauseReason.ANALYSIS_MARGINAL, "current_step_index": 5},
         event=("Warning", "AnalysisMarginal"), says="not promoted: paused before promotion at weight 50%"),
    Case("last step complete, nothing marginal -> promotion",
         spec(), at_step(5, analysis_started_at=T0 - 5 * MIN), obs(**READY_50, measurements=(
             measured("Successful", at=T0 + MIN),)), now=T0 + MIN, rule="step complete", expect={"current_step_index": 6}),
    Case("a query error does not clear a marginal verdict",
         spec(), at_step(5, analysis_started_at=T0 - 5 * MIN, analysis={"error-rate": marginal_record(T0)}),
         obs(**READY_50, measurements=(measured("Error", value=None, at=T0 + MIN),)), now=T0 + MIN,
         rule="marginal at step end"),
    Case("marginal when an earlier step completes -> paused at its weight, no more traffic",
         spec(), at_step(0, analysis_started_at=T0 - 5 * MIN), obs(**READY_25, measurements=(
             measured("Successful", at=T0 + MIN, marginal=True),)), now=T0 + MIN, rule="marginal at step end",
         expect={"phase": Phase.PAUSED, "pause_reason": PauseReason.ANALYSIS_MARGINAL, "current_step_index": 0,
                 "canary_weight": 25},
         absent=(EnsureCanary("B", 2),), event=("Warning", "AnalysisMarginal"),
         says="not advanced to step 2: paused at weight 25%"),
    Case("marginal while a timed pause still runs -> the pause goes on",
         spec(), at_step(1, weight=25, analysis_started_at=T0 - 5 * MIN), obs(**READY_25, measurements=(
             measured("Successful", at=T0 + MIN, marginal=True),)), now=T0 + MIN, rule=None,
         expect={"phase": Phase.PROGRESSING, "current_step_index": 1}),
    Case("marginal when a timed pause ends -> held there",
         spec(), at_step(1, weight=25, analysis_started_at=T0 - 5 * MIN), obs(**READY_25, measurements=(
             measured("Successful", at=T0 + 3 * MIN, marginal=True),)), now=T0 + 3 * MIN, rule="marginal at step end",
         expect={"phase": Phase.PAUSED, "pause_reason": PauseReason.ANALYSIS_MARGINAL, "current_step_index": 1},
         says="`kubectl gray promote` goes on anyway"),
    Case("held at an earlier step, the canary clears -> resumes, and the step completes next",
         spec(), at_step(0, weight=25, analysis_started_at=T0 - 5 * MIN, phase=Phase.PAUSED, paused_at=T0,
                         pause_reason=PauseReason.ANALYSIS_MARGINAL, analysis={"error-rate": marginal_record(T0)}),
         obs(**READY_25, measurements=(measured("Successful", at=T0 + MIN),)), now=T0 + MIN,
         rule="marginal cleared", expect={"phase": Phase.PROGRESSING, "pause_reason": None, "current_step_index": 0},
         event=("Normal", "Resumed")),
    Case("held at an earlier step, promote -> the next step",
         spec(), at_step(0, weight=25, analysis_started_at=T0 - 5 * MIN, phase=Phase.PAUSED, paused_at=T0,
                         command=command("promote"), pause_reason=PauseReason.ANALYSIS_MARGINAL,
                         analysis={"error-rate": marginal_record(T0)}),
         obs(**READY_25), now=T0 + MIN, rule="promote", expect={"current_step_index": 1, "pause_reason": None}),
    Case("paused as marginal, the canary clears -> resumes by itself",
         spec(), at_step(5, analysis_started_at=T0 - 5 * MIN, phase=Phase.PAUSED, paused_at=T0,
                         pause_reason=PauseReason.ANALYSIS_MARGINAL, analysis={"error-rate": marginal_record(T0)}),
         obs(**READY_50, measurements=(measured("Successful", at=T0 + MIN),)), now=T0 + MIN,
         rule="marginal cleared", expect={"phase": Phase.PROGRESSING, "pause_reason": None},
         event=("Normal", "Resumed"), says="cleared"),
    Case("paused as marginal, still marginal -> stays paused",
         spec(), at_step(5, analysis_started_at=T0 - 5 * MIN, phase=Phase.PAUSED, paused_at=T0,
                         pause_reason=PauseReason.ANALYSIS_MARGINAL, analysis={"error-rate": marginal_record(T0)}),
         obs(**READY_50, measurements=(measured("Successful", at=T0 + MIN, marginal=True),)), now=T0 + MIN,
         rule=None, expect={"phase": Phase.PAUSED}),
    Case("paused as marginal, promote -> promotion",
         spec(), at_step(5, analysis_started_at=T0 - 5 * MIN, phase=Phase.PAUSED, paused_at=T0, command=command("promote"),
                         pause_reason=PauseReason.ANALYSIS_MARGINAL, analysis={"error-rate": marginal_record(T0)}),
         obs(**READY_50), now=T0 + MIN, rule="promote", expect={"current_step_index": 6, "pause_reason": None}),
]


def _contains_in_order(found: tuple, wanted: tuple) -> bool:
    it = iter(found)
    return all(any(_matches(a, w) for a in it) for w in wanted)


def _matches(action: object, wanted: object) -> bool:
    return isinstance(action, wanted) if isinstance(wanted, type) else action == wanted


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case) -> None:
    decision = decide(case.spec, case.status, case.obs, case.now)
    assert decision.rule == case.rule
    for name, value in case.expect.items():
        got = getattr(decision.status, name)
        got = got.model_dump() if hasattr(got, "model_dump") and isinstance(value, dict) else got
        if isinstance(value, dict) and isinstance(got, dict) and value and not hasattr(got, "model_dump"):
            got = {k: (v.model_dump() if hasattr(v, "model_dump") else v) for k, v in got.items()}
        assert got == value, f"status.{name}"
    assert _contains_in_order(decision.actions, case.actions), decision.actions
    for unwanted in case.absent:
        assert not any(_matches(a, unwanted) for a in decision.actions), decision.actions
    events = [a for a in decision.actions if isinstance(a, Emit)]
    assert len(events) <= 1
    if case.event:
        assert (events[0].type, events[0].reason) == case.event, events
    if case.says:
        assert events and case.says in events[0].message, events
