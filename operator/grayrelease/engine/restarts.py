"""Restarts of the canary's containers: a crash loop fails a release before its metrics can.

A canary that crashes every minute may still answer most requests between crashes, and its
metrics go quiet or noisy rather than bad: the judge sees silence, a dip in throughput, a
handful of errors, and needs intervals to be sure. The kubelet knows at once. The release
fails when the canary revision's pods have restarted more than ``spec.canaryRestartLimit``
times in all, counted from the pods' status; restarts a person accepted by resuming after
such a failure (``status.canaryRestartsAccepted``) are not counted again.
"""

from __future__ import annotations

from grayrelease.engine.observations import ContainerRestarts

SHOWN = 3
"""Containers the message names, most restarted first; the rest are counted."""


def total(restarts: tuple[ContainerRestarts, ...]) -> int:
    return sum(c.restarts for c in restarts)


def beyond_limit(restarts: tuple[ContainerRestarts, ...], limit: int, accepted: int | None) -> bool:
    """More restarts than the limit, besides those a person accepted."""
    return total(restarts) - (accepted or 0) > limit


def describe(restarts: tuple[ContainerRestarts, ...], limit: int, accepted: int | None) -> str:
    """One line for the Event and the condition: how many, the limit, and the worst containers."""
    worst = sorted(restarts, key=lambda c: (-c.restarts, c.pod, c.container))
    named = []
    for c in worst[:SHOWN]:
        why = "; ".join(part for part in (c.waiting, f"last {c.last_exit}" if c.last_exit else "") if part)
        named.append(f"{c.pod}/{c.container} {c.restarts}" + (f" ({why})" if why else ""))
    if len(worst) > SHOWN:
        named.append(f"{len(worst) - SHOWN} more")
    count = total(restarts)
    already = f", {accepted} of them accepted before" if accepted else ""
    return (f"canary containers restarted {count} times{already} (canaryRestartLimit {limit}): "
            + ", ".join(named))
