"""Which metrics are due: the controller queries Prometheus only for these."""

from __future__ import annotations

from datetime import timedelta

import pytest
from builders import T0, at_step, counted, gate, metric, spec

from grayrelease.api.status import GateCounters, GrayReleaseStatus, Phase
from grayrelease.engine import MeasurementRequest, due_measurements

S = timedelta(seconds=1)
BG = MeasurementRequest("error-rate", "background")
STEP = MeasurementRequest("error-rate", "step")

CASES = [
    ("no release -> nothing", spec(), GrayReleaseStatus(phase=Phase.SUCCEEDED, stable_revision="A"), T0, []),
    ("canary without weight yet -> nothing", spec(), at_step(0), T0, []),
    ("canary weighted, never measured -> background due", spec(), at_step(1, analysis_started_at=T0), T0, [BG]),
    ("within initialDelay -> nothing", spec(initialDelay="1m"), at_step(1, analysis_started_at=T0), T0 + 59 * S, []),
    ("initialDelay over -> background due", spec(initialDelay="1m"), at_step(1, analysis_started_at=T0), T0 + 60 * S, [BG]),
    ("measured 10s ago, interval 30s -> nothing", spec(),
     at_step(1, analysis_started_at=T0, analysis={"error-rate": counted(last=T0)}), T0 + 10 * S, []),
    ("interval over -> background due", spec(),
     at_step(1, analysis_started_at=T0, analysis={"error-rate": counted(last=T0)}), T0 + 30 * S, [BG]),
    ("per-metric interval wins", spec(metrics=[metric(interval="5s")]),
     at_step(1, analysis_started_at=T0, analysis={"error-rate": counted(last=T0)}), T0 + 5 * S, [BG]),
    ("background: false -> not measured outside analysis steps", spec(metrics=[metric(background=False)]),
     at_step(1, analysis_started_at=T0), T0, []),
    ("analysis step starts -> due at once, even before weight", spec(), at_step(2), T0, [STEP]),
    ("analysis step: within its interval -> nothing", spec(),
     at_step(2, step_analysis=gate(**{"error-rate": GateCounters(successes=1, last_measured_at=T0)})), T0 + 10 * S, []),
    ("analysis step: count reached -> only background remains", spec(),
     at_step(2, analysis_started_at=T0, step_analysis=gate(**{"error-rate": GateCounters(successes=2, last_measured_at=T0)}),
             analysis={"error-rate": counted(last=T0)}), T0 + 30 * S, [BG]),
    ("rolled back -> nothing", spec(), at_step(1, phase=Phase.ROLLED_BACK, analysis_started_at=T0), T0, []),
    ("paused -> still measured (failures still roll back)", spec(),
     at_step(4, analysis_started_at=T0), T0, [BG]),
]


@pytest.mark.parametrize(("spec_", "status", "now", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_due(spec_, status, now, expected) -> None:
    assert due_measurements(spec_, status, now) == expected
