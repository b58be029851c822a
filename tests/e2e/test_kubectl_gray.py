"""``kubectl gray`` against the real control plane, invoked as a person would: through kubectl.

The operator does not run here: each test writes the status an operator would write (through
the status subresource, as the operator does) and checks what the plugin shows, writes or
returns. The stable Deployment is built by the operator's own manifest builder, so the API
server defaults its pod template exactly as it does for the operator's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from grayrelease.workloads import manifests
from grayrelease.workloads.revision import template_revision
from tests.e2e import harness

MANIFEST = """
apiVersion: grayrelease.io/v1alpha1
kind: GrayRelease
metadata: {name: checkout}
spec:
  replicas: 4
  selector: {matchLabels: {app: checkout}}
  template:
    metadata: {labels: {app: checkout}}
    spec: {containers: [{name: app, image: "example.com/checkout:1"}]}
  service: {name: checkout, port: 80}
  strategy: {steps: [{setWeight: 25}, {pause: {}}, {setWeight: 50}, {pause: {duration: 30s}}]}
"""


@pytest.fixture
def gray(crds: harness.Cluster, unmanaged_namespace: str):
    """Runs ``kubectl gray ARGS -n NAMESPACE`` with the plugin on PATH, as a user's shell would."""
    env = {**crds.env, "PATH": f"{Path(sys.executable).parent}:{crds.env['PATH']}", "NO_COLOR": "1"}

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(["kubectl", "gray", *args, "-n", unmanaged_namespace], capture_output=True, text=True,
                                env=env, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl gray {' '.join(args)} exited {result.returncode}: {result.stderr}")
        return result

    run.env = env  # type: ignore[attr-defined]
    return run


def _write_status(cluster: harness.Cluster, unmanaged_namespace: str, status: dict[str, Any], name: str = "checkout") -> None:
    cluster.kubectl("patch", "grayrelease", name, "-n", unmanaged_namespace, "--subresource=status", "--type=merge",
                    "-p", json.dumps({"status": status}))


def _release(cluster: harness.Cluster, unmanaged_namespace: str) -> dict[str, Any]:
    cluster.apply(MANIFEST, unmanaged_namespace)
    return cluster.get("grayrelease", "checkout", unmanaged_namespace)


def _paused_at_gate(stable: str, canary: str, generation: int) -> dict[str, Any]:
    return {
        "phase": "Paused", "observedGeneration": generation, "currentStepIndex": 1, "canaryWeight": 25,
        "stableRevision": stable, "canaryRevision": canary, "pauseReason": "PauseStep",
        "message": "step 2/4 (pause): waiting for kubectl gray promote",
        "conditions": [{"type": "AnalysisPassing", "status": "False", "reason": "AnalysisInconclusive",
                        "message": "error-rate: no data", "lastTransitionTime": "2025-03-01T12:00:00Z"}],
        "analysis": {"error-rate": {"phase": "Inconclusive", "lastMeasuredAt": "2025-03-01T12:00:00Z",
                                    "inconclusives": 2, "measurements": []}},
    }


def _create_stable(cluster: harness.Cluster, unmanaged_namespace: str, release: dict[str, Any], revision: str) -> None:
    """The stable Deployment as the operator makes it, from the template of ``revision``."""
    template = {"metadata": {"labels": {"app": "checkout"}},
                "spec": {"containers": [{"name": "app", "image": "example.com/checkout:1"}]}}
    assert template_revision(template) == revision
    deployment = manifests.deployment(release, "stable", revision, template, 3, {"app": "checkout"})
    cluster.apply(json.dumps(deployment), unmanaged_namespace)


def test_get_shows_the_tree_and_promote_writes_the_command(crds: harness.Cluster, unmanaged_namespace: str, gray) -> None:
    release = _release(crds, unmanaged_namespace)
    stable = template_revision(release["spec"]["template"])
    _create_stable(crds, unmanaged_namespace, release, stable)
    _write_status(crds, unmanaged_namespace, _paused_at_gate(stable, "5d2a99ee01", release["metadata"]["generation"]))

    tree = gray("get", "checkout").stdout
    assert "Phase:          ॥ Paused (PauseStep)" in tree
    assert "॥  2  pause (until promoted)  ← current" in tree
    assert f"checkout-stable  stable  {stable}  " in tree
    assert "checkout-canary  canary  -           absent" in tree
    assert "error-rate  ? Inconclusive" in tree
    assert "AnalysisPassing  AnalysisInconclusive" in tree

    assert gray("promote", "checkout").stdout.strip() == 'grayrelease "checkout" promote requested'
    command = crds.get("grayrelease", "checkout", unmanaged_namespace)["status"]["command"]
    assert command["action"] == "promote"
    assert command["requestedBy"]  # the kubeconfig user, or $USER
    assert command["requestedAt"].endswith("Z")

    # The operator would clear it; --full overwrites what is still pending and says so.
    full = gray("promote", "checkout", "--full")
    assert "replacing promote" in full.stderr
    assert crds.get("grayrelease", "checkout", unmanaged_namespace)["status"]["command"]["action"] == "promote-full"
    assert crds.get("grayrelease", "checkout", unmanaged_namespace)["spec"] == release["spec"]  # the spec stays as in Git


def test_commands_that_make_no_sense_are_refused(crds: harness.Cluster, unmanaged_namespace: str, gray) -> None:
    release = _release(crds, unmanaged_namespace)
    stable = template_revision(release["spec"]["template"])
    _write_status(crds, unmanaged_namespace, {"phase": "Succeeded", "stableRevision": stable, "canaryRevision": stable,
                                    "currentStepIndex": 4, "observedGeneration": 1})
    for args in (("promote", "checkout"), ("retry", "checkout"), ("resume", "checkout")):
        refused = gray(*args, check=False)
        assert refused.returncode == 1, args
        assert refused.stderr.startswith("error: "), refused.stderr
    assert "command" not in crds.get("grayrelease", "checkout", unmanaged_namespace)["status"]

    _write_status(crds, unmanaged_namespace, {"phase": "RolledBack", "abortedRevision": "5d2a99ee01"})
    assert gray("retry", "checkout").stdout.strip() == 'grayrelease "checkout" retry requested'
    assert gray("missing", check=False).returncode == 2  # unknown command: usage error


def test_list_shows_every_release(crds: harness.Cluster, unmanaged_namespace: str, gray) -> None:
    _release(crds, unmanaged_namespace)
    crds.apply(MANIFEST.replace("name: checkout}", "name: payments}", 1), unmanaged_namespace)
    _write_status(crds, unmanaged_namespace, {"phase": "Progressing", "currentStepIndex": 0, "canaryWeight": 25,
                                    "stableRevision": "7c9f12ab34", "canaryRevision": "5d2a99ee01"}, name="payments")
    lines = gray("list").stdout.splitlines()
    assert lines[0].split() == ["NAME", "PHASE", "STEP", "WEIGHT", "READY", "STABLE", "CANARY", "AGE"]
    assert lines[2].split()[:8] == ["payments", "⟳", "Progressing", "1/4", "25%", "0/4", "7c9f12ab34", "5d2a99ee01"]
    everywhere = gray("list", "-A").stdout
    assert f"{unmanaged_namespace}  checkout" in everywhere
    items = json.loads(gray("list", "-o", "json").stdout)["items"]
    assert sorted(i["metadata"]["name"] for i in items) == ["checkout", "payments"]


def test_undo_and_set_image_edit_the_template(crds: harness.Cluster, unmanaged_namespace: str, gray) -> None:
    release = _release(crds, unmanaged_namespace)
    stable = template_revision(release["spec"]["template"])
    _create_stable(crds, unmanaged_namespace, release, stable)

    assert "image updated" in gray("set", "image", "checkout", "app=example.com/checkout:2").stdout
    changed = crds.get("grayrelease", "checkout", unmanaged_namespace)
    assert changed["spec"]["template"]["spec"]["containers"][0]["image"] == "example.com/checkout:2"
    _write_status(crds, unmanaged_namespace, _paused_at_gate(stable, template_revision(changed["spec"]["template"]),
                                                   changed["metadata"]["generation"]))
    assert gray("set", "image", "checkout", "nope=x:1", check=False).returncode == 1

    assert "set back to stable revision" in gray("undo", "checkout").stdout
    undone = crds.get("grayrelease", "checkout", unmanaged_namespace)["spec"]["template"]
    assert template_revision(undone) == stable  # the operator sees "back to stable", not a new revision
    assert "grayrelease.io/role" not in undone["metadata"]["labels"]
    assert gray("undo", "checkout", check=False).returncode == 1  # already stable: nothing to undo


def test_status_waits_for_the_end_and_exits_by_outcome(crds: harness.Cluster, unmanaged_namespace: str, gray) -> None:
    release = _release(crds, unmanaged_namespace)
    stable = template_revision(release["spec"]["template"])
    generation = release["metadata"]["generation"]
    _write_status(crds, unmanaged_namespace, _paused_at_gate(stable, "5d2a99ee01", generation))
    cmd = ["kubectl", "gray", "status", "checkout", "-n", unmanaged_namespace, "--interval", "200ms"]
    waiting = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=gray.env)
    try:
        first = waiting.stdout.readline()
        assert first.startswith("Paused: step 2/4"), first
        assert waiting.poll() is None  # still waiting while paused
        _write_status(crds, unmanaged_namespace, {"phase": "RolledBack", "abortedRevision": "5d2a99ee01",
                                        "message": "analysis error-rate failed"})
        out, _ = waiting.communicate(timeout=60)
    finally:
        if waiting.poll() is None:
            waiting.kill()
    assert waiting.returncode == 1
    assert "RolledBack" in out

    _write_status(crds, unmanaged_namespace, {"phase": "Succeeded", "canaryRevision": stable, "abortedRevision": None})
    assert gray("status", "checkout").returncode == 0

    _write_status(crds, unmanaged_namespace, _paused_at_gate(stable, "5d2a99ee01", generation))
    timed_out = gray("status", "checkout", "--timeout", "1s", "--interval", "200ms", check=False)
    assert timed_out.returncode == 2
    assert "timed out" in timed_out.stdout


def test_flags_choose_kubeconfig_context_and_namespace(crds: harness.Cluster, unmanaged_namespace: str, gray,
                                                       tmp_path: Path) -> None:
    _release(crds, unmanaged_namespace)
    config = json.loads(crds.kubectl("config", "view", "--raw", "-o", "json").stdout)
    context = dict(config["contexts"][0])
    context["name"] = "shop"
    context["context"] = {**context["context"], "namespace": unmanaged_namespace}
    config["contexts"].append(context)
    path = tmp_path / "kubeconfig"
    path.write_text(json.dumps(config))
    env = {**gray.env, "KUBECONFIG": "/nonexistent"}
    result = subprocess.run(["kubectl", "gray", "--kubeconfig", str(path), "--context", "shop", "get", "checkout"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"Namespace:      {unmanaged_namespace}" in result.stdout
    assert os.path.exists(path)


def test_replay_judges_the_recorded_analysis_again(crds: harness.Cluster, unmanaged_namespace: str, gray) -> None:
    """``kubectl gray replay`` reads the release's compare history from the API server and judges it
    again, with the release's settings or others."""
    manifest = yaml.safe_load(MANIFEST)
    manifest["metadata"]["name"] = "judged"
    manifest["spec"]["analysis"] = {"interval": "30s", "metrics": [{
        "name": "latency", "provider": {"prometheus": {"address": "http://prometheus:9090"}},
        "query": 'histogram_quantile(0.99, sum(rate(latency_bucket{role="{{ side.role }}"}[30s])) by (le))',
        "compare": {"kind": "latency"}}]}
    crds.apply(json.dumps(manifest), unmanaged_namespace)
    assert gray("replay", "judged", check=False).returncode == 1  # nothing measured yet: said, not judged

    wobble = [1.0, 1.02, 0.99, 1.01, 0.98, 1.0, 1.03, 0.99, 1.0, 1.01, 0.97, 1.02]
    history = {"stable": [0.2 * w for w in wobble], "canary": [0.3 * w for w in reversed(wobble)],
               "canaryWeights": [25.0] * 12, "canaryPods": [1] * 12, "stablePods": [3] * 12}
    _write_status(crds, unmanaged_namespace, {
        "phase": "RolledBack", "stableRevision": "a", "canaryRevision": "b", "abortedRevision": "b",
        "releaseStartedAt": "2025-03-01T12:00:00Z",
        "analysis": {"latency": {"phase": "Failed", "failures": 1, "lastMeasuredAt": "2025-03-01T12:06:00Z",
                                 "history": history}}}, name="judged")

    table = gray("replay", "judged").stdout
    assert f"{unmanaged_namespace}/judged  rollback" in table and "latency: canary 50% higher" in table
    lenient = gray("replay", "judged", "--max-degradation", "0.8", "--json").stdout
    assert json.loads(lenient)["scenarios"][0]["verdict"] == "promote"
