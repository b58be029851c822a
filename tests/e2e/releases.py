"""Manifests and waits shared by the release-loop e2e tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.e2e.harness import Cluster, wait_until

ERROR_RATIO_QUERY = (
    '(sum(rate(http_requests_total{namespace="{{ namespace }}",app="{{ name }}",'
    'revision="{{ canary.revision }}",code=~"5.."}[10s])) or vector(0))'
    ' / sum(rate(http_requests_total{namespace="{{ namespace }}",app="{{ name }}",revision="{{ canary.revision }}"}[10s]))'
)


def grayrelease(name: str, *, image: str = "example.com/app:1", replicas: int = 4, steps: list[dict[str, Any]] | None = None,
                error_ratio: float | None = None, analysis: dict[str, Any] | None = None,
                traffic: dict[str, Any] | None = None, extra_spec: dict[str, Any] | None = None) -> str:
    """A GrayRelease manifest (JSON is YAML) with the simulator's error model on the pod template."""
    annotations = {"sim.grayrelease.io/error-ratio": str(error_ratio)} if error_ratio is not None else {}
    spec: dict[str, Any] = {
        "replicas": replicas,
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}, "annotations": annotations},
                     "spec": {"containers": [{"name": "app", "image": image}]}},
        "service": {"name": name, "port": 80},
        "strategy": {"steps": steps if steps is not None else [{"setWeight": 25}, {"pause": {"duration": "2s"}}]},
    }
    if analysis is not None:
        spec["analysis"] = analysis
    if traffic is not None:
        spec["trafficRouting"] = traffic
    spec.update(extra_spec or {})
    return json.dumps({"apiVersion": "grayrelease.io/v1alpha1", "kind": "GrayRelease", "metadata": {"name": name},
                       "spec": spec})


def http_route(release: str) -> str:
    """The user's HTTPRoute, named after the release: one rule sending everything to its stable Service."""
    return json.dumps({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": release},
                       "spec": {"parentRefs": [{"name": "public"}],
                                "rules": [{"backendRefs": [{"name": f"{release}-stable", "port": 80}]}]}})


def error_rate_analysis(prometheus_url: str, *, threshold: float = 0.05, interval: str = "2s",
                        initial_delay: str = "3s", **limits: int) -> dict[str, Any]:
    return {
        "interval": interval,
        "initialDelay": initial_delay,
        **limits,
        "metrics": [{
            "name": "error-rate",
            "provider": {"prometheus": {"address": prometheus_url}},
            "query": ERROR_RATIO_QUERY,
            "successCondition": f"result < {threshold}",
        }],
    }


def marginal_gauge_analysis(prometheus_url: str) -> dict[str, Any]:
    """A memory gauge 15% higher on the canary at every interval, compared at confidence 1 - 1e-7.

    The release-wide sequential test needs about 18 intervals of 2 s to call it, while one look at
    95% sees it after 7: a canary that is marginal long before it fails. Both sides move by a few
    millionths with the clock, as a real reading does: a value asked for again unchanged is one
    measurement to the judge."""
    wobble = "1e-5 * (time() % 1)"
    sides = (f'label_replace(vector(1.15 + {wobble}), "role", "canary", "", "")'
             f' or label_replace(vector(1 + {wobble}), "role", "stable", "", "")')
    query = f'({sides}) and on(role) label_replace(vector(1), "role", "{{{{ side.role }}}}", "", "")'
    return {"interval": "2s", "metrics": [{
        "name": "memory", "provider": {"prometheus": {"address": prometheus_url}}, "query": query,
        "compare": {"against": "stable", "kind": "gauge", "confidence": 0.9999999},
    }]}


MARGINAL_STEPS = [{"setWeight": 25}, {"pause": {"duration": "24s"}}, {"setWeight": 50}, {"pause": {"duration": "24s"}}]
"""Steps whose first timed pause ends after the marginal gauge above is marginal, and before it fails."""


def status(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    return cluster.get("grayrelease", name, namespace).get("status") or {}


def wait_phase(cluster: Cluster, namespace: str, name: str, *phases: str, timeout: float = 120) -> dict[str, Any]:
    return wait_status(cluster, namespace, name, lambda s: s.get("phase") in phases,
                       timeout=timeout, what=f"phase {'/'.join(phases)}")


def wait_promoted(cluster: Cluster, namespace: str, name: str, before: dict[str, Any], *, timeout: float = 120,
                  what: str = "promotion") -> dict[str, Any]:
    """Waits until a new revision is stable.

    Waiting for phase Succeeded alone races the operator: right after a new template is applied the
    status still shows the previous release, Succeeded, until the operator has seen the change.
    """
    return wait_status(cluster, namespace, name, lambda s: s.get("phase") == "Succeeded"
                       and s.get("stableRevision") != before["stableRevision"], timeout=timeout, what=what)


def wait_ended(cluster: Cluster, namespace: str, name: str, before: dict[str, Any], *,
               timeout: float = 120) -> dict[str, Any]:
    """Waits until the release that follows ``before`` is promoted or rolled back."""
    return wait_status(cluster, namespace, name, lambda s: s.get("phase") == "RolledBack" or (
        s.get("phase") == "Succeeded" and s.get("stableRevision") != before["stableRevision"]),
        timeout=timeout, what="the release's end")


def wait_status(cluster: Cluster, namespace: str, name: str, check: Callable[[dict[str, Any]], bool], *,
                timeout: float = 120, what: str) -> dict[str, Any]:
    """Waits until ``check(status)`` holds; on timeout the failure shows the last status seen."""
    seen: dict[str, Any] = {}

    def probe() -> dict[str, Any] | None:
        seen.clear()
        seen.update(status(cluster, namespace, name))
        return dict(seen) if check(seen) else None

    try:
        return wait_until(probe, timeout=timeout, interval=0.3, what=f"{name}: {what}")
    except AssertionError as error:
        brief = {k: v for k, v in seen.items() if k not in ("analysis", "conditions")}
        raise AssertionError(f"{error}\nlast status: {json.dumps(brief)[:1500]}") from None


def events(cluster: Cluster, namespace: str, name: str) -> list[dict[str, Any]]:
    items = cluster.get("events", namespace=namespace)["items"]
    mine = [e for e in items if e["involvedObject"].get("kind") == "GrayRelease" and e["involvedObject"]["name"] == name]
    return sorted(mine, key=lambda e: e.get("eventTime") or e.get("lastTimestamp") or "")


def reasons(cluster: Cluster, namespace: str, name: str) -> list[str]:
    return [e["reason"] for e in events(cluster, namespace, name)]


def deployment(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    return cluster.get("deployment", name, namespace)


def condition(status_: dict[str, Any], type_: str) -> dict[str, Any] | None:
    return next((c for c in status_.get("conditions", []) if c["type"] == type_), None)
