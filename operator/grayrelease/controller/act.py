"""Applying the engine's actions to the cluster, idempotently and in the order given.

Each action is a target state, so applying it twice (for instance after a restart between an
action and the status patch) changes nothing the second time.
"""

from __future__ import annotations

import logging
from typing import Any


from grayrelease import kube
from grayrelease.api.spec import GrayReleaseSpec
from grayrelease.controller import events, observe, store
from grayrelease.engine import actions as act
from grayrelease.inspect import jobs
from grayrelease.notify import notifier
from grayrelease.traffic.router import Router
from grayrelease import labels
from grayrelease.workloads import manifests

log = logging.getLogger(__name__)


class ActionError(Exception):
    """An action could not be applied; the reconcile reports it and retries."""


def _pod_meta(deployment: dict[str, Any] | None, field: str) -> dict[str, str]:
    """The labels or annotations of a Deployment's pod template ({} where there are none)."""
    return ((deployment or {}).get("spec", {}).get("template", {}).get("metadata", {}).get(field)) or {}


def _revision_of(deployment: dict[str, Any]) -> str | None:
    return _pod_meta(deployment, "labels").get(labels.REVISION)


def _deployment(body: dict[str, Any], spec: GrayReleaseSpec, role: labels.Role, revision: str, replicas: int,
                template: dict[str, Any]) -> None:
    meta = body["metadata"]
    name = labels.deployment_name(meta["name"], role)
    live = store.deployments.get((meta["namespace"], name))
    if live is not None and _revision_of(live) == revision:
        if int(live["spec"].get("replicas", 1)) != replicas:
            kube.patch("apps/v1", "Deployment", meta["namespace"], name, {"spec": {"replicas": replicas}})
        return
    if live is None and replicas == 0:
        return  # nothing to scale down
    kube.apply(manifests.deployment(body, role, revision, template, replicas, spec.selector.match_labels))


def _baseline(body: dict[str, Any], spec: GrayReleaseSpec, revision: str, replicas: int, canary: str | None) -> None:
    """The baseline runs the stable Deployment's own pod template, so it is the stable's revision
    exactly as it runs (spec.template is already the canary's); while the stable runs another
    revision there is nothing to copy, and the next reconcile tries again. A new canary revision
    (a template changed mid-release) rolls its pods anew, so they stay as young as the canary's."""
    meta = body["metadata"]
    live = store.deployments.get((meta["namespace"], labels.deployment_name(meta["name"], "baseline")))
    beside = _pod_meta(live, "annotations").get(labels.BASELINE_FOR)
    if replicas == 0 or live is not None and _revision_of(live) == revision and beside == canary:
        if live is not None and int(live["spec"].get("replicas", 1)) != replicas:
            kube.patch("apps/v1", "Deployment", meta["namespace"], live["metadata"]["name"], {"spec": {"replicas": replicas}})
        return
    stable = store.deployments.get((meta["namespace"], labels.deployment_name(meta["name"], "stable")))
    if stable is None or _revision_of(stable) != revision:
        return
    template = stable["spec"]["template"]
    kube.apply(manifests.deployment(body, "baseline", revision, template, replicas, spec.selector.match_labels,
                                    {labels.BASELINE_FOR: canary or ""}))


def ensure_services(body: dict[str, Any], spec: GrayReleaseSpec) -> None:
    """The per-role Services, and the user-facing one when the user has not made it."""
    if spec.service is None:
        return
    meta = body["metadata"]
    target = spec.service.target_port or spec.service.port
    for role in (*labels.ROLES, *(("baseline",) if spec.uses_baseline else ())):
        kube.apply(manifests.role_service(body, role, spec.selector.match_labels, spec.service.port, target))
    if kube.get_or_none("v1", "Service", meta["namespace"], spec.service.name) is None:
        service = manifests.role_service(body, "stable", spec.selector.match_labels, spec.service.port, target)
        service["metadata"]["name"] = spec.service.name
        service["metadata"]["labels"].pop(labels.ROLE)
        service["spec"]["selector"] = dict(spec.selector.match_labels)  # both roles: split by ready pods
        kube.create(service)


def apply(action: act.Action, *, body: dict[str, Any], spec: GrayReleaseSpec, template: dict[str, Any],
          router: Router) -> None:
    meta = body["metadata"]
    match action:
        case act.EnsureStable(revision=revision, replicas=replicas):
            _deployment(body, spec, "stable", revision, replicas, template)
        case act.EnsureCanary(revision=revision, replicas=replicas):
            _deployment(body, spec, "canary", revision, replicas, template)
        case act.EnsureBaseline(revision=revision, replicas=replicas, canary_revision=canary):
            _baseline(body, spec, revision, replicas, canary)
        case act.PromoteStable(revision=revision):
            live = store.deployments.get((meta["namespace"], labels.deployment_name(meta["name"], "stable")))
            replicas = int((live or {}).get("spec", {}).get("replicas", spec.replicas))
            _deployment(body, spec, "stable", revision, max(replicas, spec.replicas), template)
        case act.SetWeight(canary_weight=weight, baseline_weight=baseline):
            router.set_weight(body, observe.backends(body, spec), weight, baseline)
        case act.StartInspection(step_index=index, name=name):
            step = spec.strategy.steps[index].inspect
            if step is not None and step.job is not None:
                env = {"GRAYRELEASE_NAMESPACE": meta["namespace"], "GRAYRELEASE_NAME": meta["name"],
                       "GRAYRELEASE_CANARY_SERVICE": labels.service_name(meta["name"], "canary"),
                       "GRAYRELEASE_STABLE_SERVICE": labels.service_name(meta["name"], "stable")}
                jobs.start(body, name, step.job.spec, env)
        case act.DeleteInspection(name=name):
            jobs.delete(meta["namespace"], name)
        case act.Emit(type=type_, reason=reason, message=message):
            events.post(body, type_, reason, message)
            notifier.emit(body, spec, type_, reason, message)  # queued: never waits for the network
        case _:
            raise ActionError(f"unknown action {action!r}")
