"""Properties every decision keeps: pure, deterministic, measurements and commands counted once."""

from __future__ import annotations

from datetime import timedelta

from builders import T0, at_step, command, dep, measured, obs, spec

from grayrelease.engine import decide

READY = dict(stable=dep("A", 3), canary=dep("B", 1))


def test_input_status_is_never_mutated() -> None:
    status = at_step(1, analysis_started_at=T0, command=command("pause"))
    before = status.model_dump()
    decide(spec(), status, obs(**READY, measurements=(measured("Failed", at=T0),)), T0)
    assert status.model_dump() == before


def test_same_input_same_decision() -> None:
    args = (spec(), at_step(2), obs(**READY, measurements=(measured("Successful", at=T0),)), T0)
    assert decide(*args) == decide(*args)


def test_a_measurement_counts_once_when_decided_again() -> None:
    observations = obs(**READY, measurements=(measured("Successful", at=T0 + timedelta(seconds=1)),))
    first = decide(spec(), at_step(2), observations, T0 + timedelta(seconds=1))
    second = decide(spec(), first.status, observations, T0 + timedelta(seconds=2))
    assert first.status.step_analysis.metrics["error-rate"].successes == 1
    assert second.status.step_analysis == first.status.step_analysis
    assert second.rule is None


def test_measurements_bounded() -> None:
    status = at_step(1, analysis_started_at=T0)
    for i in range(25):
        at = T0 + timedelta(seconds=30 * (i + 1))
        status = decide(spec(), status, obs(**READY, measurements=(measured("Successful", at=at),)), at).status
    record = status.analysis["error-rate"]
    assert record.successes == 25 and len(record.measurements) == 10
    assert record.measurements[-1].time == T0 + timedelta(seconds=750)
