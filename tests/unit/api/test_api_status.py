"""Status survives the trip through the API server: model -> JSON -> model."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from grayrelease.api.conditions import set_condition
from grayrelease.api.status import (
    Command, CommandAction, CompareHistory, Condition, GrayReleaseStatus, InspectionStatus, MeasurementPhase,
    MeasurementRecord, MetricStatus, Phase, PauseReason,
)

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
T1 = datetime(2025, 1, 1, 12, 5, tzinfo=UTC)


def test_round_trip_through_json() -> None:
    status = GrayReleaseStatus(
        phase=Phase.PAUSED, observed_generation=3, current_step_index=2, canary_weight=25,
        stable_revision="7c9f", canary_revision="5d2a", release_started_at=T0, step_started_at=T1,
        paused_at=T1, pause_reason=PauseReason.ANALYSIS_INCONCLUSIVE,
        conditions=[Condition(type="Paused", status="True", reason="AnalysisInconclusive", last_transition_time=T1)],
        analysis={"latency": MetricStatus(
            phase="Inconclusive", last_value=None, last_measured_at=T1, successes=2, inconclusives=1,
            measurements=[MeasurementRecord(value=0.2, stable_value=0.19, phase=MeasurementPhase.SUCCESSFUL, time=T0)],
            history=CompareHistory(stable=[0.19], canary=[0.2]),
        )},
        inspection=InspectionStatus(step=3, name="3-abcd", phase="Running"),
        command=Command(action=CommandAction.PROMOTE, requested_at=T1, requested_by="alice"),
        message="step 3/7: paused",
    )
    wire = json.loads(json.dumps(status.to_dict()))
    assert wire["command"] == {"action": "promote", "requestedAt": "2025-01-01T12:05:00Z", "requestedBy": "alice"}
    assert "lastHandledCommand" not in wire  # unset fields are left out, not written as null
    assert GrayReleaseStatus.from_dict(wire) == status


def test_empty_status_reads_as_pending() -> None:
    assert GrayReleaseStatus.from_dict(None).phase is Phase.PENDING


def test_condition_transition_time_moves_only_on_status_change() -> None:
    first = set_condition([], type_="Paused", status="True", reason="PauseStep", message="a", now=T0, generation=1)
    same = set_condition(first, type_="Paused", status="True", reason="PauseStep", message="b", now=T1, generation=1)
    flipped = set_condition(same, type_="Paused", status="False", reason="Resumed", message="", now=T1, generation=1)
    assert same[0].last_transition_time == T0 and same[0].message == "b"
    assert flipped[0].last_transition_time == T1 and len(flipped) == 1
