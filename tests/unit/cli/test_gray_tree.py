"""The ``kubectl gray get`` tree and ``list`` table, rendered from captured status dicts."""

from __future__ import annotations

import copy
import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from captured import NOW, PAUSED_STATUS, deployment, release_object

from grayrelease.cli import gray_table
from grayrelease.cli.gray_resource import Release, Workload, parse_release
from grayrelease.cli.gray_text import Painter
from grayrelease.cli.gray_tree import render
from grayrelease.workloads import pods


def _release(status: dict[str, Any] | None, **kwargs: Any) -> Release:
    raw = release_object(status, **kwargs)
    return Release(
        raw=raw, model=parse_release(raw),
        stable=Workload.from_deployment(deployment("stable", "7c9f12ab34", "example.com/checkout:1", 3, 3)),
        canary=Workload.from_deployment(deployment("canary", "5d2a99ee01", "example.com/checkout:2", 1, 0)),
    )


def _section(text: str, title: str) -> list[str]:
    block = next(b for b in text.split("\n\n") if b.startswith(title))
    return block.splitlines()[1:]


def test_paused_release_shows_where_it_stands(paused_status: dict[str, Any]) -> None:
    text = render(_release(paused_status), NOW)
    assert "Phase:          ॥ Paused (PauseStep)" in text
    assert "Step:           2/5" in text
    assert "Revisions:      stable 7c9f12ab34, canary 5d2a99ee01" in text
    assert "Message:        step 2/5 (pause): waiting for kubectl gray promote" in text
    assert "Last command:   pause by bob 6m ago" in text


def test_steps_carry_a_marker_at_the_current_one(paused_status: dict[str, Any]) -> None:
    steps = _section(render(_release(paused_status), NOW), "Steps:")
    assert [line.split()[0] for line in steps] == ["✔", "॥", "○", "○", "○"]
    assert steps[1].endswith("pause (until promoted)  ← current")
    assert [line for line in steps if "current" in line] == [steps[1]]
    assert steps[2].split()[2:] == ["analysis", "error-rate", "×3"]


def test_the_current_analysis_step_shows_how_far_it_has_come(paused_status: dict[str, Any]) -> None:
    """The step's own counts: the Analysis table's OK column counts the release from the end of
    initialDelay, and trails a step measured before then."""
    status = {**paused_status, "phase": "Progressing", "currentStepIndex": 2,
              "stepAnalysis": {"step": 2, "metrics": {"error-rate": {"successes": 1}}}}
    status.pop("pauseReason")
    steps = _section(render(_release(status), NOW), "Steps:")
    assert steps[2].endswith("analysis error-rate ×3  ← current  error-rate 1/3"), steps
    status["stepAnalysis"] = {"step": 1, "metrics": {"error-rate": {"successes": 2}}}  # an earlier step's counts
    assert _section(render(_release(status), NOW), "Steps:")[2].endswith("← current"), status


@pytest.mark.parametrize(("phase", "index", "markers"), [
    ("Progressing", 3, ["✔", "✔", "✔", "▶", "○"]),
    ("RolledBack", 2, ["✔", "✔", "✖", "○", "○"]),
    ("Aborted", 0, ["✖", "○", "○", "○", "○"]),
], ids=["progressing at step 4", "rolled back at the analysis", "aborted at the first step"])
def test_step_markers_follow_the_phase(paused_status: dict[str, Any], phase: str, index: int,
                                       markers: list[str]) -> None:
    status = {**paused_status, "phase": phase, "currentStepIndex": index}
    status.pop("pauseReason")
    steps = _section(render(_release(status), NOW), "Steps:")
    assert [line.split()[0] for line in steps] == markers


def test_succeeded_release_has_every_step_done() -> None:
    status = {"phase": "Succeeded", "stableRevision": "5d2a99ee01", "canaryRevision": "5d2a99ee01",
              "currentStepIndex": 5, "canaryWeight": 0}
    text = render(_release(status), NOW)
    assert [line.split()[0] for line in _section(text, "Steps:")] == ["✔"] * 5
    assert "current" not in text
    assert "Revisions:      stable 5d2a99ee01\n" in text


def test_workloads_show_ready_over_desired_and_revision(paused_status: dict[str, Any]) -> None:
    rows = [line.split() for line in _section(render(_release(paused_status), NOW), "Workloads:")]
    assert rows[0] == ["NAME", "ROLE", "REVISION", "READY", "UP-TO-DATE", "IMAGES"]
    assert rows[1] == ["checkout-stable", "stable", "7c9f12ab34", "3/3", "3", "example.com/checkout:1"]
    assert rows[2] == ["checkout-canary", "canary", "5d2a99ee01", "0/1", "1", "example.com/checkout:2"]


def test_the_canary_pods_trouble_shows_under_the_workloads_before_it_fails_anything(
        paused_status: dict[str, Any]) -> None:
    def pod(name: str, container: dict[str, Any], **status: Any) -> dict[str, Any]:
        return {"metadata": {"name": name, "creationTimestamp": (NOW - timedelta(seconds=45)).isoformat(),
                             "labels": {"grayrelease.io/revision": "5d2a99ee01"}},
                "status": {"phase": "Running", "containerStatuses": [container], **status}}

    crashing = {"name": "app", "restartCount": 2, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"reason": "Error", "exitCode": 1}}}
    pulling = {"name": "app", "restartCount": 0, "state": {"waiting": {
        "reason": "ImagePullBackOff", "message": 'Back-off pulling image "example.com/checkout:2"'}}}
    listed = [pod("checkout-canary-a", crashing), pod("checkout-canary-b", pulling, phase="Pending"),
              pod("checkout-canary-c", {"name": "app"}, phase="Failed", reason="Evicted"),
              pod("checkout-canary-d", {"name": "app"}, phase="Pending", conditions=[{
                  "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                  "lastTransitionTime": (NOW - timedelta(seconds=30)).isoformat(),
                  "message": "0/3 nodes are available: 3 Insufficient cpu."}]),
              {**pod("checkout-canary-old", crashing), "metadata": {"name": "old", "labels": {}}}]  # another revision
    release = dataclasses.replace(_release(paused_status), canary_trouble=pods.canary_trouble(listed, "5d2a99ee01"))
    lines = _section(render(release, NOW), "Workloads:")[3:]
    assert lines == [
        "  ⚠ checkout-canary-a/app  restarts 2 of canaryRestartLimit 3  (CrashLoopBackOff; last Error, exit code 1)",
        "  ⚠ evicted pods 1 of canaryRestartLimit 3: checkout-canary-c",
        '  ⚠ checkout-canary-b/app  ImagePullBackOff, pod up 45s  (Back-off pulling image "example.com/checkout:2")',
        "  ⚠ checkout-canary-d  Unschedulable for 30s  (0/3 nodes are available: 3 Insufficient cpu.)",
    ]
    assert len(_section(render(_release(paused_status), NOW), "Workloads:")) == 3  # nothing wrong: nothing more


def test_a_release_against_a_baseline_shows_it_beside_stable_and_canary(paused_status: dict[str, Any]) -> None:
    raw = release_object(paused_status)
    raw["spec"]["analysis"]["metrics"][1].update(query='p99{role="{{ side.role }}"}', compare={"against": "baseline"})
    raw["status"]["analysis"]["latency"]["measurements"] = [
        {"value": 0.31, "stableValue": 0.3, "phase": "Successful", "time": "2025-03-01T12:09:50Z"}]
    plain = render(_release(paused_status), NOW)
    assert "checkout-baseline" not in plain
    release = Release(raw=raw, model=parse_release(raw), stable=_release(paused_status).stable,
                      canary=_release(paused_status).canary,
                      baseline=Workload.from_deployment(deployment("baseline", "7c9f12ab34", "example.com/checkout:1", 1, 1)))
    text = render(release, NOW)
    rows = [line.split() for line in _section(text, "Workloads:")]
    assert rows[3] == ["checkout-baseline", "baseline", "7c9f12ab34", "1/1", "1", "example.com/checkout:1"]
    assert "(baseline 0.3)" in text


def test_missing_deployments_read_as_absent(paused_status: dict[str, Any]) -> None:
    raw = release_object(paused_status)
    text = render(Release(raw=raw, model=parse_release(raw)), NOW)
    assert "checkout-canary  canary  -         absent" in text


def test_analysis_lists_every_metric_with_its_last_value(paused_status: dict[str, Any]) -> None:
    rows = _section(render(_release(paused_status), NOW), "Analysis:")
    assert rows[1].split() == ["error-rate", "✔", "Successful", "0.0023", "9", "0", "0", "0", "20s", "ago"]
    assert rows[2].split() == ["latency", "?", "Inconclusive", "-", "3", "0", "1", "0", "10s", "ago"]
    assert rows[3].strip() == "latency: query returned no series"


def test_compare_metrics_show_the_stable_value_too(paused_status: dict[str, Any]) -> None:
    paused_status["analysis"]["latency"] = {
        "phase": "Failed", "lastValue": 0.41, "failures": 1, "lastMeasuredAt": "2025-03-01T12:09:00Z",
        "measurements": [{"value": 0.41, "stableValue": 0.2, "phase": "Failed", "time": "2025-03-01T12:09:00Z",
                          "message": "canary 105% slower than stable"}],
    }
    text = render(_release(paused_status), NOW)
    assert "latency     ✖ Failed      0.41 (stable 0.2)" in text
    assert "latency: canary 105% slower than stable" in text


def test_metric_not_measured_yet_is_pending(paused_status: dict[str, Any]) -> None:
    del paused_status["analysis"]["latency"]
    assert _section(render(_release(paused_status), NOW), "Analysis:")[2].split()[:3] == ["latency", "◌", "Pending"]


def test_running_inspection_is_shown(paused_status: dict[str, Any]) -> None:
    assert _section(render(_release(paused_status), NOW), "Inspection:") == [
        "  step 2  smoke-1-5d2a  ⟳ Running  job started",
    ]


def test_warnings_list_failing_conditions_but_not_expected_pauses(paused_status: dict[str, Any]) -> None:
    paused_status["conditions"].append({
        "type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
        "message": "canary not ready after 600s", "lastTransitionTime": "2025-03-01T12:09:00Z",
    })
    warnings = _section(render(_release(paused_status), NOW), "Warnings:")
    assert [line.split()[1:3] for line in warnings] == [
        ["Progressing", "ProgressDeadlineExceeded"],  # newest first
        ["AnalysisPassing", "AnalysisInconclusive"],
    ]


def test_pending_command_is_shown_as_not_handled(paused_status: dict[str, Any]) -> None:
    paused_status["command"] = {"action": "promote", "requestedAt": "2025-03-01T12:09:55Z", "requestedBy": "alice"}
    assert "Command:        promote requested by alice 5s ago, not handled yet" in render(_release(paused_status), NOW)


def test_status_written_by_a_newer_operator_still_renders(paused_status: dict[str, Any]) -> None:
    paused_status["futureField"] = {"x": 1}
    paused_status["analysis"]["error-rate"]["newCounter"] = 3
    paused_status["phase"] = "Hibernating"
    text = render(_release(paused_status), NOW)
    assert "Phase:          • Hibernating" in text
    assert "error-rate  ✔ Successful    0.0023" in text


def test_status_not_written_yet_reads_as_pending() -> None:
    text = render(_release(None), NOW)
    assert "Phase:          ◌ Pending" in text
    assert [line.split()[0] for line in _section(text, "Steps:")] == ["○"] * 5


def test_colour_only_when_asked(paused_status: dict[str, Any]) -> None:
    assert "\x1b[" not in render(_release(paused_status), NOW)
    assert "\x1b[33m॥ Paused\x1b[0m" in render(_release(paused_status), NOW, Painter(True))


def test_list_table_sums_ready_pods_per_release(paused_status: dict[str, Any]) -> None:
    items = [release_object(paused_status), release_object(None)]
    items[1]["metadata"] = {**items[1]["metadata"], "name": "payments", "namespace": "pay"}
    deployments = [deployment("stable", "7c9f12ab34", "i:1", 3, 3), deployment("canary", "5d2a99ee01", "i:2", 1, 1)]
    lines = gray_table.render(items, deployments, NOW, all_namespaces=True, wide=True).splitlines()
    assert lines[0].split() == ["NAMESPACE", "NAME", "PHASE", "STEP", "WEIGHT", "READY", "STABLE", "CANARY", "AGE",
                                "MESSAGE"]
    assert lines[1].split()[:10] == ["pay", "payments", "◌", "Pending", "-", "0%", "0/4", "-", "-", "70m"]
    assert lines[2].split()[:10] == ["shop", "checkout", "॥", "Paused", "2/5", "25%", "4/4", "7c9f12ab34",
                                     "5d2a99ee01", "70m"]


def test_a_dry_run_metric_says_so(paused_status: dict[str, Any]) -> None:
    """A failed dry-run metric is shown as failed, and as one that decides nothing."""
    from captured import SPEC

    spec = copy.deepcopy(SPEC)
    next(m for m in spec["analysis"]["metrics"] if m["name"] == "latency")["dryRun"] = True
    rows = _section(render(_release(paused_status, spec=spec), NOW), "Analysis:")
    assert rows[1].split()[0] == "error-rate"
    assert rows[2].split()[:4] == ["latency", "(dry", "run)", "?"]


def _passing_latency_rows(status: dict[str, Any], **latency: Any) -> list[str]:
    """The Analysis section where the latency metric (``latency`` merged into its spec) passed its last look."""
    from captured import SPEC

    spec = copy.deepcopy(SPEC)
    metric = next(m for m in spec["analysis"]["metrics"] if m["name"] == "latency")
    metric.update({k: v for k, v in latency.items() if k != "kind"})
    metric["compare"].update({"kind": latency["kind"]} if "kind" in latency else {})
    status["analysis"]["latency"] = {
        "phase": "Successful", "lastValue": 0.2, "successes": 4, "lastMeasuredAt": "2025-03-01T12:09:50Z",
        "measurements": [{"value": 0.2, "stableValue": 0.2, "phase": "Successful", "time": "2025-03-01T12:09:50Z",
                          "message": "Pass: no significant degradation"}],
    }
    return _section(render(_release(status, spec=spec), NOW), "Analysis:")


def test_a_passing_metric_read_over_a_long_window_says_it_is_slow_to_judge(paused_status: dict[str, Any]) -> None:
    """A 5m window read every 30s: the verdict on a regression takes about two windows, passing or not."""
    rows = _passing_latency_rows(paused_status, query="histogram_quantile(0.99, sum by (le) (rate(bucket[5m])))")
    assert rows[3].strip() == ("latency: a 5m window read every 30s: each value shares 90% of its data with the last, so"
                               " a regression shows after about two windows")
    assert len(rows) == 4  # error-rate is judged by a condition: nothing to say


def test_a_passing_metric_whose_query_shows_no_window_says_how_to_give_it(paused_status: dict[str, Any]) -> None:
    rows = _passing_latency_rows(paused_status, kind="latency")
    assert rows[3].strip() == ("latency: the query shows no range: its window is read off the data;"
                               " compare.queryWindow gives it")


def test_the_plugin_lists_the_releases_canary_pods_and_reads_on_without_them_where_forbidden(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from kubernetes.client.exceptions import ApiException

    from grayrelease import kube
    from grayrelease.cli import gray_cluster

    asked: list[tuple[str, Any]] = []

    def request(method: str, url: str, body: Any = None, **kwargs: Any) -> dict[str, Any]:
        asked.append((url, kwargs.get("query")))
        return {"items": [{"metadata": {"name": "checkout-canary-a"}}]}

    monkeypatch.setattr(kube, "request", request)
    assert gray_cluster.canary_pods("shop", "checkout") == [{"metadata": {"name": "checkout-canary-a"}}]
    assert asked == [("/api/v1/namespaces/shop/pods",
                      [("labelSelector", "grayrelease.io/release=checkout,grayrelease.io/role=canary")])]

    def forbidden(*_: Any, **__: Any) -> dict[str, Any]:
        raise ApiException(status=403, reason="Forbidden")

    monkeypatch.setattr(kube, "request", forbidden)
    assert gray_cluster.canary_pods("shop", "checkout") == []
