"""The operator's /metrics during a real release, scraped by the real Prometheus.

The session's operator serves /metrics on a fixed loopback port; this test registers it as a
Prometheus target, carries a release with an analysis through to promotion, and then asks
Prometheus (not the endpoint) for what a Grafana dashboard would show.
"""

from __future__ import annotations

import json
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from tests.e2e import releases as gr
from tests.e2e.conftest import OPERATOR_METRICS_PORT
from tests.e2e.harness import REPO, Cluster, Prometheus, Process, wait_until

ENDPOINT = f"127.0.0.1:{OPERATOR_METRICS_PORT}"
JOB = 'job="operator"'  # other jobs may export grayrelease_* series too (e.g. an operator run by the chart test)
DASHBOARD = REPO / "charts/grayrelease/dashboards/grayrelease.json"


def scrape() -> str:
    with urllib.request.urlopen(f"http://{ENDPOINT}/metrics", timeout=5) as response:
        return response.read().decode()


def exposed(text: str, metric: str, /, **labels: str) -> float:
    """The value of one series in the text exposition format (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == metric and sample.labels == labels:
                return sample.value
    return 0.0


def value(prometheus: Prometheus, promql: str) -> float | None:
    result = prometheus.query(promql)
    return float(result[0]["value"][1]) if result else None


def test_release_metrics_reach_prometheus(cluster: Cluster, namespace: str, operator: Process,
                                          simulator: Process, prometheus: Prometheus) -> None:
    prometheus.add_target("operator", ENDPOINT)
    analysis = gr.error_rate_analysis(prometheus.url)
    steps = [{"setWeight": 50}, {"analysis": {"metrics": ["error-rate"], "count": 2}}, {"pause": {"duration": "3s"}}]
    cluster.apply(gr.grayrelease("metered", steps=steps, analysis=analysis), namespace)
    first = gr.wait_phase(cluster, namespace, "metered", "Succeeded", timeout=60)
    cluster.apply(gr.grayrelease("metered", image="example.com/app:2", steps=steps, analysis=analysis), namespace)

    release = f'namespace="{namespace}",name="metered"'
    # while the canary has weight, the endpoint shows it (scraped directly: faster than a Prometheus round)
    ratio = "grayrelease_release_canary_weight_ratio"
    weight = wait_until(lambda: 0 < (w := exposed(scrape(), ratio, namespace=namespace, name="metered")) < 1 and w,
                        timeout=90, interval=0.2, what="a canary weight on /metrics")
    print(f"[figure] canary weight seen on /metrics mid-release: {weight}")
    gr.wait_promoted(cluster, namespace, "metered", first, timeout=120)

    wait_until(lambda: value(prometheus, f'grayrelease_release_phase{{{release},phase="Succeeded"}}') == 1,
               timeout=30, what="phase Succeeded in Prometheus")
    assert value(prometheus, f'grayrelease_release_phase{{{release},phase="Progressing"}}') == 0
    assert value(prometheus, f'grayrelease_release_canary_weight_ratio{{{release}}}') == 0
    promoted = wait_until(lambda: value(prometheus, 'sum(grayrelease_decisions_total{kind="promote"})'),
                          timeout=30, what="promote decisions in Prometheus")
    assert promoted >= 1
    assert value(prometheus, f'sum(grayrelease_analysis_measurements_total{{{release},phase="Successful"}})') >= 2
    assert value(prometheus, f'grayrelease_release_duration_seconds_count{{{release},result="Succeeded"}}') == 1
    assert value(prometheus, f'sum(grayrelease_step_duration_seconds_count{{{release}}})') >= 2
    assert value(prometheus, f"grayrelease_prometheus_query_duration_seconds_count{{{JOB}}}") >= 2
    assert value(prometheus, f'sum(grayrelease_reconciles_total{{{JOB},result="success"}})') >= 1
    assert value(prometheus, f'grayrelease_kubernetes_api_requests_total{{{JOB},method="PATCH"}}') >= 1
    assert value(prometheus, f"grayrelease_build_info{{{JOB}}}") == 1
    p99 = value(prometheus, "histogram_quantile(0.99, sum by (le) (rate(grayrelease_reconcile_duration_seconds_bucket[1m])))")
    print(f"[figure] reconcile duration p99 over the last minute: {p99}")

    for panel in json.loads(DASHBOARD.read_text())["panels"]:  # every dashboard query is valid PromQL
        for target in panel.get("targets", []):
            expr = (target["expr"].replace("$__rate_interval", "1m").replace("$__range", "5m")
                    .replace("$namespace", namespace))
            prometheus.query(expr)  # asserts status success
    assert value(prometheus, f'sum(grayrelease_release_phase{{namespace=~"{namespace}"}})') == 1

    cluster.kubectl("delete", "grayrelease", "metered", "-n", namespace)
    wait_until(lambda: f'name="metered"' not in scrape(), timeout=30, what="series removed after deletion")
