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

P99 = "histogram_quantile(0.99, sum by (le) (rate(latency_bucket{role='{{ side.role }}'}[2m])))"
LATENCY = {"name": "p99", "provider": {"prometheus": {"address": "http://p:9090"}}, "query": P99,
           "compare": {"kind": "latency"}}
ERRORS = {"name": "errors", "provider": {"prometheus": {"address": "http://p:9090"}},
          "query": "sum(rate(errors[2m])) / sum(rate(requests[2m]))", "compare": {"kind": "error-ratio"}}

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
    ("compare latency over rate(...[2m]): the canary's series still fill the window -> nothing",
     spec(metrics=[metric(), LATENCY]), at_step(1, analysis_started_at=T0), T0 + 119 * S, [BG]),
    ("compare latency: window filled -> due", spec(metrics=[metric(), LATENCY]), at_step(1, analysis_started_at=T0),
     T0 + 120 * S, [BG, MeasurementRequest("p99", "background")]),
    ("compare error ratio: ratios of rates fill alike -> due at once", spec(metrics=[metric(), ERRORS]),
     at_step(1, analysis_started_at=T0), T0, [BG, MeasurementRequest("errors", "background")]),
    ("a longer initialDelay wins over the window", spec(metrics=[metric(), LATENCY], initialDelay="3m"),
     at_step(1, analysis_started_at=T0), T0 + 150 * S, []),
]


@pytest.mark.parametrize(("spec_", "status", "now", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_due(spec_, status, now, expected) -> None:
    assert due_measurements(spec_, status, now) == expected
