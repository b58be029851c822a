"""Steps and inputs beyond the basic loop: inspections, statistical comparison, adoption,
the progress deadline, and manifests the API server must refuse."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import releases as gr
from tests.e2e.conftest import OPERATOR_METRICS_PORT
from tests.e2e.harness import Cluster, Prometheus, Process, wait_until


def _install_then_release(cluster: Cluster, namespace: str, name: str, **kwargs) -> dict:
    first_kwargs = {k: v for k, v in kwargs.items() if k not in ("error_ratio", "extra_template")}
    cluster.apply(gr.grayrelease(name, **first_kwargs), namespace)
    first = gr.wait_phase(cluster, namespace, name, "Succeeded", timeout=60)
    cluster.apply(gr.grayrelease(name, image="example.com/app:2", **{k: v for k, v in kwargs.items()
                                                                      if k != "extra_template"}), namespace)
    return first


def _job_step(fail: bool) -> dict:
    annotations = {"sim.grayrelease.io/exit-code": "1"} if fail else {}
    return {"inspect": {"job": {"spec": {"template": {"metadata": {"annotations": annotations},
                                                      "spec": {"containers": [{"name": "smoke", "image": "example.com/smoke:1"}]}}}}}}


def test_smoke_test_job_passes_the_step(cluster: Cluster, namespace: str, operator: Process) -> None:
    steps = [{"setWeight": 25}, _job_step(fail=False), {"setWeight": 50}]
    first = _install_then_release(cluster, namespace, "api", steps=steps)
    done = gr.wait_promoted(cluster, namespace, "api", first, timeout=120)
    passed = [e["message"] for e in gr.events(cluster, namespace, "api") if e["reason"] == "StepCompleted"]
    assert any("inspect" in m for m in passed), passed
    jobs = cluster.get("jobs", namespace=namespace)["items"]
    assert len(jobs) == 1  # one smoke test for one release, kept (with its logs) after it passed
    assert jobs[0]["spec"]["ttlSecondsAfterFinished"] == 86400
    # The Job controller reports SuccessCriteriaMet first and Complete a moment later.
    assert any(c["type"] in ("Complete", "SuccessCriteriaMet") and c["status"] == "True"
               for c in jobs[0]["status"]["conditions"])
    assert done["canaryWeight"] == 0


def test_smoke_test_job_gets_the_release_variables(cluster: Cluster, namespace: str, operator: Process) -> None:
    steps = [{"setWeight": 25}, _job_step(fail=True)]
    _install_then_release(cluster, namespace, "env", steps=steps, extra_spec={"strategy": {"steps": steps, "onFailure": "pause"}})
    paused = gr.wait_phase(cluster, namespace, "env", "Paused", timeout=90)
    assert paused["pauseReason"] == "InspectionFailed"
    jobs = cluster.get("jobs", namespace=namespace)["items"]
    assert len(jobs) == 1  # run once per release attempt, kept while the failure is looked at
    env = {e["name"]: e["value"] for e in jobs[0]["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["GRAYRELEASE_CANARY_SERVICE"] == "env-canary" and env["GRAYRELEASE_NAMESPACE"] == namespace


def test_failing_smoke_test_job_rolls_back(cluster: Cluster, namespace: str, operator: Process) -> None:
    steps = [{"setWeight": 25}, _job_step(fail=True), {"setWeight": 50}]
    _install_then_release(cluster, namespace, "bill", steps=steps)
    rolled = gr.wait_phase(cluster, namespace, "bill", "RolledBack", timeout=120)
    assert rolled["currentStepIndex"] == 1
    assert "RolledBack" in gr.reasons(cluster, namespace, "bill")


@pytest.fixture
def webhook_server() -> Iterator[dict]:
    """A loopback HTTP endpoint answering with the status code the test sets; records the calls."""
    state: dict = {"code": 200, "calls": []}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state["calls"].append(json.loads(body))
            self.send_response(state["code"])
            self.end_headers()
            self.wfile.write(b"checked")

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}/check"
    yield state
    server.shutdown()


@pytest.mark.parametrize(("code", "outcome"), [(200, "Succeeded"), (503, "RolledBack")], ids=["2xx passes", "5xx rolls back"])
def test_webhook_inspection(cluster: Cluster, namespace: str, operator: Process, webhook_server: dict,
                            code: int, outcome: str) -> None:
    webhook_server["code"] = code
    steps = [{"setWeight": 25}, {"inspect": {"webhook": {"url": webhook_server["url"], "timeoutSeconds": 5}}}]
    first = _install_then_release(cluster, namespace, "hook", steps=steps)
    final = gr.wait_status(cluster, namespace, "hook", lambda s: s.get("phase") == outcome
                           and s.get("canaryRevision") != first["stableRevision"], timeout=90, what=outcome)
    assert len(webhook_server["calls"]) == 1
    call = webhook_server["calls"][0]
    assert call["canaryRevision"] == final["canaryRevision"] and call["namespace"] == namespace


LATENCY_QUERY = ('histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="{{ namespace }}",'
                 'app="{{ name }}",role="{{ side.role }}"}[10s])))')


def test_statistical_comparison_catches_a_latency_regression(cluster: Cluster, namespace: str, operator: Process,
                                                             simulator: Process, prometheus: Prometheus) -> None:
    analysis = {"interval": "2s", "initialDelay": "2s", "metrics": [{
        "name": "latency", "provider": {"prometheus": {"address": prometheus.url}}, "query": LATENCY_QUERY,
        "compare": {"against": "stable", "kind": "latency"}}]}
    steps = [{"setWeight": 25}, {"pause": {"duration": "90s"}}, {"setWeight": 50}]
    cluster.apply(gr.grayrelease("lat", steps=steps, analysis=analysis), namespace)
    gr.wait_phase(cluster, namespace, "lat", "Succeeded", timeout=60)
    slow = json.loads(gr.grayrelease("lat", image="example.com/app:2", steps=steps, analysis=analysis))
    slow["spec"]["template"]["metadata"]["annotations"]["sim.grayrelease.io/latency-ms"] = "150"  # +200% over 50 ms
    cluster.apply(json.dumps(slow), namespace)
    rolled = gr.wait_phase(cluster, namespace, "lat", "RolledBack", timeout=120)
    record = rolled["analysis"]["latency"]
    assert record["failures"] >= 1
    history = record["history"]
    assert history["canary"][-1] > history["stable"][-1]
    print(f"\n[figure] latency regression caught after {len(history['canary'])} intervals of 2s")


def test_workload_ref_adopts_an_existing_deployment(cluster: Cluster, namespace: str, operator: Process) -> None:
    cluster.apply("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: legacy}
spec:
  replicas: 2
  selector: {matchLabels: {app: legacy}}
  template:
    metadata: {labels: {app: legacy}}
    spec: {containers: [{name: app, image: "example.com/legacy:1"}]}
""", namespace)
    manifest = {"apiVersion": "grayrelease.io/v1alpha1", "kind": "GrayRelease", "metadata": {"name": "legacy"},
                "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "legacy"}},
                         "workloadRef": {"kind": "Deployment", "name": "legacy"},
                         "strategy": {"steps": [{"setWeight": 50}, {"pause": {"duration": "1s"}}]}}}
    cluster.apply(json.dumps(manifest), namespace)
    first = gr.wait_phase(cluster, namespace, "legacy", "Succeeded", timeout=60)
    stable = gr.deployment(cluster, namespace, "legacy-stable")
    assert stable["spec"]["template"]["spec"]["containers"][0]["image"] == "example.com/legacy:1"
    cluster.kubectl("set", "image", "deployment/legacy", "app=example.com/legacy:2", "-n", namespace)
    gr.wait_promoted(cluster, namespace, "legacy", first, timeout=90, what="release of the new template")
    stable = gr.deployment(cluster, namespace, "legacy-stable")
    assert stable["spec"]["template"]["spec"]["containers"][0]["image"] == "example.com/legacy:2"


def test_progress_deadline_rolls_back_a_canary_that_never_becomes_ready(cluster: Cluster, namespace: str,
                                                                        operator: Process) -> None:
    steps = [{"setWeight": 50}, {"pause": {"duration": "1s"}}]
    cluster.apply(gr.grayrelease("stuck", steps=steps, extra_spec={"progressDeadlineSeconds": 6}), namespace)
    first = gr.wait_phase(cluster, namespace, "stuck", "Succeeded", timeout=60)
    unschedulable = json.loads(gr.grayrelease("stuck", image="example.com/app:2", steps=steps,
                                              extra_spec={"progressDeadlineSeconds": 6}))
    unschedulable["spec"]["template"]["spec"]["nodeSelector"] = {"no-such-node": "true"}
    cluster.apply(json.dumps(unschedulable), namespace)
    rolled = gr.wait_phase(cluster, namespace, "stuck", "RolledBack", timeout=90)
    assert rolled["stableRevision"] == first["stableRevision"]
    assert any(e["reason"] == "RolledBack" and "deadline" in e["message"].lower()
               for e in gr.events(cluster, namespace, "stuck"))


INVALID = [
    ("weight over 100", {"strategy": {"steps": [{"setWeight": 150}]}}, "less than or equal to 100"),
    ("negative pause", {"strategy": {"steps": [{"pause": {"duration": "-5s"}}]}}, "duration"),
    ("two kinds in one step", {"strategy": {"steps": [{"setWeight": 10, "pause": {}}]}},
     "exactly one of setWeight, pause, analysis or inspect"),
    ("template and workloadRef", {"workloadRef": {"kind": "Deployment", "name": "x"}},
     "exactly one of template or workloadRef"),
    ("analysis step names an unknown metric", {"strategy": {"steps": [{"analysis": {"metrics": ["nope"]}}]}},
     "must be defined in spec.analysis.metrics"),
    ("duplicate metric names", {"analysis": {"metrics": [
        {"name": "m", "provider": {"prometheus": {"address": "http://p:9090"}}, "query": "up", "successCondition": "result > 0"},
        {"name": "m", "provider": {"prometheus": {"address": "http://p:9090"}}, "query": "up", "successCondition": "result > 0"}]}},
     "metric names must be unique"),
    ("unknown router", {"trafficRouting": {"istio": {}}}, "trafficRouting"),
    ("zero query window", {"analysis": {"metrics": [
        {"name": "m", "provider": {"prometheus": {"address": "http://p:9090"}}, "query": "job:errors:ratio_rate5m",
         "compare": {"kind": "error-ratio", "queryWindow": "0s"}}]}}, "must be a positive duration"),
    ("analysis step of dry-run metrics only", {"strategy": {"steps": [{"analysis": {"metrics": ["m"]}}]}, "analysis": {"metrics": [
        {"name": "m", "provider": {"prometheus": {"address": "http://p:9090"}}, "query": "up", "successCondition": "result > 0",
         "dryRun": True}]}}, "an analysis step needs a metric that is not dryRun"),
    ("baseline compare selecting by revision", {"analysis": {"metrics": [
        {"name": "m", "provider": {"prometheus": {"address": "http://p:9090"}}, "query": 'p99{revision="{{ side.revision }}"}',
         "compare": {"against": "baseline", "kind": "latency"}}]}}, "must select its side by {{ side.role }}"),
]


@pytest.mark.parametrize(("change", "message"), [(c, m) for _, c, m in INVALID], ids=[i for i, _, _ in INVALID])
def test_invalid_manifests_are_rejected_at_apply(cluster: Cluster, crds: Cluster, unmanaged_namespace: str,
                                                 change: dict, message: str) -> None:
    manifest = json.loads(gr.grayrelease("bad"))
    manifest["spec"].update(change)
    result = cluster.kubectl("apply", "-f", "-", "-n", unmanaged_namespace, input=json.dumps(manifest), check=False)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr


RECORDING_RULES = """
groups:
  - name: grayrelease-e2e
    interval: 1s
    rules:
      - record: role:http_errors:ratio_rate8s
        expr: &ratio |
          (sum by (namespace, app, role) (rate(http_requests_total{code=~"5.."}[8s]))
            or sum by (namespace, app, role) (rate(http_requests_total[8s])) * 0)
          / sum by (namespace, app, role) (rate(http_requests_total[8s]))
      - record: role:http_errors:ratio
        expr: *ratio
"""


def test_a_recording_rule_is_judged_with_its_window(cluster: Cluster, namespace: str, operator: Process,
                                                    simulator: Process, prometheus: Prometheus) -> None:
    """A recording rule over 8s read every 2s: named level:metric:operations with its range
    (ratio_rate8s), the name gives its window; named otherwise, queryWindow gives it, and without it
    the operator reads it off the data and says so in every measurement."""
    prometheus.add_rules("recording", RECORDING_RULES)  # evaluated from the reload on, once the pods serve
    selector = '{namespace="{{ namespace }}",app="{{ name }}",role="{{ side.role }}"}'
    provider = {"prometheus": {"address": prometheus.url}}
    analysis = {"interval": "2s", "initialDelay": "2s", "metrics": [
        {"name": "named", "provider": provider, "query": "role:http_errors:ratio_rate8s" + selector,
         "compare": {"against": "stable", "kind": "error-ratio"}},
        {"name": "told", "provider": provider, "query": "role:http_errors:ratio" + selector,
         "compare": {"against": "stable", "kind": "error-ratio", "queryWindow": "8s"}},
        {"name": "hidden", "provider": provider, "query": "role:http_errors:ratio" + selector,
         "compare": {"against": "stable", "kind": "error-ratio"}},
    ]}
    steps = [{"setWeight": 25}, {"pause": {"duration": "90s"}}, {"setWeight": 50}]
    cluster.apply(gr.grayrelease("rule", steps=steps, analysis=analysis, error_ratio=0.002), namespace)
    gr.wait_phase(cluster, namespace, "rule", "Succeeded", timeout=60)
    cluster.apply(gr.grayrelease("rule", image="example.com/app:2", steps=steps, analysis=analysis, error_ratio=0.05),
                  namespace)
    rolled = gr.wait_phase(cluster, namespace, "rule", "RolledBack", timeout=150)
    named, told, hidden = (rolled["analysis"][name] for name in ("named", "told", "hidden"))
    assert named["measurements"] and told["measurements"] and hidden["measurements"]
    assert not any("queryWindow" in m["message"] for m in named["measurements"] + told["measurements"])
    assert all("compare.queryWindow gives it" in m["message"] for m in hidden["measurements"])
    unknown = [e["message"] for e in gr.events(cluster, namespace, "rule") if e["reason"] == "QueryWindowUnknown"]
    assert len(unknown) == 1 and unknown[0].startswith("hidden: the query shows no range"), unknown
    print(f"\n[figure] 25x error ratio through an 8s recording rule on a 25% canary caught after "
          f"{len(named['history']['canary'])} intervals of 2s")


def test_error_ratio_comparison_with_request_counts(cluster: Cluster, namespace: str, operator: Process,
                                                    simulator: Process, prometheus: Prometheus) -> None:
    selector = 'namespace="{{ namespace }}",app="{{ name }}",role="{{ side.role }}"'
    analysis = {"interval": "2s", "initialDelay": "2s", "metrics": [{
        "name": "errors-vs-stable", "provider": {"prometheus": {"address": prometheus.url}},
        "query": f'(sum(rate(http_requests_total{{{selector},code=~"5.."}}[4s])) or vector(0))'
                 f' / sum(rate(http_requests_total{{{selector}}}[4s]))',
        "compare": {"against": "stable", "kind": "error-ratio",
                    "requestsQuery": f"sum(increase(http_requests_total{{{selector}}}[4s]))"}}]}
    # The same ratio over 20s, ten intervals: the release starts by saying it would be slow to judge.
    slow = json.loads(json.dumps(analysis["metrics"][0]).replace("[4s]", "[20s]"))
    analysis["metrics"].append({**slow, "name": "errors-over-20s", "dryRun": True})
    steps = [{"setWeight": 10}, {"pause": {"duration": "90s"}}, {"setWeight": 50}]
    cluster.apply(gr.grayrelease("err", steps=steps, analysis=analysis, error_ratio=0.002), namespace)
    gr.wait_phase(cluster, namespace, "err", "Succeeded", timeout=60)
    cluster.apply(gr.grayrelease("err", image="example.com/app:2", steps=steps, analysis=analysis, error_ratio=0.03),
                  namespace)
    rolled = gr.wait_phase(cluster, namespace, "err", "RolledBack", timeout=120)
    history = rolled["analysis"]["errors-vs-stable"]["history"]
    assert history["canaryRequests"] and history["stableRequests"]
    assert history["canaryRequests"][-1] < history["stableRequests"][-1]  # a 10% canary sees a tenth of the traffic
    warned = [e["message"] for e in gr.events(cluster, namespace, "err") if e["reason"] == "LongQueryWindow"]
    assert len(warned) == 1 and warned[0].startswith("errors-over-20s reads a 20s window every 2s"), warned
    assert "errors-vs-stable" not in warned[0]
    slow_messages = [m["message"] for m in rolled["analysis"]["errors-over-20s"]["measurements"]]
    assert any("each value shares 90% of its data with the last" in m for m in slow_messages), slow_messages
    print(f"\n[figure] 15x error ratio on a 10% canary caught after {len(history['canary'])} intervals of 2s")


def test_success_ratio_and_per_side_rate_through_weight_changes(cluster: Cluster, namespace: str, operator: Process,
                                                                simulator: Process, prometheus: Prometheus,
                                                                tmp_path: Path) -> None:
    """A request rate summed per side follows the split of each step, and a success ratio is judged by its failures.

    The analysis interval equals the queries' rate window, as docs/judge.md advises: with a 4s window
    read every 2s, each error would count in two consecutive values and the judge would see twice
    the evidence there is.
    """
    prometheus.add_target("operator", f"127.0.0.1:{OPERATOR_METRICS_PORT}")  # its weights, for the replay below
    selector = 'namespace="{{ namespace }}",app="{{ name }}",role="{{ side.role }}"'
    provider = {"prometheus": {"address": prometheus.url}}
    analysis = {"interval": "4s", "initialDelay": "4s", "metrics": [
        {"name": "served", "provider": provider, "query": f"sum(rate(http_requests_total{{{selector}}}[4s]))",
         "compare": {"against": "stable", "kind": "throughput", "per": "side"}},
        {"name": "availability", "provider": provider,
         "query": f'(sum(rate(http_requests_total{{{selector},code!~"5.."}}[4s])))'
                  f" / sum(rate(http_requests_total{{{selector}}}[4s]))",
         "compare": {"against": "stable", "kind": "gauge", "better": "higher"}},
    ]}
    steps = [{"setWeight": 20}, {"pause": {"duration": "32s"}}, {"setWeight": 50}, {"pause": {"duration": "32s"}}]
    cluster.apply(gr.grayrelease("ratio", replicas=10, steps=steps, analysis=analysis, error_ratio=0.002), namespace)
    first = gr.wait_phase(cluster, namespace, "ratio", "Succeeded", timeout=60)

    cluster.apply(gr.grayrelease("ratio", image="example.com/app:2", replicas=10, steps=steps, analysis=analysis,
                                 error_ratio=0.002), namespace)
    good = gr.wait_promoted(cluster, namespace, "ratio", first, timeout=180)
    # The API server keeps compare.per (the schema knows it), and a rate said to be per side passes a good canary.
    assert cluster.get("grayrelease", "ratio", namespace)["spec"]["analysis"]["metrics"][0]["compare"]["per"] == "side"
    served = good["analysis"]["served"]["history"]
    assert {20.0, 50.0} <= set(w for w in served["canaryWeights"] if w is not None)
    # The ready pods of each side are recorded beside the weight (what a rate per pod is due).
    assert {(2, 8), (5, 5)} <= set(zip(served["canaryPods"], served["stablePods"]))
    assert good["analysis"]["served"]["failures"] == 0 and good["analysis"]["availability"]["failures"] == 0

    cluster.apply(gr.grayrelease("ratio", image="example.com/app:3", replicas=10, steps=steps, analysis=analysis,
                                 error_ratio=0.1), namespace)
    rolled = gr.wait_phase(cluster, namespace, "ratio", "RolledBack", timeout=180)
    availability = rolled["analysis"]["availability"]
    assert availability["failures"] >= 1
    assert any("failures (1 - value)" in m["message"] for m in availability["measurements"])
    print(f"\n[figure] 50x failures (success ratio 99.8% -> 90%) on a 20% canary caught after"
          f" {len(availability['history']['canary'])} intervals of 4s")

    # What the operator judged, replayed from the release as kubectl prints it: the same rollback,
    # at the same interval; a saved copy replays alike. Labelled bad, it is scored as a detection.
    manifest = cluster.kubectl("get", "grayrelease", "ratio", "-n", namespace, "-o", "yaml").stdout
    saved = tmp_path / "ratio.json"
    replayed = subprocess.run(
        [sys.executable, "-m", "grayrelease.cli.main", "replay", "--from-release", "-", "--json", "--save", str(saved),
         "--truth", "bad", "--truth-note", "50x failures"],
        input=manifest, capture_output=True, text=True, check=True, timeout=60,
    )
    [outcome] = json.loads(replayed.stdout)["scenarios"]
    assert outcome["name"] == f"{namespace}/ratio" and outcome["verdict"] == "rollback"
    assert outcome["decided_index"] == len(availability["history"]["canary"]) - 1
    assert json.loads(replayed.stdout)["summary"]["recall"] == 1.0
    scenario = json.loads(saved.read_text())
    assert scenario["truth"] == {"bad": True, "onset_index": 0, "note": "50x failures"} and scenario["start_time"]
    assert [m["name"] for m in scenario["metrics"]] == ["served", "availability"]
    assert scenario["metrics"][0]["compare"]["per"] == "side" and 20.0 in scenario["canary_weights"]

    # The same release's own queries run again over its whole analysis window, with the weights
    # the operator exported to Prometheus. The judge needs three intervals at least, and the replay
    # has no more than the operator judged, sampled at Prometheus' grid instants instead: the
    # failures are set far beyond the bar (50x; at 15x, one replay in about sixteen needed a fourth
    # interval it did not have), and judged at 95% here the rollback is clear of chance.
    queried = subprocess.run(
        [sys.executable, "-m", "grayrelease.cli.main", "replay", "--from-release", "-", "--from-prometheus", prometheus.url,
         "--confidence", "0.95", "--json", "--explain", "--save", str(tmp_path / "window.json")],
        input=manifest, capture_output=True, text=True, check=True, timeout=120,
    )
    [outcome] = json.loads(queried.stdout)["scenarios"]
    window = json.loads((tmp_path / "window.json").read_text())
    assert outcome["verdict"] == "rollback", f"{queried.stdout}\n{json.dumps(window)}"  # in full, not a repr cut short
    assert len(window["metrics"][1]["canary"]) >= len(availability["history"]["canary"])
    assert 20.0 in window["canary_weights"], "the weights come from grayrelease_release_canary_weight_ratio"
    assert 2 in window["canary_pods"] and 8 in window["stable_pods"], "the pods come from grayrelease_release_ready_pods"
    # The operator exports each compare metric's stable side beside the canary's (the dashboard divides them).
    stable_served = prometheus.query(f'grayrelease_analysis_stable_value{{namespace="{namespace}",name="ratio",metric="served"}}')
    assert stable_served and float(stable_served[0]["value"][1]) > 0, stable_served

    # kubectl gray replay reads the release from the API server and, with --prometheus (no URL: the
    # one its metrics query), judges the same whole window: the same answer, with the deciding reason.
    plugin_env = {**cluster.env, "PATH": f"{Path(sys.executable).parent}:{cluster.env['PATH']}", "NO_COLOR": "1"}
    gray = subprocess.run(["kubectl", "gray", "replay", "ratio", "-n", namespace, "--prometheus",
                           "--confidence", "0.95", "--json"], capture_output=True, text=True, env=plugin_env, timeout=120)
    assert gray.returncode == 0, gray.stderr
    assert json.loads(gray.stdout)["scenarios"] == [outcome], gray.stdout
    assert "availability" in outcome["reason"]
    refused = subprocess.run(["kubectl", "gray", "replay", "ratio", "-n", namespace, "--stable-revision", "x"],
                             capture_output=True, text=True, env=plugin_env, timeout=60)
    assert refused.returncode != 0 and "only with --prometheus" in refused.stderr


def test_a_rate_per_pod_behind_a_router_is_judged_by_what_a_canary_pod_is_due(
        cluster: Cluster, namespace: str, operator: Process, simulator: Process, prometheus: Prometheus,
        tmp_path: Path) -> None:
    """The router gives the one canary pod 5% beside ten stable pods: it serves about half of a stable
    pod's requests, which is its due. Requests per pod (divided by kube-state-metrics' ready pods)
    must not read as a 47% drop: the operator records each side's ready pods with every measurement.
    Replayed without them, the same release is rolled back."""
    cluster.apply(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: pods}\n"
        "spec:\n  parentRefs: [{name: public}]\n  rules:\n  - backendRefs: [{name: pods-stable, port: 80}]\n",
        namespace)
    routing = {"gatewayAPI": {"httpRoute": "pods"}}
    side = 'namespace="{{ namespace }}",app="{{ name }}",role="{{ side.role }}"'
    ready = 'kube_deployment_status_replicas_ready{namespace="{{ namespace }}",deployment="{{ name }}-{{ side.role }}"}'
    analysis = {"interval": "4s", "initialDelay": "4s", "metrics": [
        {"name": "per-pod", "provider": {"prometheus": {"address": prometheus.url}},
         "query": f"sum(rate(http_requests_total{{{side}}}[4s])) / sum({ready})",
         "compare": {"against": "stable", "kind": "throughput", "per": "pod"}},
    ]}
    steps = [{"setWeight": 5}, {"pause": {"duration": "48s"}}]
    release = dict(replicas=10, steps=steps, analysis=analysis, traffic=routing)
    cluster.apply(gr.grayrelease("pods", **release), namespace)
    first = gr.wait_phase(cluster, namespace, "pods", "Succeeded", timeout=60)

    cluster.apply(gr.grayrelease("pods", image="example.com/app:2", **release), namespace)
    done = gr.wait_ended(cluster, namespace, "pods", first, timeout=150)
    record = done["analysis"]["per-pod"]
    assert done["phase"] == "Succeeded", record["measurements"][-1]["message"]
    history = record["history"]
    assert (1, 10) in set(zip(history["canaryPods"], history["stablePods"]))
    ratios = [c / s for c, s in zip(history["canary"], history["stable"]) if c and s]
    assert 0.35 < sorted(ratios)[len(ratios) // 2] < 0.75, ratios  # a canary pod serves about half a stable pod's rate

    manifest = json.loads(cluster.kubectl("get", "grayrelease", "pods", "-n", namespace, "-o", "json").stdout)
    blind = manifest["status"]["analysis"]["per-pod"]["history"]
    blind.pop("canaryPods"), blind.pop("stablePods")
    replayed = subprocess.run([sys.executable, "-m", "grayrelease.cli.main", "replay", "--from-release", "-", "--json"],
                              input=json.dumps(manifest), capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(replayed.stdout)["scenarios"][0]["verdict"] == "rollback"
    print(f"\n[figure] a 5% canary pod beside ten stable pods served {sorted(ratios)[len(ratios) // 2]:.2f} of a stable"
          f" pod's rate over {len(ratios)} intervals: promoted with its pods known, rolled back without")


def test_marginal_canary_is_held_at_its_weight(cluster: Cluster, namespace: str, operator: Process,
                                               prometheus: Prometheus) -> None:
    """A canary that looks worse when its step completes, but not yet conclusively, gets no more traffic.

    The gauge is 15% higher on the canary at every interval. With a release-wide confidence of
    1 - 1e-7 the sequential test needs about 18 intervals to call it, while one look at 95% sees it
    after 7: when the first timed pause ends, the release pauses at 25% (AnalysisMarginal) instead
    of going to 50%, and, as the canary stays worse while paused, the growing evidence rolls it back.
    """
    analysis, steps = gr.marginal_gauge_analysis(prometheus.url), gr.MARGINAL_STEPS
    cluster.apply(gr.grayrelease("held", steps=steps, analysis=analysis), namespace)
    gr.wait_phase(cluster, namespace, "held", "Succeeded", timeout=60)

    cluster.apply(gr.grayrelease("held", image="example.com/app:2", steps=steps, analysis=analysis), namespace)
    held = gr.wait_status(cluster, namespace, "held", lambda s: s.get("pauseReason") == "AnalysisMarginal",
                          timeout=120, what="paused as marginal")
    memory = held["analysis"]["memory"]
    assert held["phase"] == "Paused" and held["currentStepIndex"] == 1 and held["canaryWeight"] == 25
    assert memory["marginal"] is True and memory["failures"] == 0
    assert memory["measurements"][-1]["message"].startswith("Pass: marginal:")
    assert "AnalysisMarginal" in gr.reasons(cluster, namespace, "held")
    intervals = len(memory["history"]["canary"])

    rolled = gr.wait_phase(cluster, namespace, "held", "RolledBack", timeout=120)
    assert rolled["analysis"]["memory"]["failures"] >= 1
    weights = {w for w in rolled["analysis"]["memory"]["history"]["canaryWeights"] if w is not None}
    assert max(weights) <= 25, f"the canary had {sorted(weights)}% of the pods, never more than a quarter"
    print(f"\n[figure] +15% gauge held at 25% after {intervals} intervals of 2s,"
          f" rolled back after {len(rolled['analysis']['memory']['history']['canary'])}")


def test_a_dry_run_metric_is_announced_and_decides_nothing(cluster: Cluster, namespace: str, operator: Process,
                                                            prometheus: Prometheus) -> None:
    """The gauge 15% higher on the canary fails the judge within a few intervals; as a dry run it
    only says so (Warning AnalysisDryRunFailed), and the release promotes. Replayed from the
    release, the judge's verdict on it is a rollback."""
    analysis = gr.marginal_gauge_analysis(prometheus.url)
    memory = analysis["metrics"][0]
    memory["compare"].pop("confidence")  # the default 99%: fails within about ten intervals
    memory["dryRun"] = True
    steps = [{"setWeight": 25}, {"pause": {"duration": "40s"}}]
    cluster.apply(gr.grayrelease("shadow", steps=steps, analysis=analysis), namespace)
    first = gr.wait_phase(cluster, namespace, "shadow", "Succeeded", timeout=60)

    cluster.apply(gr.grayrelease("shadow", image="example.com/app:2", steps=steps, analysis=analysis), namespace)
    done = gr.wait_ended(cluster, namespace, "shadow", first, timeout=120)
    assert done["phase"] == "Succeeded" and done["stableRevision"] == done["canaryRevision"]
    assert done["analysis"]["memory"]["failures"] >= 1
    warned = [e for e in gr.events(cluster, namespace, "shadow") if e["reason"] == "AnalysisDryRunFailed"]
    assert len(warned) == 1 and "dry-run metric memory would have failed the release" in warned[0]["message"]

    manifest = cluster.kubectl("get", "grayrelease", "shadow", "-n", namespace, "-o", "yaml").stdout
    replayed = subprocess.run([sys.executable, "-m", "grayrelease.cli.main", "replay", "--from-release", "-", "--json"],
                              input=manifest, capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(replayed.stdout)["scenarios"][0]["verdict"] == "rollback"
    print(f"\n[figure] a dry-run +15% gauge failed after {done['analysis']['memory']['successes']} passing"
          f" measurements; the release promoted after {len(done['analysis']['memory']['history']['canary'])}")


def test_a_canary_whose_pods_still_report_is_paused_not_rolled_back(cluster: Cluster, namespace: str, operator: Process,
                                                                    prometheus: Prometheus) -> None:
    """The operator judges a compare metric with the release's others, as ``grayrelease replay`` does.

    The canary's latency never comes in (no traffic reaches it: a routing mistake), while its pods
    report their memory: nothing says the canary is bad, and the release pauses for a person. Where
    the latency's request counts say the canary was due requests and served none, the same silence
    is a dead canary after its first minute and another minute of silence, and the release rolls back.
    """
    def side(value: str, *roles: str) -> str:
        values = " or ".join(f'label_replace(vector({value}), "role", "{role}", "", "")' for role in roles)
        return f'({values}) and on(role) label_replace(vector(1), "role", "{{{{ side.role }}}}", "", "")'

    provider = {"prometheus": {"address": prometheus.url}}
    latency = {"name": "latency", "provider": provider, "query": side("0.2", "stable"),
               "compare": {"against": "stable", "kind": "latency"}}
    memory = {"name": "memory", "provider": provider, "query": side("5e8 + time() % 1", "stable", "canary"),
              "compare": {"against": "stable", "kind": "gauge"}}
    # Stable serves 100 requests a look; the dead canary none (no series at all).
    counted = {**latency, "compare": {**latency["compare"], "requestsQuery": side("100", "stable")}}
    # The canary never reports: a dead canary only once its first minute of start-up is over (a fresh
    # pod is scraped within a scrape interval or two), so the pause outlasts it.
    steps = [{"setWeight": 50}, {"pause": {"duration": "90s"}}]
    for name, metrics, outcome in (("alive", [latency, memory], "Paused"), ("dead", [counted], "RolledBack")):
        analysis = {"interval": "2s", "inconclusiveLimit": 4, "metrics": metrics}
        cluster.apply(gr.grayrelease(name, steps=steps, analysis=analysis), namespace)
        gr.wait_phase(cluster, namespace, name, "Succeeded", timeout=60)
        cluster.apply(gr.grayrelease(name, image="example.com/app:2", steps=steps, analysis=analysis), namespace)
        # The dead canary pauses as inconclusive through its start-up and rolls back after a
        # minute of silence past it.
        ended = gr.wait_phase(cluster, namespace, name, outcome, timeout=240)
        record = ended["analysis"]["latency"]
        assert ended["phase"] == outcome, ended.get("message")
        if outcome == "Paused":
            assert ended["pauseReason"] == "AnalysisInconclusive" and record["failures"] == 0
            # Measured on while paused: once the canary's minute of start-up is over, a latency that
            # never came in, with nothing counting the canary's requests, holds and does not fail.
            told = gr.wait_status(cluster, namespace, name, lambda s: any(
                "nothing says it was due requests" in m["message"] for m in s["analysis"]["latency"]["measurements"]),
                timeout=240, what="latency judged silent but not dead")
            assert told["phase"] == "Paused" and told["analysis"]["latency"]["failures"] == 0
        else:
            assert record["failures"] >= 1


def test_a_canary_judged_against_a_baseline(cluster: Cluster, namespace: str, operator: Process,
                                            simulator: Process, prometheus: Prometheus) -> None:
    """compare.against: baseline runs the stable's revision beside the canary with the canary's pods
    and weight, and judges the canary against it: a good canary is promoted and the baseline goes
    away with it; a slow one is rolled back."""
    cluster.apply(gr.http_route("base"), namespace)
    routing = {"gatewayAPI": {"httpRoute": "base"}}
    analysis = {"interval": "2s", "initialDelay": "2s", "metrics": [{
        "name": "latency", "provider": {"prometheus": {"address": prometheus.url}}, "query": LATENCY_QUERY,
        "compare": {"against": "baseline", "kind": "latency"}}]}
    steps = [{"setWeight": 20}, {"pause": {"duration": "20s"}}, {"setWeight": 40}, {"pause": {"duration": "10s"}}]
    cluster.apply(gr.grayrelease("base", replicas=5, steps=steps, analysis=analysis, traffic=routing), namespace)
    first = gr.wait_phase(cluster, namespace, "base", "Succeeded", timeout=60)

    def weights() -> dict[str, int]:
        refs = cluster.get("httproute", "base", namespace)["spec"]["rules"][0]["backendRefs"]
        return {r["name"]: r.get("weight", 1) for r in refs}

    cluster.apply(gr.grayrelease("base", image="example.com/app:2", replicas=5, steps=steps, analysis=analysis,
                                 traffic=routing), namespace)
    seen = wait_until(lambda: weights().get("base-baseline") == 20 and weights(), timeout=60, what="20% on the baseline")
    assert seen == {"base-stable": 60, "base-canary": 20, "base-baseline": 20}
    baseline = gr.deployment(cluster, namespace, "base-baseline")
    stable = gr.deployment(cluster, namespace, "base-stable")
    assert baseline["spec"]["replicas"] == 1  # the canary's pods at 20% of 5
    assert baseline["spec"]["template"]["spec"] == stable["spec"]["template"]["spec"]  # the stable's revision
    assert baseline["spec"]["template"]["metadata"]["labels"]["grayrelease.io/role"] == "baseline"
    canary_revision = gr.status(cluster, namespace, "base")["canaryRevision"]
    assert baseline["spec"]["template"]["metadata"]["annotations"]["grayrelease.io/baseline-for"] == canary_revision
    # at 40% the baseline gets half of what the canary leaves, so the stable keeps as much as the baseline
    wait_until(lambda: weights() == {"base-stable": 30, "base-canary": 40, "base-baseline": 30}, timeout=60,
               what="40/30/30")
    done = gr.wait_promoted(cluster, namespace, "base", first, timeout=120)
    history = done["analysis"]["latency"]["history"]
    assert 50.0 in history["canaryWeights"]  # the canary's share of the two sides compared at 20/20
    assert all(c == b for c, b in zip(history["canaryPods"], history["stablePods"]) if c == 1)
    wait_until(lambda: gr.deployment(cluster, namespace, "base-baseline")["spec"]["replicas"] == 0, timeout=60,
               what="the baseline scaled to zero")
    assert weights() == {"base-stable": 100, "base-canary": 0, "base-baseline": 0}

    slow = json.loads(gr.grayrelease("base", image="example.com/app:3", replicas=5, steps=steps, analysis=analysis,
                                     traffic=routing))
    slow["spec"]["template"]["metadata"]["annotations"]["sim.grayrelease.io/latency-ms"] = "150"
    cluster.apply(json.dumps(slow), namespace)
    rolled = gr.wait_phase(cluster, namespace, "base", "RolledBack", timeout=120)
    history = rolled["analysis"]["latency"]["history"]
    assert history["canary"][-1] > 2 * history["stable"][-1]  # the slow canary against the baseline's 50 ms
    wait_until(lambda: gr.deployment(cluster, namespace, "base-baseline")["spec"]["replicas"] == 0, timeout=60,
               what="the baseline scaled to zero after the rollback")
    print(f"\n[figure] +200% latency against a baseline caught after {len(history['canary'])} intervals of 2s")


def test_a_baseline_without_a_router_adds_pods_beside_the_stable(cluster: Cluster, namespace: str, operator: Process,
                                                                  simulator: Process, prometheus: Prometheus) -> None:
    """Without a router the baseline's pods join the stable's behind the user's Service: the canary's
    share is its share of all ready pods, and the judge compares it with the baseline's pods, one for one."""
    analysis = {"interval": "2s", "initialDelay": "2s", "metrics": [{
        "name": "latency", "provider": {"prometheus": {"address": prometheus.url}}, "query": LATENCY_QUERY,
        "compare": {"against": "baseline", "kind": "latency"}}]}
    steps = [{"setWeight": 25}, {"pause": {"duration": "16s"}}]
    cluster.apply(gr.grayrelease("pods", steps=steps, analysis=analysis), namespace)
    first = gr.wait_phase(cluster, namespace, "pods", "Succeeded", timeout=60)
    cluster.apply(gr.grayrelease("pods", image="example.com/app:2", steps=steps, analysis=analysis), namespace)
    during = gr.wait_status(cluster, namespace, "pods", lambda s: s.get("currentStepIndex") == 1
                            and s.get("canaryWeight") == 20, timeout=60, what="the pause step at 1 canary pod of 5")
    assert during["phase"] == "Progressing"
    replicas = {role: gr.deployment(cluster, namespace, f"pods-{role}")["spec"]["replicas"]
                for role in ("stable", "canary", "baseline")}
    assert replicas == {"stable": 3, "canary": 1, "baseline": 1}
    done = gr.wait_promoted(cluster, namespace, "pods", first, timeout=120)
    history = done["analysis"]["latency"]["history"]
    assert set(w for w in history["canaryWeights"] if w is not None) == {50.0}  # one canary pod against one baseline pod
    assert set(zip(history["canaryPods"], history["stablePods"])) == {(1, 1)}
    wait_until(lambda: gr.deployment(cluster, namespace, "pods-baseline")["spec"]["replicas"] == 0, timeout=60,
               what="the baseline scaled to zero")
