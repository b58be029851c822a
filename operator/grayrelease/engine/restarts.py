"""Restarts of the canary's containers: a crash loop fails a release before its metrics can.

A canary that crashes every minute may still answer most requests between crashes, and its
metrics go quiet or noisy rather than bad: the judge sees silence, a dip in throughput, a
handful of errors, and needs intervals to be sure. The kubelet knows at once. The release
fails when a container of the canary revision's pods has restarted more than
``spec.canaryRestartLimit`` times, counted from the pods' status.

The limit is per container, not summed over the pods: a sidecar that restarts once as each pod
starts (a proxy not ready before the application) is common and harmless, and a sum would fail a
canary of many pods on it. A crash loop restarts its container again and again, and reaches any
limit within minutes (the kubelet's back-off doubles from 10 s). Restarts a person accepted by
resuming after such a failure (``status.canaryRestartsAccepted``) are not counted again.
"""

from __future__ import annotations

from grayrelease.engine.observations import ContainerRestarts

SHOWN = 3
"""Containers the message names, most restarted first; the rest are counted."""


def most(restarts: tuple[ContainerRestarts, ...]) -> int:
    """The restarts of the most restarted canary container."""
    return max((c.restarts for c in restarts), default=0)


def beyond_limit(restarts: tuple[ContainerRestarts, ...], limit: int, accepted: int | None) -> bool:
    """A container restarted more than the limit, besides the restarts a person accepted."""
    return most(restarts) - (accepted or 0) > limit


def describe(restarts: tuple[ContainerRestarts, ...], limit: int, accepted: int | None) -> str:
    """One line for the Event and the condition: the worst containers, why, and the limit."""
    worst = sorted(restarts, key=lambda c: (-c.restarts, c.pod, c.container))
    named = []
    for c in worst[:SHOWN]:
        why = "; ".join(part for part in (c.waiting, f"last {c.last_exit}" if c.last_exit else "") if part)
        named.append(f"{c.pod}/{c.container} {c.restarts}" + (f" ({why})" if why else ""))
    if len(worst) > SHOWN:
        named.append(f"{len(worst) - SHOWN} more")
    already = f", {accepted} accepted before" if accepted else ""
    return f"canary container restarts {', '.join(named)} (canaryRestartLimit {limit} per container{already})"
