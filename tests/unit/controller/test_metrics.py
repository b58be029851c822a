"""Operator metrics derived from status transitions: what a reconcile changed becomes samples."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import prometheus_client
import pytest

from grayrelease import kube
from grayrelease.analysis import prometheus as _query_histogram  # noqa: F401 - registers its histogram
from grayrelease.api.status import GrayReleaseStatus
from grayrelease.controller import metrics
from grayrelease.engine.observations import DeploymentObservation
from grayrelease.engine import actions as act

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
KEY = ("shop", "checkout")
LABELS = {"namespace": "shop", "name": "checkout"}


def sample(metric: str, /, **labels: str) -> float | None:
    return prometheus_client.REGISTRY.get_sample_value(metric, labels)


def status(**fields: Any) -> GrayReleaseStatus:
    return GrayReleaseStatus.model_validate(fields)


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    metrics.forget(KEY)
    yield
    metrics.forget(KEY)


def measurement(value: float, phase: str, at: datetime) -> dict[str, Any]:
    return {"value": value, "phase": phase, "time": at.isoformat()}


def test_phase_is_a_state_set_with_weight_and_step() -> None:
    metrics.release_state(KEY, status(phase="Progressing", canaryWeight=25, currentStepIndex=2))
    assert sample("grayrelease_release_phase", **LABELS, phase="Progressing") == 1
    assert sample("grayrelease_release_phase", **LABELS, phase="Paused") == 0
    assert sample("grayrelease_release_canary_weight_ratio", **LABELS) == 0.25
    assert sample("grayrelease_release_current_step", **LABELS) == 2
    metrics.release_state(KEY, status(phase="Paused", canaryWeight=25, currentStepIndex=2))
    assert sample("grayrelease_release_phase", **LABELS, phase="Progressing") == 0
    assert sample("grayrelease_release_phase", **LABELS, phase="Paused") == 1


def test_ready_pods_per_side() -> None:
    metrics.ready_pods(KEY, DeploymentObservation("a", 10, 10, 10, 10, True), DeploymentObservation("b", 2, 1, 1, 2, False))
    assert sample("grayrelease_release_ready_pods", **LABELS, role="stable") == 10
    assert sample("grayrelease_release_ready_pods", **LABELS, role="canary") == 1
    metrics.ready_pods(KEY, DeploymentObservation("a", 10, 10, 10, 10, True), None)  # the canary scaled away
    assert sample("grayrelease_release_ready_pods", **LABELS, role="canary") == 0


def test_canary_restarts_are_a_gauge_forgotten_with_the_release() -> None:
    metrics.canary_restarts(KEY, 4)
    assert sample("grayrelease_release_canary_restarts", **LABELS) == 4
    metrics.canary_restarts(KEY, 0)  # a new release's fresh pods
    assert sample("grayrelease_release_canary_restarts", **LABELS) == 0
    metrics.forget(KEY)
    assert sample("grayrelease_release_canary_restarts", **LABELS) is None


def test_a_completed_step_observes_its_duration() -> None:
    started = NOW - timedelta(seconds=42)
    before = status(phase="Progressing", currentStepIndex=1, releaseStartedAt=started - timedelta(minutes=5),
                    stepStartedAt=started)
    after = status(phase="Progressing", currentStepIndex=2, releaseStartedAt=started - timedelta(minutes=5),
                   stepStartedAt=NOW)
    metrics.reconciled(KEY, before, after, [], NOW)
    assert sample("grayrelease_step_duration_seconds_count", **LABELS) == 1
    assert sample("grayrelease_step_duration_seconds_sum", **LABELS) == 42
    metrics.reconciled(KEY, after, after, [], NOW)  # nothing changed: nothing observed
    assert sample("grayrelease_step_duration_seconds_count", **LABELS) == 1


def test_a_new_release_is_not_a_completed_step() -> None:
    before = status(phase="Progressing", currentStepIndex=0, releaseStartedAt=NOW - timedelta(minutes=5),
                    stepStartedAt=NOW - timedelta(minutes=1))
    after = status(phase="Progressing", currentStepIndex=1, releaseStartedAt=NOW, stepStartedAt=NOW)
    metrics.reconciled(KEY, before, after, [], NOW)
    assert sample("grayrelease_step_duration_seconds_count", **LABELS) is None


@pytest.mark.parametrize(("before_phase", "after_phase", "observed"), [
    ("Progressing", "Succeeded", True),
    ("Paused", "RolledBack", True),
    ("Progressing", "Aborted", True),
    ("Progressing", "Paused", False),
    ("Succeeded", "Succeeded", False),
    ("Pending", "Succeeded", False),  # the first install is not a release
], ids=lambda v: str(v))
def test_release_duration_is_observed_when_a_release_ends(before_phase: str, after_phase: str, observed: bool) -> None:
    started = NOW - timedelta(seconds=600)
    metrics.reconciled(KEY, status(phase=before_phase, releaseStartedAt=started),
                       status(phase=after_phase, releaseStartedAt=started), [], NOW)
    count = sample("grayrelease_release_duration_seconds_count", **LABELS, result=after_phase)
    assert (count == 1) is observed
    if observed:
        assert sample("grayrelease_release_duration_seconds_sum", **LABELS, result=after_phase) == 600


def test_only_new_measurements_are_counted_by_verdict() -> None:
    t1, t2, t3 = NOW - timedelta(seconds=20), NOW - timedelta(seconds=10), NOW
    before = status(phase="Progressing", analysis={"error-rate": {
        "phase": "Successful", "lastValue": 0.01, "lastMeasuredAt": t1.isoformat(),
        "measurements": [measurement(0.01, "Successful", t1)]}})
    after = status(phase="Progressing", analysis={"error-rate": {
        "phase": "Failed", "lastValue": 0.2, "lastMeasuredAt": t3.isoformat(),
        "measurements": [measurement(0.01, "Successful", t1), measurement(0.03, "Inconclusive", t2),
                         measurement(0.2, "Failed", t3)]}})
    labels = {**LABELS, "metric": "error-rate"}
    metrics.reconciled(KEY, before, after, [], NOW)
    assert sample("grayrelease_analysis_measurements_total", **labels, phase="Successful") is None
    assert sample("grayrelease_analysis_measurements_total", **labels, phase="Inconclusive") == 1
    assert sample("grayrelease_analysis_measurements_total", **labels, phase="Failed") == 1
    assert sample("grayrelease_analysis_metric_value", **labels) == 0.2


def test_a_compare_metric_exports_the_stable_side_beside_the_canary() -> None:
    """Only a stable value of the latest measurement: one left from an earlier look is no current value."""
    t1, t2 = NOW - timedelta(seconds=10), NOW
    judged = {"latency": {"phase": "Successful", "lastValue": 0.3, "lastMeasuredAt": t1.isoformat(),
                          "measurements": [{**measurement(0.3, "Successful", t1), "stableValue": 0.25}]},
              "errors": {"phase": "Successful", "lastValue": 0.01, "lastMeasuredAt": t1.isoformat(),
                         "measurements": [measurement(0.01, "Successful", t1)]}}
    metrics.reconciled(KEY, status(), status(phase="Progressing", analysis=judged), [], NOW)
    assert sample("grayrelease_analysis_stable_value", **LABELS, metric="latency") == 0.25
    assert sample("grayrelease_analysis_metric_value", **LABELS, metric="latency") == 0.3
    assert sample("grayrelease_analysis_stable_value", **LABELS, metric="errors") is None  # no compare: no stable side
    errored = {"latency": {**judged["latency"], "lastValue": 0.3, "lastMeasuredAt": t2.isoformat(), "measurements": [
        *judged["latency"]["measurements"], {**measurement(0.3, "Error", t2), "stableValue": None}]}}
    metrics.reconciled(KEY, status(), status(phase="Progressing", analysis=errored), [], NOW)
    assert sample("grayrelease_analysis_stable_value", **LABELS, metric="latency") == 0.25  # kept, not overwritten


def test_decisions_are_counted_by_kind_and_reason() -> None:
    before = sample("grayrelease_decisions_total", kind="rollback", reason="RolledBack") or 0
    promoted = sample("grayrelease_decisions_total", kind="promote", reason="Promoted") or 0
    actions = [act.SetWeight(canary_weight=0), act.Emit(type="Warning", reason="RolledBack", message="m")]
    metrics.reconciled(KEY, status(), status(), actions, NOW)
    assert sample("grayrelease_decisions_total", kind="rollback", reason="RolledBack") == before + 1
    assert (sample("grayrelease_decisions_total", kind="promote", reason="Promoted") or 0) == promoted


def test_forget_removes_every_series_of_a_release() -> None:
    started = NOW - timedelta(seconds=60)
    metrics.reconciled(KEY, status(phase="Progressing", releaseStartedAt=started),
                       status(phase="Succeeded", releaseStartedAt=started, canaryWeight=0), [], NOW)
    assert sample("grayrelease_release_phase", **LABELS, phase="Succeeded") == 1
    metrics.forget(KEY)
    text = prometheus_client.generate_latest().decode()
    assert 'name="checkout"' not in text


def test_losing_the_lease_drops_release_series() -> None:
    metrics.release_state(KEY, status(phase="Progressing"))
    metrics.leading(False)
    assert sample("grayrelease_leader") == 0
    assert sample("grayrelease_release_phase", **LABELS, phase="Progressing") is None


def test_api_calls_are_exposed_as_a_counter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(kube.API_CALLS, "PATCH", 7)
    assert sample("grayrelease_kubernetes_api_requests_total", method="PATCH") == 7


def test_names_follow_prometheus_conventions() -> None:
    names = {m.name for m in prometheus_client.REGISTRY.collect() if m.name.startswith("grayrelease_")}
    for metric in prometheus_client.REGISTRY.collect():
        if metric.name.startswith("grayrelease_") and metric.type == "histogram":
            assert metric.name.endswith("_seconds"), metric.name
    assert {"grayrelease_build", "grayrelease_release_phase", "grayrelease_decisions",
            "grayrelease_reconcile_duration_seconds", "grayrelease_prometheus_query_duration_seconds"} <= names


def test_the_query_window_warnings_are_counted_as_advice() -> None:
    before = sample("grayrelease_decisions_total", kind="advice", reason="LongQueryWindow") or 0
    actions = [act.Emit(type="Warning", reason="LongQueryWindow", message="m"),
               act.Emit(type="Normal", reason="ReleaseStarted", message="m")]
    metrics.reconciled(KEY, status(), status(), actions, NOW)
    assert sample("grayrelease_decisions_total", kind="advice", reason="LongQueryWindow") == before + 1
    assert sample("grayrelease_decisions_total", kind="other", reason="LongQueryWindow") is None
