"""What the controller saw of the world, handed to the engine (which never looks itself).

The controller fills these frozen dataclasses from the API server, the traffic router, the
metric provider and the inspection it runs; the engine decides from them and from status alone.
Phases of measurements are decided by the controller (it evaluates the metric's conditions);
the engine only counts them against the limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from grayrelease.api.status import InspectionPhase, MeasurementPhase

RouterMode = Literal["replicas", "gatewayAPI"]


@dataclass(frozen=True)
class DeploymentObservation:
    """One of the Deployments (`<name>-stable`, `<name>-canary`, `<name>-baseline`) as last read."""

    revision: str  # template revision its pod template carries
    replicas: int  # spec.replicas
    ready_replicas: int
    available_replicas: int
    updated_replicas: int
    rolled_out: bool  # observedGeneration is current and every replica is updated and available


@dataclass(frozen=True)
class TrafficObservation:
    """The canary's (and baseline's) weight as read back from the router; None when unknown or never applied."""

    canary_weight: int | None = None
    baseline_weight: int | None = None


@dataclass(frozen=True)
class Measurement:
    metric: str
    value: float | None
    phase: MeasurementPhase
    message: str
    measured_at: datetime
    stable_value: float | None = None  # compare metrics: the stable side's value
    stable_requests: float | None = None  # compare metrics with requestsQuery: requests in the interval
    canary_requests: float | None = None
    canary_weight: float | None = None  # compare metrics: the canary's weight when measured
    canary_pods: int | None = None  # compare metrics: ready pods of each side when measured
    stable_pods: int | None = None
    marginal: bool = False  # compare metrics: a pass, but the canary looks worse at this look


@dataclass(frozen=True)
class ContainerRestarts:
    """A container of a canary pod that has restarted, as the kubelet reports it in the pod's status."""

    pod: str
    container: str
    restarts: int
    last_exit: str = ""  # why it last ended: "OOMKilled", "Error, exit code 1"; "" when unknown
    waiting: str = ""  # why it is not running now: "CrashLoopBackOff"; "" when running


@dataclass(frozen=True)
class EvictedPod:
    """A canary pod the kubelet evicted (phase Failed, reason Evicted); its ReplicaSet replaces it."""

    pod: str
    message: str = ""  # the kubelet's why: "Pod ephemeral local storage usage exceeds the total limit of containers 1Gi."


@dataclass(frozen=True)
class WaitingContainer:
    """A container of a canary pod that has not started, waiting for a reason the kubelet gives
    (``ImagePullBackOff``, ``CreateContainerConfigError``...): see ``engine.cannot_start``."""

    pod: str
    container: str
    reason: str
    pod_created_at: datetime
    message: str = ""  # the kubelet's why: 'Back-off pulling image "example.com/app:2"'


@dataclass(frozen=True)
class UnschedulablePod:
    """A canary pod the scheduler could place on no node (``PodScheduled`` False, reason
    ``Unschedulable``): a cluster autoscaler may still add one, so it only explains a wait."""

    pod: str
    since: datetime  # when the scheduler last said so (the condition's lastTransitionTime), else the pod's creation
    message: str = ""  # the scheduler's why: "0/3 nodes are available: 3 Insufficient cpu."


@dataclass(frozen=True)
class InspectionObservation:
    step_index: int
    name: str
    phase: InspectionPhase
    message: str = ""


@dataclass(frozen=True)
class Observations:
    generation: int
    template_revision: str  # revision of spec.template (or of the adopted workload's template)
    stable: DeploymentObservation | None
    canary: DeploymentObservation | None
    traffic: TrafficObservation = TrafficObservation()
    baseline: DeploymentObservation | None = None
    measurements: tuple[Measurement, ...] = ()
    inspection: InspectionObservation | None = None
    router_mode: RouterMode = "replicas"
    canary_restarts: tuple[ContainerRestarts, ...] = ()  # restarted containers of the canary revision's pods
    canary_evictions: tuple[EvictedPod, ...] = ()  # evicted pods of the canary revision
    canary_waiting: tuple[WaitingContainer, ...] = ()  # containers of the canary revision's pods that cannot start
    canary_unschedulable: tuple[UnschedulablePod, ...] = ()  # pods of the canary revision no node can take
