"""The local control plane and Prometheus are real: workloads, RBAC and scraping behave as in a cluster."""

from __future__ import annotations

import json
import socket

from prometheus_client import CollectorRegistry, Gauge, start_http_server

from tests.e2e.harness import Cluster, Prometheus, wait_until

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  strategy: {rollingUpdate: {maxUnavailable: 0, maxSurge: 1}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "example.com/web:1"}]}
"""


def _deployment(cluster: Cluster, namespace: str) -> dict:
    return cluster.get("deployment", "web", namespace)


def test_deployment_gets_ready_pods_from_fake_nodes(cluster: Cluster, namespace: str) -> None:
    cluster.apply(DEPLOYMENT, namespace)
    status = wait_until(lambda: (s := _deployment(cluster, namespace)["status"]).get("availableReplicas") == 3 and s,
                        timeout=60, what="3 available replicas")
    assert status["readyReplicas"] == 3
    pods = cluster.get("pods", namespace=namespace)["items"]
    assert len(pods) == 3
    assert all(p["spec"]["nodeName"].startswith("kwok-node-") for p in pods)  # placed by the real scheduler
    assert all(any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"]["conditions"]) for p in pods)


def test_image_change_completes_a_rolling_update(cluster: Cluster, namespace: str) -> None:
    cluster.apply(DEPLOYMENT, namespace)
    wait_until(lambda: _deployment(cluster, namespace)["status"].get("availableReplicas") == 3, timeout=60, what="first rollout")
    cluster.kubectl("set", "image", "deployment/web", "web=example.com/web:2", "-n", namespace)
    cluster.kubectl("rollout", "status", "deployment/web", "-n", namespace, "--timeout=90s")
    pods = cluster.get("pods", namespace=namespace)["items"]
    live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    assert {p["spec"]["containers"][0]["image"] for p in live} == {"example.com/web:2"}
    replica_sets = cluster.get("replicasets", namespace=namespace)["items"]
    assert sorted(rs["spec"]["replicas"] for rs in replica_sets) == [0, 3]


def test_service_account_needs_a_role_binding(cluster: Cluster, namespace: str) -> None:
    cluster.kubectl("create", "serviceaccount", "reader", "-n", namespace)
    token = cluster.kubectl("create", "token", "reader", "-n", namespace).stdout.strip()
    denied = cluster.kubectl("get", "configmaps", "-n", namespace, token=token, check=False)
    assert denied.returncode != 0
    assert "Forbidden" in denied.stderr and f"system:serviceaccount:{namespace}:reader" in denied.stderr
    cluster.kubectl("create", "role", "read-cm", "--verb=get,list", "--resource=configmaps", "-n", namespace)
    cluster.kubectl("create", "rolebinding", "read-cm", "--role=read-cm", f"--serviceaccount={namespace}:reader", "-n", namespace)
    allowed = wait_until(lambda: (r := cluster.kubectl("get", "configmaps", "-n", namespace, "-o", "json", token=token,
                                                       check=False)).returncode == 0 and r,
                         timeout=30, what="access after the RoleBinding")
    assert json.loads(allowed.stdout)["kind"] == "List"
    # Impersonation goes through the same authorizer.
    assert cluster.kubectl("auth", "can-i", "delete", "configmaps", "-n", namespace,
                           as_user=f"system:serviceaccount:{namespace}:reader", check=False).stdout.strip() == "no"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_prometheus_scrapes_a_target_and_answers_queries(prometheus: Prometheus) -> None:
    registry = CollectorRegistry()
    gauge = Gauge("grayrelease_harness_probe", "A value the harness test expects to read back.", registry=registry)
    gauge.set(42.5)
    port = _free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    try:
        prometheus.add_target("harness-probe", f"127.0.0.1:{port}")
        result = wait_until(lambda: prometheus.query('grayrelease_harness_probe{job="harness-probe"}'),
                            timeout=60, what="the probe series in Prometheus")
        assert float(result[0]["value"][1]) == 42.5
    finally:
        server.shutdown()
