"""What the kubelet and the scheduler report of a pod, read from the pod's status: restarts, why a
container waits, why no node takes the pod. The operator reads the canary's pods from its watch
(``engine.restarts``, ``engine.cannot_start``, the progress deadline's message); ``kubectl gray
get`` lists them to show the same before anything fails."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from grayrelease import labels
from grayrelease.engine import cannot_start
from grayrelease.engine import observations as obs


@dataclass(frozen=True)
class CanaryTrouble:
    """What the kubelet reports of the canary revision's pods that the engine fails a release on."""

    restarts: tuple[obs.ContainerRestarts, ...] = ()
    evictions: tuple[obs.EvictedPod, ...] = ()
    waiting: tuple[obs.WaitingContainer, ...] = ()
    unschedulable: tuple[obs.UnschedulablePod, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.restarts or self.evictions or self.waiting or self.unschedulable)


def canary_trouble(pods: Iterable[dict[str, Any]], revision: str | None) -> CanaryTrouble:
    """Restarted and waiting containers, and evicted and unschedulable pods, among ``pods`` of the canary ``revision``."""
    restarted: list[obs.ContainerRestarts] = []
    evicted: list[obs.EvictedPod] = []
    waiting: list[obs.WaitingContainer] = []
    unplaced: list[obs.UnschedulablePod] = []
    if revision is None:
        return CanaryTrouble()
    for pod in pods:
        if (pod["metadata"].get("labels") or {}).get(labels.REVISION) != revision:
            continue
        restarted.extend(container_restarts(pod))
        waiting.extend(containers_not_starting(pod))
        if (found := unschedulable(pod)) is not None:
            unplaced.append(found)
        status = pod.get("status") or {}
        if status.get("phase") == "Failed" and status.get("reason") == "Evicted":
            evicted.append(obs.EvictedPod(pod=pod["metadata"]["name"], message=(status.get("message") or "")[:200]))
    return CanaryTrouble(tuple(restarted), tuple(evicted), tuple(waiting), tuple(unplaced))


def unschedulable(pod: dict[str, Any]) -> obs.UnschedulablePod | None:
    """The pod, if it is pending because the scheduler found no node for it, with the scheduler's why."""
    meta, status = pod["metadata"], pod.get("status") or {}
    if status.get("phase") not in (None, "Pending"):
        return None
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("status") == "False" \
                and condition.get("reason") == "Unschedulable":
            since = _time(condition.get("lastTransitionTime")) or _time(meta.get("creationTimestamp"))
            if since is None:
                return None
            return obs.UnschedulablePod(pod=meta["name"], since=since,
                                        message=" ".join((condition.get("message") or "").split())[:200])
    return None


def _time(value: Any) -> datetime | None:
    """A timestamp of the pod as the API server or the kopf watch gives it (an RFC 3339 string or a datetime)."""
    if not value:
        return None
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def containers_not_starting(pod: dict[str, Any]) -> list[obs.WaitingContainer]:
    """The containers (init containers too) of one pod waiting for a reason ``engine.cannot_start`` counts."""
    meta, status = pod["metadata"], pod.get("status") or {}
    born = _time(meta.get("creationTimestamp"))
    if born is None or status.get("phase") not in (None, "Pending", "Running"):
        return []
    out = []
    for c in [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]:
        waiting = (c.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in cannot_start.COUNTED:
            out.append(obs.WaitingContainer(pod=meta["name"], container=c.get("name", "?"), reason=waiting["reason"],
                                            pod_created_at=born, message=" ".join((waiting.get("message") or "").split())[:160]))
    return out


def container_restarts(pod: dict[str, Any]) -> list[obs.ContainerRestarts]:
    """The containers (init containers too) of one pod that have restarted, with why they last ended."""
    status = pod.get("status") or {}
    out = []
    for c in [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]:
        count = int(c.get("restartCount") or 0)
        if count <= 0:
            continue
        ended = ((c.get("lastState") or {}).get("terminated")) or {}
        code = ended.get("exitCode")
        last = ", ".join(str(part) for part in (ended.get("reason"), None if code is None else f"exit code {code}") if part)
        waiting = ((c.get("state") or {}).get("waiting") or {}).get("reason") or ""
        out.append(obs.ContainerRestarts(pod=pod["metadata"]["name"], container=c.get("name", "?"), restarts=count,
                                         last_exit=last, waiting=waiting))
    return out
