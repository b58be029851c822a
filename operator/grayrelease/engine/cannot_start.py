"""Canary containers that cannot start: a bad image or a missing Secret fails a release in a minute.

A canary whose image does not exist (a mistyped tag, an image not pushed yet, a registry that
refuses the node's credentials) or whose container cannot be created (a ConfigMap or Secret key
it reads is missing) never runs, so it never restarts and never reports a metric: the restart
guard (``engine.restarts``) and the judge see nothing. Left alone, the step waits for the
canary's pods until ``progressDeadlineSeconds`` (ten minutes by default) has passed. The kubelet
says at once why the container waits; the release fails when a container of the canary
revision's pods has waited for one of these reasons for ``STUCK_SECONDS``:

- ``ErrImagePull``, ``ImagePullBackOff``: a pull failed; the kubelet retries after 10, 20, 40 s...
- ``CreateContainerConfigError``, ``CreateContainerError``: the container cannot be made as specified.

and at once for reasons a retry cannot change (``InvalidImageName``, ``ErrImageNeverPull``).

A pull in progress, however slow, waits as ``ContainerCreating`` and is not counted. The wait
is counted from the pod's creation or from the step's start, whichever is later: a person who
resumes after such a failure (having fixed a registry secret, say) gives the pods the same time
again, and nothing else needs remembering in the status.

A pod the scheduler cannot place (``Unschedulable``: too little CPU, a nodeSelector no node
matches) fails nothing early, since a cluster autoscaler may add a node within minutes; when the
progress deadline passes, its message carries the scheduler's words (``unschedulable``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from grayrelease.engine.observations import UnschedulablePod, WaitingContainer
from grayrelease.engine.restarts import first_named

STUCK_SECONDS = 60.0
"""How long a container may wait for a reason a retry can cure: three of the kubelet's pull attempts
(at about 0, 10 and 30 s), past a registry's passing hiccup, and far short of a progress deadline."""

RETRIED = frozenset({"ErrImagePull", "ImagePullBackOff", "CreateContainerConfigError", "CreateContainerError"})
"""Waiting reasons the kubelet retries: the container may yet start if the cause goes away."""

HOPELESS = frozenset({"InvalidImageName", "ErrImageNeverPull"})
"""Waiting reasons no retry changes: only a new pod template starts the container."""

COUNTED = RETRIED | HOPELESS
"""Every waiting reason this guard acts on; the controller passes on only containers waiting for one."""

def stuck(waiting: tuple[WaitingContainer, ...], now: datetime, since: datetime | None) -> tuple[WaitingContainer, ...]:
    """The containers that have waited too long for a reason that keeps them from starting.

    ``since`` is when the current step started (None: counted from the pods' creation alone)."""
    limit = timedelta(seconds=STUCK_SECONDS)
    return tuple(
        c for c in waiting
        if c.reason in HOPELESS or (c.reason in RETRIED and now - max(c.pod_created_at, since or c.pod_created_at) >= limit)
    )


def describe(containers: tuple[WaitingContainer, ...], now: datetime) -> str:
    """One line for the Event and the condition: the containers, why each waits and for how long,
    the longest waiting first (the first three named, as ``restarts.first_named`` names them)."""
    ordered = sorted(containers, key=lambda c: (c.pod_created_at, c.pod, c.container))
    named = [f"{c.pod}/{c.container} {c.reason}" + (f": {c.message}" if c.message else "")
             + f" (pod up {int((now - c.pod_created_at).total_seconds())}s)" for c in ordered]
    return ("canary containers cannot start: " + ", ".join(first_named(named))
            + f" (waiting {int(STUCK_SECONDS)}s for a pull or a container that retries, at once for one that cannot)")


def unschedulable(pods: tuple[UnschedulablePod, ...], now: datetime) -> str:
    """Why the canary's pods are pending, for a progress deadline's message ("" if none is unschedulable).

    A pod no node takes is no reason to fail early: a cluster autoscaler may add a node within
    minutes. When the deadline passes, the scheduler's own words say what to change (requests,
    a nodeSelector, taints) without a ``kubectl describe pod``."""
    if not pods:
        return ""
    ordered = sorted(pods, key=lambda p: (p.since, p.pod))
    first = ordered[0]
    count = f"{len(ordered)} canary pod" + ("s" if len(ordered) > 1 else "")
    return (f"no node takes {count} for {int((now - first.since).total_seconds())}s"
            f" ({', '.join(first_named([p.pod for p in ordered]))})" + (f": {first.message.rstrip('.')}" if first.message else ""))
