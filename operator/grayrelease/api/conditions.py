"""Kubernetes-style conditions: set one without losing when it last changed."""

from __future__ import annotations

from datetime import datetime

from grayrelease.api.status import Condition


def set_condition(
    conditions: list[Condition],
    *,
    type_: str,
    status: str,
    reason: str,
    message: str,
    now: datetime,
    generation: int | None,
) -> list[Condition]:
    """A new list with ``type_`` set; ``lastTransitionTime`` moves only when ``status`` changes."""
    old = next((c for c in conditions if c.type == type_), None)
    since = old.last_transition_time if old is not None and old.status == status else now
    new = Condition(
        type=type_, status=status, reason=reason, message=message[:1024],
        last_transition_time=since, observed_generation=generation,
    )
    if old is not None and old == new:
        return list(conditions)
    return [new if c.type == type_ else c for c in conditions] if old is not None else [*conditions, new]
