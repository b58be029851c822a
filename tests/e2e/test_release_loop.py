"""The release loop end to end: real API server, real Prometheus, the operator as a process.

Each test applies manifests and reads status and Events as a user would. The simulator turns
the pod-template annotation `sim.grayrelease.io/error-ratio` into 5xx answers that Prometheus
scrapes, so the analysis sees real query results.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.e2e import releases as gr
from tests.e2e.conftest import OPERATOR_METRICS_PORT
from tests.e2e.harness import Cluster, Prometheus, Process, wait_until


def _first_install(cluster: Cluster, namespace: str, manifest: str, name: str) -> dict:
    cluster.apply(manifest, namespace)
    return gr.wait_phase(cluster, namespace, name, "Succeeded", timeout=60)


def _gray_get_showing(cluster: Cluster, namespace: str, name: str, text: str, timeout: float) -> str:
    """``kubectl gray get NAME`` once its view holds ``text`` (its last view is reported if it never does)."""
    env = {**cluster.env, "PATH": f"{Path(sys.executable).parent}:{cluster.env['PATH']}", "NO_COLOR": "1"}

    def shown() -> str:
        result = subprocess.run(["kubectl", "gray", "get", name, "-n", namespace], capture_output=True, text=True,
                                env=env, timeout=60)
        assert result.returncode == 0, result.stderr
        if text not in result.stdout:
            raise AssertionError(result.stdout)
        return result.stdout

    return wait_until(shown, timeout=timeout, interval=1, what=f"kubectl gray get showing {text.strip()!r}")


def test_good_release_is_promoted_in_replicas_mode(cluster: Cluster, namespace: str, operator: Process,
                                                    simulator: Process, prometheus: Prometheus) -> None:
    analysis = gr.error_rate_analysis(prometheus.url)
    steps = [{"setWeight": 25}, {"analysis": {"metrics": ["error-rate"], "count": 2}}, {"setWeight": 50},
             {"pause": {"duration": "2s"}}]
    first = _first_install(cluster, namespace, gr.grayrelease("shop", steps=steps, analysis=analysis), "shop")
    cluster.apply(gr.grayrelease("shop", image="example.com/app:2", steps=steps, analysis=analysis), namespace)
    done = gr.wait_promoted(cluster, namespace, "shop", first, timeout=180)
    # The canary's pods go away right after the promotion; the weight reported follows them to 0.
    done = gr.wait_status(cluster, namespace, "shop", lambda s: s.get("canaryWeight") == 0, timeout=60,
                          what="no canary traffic left")
    stable = gr.deployment(cluster, namespace, "shop-stable")
    assert stable["spec"]["template"]["spec"]["containers"][0]["image"] == "example.com/app:2"
    assert stable["status"]["availableReplicas"] == 4
    assert gr.deployment(cluster, namespace, "shop-canary")["spec"]["replicas"] == 0
    assert done["analysis"]["error-rate"]["successes"] >= 1
    assert {"ReleaseStarted", "Promoted"} <= set(gr.reasons(cluster, namespace, "shop"))


def test_good_release_is_promoted_with_gateway_api(cluster: Cluster, namespace: str, operator: Process,
                                                    simulator: Process, prometheus: Prometheus) -> None:
    cluster.apply(gr.http_route("web"), namespace)
    routing = {"gatewayAPI": {"httpRoute": "web"}}
    steps = [{"setWeight": 10}, {"pause": {"duration": "2s"}}, {"setWeight": 60}, {"pause": {"duration": "2s"}}]
    first = _first_install(cluster, namespace, gr.grayrelease("web", steps=steps, traffic=routing), "web")
    cluster.apply(gr.grayrelease("web", image="example.com/app:2", steps=steps, traffic=routing), namespace)

    def weights() -> dict[str, int]:
        refs = cluster.get("httproute", "web", namespace)["spec"]["rules"][0]["backendRefs"]
        return {r["name"]: r.get("weight", 1) for r in refs}

    seen = wait_until(lambda: weights().get("web-canary") == 60 and weights(), timeout=90, what="60% on the canary")
    assert seen["web-stable"] == 40
    # Router mode keeps the stable side at full size while the canary takes traffic.
    assert gr.deployment(cluster, namespace, "web-stable")["spec"]["replicas"] == 4
    done = gr.wait_promoted(cluster, namespace, "web", first, timeout=120)
    assert weights() == {"web-stable": 100, "web-canary": 0}
    assert done["canaryWeight"] == 0


def test_failing_canary_is_rolled_back_in_one_step(cluster: Cluster, namespace: str, operator: Process,
                                                    simulator: Process, prometheus: Prometheus) -> None:
    analysis = gr.error_rate_analysis(prometheus.url, threshold=0.05)
    steps = [{"setWeight": 25}, {"pause": {"duration": "60s"}}, {"setWeight": 75}, {"pause": {"duration": "60s"}}]
    _first_install(cluster, namespace, gr.grayrelease("pay", steps=steps, analysis=analysis, error_ratio=0.001), "pay")
    cluster.apply(gr.grayrelease("pay", image="example.com/app:2", steps=steps, analysis=analysis, error_ratio=0.2),
                  namespace)
    canary = wait_until(lambda: gr.status(cluster, namespace, "pay").get("canaryRevision"), timeout=30,
                        what="the canary revision")
    query = f'sum(rate(http_requests_total{{namespace="{namespace}",revision="{canary}",code="500"}}[10s])) > 0'
    wait_until(lambda: prometheus.query(query), timeout=60, interval=0.2, what="canary errors in Prometheus")
    visible = time.monotonic()
    gr.wait_phase(cluster, namespace, "pay", "RolledBack", timeout=60)
    decided = time.monotonic() - visible
    wait_until(lambda: gr.deployment(cluster, namespace, "pay-canary")["spec"]["replicas"] == 0,
               timeout=30, interval=0.2, what="canary scaled to zero")
    rolled = gr.wait_status(cluster, namespace, "pay", lambda s: s.get("canaryWeight") == 0, timeout=30,
                            what="no canary traffic left")
    elapsed = time.monotonic() - visible
    print(f"\n[figure] canary errors visible in Prometheus -> rollback decided: {decided:.1f}s, "
          f"-> all traffic on stable (canary weight 0): {elapsed:.1f}s")
    assert rolled["phase"] == "RolledBack"
    assert rolled["abortedRevision"] == canary
    assert rolled["currentStepIndex"] <= 1  # stopped at the first weight, never walked on to 75%
    assert gr.deployment(cluster, namespace, "pay-stable")["spec"]["replicas"] == 4
    warnings = [e for e in gr.events(cluster, namespace, "pay") if e["type"] == "Warning"]
    assert warnings and "error-rate" in warnings[-1]["message"]


def _crash_looping(manifest: str, restarts: int) -> str:
    """The manifest with kwok's crash loop on the pod template: N restarts, then CrashLoopBackOff."""
    body = json.loads(manifest)
    body["spec"]["template"]["metadata"]["annotations"]["sim.grayrelease.io/crash-loop"] = str(restarts)
    return json.dumps(body)


def test_crash_looping_canary_is_rolled_back_on_its_restarts(cluster: Cluster, namespace: str,
                                                             operator: Process) -> None:
    steps = [{"setWeight": 25}, {"pause": {}}, {"setWeight": 100}]
    before = _first_install(cluster, namespace, gr.grayrelease("boom", steps=steps), "boom")
    # No metric at all, and a progress deadline ten minutes away: the restarts alone fail it.
    cluster.apply(_crash_looping(gr.grayrelease("boom", image="example.com/app:2", steps=steps), restarts=4), namespace)
    rolled = gr.wait_ended(cluster, namespace, "boom", before, timeout=60)
    assert rolled["phase"] == "RolledBack" and rolled["stableRevision"] == before["stableRevision"]
    assert gr.condition(rolled, "Progressing")["reason"] == "CanaryRestarting"
    message = next(e["message"] for e in reversed(gr.events(cluster, namespace, "boom")) if e["reason"] == "RolledBack")
    assert "canary container restarts boom-canary-" in message
    assert "/app 4 (CrashLoopBackOff; last Error, exit code 1)" in message
    assert "(canaryRestartLimit 3: restarts of a container, or pods evicted)" in message
    with urllib.request.urlopen(f"http://127.0.0.1:{OPERATOR_METRICS_PORT}/metrics", timeout=5) as response:
        exposed = response.read().decode()
    assert f'grayrelease_release_canary_restarts{{name="boom",namespace="{namespace}"}} 4.0' in exposed
    wait_until(lambda: gr.deployment(cluster, namespace, "boom-canary")["spec"]["replicas"] == 0,
               timeout=30, interval=0.2, what="canary scaled to zero")


def test_a_canary_evicted_again_and_again_is_rolled_back(cluster: Cluster, namespace: str, operator: Process) -> None:
    steps = [{"setWeight": 50}, {"pause": {}}, {"setWeight": 100}]
    before = _first_install(cluster, namespace, gr.grayrelease("evict", replicas=2, steps=steps), "evict")
    body = json.loads(gr.grayrelease("evict", image="example.com/app:2", replicas=2, steps=steps))
    body["spec"]["template"]["metadata"]["annotations"]["sim.grayrelease.io/evict"] = "true"
    cluster.apply(json.dumps(body), namespace)
    # Each evicted pod is replaced by a fresh one with no restarts; the evictions are what count.
    rolled = gr.wait_ended(cluster, namespace, "evict", before, timeout=90)
    assert rolled["phase"] == "RolledBack" and gr.condition(rolled, "Progressing")["reason"] == "CanaryRestarting"
    message = next(e["message"] for e in reversed(gr.events(cluster, namespace, "evict")) if e["reason"] == "RolledBack")
    evictions = int(message.split("canary pods evicted ", 1)[1].split(":", 1)[0])
    assert evictions >= 4, message
    assert "(Pod ephemeral local storage usage exceeds the total limit of containers 1Gi.)" in message
    assert "canary container restarts" not in message


def test_a_canary_whose_image_cannot_be_pulled_is_rolled_back_within_a_minute(cluster: Cluster, namespace: str,
                                                                              operator: Process) -> None:
    steps = [{"setWeight": 25}, {"pause": {}}, {"setWeight": 100}]
    before = _first_install(cluster, namespace, gr.grayrelease("tpyo", steps=steps), "tpyo")
    body = json.loads(gr.grayrelease("tpyo", image="example.com/app:tpyo", steps=steps))
    body["spec"]["template"]["metadata"]["annotations"]["sim.grayrelease.io/waiting"] = "ImagePullBackOff"
    applied = time.monotonic()
    cluster.apply(json.dumps(body), namespace)
    # Before anything fails, `kubectl gray get` shows why the canary is not ready.
    tree = _gray_get_showing(cluster, namespace, "tpyo", "ImagePullBackOff, pod up", timeout=40)
    assert '/app  ImagePullBackOff, pod up ' in tree and '(Back-off pulling image "example.com/app:tpyo")' in tree, tree
    # The canary never runs: no restart, no metric. Its pull back-off fails it a minute after its
    # pod was made, not at the progress deadline (ten minutes, the default).
    rolled = gr.wait_ended(cluster, namespace, "tpyo", before, timeout=150)
    elapsed = time.monotonic() - applied
    assert rolled["phase"] == "RolledBack" and gr.condition(rolled, "Progressing")["reason"] == "CanaryCannotStart"
    print(f"\n[figure] a canary in ImagePullBackOff rolled back {elapsed:.0f}s after kubectl apply"
          " (the progress deadline would have taken 600s)")
    message = next(e["message"] for e in reversed(gr.events(cluster, namespace, "tpyo")) if e["reason"] == "RolledBack")
    assert "canary containers cannot start: tpyo-canary-" in message
    assert '/app ImagePullBackOff: Back-off pulling image "example.com/app:tpyo" (pod up ' in message
    assert "ProgressDeadlineExceeded" not in gr.reasons(cluster, namespace, "tpyo")
    wait_until(lambda: gr.deployment(cluster, namespace, "tpyo-canary")["spec"]["replicas"] == 0,
               timeout=30, interval=0.2, what="canary scaled to zero")


def test_a_canary_no_node_takes_fails_at_the_progress_deadline_with_the_schedulers_why(
        cluster: Cluster, namespace: str, operator: Process) -> None:
    """A pod the real kube-scheduler cannot place waits (an autoscaler may add a node), and the
    deadline's Event then says why, as `kubectl gray get` did while it waited."""
    steps = [{"setWeight": 25}, {"pause": {}}, {"setWeight": 100}]
    extra = {"progressDeadlineSeconds": 15}
    before = _first_install(cluster, namespace, gr.grayrelease("far", steps=steps, extra_spec=extra), "far")
    body = json.loads(gr.grayrelease("far", image="example.com/app:2", steps=steps, extra_spec=extra))
    body["spec"]["template"]["spec"]["nodeSelector"] = {"example.com/no-such-pool": "true"}
    cluster.apply(json.dumps(body), namespace)
    tree = _gray_get_showing(cluster, namespace, "far", "  Unschedulable for ", timeout=30)
    assert "far-canary-" in tree and "didn't match Pod's node affinity/selector" in tree, tree
    rolled = gr.wait_ended(cluster, namespace, "far", before, timeout=90)
    assert rolled["phase"] == "RolledBack" and gr.condition(rolled, "Progressing")["reason"] == "ProgressDeadlineExceeded"
    message = next(e["message"] for e in reversed(gr.events(cluster, namespace, "far")) if e["reason"] == "RolledBack")
    assert "progress deadline exceeded, no progress for 15s (canary 0/" in message, message
    assert "; no node takes 1 canary pod for " in message and "didn't match Pod's node affinity/selector" in message, message


def test_restarts_within_the_limit_leave_the_release_to_its_steps(cluster: Cluster, namespace: str,
                                                                  operator: Process) -> None:
    steps = [{"setWeight": 25}, {"pause": {}}, {"setWeight": 100}]
    extra = {"canaryRestartLimit": 5, "progressDeadlineSeconds": 8}
    before = _first_install(cluster, namespace, gr.grayrelease("calm", steps=steps, extra_spec=extra), "calm")
    cluster.apply(_crash_looping(gr.grayrelease("calm", image="example.com/app:2", steps=steps, extra_spec=extra),
                                 restarts=4), namespace)
    # Four restarts are within five: the never-ready canary fails on the progress deadline instead.
    rolled = gr.wait_ended(cluster, namespace, "calm", before, timeout=60)
    assert gr.condition(rolled, "Progressing")["reason"] == "ProgressDeadlineExceeded"
    assert "CanaryRestarting" not in gr.reasons(cluster, namespace, "calm")


def test_resume_after_a_restart_pause_accepts_the_restarts_seen(cluster: Cluster, namespace: str,
                                                              operator: Process) -> None:
    steps = [{"setWeight": 25}, {"pause": {}}, {"setWeight": 100}]
    extra = {"strategy": {"steps": steps, "onFailure": "pause"}, "progressDeadlineSeconds": 6}
    _first_install(cluster, namespace, gr.grayrelease("hold", steps=steps, extra_spec=extra), "hold")
    cluster.apply(_crash_looping(gr.grayrelease("hold", image="example.com/app:2", steps=steps, extra_spec=extra),
                                 restarts=4), namespace)
    paused = gr.wait_status(cluster, namespace, "hold", lambda s: s.get("pauseReason") == "CanaryRestarting",
                            timeout=60, what="paused on the canary's restarts")
    assert paused["phase"] == "Paused" and gr.deployment(cluster, namespace, "hold-canary")["spec"]["replicas"] == 1
    command = {"status": {"command": {"action": "resume", "requestedAt": "2026-01-01T00:00:00Z", "requestedBy": "e2e"}}}
    cluster.kubectl("patch", "grayrelease", "hold", "-n", namespace, "--subresource=status", "--type=merge",
                    "-p", json.dumps(command))
    # The four restarts are accepted (kept in status through the API server); the never-ready
    # canary then pauses on the progress deadline, not on the same restarts again.
    after = gr.wait_status(cluster, namespace, "hold", lambda s: s.get("pauseReason") == "ProgressDeadlineExceeded",
                           timeout=60, what="paused on the progress deadline after the resume")
    assert after["canaryRestartsAccepted"] == 4
    assert gr.reasons(cluster, namespace, "hold").count("CanaryRestarting") == 1


def test_manual_gate_waits_for_promote(cluster: Cluster, namespace: str, operator: Process) -> None:
    steps = [{"setWeight": 50}, {"pause": {}}, {"setWeight": 100}]
    _first_install(cluster, namespace, gr.grayrelease("gate", steps=steps), "gate")
    cluster.apply(gr.grayrelease("gate", image="example.com/app:2", steps=steps), namespace)
    paused = gr.wait_phase(cluster, namespace, "gate", "Paused", timeout=60)
    assert paused["currentStepIndex"] == 1
    assert gr.condition(paused, "Paused")["status"] == "True"
    time.sleep(2)
    assert gr.status(cluster, namespace, "gate")["phase"] == "Paused"  # nobody promoted: still waiting
    command = {"status": {"command": {"action": "promote", "requestedAt": "2026-01-01T00:00:00Z"}}}
    cluster.kubectl("patch", "grayrelease", "gate", "-n", namespace, "--subresource=status", "--type=merge",
                    "-p", json.dumps(command))
    done = gr.wait_phase(cluster, namespace, "gate", "Succeeded", timeout=60)
    assert done["lastHandledCommand"]["action"] == "promote"
    assert "command" not in done


def test_new_template_mid_release_restarts_from_step_zero(cluster: Cluster, namespace: str, operator: Process) -> None:
    steps = [{"setWeight": 25}, {"pause": {}}, {"setWeight": 100}]
    first = _first_install(cluster, namespace, gr.grayrelease("cart", steps=steps), "cart")
    cluster.apply(gr.grayrelease("cart", image="example.com/app:2", steps=steps), namespace)
    v2 = gr.wait_phase(cluster, namespace, "cart", "Paused", timeout=60)
    cluster.apply(gr.grayrelease("cart", image="example.com/app:3", steps=steps), namespace)
    v3 = wait_until(lambda: (s := gr.status(cluster, namespace, "cart")).get("canaryRevision") not in
                    (None, v2["canaryRevision"]) and s.get("phase") == "Paused" and s, timeout=60, what="release of v3")
    assert v3["stableRevision"] == first["stableRevision"]  # stable untouched
    assert v3["currentStepIndex"] == 1
    canary = gr.deployment(cluster, namespace, "cart-canary")
    assert canary["spec"]["template"]["spec"]["containers"][0]["image"] == "example.com/app:3"
    stable = gr.deployment(cluster, namespace, "cart-stable")
    assert stable["spec"]["template"]["spec"]["containers"][0]["image"] == "example.com/app:1"


def test_operator_killed_mid_release_resumes_at_the_same_step(cluster: Cluster, namespace: str,
                                                               operator: Process) -> None:
    steps = [{"setWeight": 25}, {"pause": {"duration": "8s"}}, {"setWeight": 50}, {"pause": {}}]
    _first_install(cluster, namespace, gr.grayrelease("inv", steps=steps), "inv")
    cluster.apply(gr.grayrelease("inv", image="example.com/app:2", steps=steps), namespace)
    at_pause = wait_until(lambda: (s := gr.status(cluster, namespace, "inv")).get("currentStepIndex") == 1 and s,
                          timeout=60, interval=0.2, what="the timed pause")
    operator.stop(kill=True)
    time.sleep(2)
    assert gr.status(cluster, namespace, "inv")["currentStepIndex"] == 1
    operator.start()
    resumed = gr.wait_phase(cluster, namespace, "inv", "Paused", timeout=90)
    assert resumed["currentStepIndex"] == 3
    assert resumed["canaryRevision"] == at_pause["canaryRevision"]
    assert resumed["releaseStartedAt"] == at_pause["releaseStartedAt"]  # the same release, not a new one
    started = [r for r in gr.reasons(cluster, namespace, "inv") if r == "ReleaseStarted"]
    assert len(started) == 1


def test_prometheus_outage_pauses_and_never_promotes(cluster: Cluster, namespace: str, operator: Process,
                                                      simulator: Process, prometheus: Prometheus) -> None:
    analysis = gr.error_rate_analysis(prometheus.url, interval="2s", consecutiveErrorLimit=1, inconclusiveLimit=1)
    steps = [{"setWeight": 25}, {"pause": {"duration": "6s"}}, {"setWeight": 50}, {"pause": {"duration": "4s"}}]
    first = _first_install(cluster, namespace, gr.grayrelease("ads", steps=steps, analysis=analysis), "ads")
    cluster.apply(gr.grayrelease("ads", image="example.com/app:2", steps=steps, analysis=analysis), namespace)
    wait_until(lambda: gr.status(cluster, namespace, "ads").get("analysis", {}).get("error-rate", {}).get("successes", 0) >= 1,
               timeout=60, what="a first good measurement")
    prometheus.stop()
    try:
        paused = gr.wait_phase(cluster, namespace, "ads", "Paused", timeout=60)
        assert paused["pauseReason"] == "AnalysisInconclusive"
        passing = gr.condition(paused, "AnalysisPassing")
        assert passing["status"] != "True" and "error-rate" in passing["message"]
        time.sleep(8)  # longer than every remaining step: without data nothing may move on
        held = gr.status(cluster, namespace, "ads")
        assert held["phase"] == "Paused" and held["stableRevision"] == first["stableRevision"]
    finally:
        prometheus.start()
    done = gr.wait_phase(cluster, namespace, "ads", "Succeeded", timeout=120)
    assert done["stableRevision"] != first["stableRevision"]
