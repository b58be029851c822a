"""Gateway API routing: the weights of an HTTPRoute's backendRefs to the stable and canary Services.

The HTTPRoute belongs to the user (it usually sits in Git next to the GrayRelease) and must
reference ``<release>-stable`` in at least one rule; the router adds the ``<release>-canary``
backend beside it (and ``<release>-baseline`` once a baseline gets weight) and sets their
weights, and changes nothing else. It writes only when a weight
differs, with the resourceVersion it read, so a concurrent edit is retried rather than lost.
"""

from __future__ import annotations

import copy
from typing import Any

from grayrelease import kube
from grayrelease.traffic.router import Backends, ObjectLookup

API_VERSION = "gateway.networking.k8s.io/v1"


class RouteError(Exception):
    """The HTTPRoute is missing or does not reference the stable Service."""


def _route_name(release: dict[str, Any]) -> str:
    return release["spec"]["trafficRouting"]["gatewayAPI"]["httpRoute"]


def weighted_rules(rules: list[dict[str, Any]], backends: Backends, canary_weight: int,
                   baseline_weight: int = 0) -> list[dict[str, Any]]:
    """The rules with stable/canary (and baseline) weights set; rules not routing to the stable
    Service are left as they are. A baseline backend is added only when it gets weight, and once
    there is kept at weight 0."""
    out = copy.deepcopy(rules)
    touched = False
    for rule in out:
        refs = rule.get("backendRefs") or []
        stable = next((r for r in refs if r.get("name") == backends.stable_service and r.get("kind", "Service") == "Service"), None)
        if stable is None:
            continue
        touched = True
        weights = {backends.canary_service: canary_weight}
        if backends.baseline_service is not None:
            weights[backends.baseline_service] = baseline_weight
        for service, weight in weights.items():
            ref = next((r for r in refs if r.get("name") == service), None)
            if ref is None and (weight or service == backends.canary_service):
                ref = {"name": service, "port": stable.get("port", backends.port)}
                refs.append(ref)
            if ref is not None:
                ref["weight"] = weight
        stable["weight"] = 100 - canary_weight - (baseline_weight if backends.baseline_service is not None else 0)
        rule["backendRefs"] = refs
    if not touched:
        raise RouteError(f"no rule of the HTTPRoute sends traffic to Service {backends.stable_service}")
    return out


def shares(rules: list[dict[str, Any]], backends: Backends) -> tuple[int | None, int | None]:
    """The canary's and the baseline's percentages over the rules routing to the stable Service; None
    when the rules disagree."""
    found = set()
    for rule in rules:
        refs = rule.get("backendRefs") or []
        weights = {r.get("name"): int(r.get("weight", 1)) for r in refs}
        if backends.stable_service not in weights:
            continue
        canary = weights.get(backends.canary_service, 0)
        baseline = weights.get(backends.baseline_service, 0) if backends.baseline_service else 0
        total = weights[backends.stable_service] + canary + baseline
        found.add((round(100 * canary / total), round(100 * baseline / total)) if total else (0, 0))
    return found.pop() if len(found) == 1 else (None, None)


def _get(namespace: str, name: str) -> dict[str, Any] | None:
    return kube.get_or_none(API_VERSION, "HTTPRoute", namespace, name)


class GatewayAPIRouter:
    """``lookup(namespace, name)`` finds the HTTPRoute; the operator passes its watch-fed cache
    (falling back to a GET), so reading the weight back costs no API call."""

    name = "gatewayAPI"

    def __init__(self, lookup: ObjectLookup | None = None) -> None:
        self._lookup = lookup or _get

    def _route(self, release: dict[str, Any], backends: Backends, *, fresh: bool = False) -> dict[str, Any]:
        route = None if fresh else self._lookup(backends.namespace, _route_name(release))
        if route is None:
            route = _get(backends.namespace, _route_name(release))
        if route is None:
            raise RouteError(f"HTTPRoute {_route_name(release)} not found in namespace {backends.namespace}")
        return route

    def set_weight(self, release: dict[str, Any], backends: Backends, canary_weight: int, baseline_weight: int = 0) -> None:
        for attempt in range(3):
            route = self._route(release, backends, fresh=attempt > 0)  # after a conflict: read the latest
            rules = route.get("spec", {}).get("rules", [])
            wanted = weighted_rules(rules, backends, canary_weight, baseline_weight)
            if wanted == rules:
                return
            try:
                kube.patch(API_VERSION, "HTTPRoute", backends.namespace, route["metadata"]["name"],
                           {"metadata": {"resourceVersion": route["metadata"]["resourceVersion"]},
                            "spec": {"rules": wanted}})
                return
            except kube.Conflict:
                continue
        raise RouteError("HTTPRoute kept changing while its weights were being set")

    def read_weights(self, release: dict[str, Any], backends: Backends, stable_ready: int, canary_ready: int,
                     baseline_ready: int = 0) -> tuple[int | None, int | None]:
        try:
            route = self._route(release, backends)
        except RouteError:
            return None, None
        return shares(route.get("spec", {}).get("rules", []), backends)
