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
    """The two Services a router splits traffic between."""

    namespace: str
    stable_service: str
    canary_service: str
    port: int


class Router(Protocol):
    """What the controller needs from a traffic router. Both calls must be idempotent."""

    name: str

    def set_weight(self, release: dict[str, Any], backends: Backends, canary_weight: int) -> None:
        """Route ``canary_weight`` percent to the canary and the rest to stable (no write when already so)."""

    def read_weight(self, release: dict[str, Any], backends: Backends, stable_ready: int, canary_ready: int) -> int | None:
        """The canary's share in effect, 0-100, or None when it cannot be known."""


def _registry() -> dict[str, type]:
    from grayrelease.traffic import gatewayapi, replicas  # noqa: PLC0415 - routers import this module

    return {replicas.ReplicasRouter.name: replicas.ReplicasRouter, gatewayapi.GatewayAPIRouter.name: gatewayapi.GatewayAPIRouter}


def router_for(mode: str, lookup: ObjectLookup | None = None) -> Router:
    """The router for ``mode`` ("replicas", "gatewayAPI"); KeyError for an unknown one.

    ``lookup(namespace, name)`` lets a router read its routing object from the operator's
    watch-fed cache instead of the API server (None: always ask the API server)."""
    return _registry()[mode](lookup)
