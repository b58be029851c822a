"""In-memory copies of the objects the operator watches, fed by kopf's watch streams.

Reconciles read GrayReleases and their Deployments and Jobs from here instead of calling the
API server, so a reconcile costs no GET; the watches keep the copies current. Keys are
``(namespace, name)``.
"""

from __future__ import annotations

import threading
from typing import Any

from grayrelease import labels

Key = tuple[str, str]


class Store:
    """A thread-safe map of the latest body of each watched object of one kind."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[Key, dict[str, Any]] = {}

    @staticmethod
    def key_of(body: dict[str, Any]) -> Key:
        meta = body["metadata"]
        return meta.get("namespace", ""), meta["name"]

    def put(self, body: dict[str, Any]) -> Key:
        key = self.key_of(body)
        with self._lock:
            self._items[key] = body
        return key

    def forget(self, key: Key) -> None:
        with self._lock:
            self._items.pop(key, None)

    def get(self, key: Key) -> dict[str, Any] | None:
        with self._lock:
            return self._items.get(key)

    def keys(self) -> list[Key]:
        with self._lock:
            return list(self._items)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


class PodsByRelease(Store):
    """Pods kept with an index by their release (``grayrelease.io/release``), so a reconcile reads
    its own canary pods without walking every canary pod of the cluster. Each change takes the lock
    once: a reader never sees a pod indexed but not stored."""

    def __init__(self) -> None:
        super().__init__()
        self._by_release: dict[Key, set[Key]] = {}

    @staticmethod
    def _release(body: dict[str, Any]) -> Key:
        meta = body["metadata"]
        return meta.get("namespace", ""), (meta.get("labels") or {}).get(labels.RELEASE, "")

    def put(self, body: dict[str, Any]) -> Key:
        key = self.key_of(body)
        with self._lock:
            self._unindex(key)  # a pod relabelled to another release moves
            self._items[key] = body
            self._by_release.setdefault(self._release(body), set()).add(key)
        return key

    def forget(self, key: Key) -> None:
        with self._lock:
            self._unindex(key)
            self._items.pop(key, None)

    def _unindex(self, key: Key) -> None:
        """Drops ``key`` from its release's index, read off the body stored; the caller holds the lock."""
        old = self._items.get(key)
        if old is None:
            return
        release = self._release(old)
        pods = self._by_release[release]
        pods.discard(key)
        if not pods:
            del self._by_release[release]

    def of_release(self, namespace: str, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [self._items[k] for k in self._by_release.get((namespace, name), ())]


releases = Store()
deployments = Store()
jobs = Store()
canary_pods = PodsByRelease()  # pods labelled grayrelease.io/role=canary: the watch selects them on the server
httproutes = Store()  # every HTTPRoute the operator can see: users' routes carry no label of ours


def route_lookup(namespace: str, name: str) -> dict[str, Any] | None:
    """An HTTPRoute from the cache; None when the watch has not seen it (the router then asks the API)."""
    return httproutes.get((namespace, name))
