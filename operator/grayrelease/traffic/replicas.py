"""Replicas-only routing: no router object, traffic follows the ratio of ready pods.

The user's Service selects both roles' pods, so the canary's share is its share of ready
pods; the engine sets it through replica counts, this router only reads it back.
"""

from __future__ import annotations

from typing import Any

from grayrelease.traffic.router import Backends, ObjectLookup


class ReplicasRouter:
    name = "replicas"

    def __init__(self, lookup: ObjectLookup | None = None) -> None:
        del lookup  # no routing object to read

    def set_weight(self, release: dict[str, Any], backends: Backends, canary_weight: int) -> None:
        return None  # the replica counts are the weight

    def read_weight(self, release: dict[str, Any], backends: Backends, stable_ready: int, canary_ready: int) -> int | None:
        total = stable_ready + canary_ready
        if total == 0:
            return None
        return round(100 * canary_ready / total)
