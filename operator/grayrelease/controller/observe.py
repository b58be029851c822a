"""Gathering what the engine needs to decide: workloads, traffic, measurements, inspections.

Deployments and Jobs come from the watch-fed stores (no API call); the router is asked for
the weight in effect; metrics are queried only when the engine's plan says they are due.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from grayrelease.analysis import measure, recorded, templating
from grayrelease.api.durations import parse_duration
from grayrelease.api.spec import GrayReleaseSpec, Metric
from grayrelease.api.status import GrayReleaseStatus, InspectionPhase, MeasurementPhase
from grayrelease.controller import store
from grayrelease.engine import observations as obs
from grayrelease.engine import querywindows
from grayrelease.engine.situation import pod_share
from grayrelease.inspect import jobs, webhook
from grayrelease.workloads import pods as pod_status
from grayrelease.traffic.router import Backends, Router
from grayrelease import labels

if TYPE_CHECKING:
    from grayrelease.analysis import judge

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


@dataclass(frozen=True)
class Workloads:
    """The release's Deployments as last seen by the watch, one per role (None where there is none)."""

    stable: obs.DeploymentObservation | None
    canary: obs.DeploymentObservation | None
    baseline: obs.DeploymentObservation | None = None

    def ready(self, role: labels.Role) -> int:
        workload = getattr(self, role)
        return workload.ready_replicas if workload is not None else 0


def workloads(namespace: str, name: str) -> Workloads:
    return Workloads(*(deployment(store.deployments.get((namespace, labels.deployment_name(name, role))))
                       for role in ("stable", "canary", "baseline")))


def canary_trouble(namespace: str, name: str, revision: str | None) -> pod_status.CanaryTrouble:
    """Restarted and waiting containers and evicted pods of the release's canary pods of ``revision``, from the watch-fed store."""
    return pod_status.canary_trouble(store.canary_pods.of_release(namespace, name), revision)


def backends(body: dict[str, Any], spec: GrayReleaseSpec) -> Backends:
    name = body["metadata"]["name"]
    return Backends(namespace=body["metadata"]["namespace"], stable_service=labels.service_name(name, "stable"),
                    canary_service=labels.service_name(name, "canary"), port=spec.service.port if spec.service else 80,
                    baseline_service=labels.service_name(name, "baseline"))


def traffic(router: Router, body: dict[str, Any], spec: GrayReleaseSpec, pods: Workloads) -> obs.TrafficObservation:
    try:
        weight, baseline = router.read_weights(body, backends(body, spec), pods.ready("stable"), pods.ready("canary"),
                                               pods.ready("baseline"))
    except Exception as error:  # noqa: BLE001 - an unreadable router is an unknown weight, not a crash
        log.warning("cannot read the traffic weight of %s: %s", body["metadata"]["name"], error)
        weight = baseline = None
    return obs.TrafficObservation(canary_weight=weight, baseline_weight=baseline)


@dataclass(frozen=True)
class _Queried:
    """A compare metric's answers at this look, before the judge has seen them."""

    metric: Metric
    values: dict[str, float | None]
    requests: dict[str, float | None] | None
    interval: timedelta
    pods: tuple[int | None, int | None] = (None, None)  # ready canary and stable pods at this look
    weight: float | None = None  # the canary's share at this look (percent)


def _history(metric: Metric, status: GrayReleaseStatus, interval: timedelta, at: datetime,
             now: _Queried | None = None) -> judge.MetricHistory:
    """The metric's compare history from the status, with this look's answers (measured ``at``) appended when given."""
    from grayrelease.analysis import judge  # noqa: PLC0415 - see _judge_compares

    past = status.analysis[metric.name].history if metric.name in status.analysis else None
    config = metric.compare
    assert config is not None

    def series(before: list[float | None] | None, new: dict[str, float | None] | None, side: str) -> list[float | None]:
        return [*(before or []), *([new.get(side)] if now is not None and new is not None else [])]

    values = now.values if now else None
    requests = now.requests if now else None
    counted = bool(requests) if now else bool(past and past.stable_requests is not None)
    weight = now.weight if now is not None and now.weight is not None else (status.canary_weight or None)
    stable = series(past.stable if past else None, values, "stable")
    canary_pods, stable_pods = past.pods() if past else ([], [])
    return judge.MetricHistory(
        name=metric.name,
        stable=stable,
        canary=series(past.canary if past else None, values, "canary"),
        kind=config.kind or "gauge", better=config.better, canary_weight=weight,
        canary_weights=[*(past.weights() if past else []), *([weight] if now else [])],
        canary_pods=[*canary_pods, *([now.pods[0]] if now else [])],
        stable_pods=[*stable_pods, *([now.pods[1]] if now else [])],
        stable_requests=series(past.stable_requests if past else None, requests, "stable") if counted else None,
        canary_requests=series(past.canary_requests if past else None, requests, "canary") if counted else None,
        overlap=metric.overlap(interval),
        interval_seconds=interval.total_seconds(),
        first_age_seconds=recorded.first_age(status.release_started_at, len(stable), interval, at),
    )


def _judge_compares(spec: GrayReleaseSpec, status: GrayReleaseStatus, queried: list[_Queried],
                    now: datetime) -> dict[str, measure.Result]:
    """Judge the compare metrics measured at this look, each with the release's other compare metrics as context.

    The others of the same interval tell about the judged metric's canary (request counts say
    how many requests it was due; a gauge or a latency still coming in says it is alive), exactly
    as ``grayrelease replay`` judges a recorded release. They are lined up by their latest values:
    those measured at this look, or within the last interval.
    """
    if not queried:
        return {}  # nothing to judge, and nothing to import: see below
    # Imported here: scipy costs ~70 MiB of memory, paid only by operators whose releases compare.
    from grayrelease.analysis import judge  # noqa: PLC0415

    fresh = {item.metric.name: (item.interval, _history(item.metric, status, item.interval, now, item)) for item in queried}
    recent = dict(fresh)
    for metric in spec.analysis.metrics:
        record = status.analysis.get(metric.name)
        if metric.compare is None or metric.name in recent or record is None or record.last_measured_at is None:
            continue
        interval = parse_duration(metric.interval or spec.analysis.interval)
        if now - record.last_measured_at <= interval:
            recent[metric.name] = (interval, _history(metric, status, interval, record.last_measured_at))
    configs = {m.name: m.compare for m in spec.analysis.metrics if m.compare is not None}
    # A dry-run metric decides nothing, also not through what it tells about a live one's canary.
    dry = {m.name for m in spec.analysis.metrics if m.dry_run}
    out = {}
    for item in queried:
        name = item.metric.name
        interval, history = fresh[name]
        context = [h.aligned(len(history.stable)) for other, (every, h) in recent.items()
                   if other != name and every == interval and (other not in dry or name in dry)]
        verdict = judge.judge_together([history, *context], configs, judged={name})[0]
        out[name] = _result(item, verdict)
    return out


def _result(item: _Queried, verdict: judge.MetricVerdict) -> measure.Result:
    if verdict.failed:
        phase = "Failed"
    elif verdict.classification == "NoData":
        phase = "Inconclusive"
    else:
        phase = "Successful"
    requests = item.requests
    message = f"{verdict.classification}: {verdict.reason}"
    if item.metric.overlap(item.interval) is None:
        # Said at every measurement, where the user reads them: the judge is more cautious unsure.
        message += f" ({querywindows.UNKNOWN_NOTE})"
    elif (long := querywindows.long_window(item.metric, item.interval)) is not None:
        message += f" ({long.note()})"
    return measure.Result(phase, item.values.get("canary"), message,
                          stable_value=item.values.get("stable"),
                          stable_requests=requests.get("stable") if requests else None,
                          canary_requests=requests.get("canary") if requests else None,
                          marginal=verdict.marginal)


def measurements(body: dict[str, Any], spec: GrayReleaseSpec, status: GrayReleaseStatus, due: list[Any],
                 now: datetime, workloads: Workloads | None = None,
                 traffic: obs.TrafficObservation | None = None) -> tuple[obs.Measurement, ...]:
    """Query every due metric, then judge: plain metrics by their conditions, compare metrics together.

    The workloads' ready pods are recorded with each compare measurement: a rate per pod is due
    what the router gives a side, over that side's pods. A metric compared against the baseline
    queries the baseline in the stable's place, and records its pods and the canary's share of
    the two."""
    meta = body["metadata"]
    results: dict[str, measure.Result] = {}
    queried: list[_Queried] = []
    workloads = workloads or Workloads(None, None)
    baseline_weight = (traffic.baseline_weight if traffic is not None else None) or 0
    present = {role: workload.ready_replicas if (workload := getattr(workloads, role)) else None
               for role in ("stable", "canary", "baseline")}
    pods_against = {other: (present["canary"], present[other]) for other in ("stable", "baseline")}
    weights = {other: _measured_weight(spec, status, pods_against[other], baseline_weight, other)
               for other in ("stable", "baseline")}
    metrics: dict[str, Metric] = {}
    for request in due:
        metric = spec.analysis.metric(request.metric)
        if metric is None or metric.name in metrics:
            continue  # a metric due for a step and in the background is measured once
        metrics[metric.name] = metric
        base = dict(namespace=meta["namespace"], name=meta["name"], stable_revision=status.stable_revision,
                    canary_revision=status.canary_revision)
        if metric.compare is None:
            results[metric.name] = measure.measure_plain(metric, templating.variables(**base))
            continue
        other = _other_side(metric)
        pods, weight = pods_against[other], weights[other]
        sides = {"stable": templating.variables(**base, side=other), "canary": templating.variables(**base, side="canary")}
        values, error = measure.query_sides(metric, sides)
        requests = None
        if error is None and metric.compare.requests_query:
            requests, error = measure.query_sides(metric, sides, metric.compare.requests_query)
        if error:
            results[metric.name] = measure.Result("Error", None, error)
        else:
            queried.append(_Queried(metric, values, requests, parse_duration(metric.interval or spec.analysis.interval),
                                    pods, weight))
    results.update(_judge_compares(spec, status, queried, now))
    out = []
    for metric in metrics.values():
        result = results[metric.name]
        compared = metric.compare is not None
        other = _other_side(metric)
        out.append(obs.Measurement(metric=metric.name, value=result.value, phase=MeasurementPhase(result.phase),
                                   message=result.message[:500], measured_at=now, stable_value=result.stable_value,
                                   stable_requests=result.stable_requests, canary_requests=result.canary_requests,
                                   canary_weight=weights[other] if compared else None,
                                   canary_pods=pods_against[other][0] if compared else None,
                                   stable_pods=pods_against[other][1] if compared else None,
                                   marginal=result.marginal))
    return tuple(out)


def _other_side(metric: Metric) -> str:
    """The side a compare metric's canary is judged against: ``stable`` or ``baseline``."""
    return "baseline" if metric.against_baseline else "stable"


def _measured_weight(spec: GrayReleaseSpec, status: GrayReleaseStatus, pods: tuple[int | None, int | None],
                     baseline_weight: int = 0, against: str = "stable") -> float | None:
    """The canary's share of the traffic of the two sides compared at this look, in percent: the
    router's weight, or without a router the exact share of the ready pods. ``status.canary_weight``
    rounds that share to a whole percent, which for one canary pod beside 64 (1.5%, read 2%) would
    put a third of a rate per side, or per pod, on the canary's account. Beside a baseline, the
    stable serves what canary and baseline leave, and the baseline what its weight gives it."""
    if not status.canary_weight:
        return None
    canary, other = pods
    if spec.router_mode == "replicas" and canary and other is not None:
        return pod_share(canary, other)
    weight = float(status.canary_weight)
    if against == "baseline":
        return 100.0 * weight / (weight + baseline_weight) if baseline_weight else None
    return 100.0 * weight / (100.0 - baseline_weight) if baseline_weight < 100 else weight


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
