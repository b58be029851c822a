"""In-memory copies of the objects the operator watches, fed by kopf's watch streams.

Reconciles read GrayReleases and their Deployments and Jobs from here instead of calling the
API server, so a reconcile costs no GET; the watches keep the copies current. Keys are
``(namespace, name)``.
"""

from __future__ import annotations

import threading
from typing import Any

Key = tuple[str, str]


class Store:
    """A thread-safe map of the latest body of each watched object of one kind."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[Key, dict[str, Any]] = {}

    def put(self, body: dict[str, Any]) -> Key:
        meta = body["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        with self._lock:
            self._items[key] = body
        return key

    def forget(self, key: Key) -> None:
        with self._lock:
            self._items.pop(key, None)

    def get(self, key: Key) -> dict[str, Any] | None:
        with self._lock:
            return self._items.get(key)

    def values(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._items.values())

    def keys(self) -> list[Key]:
        with self._lock:
            return list(self._items)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


releases = Store()
deployments = Store()
jobs = Store()
canary_pods = Store()  # pods labelled grayrelease.io/role=canary: the watch selects them on the server
httproutes = Store()  # every HTTPRoute the operator can see: users' routes carry no label of ours


def route_lookup(namespace: str, name: str) -> dict[str, Any] | None:
    """An HTTPRoute from the cache; None when the watch has not seen it (the router then asks the API)."""
    return httproutes.get((namespace, name))
