"""kopf registrations: watches feed the stores and the work queue; nothing else happens here.

The operator uses watch events only (``kopf.on.event``): no kopf handler state is written to
the GrayRelease, no finalizer is added, and all progress lives in ``.status`` where the engine
puts it. Changes to owned Deployments and Jobs wake their GrayRelease at once; time-based
progress (pauses, analysis intervals) comes from the work queue's delay heap. Deployments, Jobs
and canary pods are selected by label on the API server, so the operator neither receives nor
keeps the cluster's other workloads. The handlers
are coroutines so that they touch the queue from its own event loop.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import kopf

from grayrelease.api.resource import GROUP, PLURAL, VERSION
from grayrelease.controller import metrics, reconcile, store
from grayrelease.controller.queue import WorkQueue
from grayrelease import labels

log = logging.getLogger(__name__)

queue = WorkQueue(reconcile.reconcile)
metrics.track_queue(queue)
OWNED = {labels.MANAGED_BY: labels.MANAGER}
CANARY = {labels.ROLE: "canary"}


@kopf.on.startup()
async def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    settings.posting.reporting_component = "grayrelease"
    settings.posting.level = logging.CRITICAL + 1  # Events are posted explicitly, one per decision
    # kopf reports every handled watch event at INFO; with thousands of releases that is noise.
    logging.getLogger("kopf.objects").setLevel(logging.WARNING)
    owned = ",".join(f"{k}={v}" for k, v in OWNED.items())
    settings.watching.label_selectors["apps", "deployments"] = owned
    settings.watching.label_selectors["batch", "jobs"] = owned
    settings.watching.label_selectors["v1", "pods"] = ",".join(f"{k}={v}" for k, v in CANARY.items())
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330


@kopf.on.event(GROUP, VERSION, PLURAL)
async def release_event(event: dict[str, Any], body: kopf.Body, **_: Any) -> None:
    if event.get("type") == "DELETED":
        key = (body.metadata.namespace or "", body.metadata.name or "")
        store.releases.forget(key)
        metrics.forget(key)  # a deleted release leaves no series behind
        return
    queue.add(store.releases.put(dict(body)))


def _owned_event(cache: store.Store, event: dict[str, Any], body: dict[str, Any]) -> None:
    """Keeps ``cache`` current and wakes the GrayRelease that owns the object."""
    meta = body["metadata"]
    key = (meta.get("namespace") or "", meta.get("name") or "")
    if event.get("type") == "DELETED":
        cache.forget(key)
    else:
        cache.put(body)
    release = (meta.get("labels") or {}).get(labels.RELEASE)
    if release:
        queue.add((key[0], release))


@kopf.on.event("apps", "v1", "deployments", labels=OWNED)
async def deployment_event(event: dict[str, Any], body: kopf.Body, **_: Any) -> None:
    _owned_event(store.deployments, event, dict(body))


@kopf.on.event("batch", "v1", "jobs", labels=OWNED)
async def job_event(event: dict[str, Any], body: kopf.Body, **_: Any) -> None:
    _owned_event(store.jobs, event, dict(body))


@kopf.on.event("", "v1", "pods", labels=CANARY)
async def canary_pod_event(event: dict[str, Any], body: kopf.Body, **_: Any) -> None:
    """A canary pod's restarts reach its release at once: a crash loop fails it (engine.restarts), and
    so does a container that cannot start (engine.cannot_start); a pod no node takes explains a
    progress deadline.

    Only what those need is kept: names, labels, the creation time, the phase and its reason,
    container statuses and the PodScheduled condition; not the pod's spec.
    """
    meta, status = body.get("metadata") or {}, body.get("status") or {}
    slim = {"metadata": {k: meta.get(k) for k in ("name", "namespace", "labels", "creationTimestamp")},
            "status": {k: status.get(k) for k in ("phase", "reason", "message", "containerStatuses",
                                                  "initContainerStatuses")}}
    slim["status"]["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") == "PodScheduled"]
    _owned_event(store.canary_pods, event, slim)


@kopf.on.event("gateway.networking.k8s.io", "v1", "httproutes")
async def httproute_event(event: dict[str, Any], body: kopf.Body, **_: Any) -> None:
    key = (body.metadata.namespace or "", body.metadata.name or "")
    if event.get("type") == "DELETED":
        store.httproutes.forget(key)
    else:
        store.httproutes.put(dict(body))


async def run_queue(stopped: asyncio.Event) -> None:
    await queue.run(stopped)
