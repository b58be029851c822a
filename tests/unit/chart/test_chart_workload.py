"""The operator's Deployment and its neighbours as rendered by default and with options."""

from __future__ import annotations

import json

import pytest

import rendering
from grayrelease import __version__


def _pod(objects: list[dict]) -> dict:
    return rendering.one(objects, "Deployment")["spec"]["template"]["spec"]


def test_default_kinds(default_objects: list[dict]) -> None:
    assert rendering.kinds(default_objects) == {
        "Deployment", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
        "PodDisruptionBudget", "Service", "Job"}  # Job: the helm test hook


def test_two_replicas_with_leader_election_and_a_budget_of_one(default_objects: list[dict]) -> None:
    deployment = rendering.one(default_objects, "Deployment")
    assert deployment["spec"]["replicas"] == 2
    args = _pod(default_objects)["containers"][0]["args"]
    assert "--leader-elect" in args
    assert "--leader-lease-namespace=$(POD_NAMESPACE)" in args
    assert "--leader-lease-name=grayrelease-leader" in args
    env = {e["name"]: e for e in _pod(default_objects)["containers"][0]["env"]}
    assert env["POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"
    pdb = rendering.one(default_objects, "PodDisruptionBudget")
    assert pdb["spec"]["minAvailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]


def test_restricted_security_context(default_objects: list[dict]) -> None:
    pod = _pod(default_objects)
    container = pod["containers"][0]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}
    assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]


def test_liveness_probe_hits_the_endpoint_the_operator_serves(default_objects: list[dict]) -> None:
    container = _pod(default_objects)["containers"][0]
    probe = container["livenessProbe"]["httpGet"]
    assert probe["path"] == "/healthz"
    port = next(p["containerPort"] for p in container["ports"] if p["name"] == probe["port"])
    assert f"--liveness=http://0.0.0.0:{port}/healthz" in container["args"]


def test_metrics_service_targets_the_metrics_port(default_objects: list[dict]) -> None:
    container = _pod(default_objects)["containers"][0]
    service = rendering.one(default_objects, "Service", "-metrics")
    assert service["spec"]["ports"][0]["targetPort"] == "metrics"
    port = next(p["containerPort"] for p in container["ports"] if p["name"] == "metrics")
    assert f"--metrics-port={port}" in container["args"]


def test_metrics_disabled_removes_service_flag_and_test(helm) -> None:
    objects = rendering.render("--set", "metrics.enabled=false")
    assert not rendering.kinds(objects) & {"Service", "Job"}
    assert "--metrics-port=0" in _pod(objects)["containers"][0]["args"]  # the operator's default is 9100


def test_service_monitor_is_optional(default_objects: list[dict], helm) -> None:
    assert "ServiceMonitor" not in rendering.kinds(default_objects)
    objects = rendering.render("--set", "metrics.serviceMonitor.enabled=true",
                               "--set", "metrics.serviceMonitor.labels.release=prom")
    monitor = rendering.one(objects, "ServiceMonitor")
    service = rendering.one(objects, "Service", "-metrics")
    assert monitor["metadata"]["labels"]["release"] == "prom"
    assert monitor["spec"]["endpoints"][0]["port"] == service["spec"]["ports"][0]["name"]
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()


def test_dashboard_configmap_carries_the_charts_dashboard(helm) -> None:
    dashboard = rendering.CHART / "dashboards" / "grayrelease.json"
    if not dashboard.exists():
        result = rendering.helm_template("--set", "grafanaDashboard.enabled=true")
        assert result.returncode != 0 and "dashboards/grayrelease.json" in result.stderr
        return
    objects = rendering.render("--set", "grafanaDashboard.enabled=true")
    config_map = rendering.one(objects, "ConfigMap", "-dashboard")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(config_map["data"]["grayrelease.json"]) == json.loads(dashboard.read_text())


def test_helm_test_hook_fetches_metrics_through_the_service(default_objects: list[dict]) -> None:
    job = rendering.one(default_objects, "Job")
    service = rendering.one(default_objects, "Service", "-metrics")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "test"
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert f"http://{service['metadata']['name']}.{rendering.NAMESPACE}.svc:9100/metrics" in container["command"][-1]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False


@pytest.mark.parametrize("args, expected", [
    (("--set", "image.tag=1.2.3"), "ghcr.io/grayrelease/grayrelease:1.2.3"),
    (("--set", "image.digest=sha256:" + "a" * 64), "ghcr.io/grayrelease/grayrelease@sha256:" + "a" * 64),
    ((), f"ghcr.io/grayrelease/grayrelease:{__version__}"),
], ids=["tag", "digest", "appVersion"])
def test_image_reference(helm, args: tuple[str, ...], expected: str) -> None:
    image = _pod(rendering.render(*args))["containers"][0]["image"]
    assert image == expected


def test_one_replica_may_run_without_leader_election(helm) -> None:
    objects = rendering.render("--set", "replicaCount=1", "--set", "leaderElection.enabled=false")
    assert "--leader-elect" not in _pod(objects)["containers"][0]["args"]
    assert "Role" not in rendering.kinds(objects)


def test_several_replicas_without_leader_election_are_refused(helm) -> None:
    result = rendering.helm_template("--set", "leaderElection.enabled=false")
    assert result.returncode != 0
    assert "needs leaderElection.enabled" in result.stderr


def test_cluster_wide_webhook_comes_from_a_secret_through_the_kubelet(default_objects: list[dict], helm) -> None:
    def env(objects: list[dict]) -> dict:
        return {e["name"]: e for e in _pod(objects)["containers"][0]["env"]}

    assert "GRAYRELEASE_NOTIFY_WEBHOOK" not in env(default_objects)
    objects = rendering.render("--set", "notifications.webhookSecret.name=slack")
    assert env(objects)["GRAYRELEASE_NOTIFY_WEBHOOK"]["valueFrom"] == {"secretKeyRef": {"name": "slack", "key": "url"}}
