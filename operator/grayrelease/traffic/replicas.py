"""Replicas-only routing: no router object, traffic follows the ratio of ready pods.

The user's Service selects every role's pods, so the canary's share is its share of ready
pods (a baseline's pods are counted beside the stable's); the engine sets it through replica counts, this router only reads it back.
"""

from __future__ import annotations

from typing import Any

from grayrelease.traffic.router import Backends, ObjectLookup


class ReplicasRouter:
    name = "replicas"

    def __init__(self, lookup: ObjectLookup | None = None) -> None:
        del lookup  # no routing object to read

    def set_weight(self, release: dict[str, Any], backends: Backends, canary_weight: int, baseline_weight: int = 0) -> None:
        return None  # the replica counts are the weight

    def read_weights(self, release: dict[str, Any], backends: Backends, stable_ready: int, canary_ready: int,
                     baseline_ready: int = 0) -> tuple[int | None, int | None]:
        total = stable_ready + canary_ready + baseline_ready
        if total == 0:
            return None, None
        return round(100 * canary_ready / total), round(100 * baseline_ready / total)
