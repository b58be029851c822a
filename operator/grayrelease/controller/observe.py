"""Gathering what the engine needs to decide: workloads, traffic, measurements, inspections.

Deployments and Jobs come from the watch-fed stores (no API call); the router is asked for
the weight in effect; metrics are queried only when the engine's plan says they are due.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from grayrelease.analysis import measure, templating
from grayrelease.api.durations import parse_duration
from grayrelease.api.spec import GrayReleaseSpec, Metric
from grayrelease.api.status import GrayReleaseStatus, InspectionPhase, MeasurementPhase
from grayrelease.controller import store
from grayrelease.engine import observations as obs
from grayrelease.inspect import jobs, webhook
from grayrelease.traffic.router import Backends, Router
from grayrelease import labels

log = logging.getLogger(__name__)


def deployment(body: dict[str, Any] | None) -> obs.DeploymentObservation | None:
    if body is None or body["metadata"].get("deletionTimestamp"):
        return None
    spec, status = body.get("spec", {}), body.get("status", {}) or {}
    replicas = int(spec.get("replicas", 1))
    updated = int(status.get("updatedReplicas", 0) or 0)
    available = int(status.get("availableReplicas", 0) or 0)
    current = int(status.get("observedGeneration", 0) or 0) >= int(body["metadata"].get("generation", 0))
    total = int(status.get("replicas", 0) or 0)
    return obs.DeploymentObservation(
        revision=body["spec"]["template"].get("metadata", {}).get("labels", {}).get(labels.REVISION, ""),
        replicas=replicas,
        ready_replicas=int(status.get("readyReplicas", 0) or 0),
        available_replicas=available,
        updated_replicas=updated,
        rolled_out=current and updated == replicas and available == replicas and total == replicas,
    )


def workload_pair(namespace: str, name: str) -> tuple[obs.DeploymentObservation | None, obs.DeploymentObservation | None]:
    return (deployment(store.deployments.get((namespace, labels.deployment_name(name, "stable")))),
            deployment(store.deployments.get((namespace, labels.deployment_name(name, "canary")))))


def backends(body: dict[str, Any], spec: GrayReleaseSpec) -> Backends:
    name = body["metadata"]["name"]
    return Backends(namespace=body["metadata"]["namespace"], stable_service=labels.service_name(name, "stable"),
                    canary_service=labels.service_name(name, "canary"), port=spec.service.port if spec.service else 80)


def traffic(router: Router, body: dict[str, Any], spec: GrayReleaseSpec,
            stable: obs.DeploymentObservation | None, canary: obs.DeploymentObservation | None) -> obs.TrafficObservation:
    try:
        weight = router.read_weight(body, backends(body, spec), stable.ready_replicas if stable else 0,
                                    canary.ready_replicas if canary else 0)
    except Exception as error:  # noqa: BLE001 - an unreadable router is an unknown weight, not a crash
        log.warning("cannot read the traffic weight of %s: %s", body["metadata"]["name"], error)
        weight = None
    return obs.TrafficObservation(canary_weight=weight)


def _compare(metric: Metric, status: GrayReleaseStatus, values: dict[str, float | None],
             requests: dict[str, float | None] | None, overlap: float = 1.0) -> measure.Result:
    # Imported here: scipy costs ~70 MiB of memory, paid only by operators whose releases compare.
    from grayrelease.analysis import judge  # noqa: PLC0415

    history = status.analysis[metric.name].history if metric.name in status.analysis else None
    config = metric.compare
    assert config is not None

    def series(past: list[float | None] | None, now: float | None) -> list[float | None]:
        return [*(past or []), now]

    verdict = judge.judge_metric(judge.MetricHistory(
        name=metric.name,
        stable=series(history.stable if history else None, values.get("stable")),
        canary=series(history.canary if history else None, values.get("canary")),
        kind=config.kind or "gauge", better=config.better, canary_weight=status.canary_weight or None,
        canary_weights=series(history.weights() if history else None, status.canary_weight or None),
        stable_requests=series(history.stable_requests if history else None, requests.get("stable")) if requests else None,
        canary_requests=series(history.canary_requests if history else None, requests.get("canary")) if requests else None,
        overlap=overlap,
    ), config)
    if verdict.failed:
        phase = "Failed"
    elif verdict.classification == "NoData":
        phase = "Inconclusive"
    else:
        phase = "Successful"
    return measure.Result(phase, values.get("canary"), f"{verdict.classification}: {verdict.reason}",
                          stable_value=values.get("stable"),
                          stable_requests=requests.get("stable") if requests else None,
                          canary_requests=requests.get("canary") if requests else None,
                          marginal=verdict.marginal)


def measurements(body: dict[str, Any], spec: GrayReleaseSpec, status: GrayReleaseStatus, due: list[Any],
                 now: datetime) -> tuple[obs.Measurement, ...]:
    meta = body["metadata"]
    out = []
    for request in due:
        metric = spec.analysis.metric(request.metric)
        if metric is None:
            continue
        base = dict(namespace=meta["namespace"], name=meta["name"], stable_revision=status.stable_revision,
                    canary_revision=status.canary_revision)
        if metric.compare is not None:
            sides = {side: templating.variables(**base, side=side) for side in ("stable", "canary")}
            values, error = measure.query_sides(metric, sides)
            requests = None
            if error is None and metric.compare.requests_query:
                requests, error = measure.query_sides(metric, sides, metric.compare.requests_query)
            overlap = metric.overlap(parse_duration(metric.interval or spec.analysis.interval))
            result = measure.Result("Error", None, error) if error else _compare(metric, status, values, requests, overlap)
        else:
            result = measure.measure_plain(metric, templating.variables(**base))
        out.append(obs.Measurement(metric=metric.name, value=result.value, phase=MeasurementPhase(result.phase),
                                   message=result.message[:500], measured_at=now, stable_value=result.stable_value,
                                   stable_requests=result.stable_requests, canary_requests=result.canary_requests,
                                   canary_weight=(status.canary_weight or None) if metric.compare is not None else None,
                                   marginal=result.marginal))
    return tuple(out)


def inspection(body: dict[str, Any], spec: GrayReleaseSpec, status: GrayReleaseStatus) -> obs.InspectionObservation | None:
    """The running inspection's state; a webhook inspection is called here, once per name."""
    current = status.inspection
    if current is None:
        return None
    if current.phase != InspectionPhase.RUNNING:
        return obs.InspectionObservation(current.step, current.name, current.phase, current.message)
    steps = spec.strategy.steps
    step = steps[current.step].inspect if current.step < len(steps) else None
    meta = body["metadata"]
    if step is not None and step.webhook is not None:
        payload = {"namespace": meta["namespace"], "name": meta["name"], "step": current.step,
                   "stableRevision": status.stable_revision, "canaryRevision": status.canary_revision,
                   "canaryService": labels.service_name(meta["name"], "canary"), "inspection": current.name}
        phase, message = webhook.call(step.webhook.url, payload, step.webhook.headers, step.webhook.timeout_seconds)
    else:
        phase, message = jobs.phase_of(store.jobs.get((meta["namespace"], current.name)))
    return obs.InspectionObservation(current.step, current.name, InspectionPhase(phase), message)
