"""Argo CD's Lua health check and actions against live GrayReleases the real operator moved.

Each test drives a release to a phase, runs argocd/health.lua and argocd/actions/discovery.lua
on the object read back from the API server, and applies action.lua outputs the way Argo CD does
(the changed status goes to the status subresource), so the operator itself proves the commands
are understood. The objects seen are saved as fixtures for tests/unit/argocd when missing, or
always with GRAYRELEASE_CAPTURE_FIXTURES=1 (the unit tests then run without a cluster).
"""

from __future__ import annotations

import json
import os
from typing import Any

from tests.e2e import releases as gr
from tests.e2e.harness import Cluster, Prometheus, Process
from tests.unit.argocd import lua
from tests.unit.argocd.fixtures import FIXTURES


def _live(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    obj = cluster.get("grayrelease", name, namespace)
    obj["metadata"].pop("managedFields", None)
    return obj


def _capture(obj: dict[str, Any], fixture: str) -> dict[str, Any]:
    path = FIXTURES / f"{fixture}.json"
    if os.environ.get("GRAYRELEASE_CAPTURE_FIXTURES") == "1" or not path.exists():
        path.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")
    return obj


def _merge_diff(old: Any, new: Any) -> Any:
    """The JSON merge patch from ``old`` to ``new`` (what Argo CD sends after running an action)."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return new
    patch = {k: _merge_diff(old.get(k), v) for k, v in new.items() if old.get(k) != v}
    patch.update({k: None for k in old if k not in new})
    return patch


def _run_action(cluster: Cluster, namespace: str, name: str, action: str) -> dict[str, Any]:
    """Runs action.lua on the live object and patches the result in, as Argo CD does."""
    obj = _live(cluster, namespace, name)
    assert lua.discovery(obj)[action], f"{action} should be offered in phase {obj['status']['phase']}"
    patch = _merge_diff(obj, lua.action(action, obj))
    assert set(patch) == {"status"}, f"{action} must change status only, not {sorted(patch)}"
    assert set(patch["status"]) == {"command"}
    cluster.kubectl("patch", "grayrelease", name, "-n", namespace, "--subresource=status", "--type=merge",
                    "-p", json.dumps(patch))
    return patch["status"]["command"]


def _handled(cluster: Cluster, namespace: str, name: str, command: dict[str, Any], *phases: str) -> dict[str, Any]:
    return gr.wait_status(cluster, namespace, name,
                          lambda s: s.get("lastHandledCommand") == command and s.get("phase") in phases,
                          timeout=90, what=f"{command['action']} handled, phase {'/'.join(phases)}")


def test_manual_gate_is_suspended_and_promote_action_completes_it(cluster: Cluster, namespace: str,
                                                                   operator: Process) -> None:
    steps = [{"setWeight": 50}, {"pause": {}}, {"setWeight": 100}]
    cluster.apply(gr.grayrelease("gate", steps=steps), namespace)
    gr.wait_phase(cluster, namespace, "gate", "Succeeded", timeout=60)
    cluster.apply(gr.grayrelease("gate", image="example.com/app:2", steps=steps), namespace)
    gr.wait_phase(cluster, namespace, "gate", "Paused", timeout=60)
    paused = _capture(_live(cluster, namespace, "gate"), "paused-step")
    health = lua.health(paused)
    assert health["status"] == "Suspended"
    assert "PauseStep" in health["message"]
    offered = {name for name, enabled in lua.discovery(paused).items() if enabled}
    assert offered == {"promote", "promote-full", "abort", "resume"}

    command = _run_action(cluster, namespace, "gate", "promote")
    _handled(cluster, namespace, "gate", command, "Succeeded")
    done = _capture(_live(cluster, namespace, "gate"), "succeeded")
    assert lua.health(done) == {"status": "Healthy", "message": done["status"]["message"]}
    assert not any(lua.discovery(done).values())


def test_actions_pause_resume_abort_retry_promote_full_on_a_live_release(cluster: Cluster, namespace: str,
                                                                         operator: Process) -> None:
    steps = [{"setWeight": 25}, {"pause": {"duration": "120s"}}, {"setWeight": 75}, {"pause": {"duration": "120s"}}]
    cluster.apply(gr.grayrelease("cart", steps=steps), namespace)
    gr.wait_phase(cluster, namespace, "cart", "Succeeded", timeout=60)
    cluster.apply(gr.grayrelease("cart", image="example.com/app:2", steps=steps), namespace)
    gr.wait_status(cluster, namespace, "cart", lambda s: s.get("phase") == "Progressing"
                   and s.get("currentStepIndex") == 1, timeout=60, what="the timed pause step")
    moving = _capture(_live(cluster, namespace, "cart"), "progressing")
    assert lua.health(moving)["status"] == "Progressing"
    assert {n for n, on in lua.discovery(moving).items() if on} == {"promote", "promote-full", "abort", "pause"}

    paused = _handled(cluster, namespace, "cart", _run_action(cluster, namespace, "cart", "pause"), "Paused")
    assert paused["pauseReason"] == "PausedByCommand"
    by_command = _capture(_live(cluster, namespace, "cart"), "paused-by-command")
    assert lua.health(by_command)["status"] == "Suspended"
    assert "PausedByCommand" in lua.health(by_command)["message"]

    _handled(cluster, namespace, "cart", _run_action(cluster, namespace, "cart", "resume"), "Progressing")
    _handled(cluster, namespace, "cart", _run_action(cluster, namespace, "cart", "abort"), "Aborted")
    aborted = _capture(_live(cluster, namespace, "cart"), "aborted")
    assert lua.health(aborted)["status"] == "Degraded"
    assert "aborted" in lua.health(aborted)["message"]
    assert {n for n, on in lua.discovery(aborted).items() if on} == {"retry"}

    _handled(cluster, namespace, "cart", _run_action(cluster, namespace, "cart", "retry"), "Progressing")
    gr.wait_status(cluster, namespace, "cart", lambda s: s.get("currentStepIndex") == 1, timeout=60,
                   what="the retried release at its timed pause")
    _handled(cluster, namespace, "cart", _run_action(cluster, namespace, "cart", "promote-full"), "Progressing",
             "Succeeded")
    done = gr.wait_phase(cluster, namespace, "cart", "Succeeded", timeout=90)
    assert done["stableRevision"] == aborted["status"]["abortedRevision"]
    assert {"Paused", "Resumed", "Aborted", "ReleaseRetried", "PromotedFull", "Promoted"} <= set(
        gr.reasons(cluster, namespace, "cart"))


def test_rolled_back_release_is_degraded(cluster: Cluster, namespace: str, operator: Process,
                                         simulator: Process, prometheus: Prometheus) -> None:
    analysis = gr.error_rate_analysis(prometheus.url, threshold=0.05)
    steps = [{"setWeight": 25}, {"pause": {"duration": "60s"}}, {"setWeight": 75}]
    cluster.apply(gr.grayrelease("pay", steps=steps, analysis=analysis, error_ratio=0.001), namespace)
    gr.wait_phase(cluster, namespace, "pay", "Succeeded", timeout=60)
    cluster.apply(gr.grayrelease("pay", image="example.com/app:2", steps=steps, analysis=analysis, error_ratio=0.2),
                  namespace)
    gr.wait_phase(cluster, namespace, "pay", "RolledBack", timeout=120)
    rolled = _capture(_live(cluster, namespace, "pay"), "rolled-back")
    health = lua.health(rolled)
    assert health["status"] == "Degraded"
    assert "error-rate" in health["message"]
    assert {n for n, on in lua.discovery(rolled).items() if on} == {"retry"}
