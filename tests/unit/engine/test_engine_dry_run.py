"""A dry-run metric is measured, judged and announced, and decides nothing."""

from __future__ import annotations

from datetime import timedelta

from builders import T0, at_step, counted, dep, gate, measured, metric, obs, spec

from grayrelease.api.status import GateCounters, MetricPhase, MetricStatus
from grayrelease.engine import decide
from grayrelease.engine.actions import Emit

MIN = timedelta(minutes=1)
READY_25 = dict(stable=dep("A", 3), canary=dep("B", 1))
STEPS = [{"setWeight": 25}, {"pause": {"duration": "10m"}}, {"analysis": {"metrics": ["error-rate", "judge"], "count": 2}},
         {"setWeight": 50}]
SPEC = spec(steps=STEPS, metrics=[metric(), metric("judge", dryRun=True)])


def _events(decision) -> list[Emit]:
    return [a for a in decision.actions if isinstance(a, Emit)]


def _pausing(at: int = 1, **analysis: MetricStatus):
    return at_step(at, analysis_started_at=T0 - 5 * MIN, analysis=analysis)


def test_a_failing_dry_run_metric_is_announced_once_and_fails_nothing() -> None:
    failed = measured("Failed", value=0.2, at=T0 + MIN, name="judge")
    first = decide(SPEC, _pausing(), obs(**READY_25, measurements=(failed,)), T0 + MIN)
    assert first.rule is None  # no rollback, no pause: the release goes on
    record = first.status.analysis["judge"]
    assert record.phase is MetricPhase.FAILED and record.failures == 1  # recorded for people, as any metric
    [event] = _events(first)
    assert (event.type, event.reason) == ("Warning", "AnalysisDryRunFailed")
    assert "dry-run metric judge would have failed the release: value 0.2" in event.message

    again = decide(SPEC, first.status, obs(**READY_25, measurements=(measured("Failed", value=0.3, at=T0 + 2 * MIN, name="judge"),)),
                   T0 + 2 * MIN)
    assert again.rule is None and again.status.analysis["judge"].failures == 2 and _events(again) == []

    passed = decide(SPEC, again.status, obs(**READY_25, measurements=(measured("Successful", at=T0 + 3 * MIN, name="judge"),)),
                    T0 + 3 * MIN)
    failing = decide(SPEC, passed.status, obs(**READY_25, measurements=(measured("Failed", value=0.4, at=T0 + 4 * MIN, name="judge"),)),
                     T0 + 4 * MIN)
    assert [e.reason for e in _events(failing)] == ["AnalysisDryRunFailed"]  # failing again is said again


def test_the_same_failure_on_a_metric_that_is_not_dry_run_rolls_back() -> None:
    live = spec(steps=STEPS, metrics=[metric(), metric("judge")])
    decision = decide(live, _pausing(), obs(**READY_25, measurements=(measured("Failed", value=0.2, at=T0 + MIN, name="judge"),)),
                      T0 + MIN)
    assert decision.rule == "analysis failed"


def test_no_data_and_marginal_verdicts_of_a_dry_run_metric_hold_nothing() -> None:
    stuck = counted(inconclusives=5, errors=9, last=T0)
    marginal = MetricStatus(phase="Successful", successes=3, last_measured_at=T0, last_value=0.02, marginal=True)
    for record in (stuck, marginal):
        status = at_step(1, started=T0 - 11 * MIN, analysis_started_at=T0 - 20 * MIN, analysis={"judge": record})
        decision = decide(SPEC, status, obs(**READY_25), T0)
        assert decision.rule == "step complete", record  # the pause step ends as if the metric were not there


def test_an_analysis_step_is_gated_by_its_other_metrics() -> None:
    status = at_step(2, analysis_started_at=T0 - 20 * MIN, step_analysis=gate(
        **{"error-rate": GateCounters(successes=1, last_measured_at=T0), "judge": GateCounters(failures=3, last_measured_at=T0)}))
    decision = decide(SPEC, status, obs(**READY_25, measurements=(measured("Successful", at=T0 + MIN),)), T0 + MIN)
    assert decision.rule == "step complete" and decision.status.current_step_index == 3
    [event] = _events(decision)
    assert "error-rate 2/2 successful" in event.message and "judge (dry run) 0 successful, 3 failed" in event.message


def test_turning_dry_run_off_does_not_fail_the_release_on_what_it_counted() -> None:
    failed = decide(SPEC, _pausing(), obs(**READY_25, measurements=(measured("Failed", value=0.2, at=T0 + MIN, name="judge"),)),
                    T0 + MIN)
    assert failed.status.analysis["judge"].failures == 1 and failed.status.analysis["judge"].dry_run is True
    live = spec(steps=STEPS, metrics=[metric(), metric("judge")])  # dryRun taken out of the spec mid-release
    assert decide(live, failed.status, obs(**READY_25), T0 + 2 * MIN).rule is None  # the dry run's failure counts for nothing
    passed = decide(live, failed.status, obs(**READY_25, measurements=(measured("Successful", at=T0 + 2 * MIN, name="judge"),)),
                    T0 + 2 * MIN)
    record = passed.status.analysis["judge"]
    assert (record.dry_run, record.successes, record.failures) == (False, 1, 0)  # counted afresh, live
    failing = decide(live, passed.status, obs(**READY_25, measurements=(measured("Failed", value=0.3, at=T0 + 3 * MIN, name="judge"),)),
                     T0 + 3 * MIN)
    assert failing.rule == "analysis failed"


def test_a_query_error_between_two_failures_is_no_new_turn() -> None:
    first = decide(SPEC, _pausing(), obs(**READY_25, measurements=(measured("Failed", value=0.2, at=T0 + MIN, name="judge"),)),
                   T0 + MIN)
    error = decide(SPEC, first.status, obs(**READY_25, measurements=(measured("Error", value=None, at=T0 + 2 * MIN, name="judge"),)),
                   T0 + 2 * MIN)
    again = decide(SPEC, error.status, obs(**READY_25, measurements=(measured("Failed", value=0.2, at=T0 + 3 * MIN, name="judge"),)),
                   T0 + 3 * MIN)
    assert [len(_events(d)) for d in (first, error, again)] == [1, 0, 0]
