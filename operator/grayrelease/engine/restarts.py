"""Restarts and evictions of the canary's pods: a crash loop fails a release before its metrics can.

A canary that crashes every minute may still answer most requests between crashes, and its
metrics go quiet or noisy rather than bad: the judge sees silence, a dip in throughput, a
handful of errors, and needs intervals to be sure. The kubelet knows at once. The release
fails when a container of the canary revision's pods has restarted more than
``spec.canaryRestartLimit`` times, or when more canary pods than that were evicted, counted
from the pods' status.

The restarts are counted per container, not summed over the pods: a sidecar that restarts once
as each pod starts (a proxy not ready before the application) is common and harmless, and a sum
would fail a canary of many pods on it. A crash loop restarts its container again and again, and
reaches any limit within minutes (the kubelet's back-off doubles from 10 s). An evicted pod
(over its ephemeral-storage limit, or over its memory request on a node short of memory) is not
restarted but replaced by a fresh pod with no restarts, so evictions are counted over the pods:
a canary evicted again and again is a crash loop the restart counts never see.

Failures a person accepted by resuming after such a failure (``status.canaryRestartsAccepted``)
are not counted again.
"""

from __future__ import annotations

from grayrelease.engine.observations import ContainerRestarts, EvictedPod

SHOWN = 3
"""Containers or pods the message names, the worst first; the rest are counted."""


def most(restarts: tuple[ContainerRestarts, ...]) -> int:
    """The restarts of the most restarted canary container."""
    return max((c.restarts for c in restarts), default=0)


def failures(restarts: tuple[ContainerRestarts, ...], evictions: tuple[EvictedPod, ...] = ()) -> int:
    """What the limit is held against: the most restarted container's restarts, or the evicted pods."""
    return max(most(restarts), len(evictions))


def beyond_limit(restarts: tuple[ContainerRestarts, ...], evictions: tuple[EvictedPod, ...], limit: int,
                 accepted: int | None) -> bool:
    """More failures than the limit, besides those a person accepted."""
    return failures(restarts, evictions) - (accepted or 0) > limit


def why(c: ContainerRestarts) -> str:
    """Why a restarted container waits now and how it last ended: "CrashLoopBackOff; last Error, exit code 1"."""
    return "; ".join(part for part in (c.waiting, f"last {c.last_exit}" if c.last_exit else "") if part)


def first_named(named: list[str]) -> list[str]:
    """The first ``SHOWN`` of ``named`` and, if there are more, how many more: one Event line."""
    return named[:SHOWN] + ([f"{len(named) - SHOWN} more"] if len(named) > SHOWN else [])


def describe(restarts: tuple[ContainerRestarts, ...], evictions: tuple[EvictedPod, ...], limit: int,
             accepted: int | None) -> str:
    """One line for the Event and the condition: the worst containers and pods, why, and the limit."""
    parts = []
    if restarts:
        worst = sorted(restarts, key=lambda c: (-c.restarts, c.pod, c.container))
        named = [f"{c.pod}/{c.container} {c.restarts}" + (f" ({reason})" if (reason := why(c)) else "") for c in worst]
        parts.append("canary container restarts " + ", ".join(first_named(named)))
    if evictions:
        ordered = sorted(evictions, key=lambda e: e.pod)
        named = [e.pod + (f" ({e.message})" if e.message else "") for e in ordered]
        parts.append(f"canary pods evicted {len(evictions)}: " + ", ".join(first_named(named)))
    already = f", {accepted} accepted before" if accepted else ""
    return "; ".join(parts) + f" (canaryRestartLimit {limit}: restarts of a container, or pods evicted{already})"
