"""The traffic router contract and the registry of routers by name.

A router moves a share of traffic to the canary and reads back what is in effect. Adding a
router (Istio, NGINX, SMI) is one module implementing ``Router`` plus one line in ``ROUTERS``;
an unknown name is rejected by the CRD schema, never silently replaced by a default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

ObjectLookup = Callable[[str, str], dict[str, Any] | None]


@dataclass(frozen=True)
class Backends:
    """The Services a router splits traffic between (the baseline's only gets weight beside a baseline)."""

    namespace: str
    stable_service: str
    canary_service: str
    port: int
    baseline_service: str | None = None


class Router(Protocol):
    """What the controller needs from a traffic router. Both calls must be idempotent."""

    name: str

    def set_weight(self, release: dict[str, Any], backends: Backends, canary_weight: int, baseline_weight: int = 0) -> None:
        """Route ``canary_weight`` percent to the canary, ``baseline_weight`` to the baseline and the rest
        to stable (no write when already so)."""

    def read_weights(self, release: dict[str, Any], backends: Backends, stable_ready: int, canary_ready: int,
                     baseline_ready: int = 0) -> tuple[int | None, int | None]:
        """The canary's and the baseline's shares in effect, 0-100, each None when it cannot be known."""


def _registry() -> dict[str, type]:
    from grayrelease.traffic import gatewayapi, replicas  # noqa: PLC0415 - routers import this module

    return {replicas.ReplicasRouter.name: replicas.ReplicasRouter, gatewayapi.GatewayAPIRouter.name: gatewayapi.GatewayAPIRouter}


def router_for(mode: str, lookup: ObjectLookup | None = None) -> Router:
    """The router for ``mode`` ("replicas", "gatewayAPI"); KeyError for an unknown one.

    ``lookup(namespace, name)`` lets a router read its routing object from the operator's
    watch-fed cache instead of the API server (None: always ask the API server)."""
    return _registry()[mode](lookup)
