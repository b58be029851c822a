"""The operator's own Prometheus metrics, served on ``/metrics`` by ``grayrelease run``.

Release metrics are derived from status, never from extra API calls: the reconcile hands over
the status it read and the status it wrote (plus the decision's actions), and the differences
say what happened — a step completed (its duration is ``now - stepStartedAt``), a release ended
(``now - releaseStartedAt``), measurements were taken (records newer than the last one seen).
Only the replica that reconciles (the leader) exports per-release series; they are removed when
a GrayRelease is deleted or the replica loses the lease, so label cardinality follows the
releases that exist. Work-queue, Kubernetes API and Prometheus query figures are process-wide.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from typing import Any

import prometheus_client
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from grayrelease import __version__, kube
from grayrelease.api.status import GrayReleaseStatus, Phase
from grayrelease.engine import actions as act
from grayrelease.engine.observations import DeploymentObservation

Key = tuple[str, str]

TERMINAL = {Phase.SUCCEEDED, Phase.ROLLED_BACK, Phase.ABORTED}  # as in reconcile: Degraded may recover

# Event reason -> decision kind: a small fixed set, so both labels stay bounded.
DECISION_KINDS: dict[str, str] = {
    "Installed": "install",
    "ReleaseStarted": "start",
    "ReleaseRestarted": "restart",
    "ReleaseRetried": "retry",
    "ReleaseCancelled": "cancel",
    "StepCompleted": "step",
    "StepPromoted": "promote_step",
    "Promoted": "promote",
    "PromotedFull": "promote",
    "RolledBack": "rollback",
    "Aborted": "abort",
    "Paused": "pause",
    "AnalysisFailed": "pause",
    "InspectionFailed": "pause",
    "ProgressDeadlineExceeded": "pause",
    "CanaryRestarting": "pause",
    "CanaryCannotStart": "pause",
    "AnalysisInconclusive": "pause",
    "AnalysisMarginal": "pause",
    "Resumed": "resume",
    "CommandIgnored": "ignore",
    "AnalysisDryRunFailed": "dry_run",
    "LongQueryWindow": "advice",
    "QueryWindowUnknown": "advice",
}

RELEASE = ("namespace", "name")

BUILD = prometheus_client.Info("grayrelease_build", "Version of the running operator.")
BUILD.info({"version": __version__})

PHASE = prometheus_client.Gauge(
    "grayrelease_release_phase", "Phase of each GrayRelease as a state set: 1 for the current phase, 0 for the others.",
    [*RELEASE, "phase"])
CANARY_WEIGHT = prometheus_client.Gauge(
    "grayrelease_release_canary_weight_ratio", "Share of traffic (or ready replicas) the canary receives, 0 to 1.",
    RELEASE)
READY_PODS = prometheus_client.Gauge(
    "grayrelease_release_ready_pods", "Ready pods of each side of a release (role stable, canary or baseline).", [*RELEASE, "role"])
CANARY_RESTARTS = prometheus_client.Gauge(
    "grayrelease_release_canary_restarts",
    "Restarts of the release's most restarted canary container, or its evicted canary pods if more"
    " (spec.canaryRestartLimit fails it beyond the limit).",
    RELEASE)
CURRENT_STEP = prometheus_client.Gauge(
    "grayrelease_release_current_step", "Index of the step the release is at (0-based).", RELEASE)
STEP_DURATION = prometheus_client.Histogram(
    "grayrelease_step_duration_seconds", "Time from the start of a step to its completion.", RELEASE,
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 14400))
RELEASE_DURATION = prometheus_client.Histogram(
    "grayrelease_release_duration_seconds", "Time from the start of a release to its end, by how it ended.",
    [*RELEASE, "result"], buckets=(10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 43200))
ANALYSIS_VALUE = prometheus_client.Gauge(
    "grayrelease_analysis_metric_value", "Last value measured for each analysis metric of a release.", [*RELEASE, "metric"])
STABLE_VALUE = prometheus_client.Gauge(
    "grayrelease_analysis_stable_value",
    "Last value measured on the stable side for each compare metric of a release (the canary's is "
    "grayrelease_analysis_metric_value).", [*RELEASE, "metric"])
MEASUREMENTS = prometheus_client.Counter(
    "grayrelease_analysis_measurements", "Analysis measurements taken, by verdict (Successful, Failed, Inconclusive, Error).",
    [*RELEASE, "metric", "phase"])
DECISIONS = prometheus_client.Counter(
    "grayrelease_decisions", "Decisions the engine took (one per Kubernetes Event), by kind and Event reason.",
    ["kind", "reason"])
RECONCILES = prometheus_client.Counter(
    "grayrelease_reconciles", "Reconciles run by the work queue, by result (success, error).", ["result"])
RECONCILE_DURATION = prometheus_client.Histogram(
    "grayrelease_reconcile_duration_seconds", "Wall time of one reconcile (observe, decide, act, status patch).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
LEADER = prometheus_client.Gauge(
    "grayrelease_leader", "1 while this replica holds the leader Lease and reconciles, else 0.")
LEADER_ACQUIRED = prometheus_client.Counter(
    "grayrelease_leader_acquisitions", "Times this replica acquired the leader Lease.")

_lock = threading.Lock()
_series: dict[Key, set[tuple[prometheus_client.metrics.MetricWrapperBase, tuple[str, ...]]]] = {}


class _ApiCalls(Collector):
    """``kube.API_CALLS`` (a plain Counter the benchmarks read too) as a Prometheus counter."""

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily("grayrelease_kubernetes_api_requests",
                                     "Requests the operator sent to the Kubernetes API server, by HTTP method.",
                                     labels=["method"])
        for method, count in sorted(kube.API_CALLS.items()):
            family.add_metric([method], count)
        yield family


prometheus_client.REGISTRY.register(_ApiCalls())


def serve(port: int, address: str = "0.0.0.0") -> None:
    """Serves ``/metrics`` from a daemon thread; port 0 disables it."""
    if port:
        prometheus_client.start_http_server(port, addr=address)


def _child(metric: prometheus_client.metrics.MetricWrapperBase, key: Key, *extra: str):  # type: ignore[no-untyped-def]
    """The labelled child of a per-release metric, remembered so that ``forget`` can remove it."""
    values = (*key, *extra)
    with _lock:
        _series.setdefault(key, set()).add((metric, values))
    return metric.labels(*values)


def release_state(key: Key, status: GrayReleaseStatus) -> None:
    """Sets the gauges of one release from its status (also for releases at rest)."""
    for phase in Phase:
        _child(PHASE, key, phase.value).set(1 if status.phase is phase else 0)
    _child(CANARY_WEIGHT, key).set(status.canary_weight / 100)
    _child(CURRENT_STEP, key).set(status.current_step_index)


def ready_pods(key: Key, stable: DeploymentObservation | None, canary: DeploymentObservation | None,
               baseline: DeploymentObservation | None = None) -> None:
    """Sets each side's ready pods: what a rate per pod is due behind a router, for queries and replays
    (a baseline's only where the release has one)."""
    for role, workload in (("stable", stable), ("canary", canary), *((("baseline", baseline),) if baseline else ())):
        _child(READY_PODS, key, role).set(workload.ready_replicas if workload else 0)


def canary_restarts(key: Key, most: int) -> None:
    """Sets what canaryRestartLimit is held against: a crash loop shows before it fails the release."""
    _child(CANARY_RESTARTS, key).set(most)


def reconciled(key: Key, before: GrayReleaseStatus, after: GrayReleaseStatus, actions: Sequence[act.Action],
               now: datetime) -> None:
    """Records what one reconcile changed; called once its status patch has been written."""
    release_state(key, after)
    same_release = before.release_started_at is not None and before.release_started_at == after.release_started_at
    if same_release and after.current_step_index > before.current_step_index and before.step_started_at is not None:
        _child(STEP_DURATION, key).observe(max((now - before.step_started_at).total_seconds(), 0.0))
    if (before.phase not in TERMINAL and after.phase in TERMINAL and before.release_started_at is not None
            and before.phase is not Phase.PENDING):
        seconds = (now - before.release_started_at).total_seconds()
        _child(RELEASE_DURATION, key, after.phase.value).observe(max(seconds, 0.0))
    for metric, analysis in after.analysis.items():
        if analysis.last_value is not None:
            _child(ANALYSIS_VALUE, key, metric).set(analysis.last_value)
        latest = analysis.measurements[-1] if analysis.measurements else None
        if latest is not None and latest.stable_value is not None:
            _child(STABLE_VALUE, key, metric).set(latest.stable_value)
        previous = before.analysis.get(metric)
        seen = previous.last_measured_at if previous is not None else None
        for record in analysis.measurements:
            if seen is None or record.time > seen:
                _child(MEASUREMENTS, key, metric, record.phase.value).inc()
    decided(actions)


def decided(actions: Iterable[act.Action]) -> None:
    for action in actions:
        if isinstance(action, act.Emit):
            DECISIONS.labels(DECISION_KINDS.get(action.reason, "other"), action.reason).inc()


def forget(key: Key) -> None:
    """Removes every series of a release (it was deleted, or another replica now reports it)."""
    with _lock:
        series = _series.pop(key, set())
    for metric, values in series:
        try:
            metric.remove(*values)
        except KeyError:
            pass


def forget_all() -> None:
    with _lock:
        keys = list(_series)
    for key in keys:
        forget(key)


QUEUE_DEPTH = prometheus_client.Gauge(
    "grayrelease_workqueue_depth", "GrayReleases waiting for a reconcile worker now.")
QUEUE_DELAYED = prometheus_client.Gauge(
    "grayrelease_workqueue_delayed", "Reconciles scheduled for later (timed pauses, analysis intervals).")


def track_queue(queue: Any) -> None:
    """Reports the work queue's depth whenever /metrics is scraped (no bookkeeping on the hot path)."""
    QUEUE_DEPTH.set_function(lambda: queue.depth)
    QUEUE_DELAYED.set_function(lambda: queue.delayed)


def reconcile_done(seconds: float, failed: bool) -> None:
    RECONCILES.labels("error" if failed else "success").inc()
    RECONCILE_DURATION.observe(seconds)


def leading(is_leader: bool) -> None:
    LEADER.set(1 if is_leader else 0)
    if is_leader:
        LEADER_ACQUIRED.inc()
    else:
        forget_all()
