"""One reconcile of one GrayRelease: observe, let the engine decide, act, write status once.

This is the only place that strings the layers together. It never decides anything itself:
every rule is in the engine. A spec the models reject (something the CRD schema could not
express) becomes an InvalidSpec condition and a Warning Event, not a crash loop.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pydantic

from grayrelease import engine, kube
from grayrelease.api.resource import API_VERSION, KIND
from grayrelease.api.spec import GrayReleaseSpec
from grayrelease.api.status import GrayReleaseStatus, Phase
from grayrelease.controller import act, events, metrics, observe, statuspatch, store
from grayrelease.engine import observations as obs
from grayrelease.engine import plan, restarts
from grayrelease.traffic.router import router_for
from grayrelease.workloads.revision import template_revision

log = logging.getLogger(__name__)

ACTIVE_REQUEUE = 1.0  # seconds between looks while a release moves; idle releases are not requeued
TERMINAL = {Phase.SUCCEEDED, Phase.ROLLED_BACK, Phase.ABORTED}


def _template(body: dict[str, Any], spec: GrayReleaseSpec) -> dict[str, Any] | None:
    if spec.template is not None:
        return body["spec"]["template"]
    ref = spec.workload_ref
    assert ref is not None
    adopted = kube.get_or_none("apps/v1", ref.kind, body["metadata"]["namespace"], ref.name)
    return adopted["spec"]["template"] if adopted else None


def _invalid(body: dict[str, Any], message: str) -> None:
    status = body.get("status") or {}
    conditions = [c for c in status.get("conditions", []) if c.get("type") != "InvalidSpec"]
    if any(c.get("type") == "InvalidSpec" and c.get("message") == message for c in status.get("conditions", [])):
        return
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    conditions.append({"type": "InvalidSpec", "status": "True", "reason": "InvalidSpec", "message": message[:1000],
                       "lastTransitionTime": now})
    meta = body["metadata"]
    kube.patch(API_VERSION, KIND, meta["namespace"], meta["name"],
               {"status": {"conditions": conditions, "message": f"invalid spec: {message}"[:1000]}}, subresource="status")
    events.post(body, "Warning", "InvalidSpec", message)


def reconcile(key: store.Key) -> float | None:
    body = store.releases.get(key)
    if body is None or body["metadata"].get("deletionTimestamp"):
        return None
    meta = body["metadata"]
    try:
        spec = GrayReleaseSpec.model_validate(body.get("spec") or {})
    except pydantic.ValidationError as error:
        _invalid(body, "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()))
        return None
    raw_status = {k: v for k, v in (body.get("status") or {}).items() if k in GrayReleaseStatus.model_fields
                  or k in {f.alias for f in GrayReleaseStatus.model_fields.values()}}
    status = GrayReleaseStatus.model_validate(raw_status)

    template = _template(body, spec)
    if template is None:
        _invalid(body, f"workloadRef {spec.workload_ref.kind}/{spec.workload_ref.name} not found")  # type: ignore[union-attr]
        return 10.0
    revision = template_revision(template)
    generation = int(meta.get("generation", 0))
    pods = observe.workloads(meta["namespace"], meta["name"])
    stable, canary = pods.stable, pods.canary
    metrics.release_state(key, status)
    metrics.ready_pods(key, stable, canary, pods.baseline)
    if _settled(status, generation, revision, pods):
        return None  # idle: nothing to do until the resource or its workloads change

    router = router_for(spec.router_mode, lookup=store.route_lookup)
    now = datetime.now(UTC)
    due = plan.due_measurements(spec, status, now)
    traffic = observe.traffic(router, body, spec, pods)
    trouble = observe.canary_trouble(meta["namespace"], meta["name"], status.canary_revision)
    metrics.canary_restarts(key, restarts.failures(trouble.restarts, trouble.evictions))
    observations = obs.Observations(
        generation=generation,
        template_revision=revision,
        stable=stable,
        canary=canary,
        baseline=pods.baseline,
        traffic=traffic,
        measurements=observe.measurements(body, spec, status, due, now, pods, traffic),
        inspection=observe.inspection(body, spec, status),
        router_mode=spec.router_mode,
        canary_restarts=trouble.restarts,
        canary_evictions=trouble.evictions,
        canary_waiting=trouble.waiting,
        canary_unschedulable=trouble.unschedulable,
    )
    decision = engine.decide(spec, status, observations, now)

    if status.observed_generation != generation:
        act.ensure_services(body, spec)
    for action in decision.actions:
        act.apply(action, body=body, spec=spec, template=template, router=router)

    patch = statuspatch.status_patch(body, decision.status.to_dict())
    if patch is not None:
        try:
            updated = kube.patch(API_VERSION, KIND, meta["namespace"], meta["name"], patch, subresource="status")
            store.releases.put(updated)
        except kube.Conflict:
            return 0.2  # a command arrived meanwhile: look again with it
    metrics.reconciled(key, status, decision.status, decision.actions, now)
    return None if _settled(decision.status, generation, revision, pods) else ACTIVE_REQUEUE


def _settled(status: GrayReleaseStatus, generation: int, revision: str, pods: observe.Workloads) -> bool:
    """A finished release whose world is at rest: no command, no canary or baseline pods, no canary traffic."""
    return (status.phase in TERMINAL and not status.command and status.observed_generation == generation
            and revision in (status.stable_revision, status.aborted_revision) and status.canary_weight == 0
            and all(w is None or (w.replicas == 0 and w.ready_replicas == 0) for w in (pods.canary, pods.baseline)))
