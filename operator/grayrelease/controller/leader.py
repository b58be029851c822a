"""Leader election on a coordination.k8s.io/v1 Lease: of several replicas, only one reconciles.

Every replica keeps kopf's watches and the stores warm, and its work queue full of keys; only
the queue of the replica holding the Lease runs reconciles (``WorkQueue.leading``). Failover is
therefore one Lease acquisition: the new leader already knows every GrayRelease, and it queues
them all at once. All progress lives in ``.status``, so the new leader resumes where the old one
stopped.

The rules follow client-go's leader election:

* a Lease is taken over only when its record (holder, renewTime, transitions) has not changed
  for ``leaseDurationSeconds`` as measured on this replica's monotonic clock, so clock skew
  between nodes cannot shorten it; a Lease without holder is free at once;
* every write carries the resourceVersion that was read, so two candidates cannot both win;
* the leader renews every ``renew_period`` and steps down as soon as it sees another holder, or
  when it could not renew for ``renew_deadline`` (two thirds of the lease duration), before any
  other replica may consider the Lease expired;
* a clean shutdown (SIGTERM, a rolling update) stops reconciling, waits for the reconcile in
  flight and then gives the Lease up, so the next replica takes over within one retry period.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from grayrelease import kube
from grayrelease.controller import metrics

log = logging.getLogger(__name__)

API_VERSION, KIND = "coordination.k8s.io/v1", "Lease"
LEASE_NAME = "grayrelease-leader"


def default_identity() -> str:
    """The pod name in a cluster (set from the downward API), else host and process id."""
    return os.environ.get("POD_NAME") or f"{socket.gethostname()}_{os.getpid()}"


def default_namespace() -> str:
    return os.environ.get("POD_NAMESPACE") or "default"


@dataclass(frozen=True)
class Settings:
    namespace: str
    identity: str
    name: str = LEASE_NAME
    lease_duration: float = 15.0
    renew_period: float = 5.0
    retry_period: float = 2.0

    @property
    def renew_deadline(self) -> float:
        """A leader that could not renew for this long stops acting, before others may take over."""
        return self.lease_duration * 2 / 3


class Attempt(Enum):
    HELD = "held"  # this replica holds the Lease now
    OTHER = "other"  # another replica holds a live Lease
    FAILED = "failed"  # the API call failed or lost a race; try again soon


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Elector:
    """Campaigns for the Lease and opens or closes the work queue's gate accordingly."""

    def __init__(self, settings: Settings, *, leading: asyncio.Event, on_leading: Callable[[], None],
                 busy: Callable[[], bool]) -> None:
        self.settings = settings
        self._leading = leading
        self._on_leading = on_leading
        self._busy = busy
        self._observed: tuple[Any, ...] | None = None
        self._observed_at = 0.0
        self._holder: str | None = None
        self._resigned = False  # shutting down: never campaign again
        self.leading.clear()

    @property
    def leading(self) -> asyncio.Event:
        return self._leading

    # --- one attempt (synchronous: the API client blocks; run in a thread) --------------------

    def attempt(self) -> Attempt:
        s = self.settings
        try:
            lease = kube.get(API_VERSION, KIND, s.namespace, s.name)
        except kube.NotFound:
            return self._create()
        spec = lease.get("spec") or {}
        holder = spec.get("holderIdentity") or ""
        record = (holder, spec.get("renewTime"), spec.get("leaseTransitions"), spec.get("leaseDurationSeconds"))
        if record != self._observed:
            self._observed, self._observed_at = record, time.monotonic()
        self._note_holder(holder)
        duration = float(spec.get("leaseDurationSeconds") or s.lease_duration)
        if holder and holder != s.identity and time.monotonic() < self._observed_at + duration:
            return Attempt.OTHER
        now = _now()
        transitions = int(spec.get("leaseTransitions") or 0)
        lease["spec"] = {
            **spec,
            "holderIdentity": s.identity,
            "leaseDurationSeconds": int(s.lease_duration),
            "renewTime": now,
            "acquireTime": spec.get("acquireTime") if holder == s.identity else now,
            "leaseTransitions": transitions if holder == s.identity else transitions + 1,
        }
        return self._write(lease)

    def _create(self) -> Attempt:
        s, now = self.settings, _now()
        lease = {"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": s.name, "namespace": s.namespace},
                 "spec": {"holderIdentity": s.identity, "leaseDurationSeconds": int(s.lease_duration),
                          "acquireTime": now, "renewTime": now, "leaseTransitions": 0}}
        try:
            kube.create(lease)
        except kube.Conflict:  # another replica created it first
            return Attempt.FAILED
        return Attempt.HELD

    def _write(self, lease: dict[str, Any]) -> Attempt:
        """A PUT with the resourceVersion that was read: losing a race is a 409, never two leaders."""
        s = self.settings
        try:
            kube.request("PUT", kube.path(API_VERSION, KIND, s.namespace, s.name), lease)
        except kube.Conflict:
            return Attempt.FAILED
        return Attempt.HELD

    def _note_holder(self, holder: str) -> None:
        if holder != self._holder and holder != self.settings.identity:
            log.info("standby: Lease %s/%s is held by %s", self.settings.namespace, self.settings.name,
                     holder or "nobody (released)")
        self._holder = holder

    def give_up(self) -> None:
        """Releases the Lease if this replica holds it (holder cleared, as client-go's ReleaseOnCancel)."""
        s = self.settings
        try:
            lease = kube.get(API_VERSION, KIND, s.namespace, s.name)
        except kube.NotFound:
            return
        spec = lease.get("spec") or {}
        if spec.get("holderIdentity") != s.identity:
            return
        lease["spec"] = {**spec, "holderIdentity": None, "leaseDurationSeconds": 1, "renewTime": _now()}
        if self._write(lease) is Attempt.HELD:
            log.info("released Lease %s/%s", s.namespace, s.name)

    # --- the campaign -------------------------------------------------------------------------

    async def run(self, stopped: asyncio.Event) -> None:
        s = self.settings
        log.info("leader election: identity %s, Lease %s/%s (duration %gs, renew %gs, retry %gs)",
                 s.identity, s.namespace, s.name, s.lease_duration, s.renew_period, s.retry_period)
        last_renew = 0.0
        while not stopped.is_set() and not self._resigned:
            try:
                result = await asyncio.to_thread(self.attempt)
            except Exception as error:  # noqa: BLE001 - an unreachable API server is a failed attempt
                log.warning("leader election: %s: %s", type(error).__name__, error)
                result = Attempt.FAILED
            if self._resigned:
                break
            if result is Attempt.HELD:
                last_renew = time.monotonic()
                if not self.leading.is_set():
                    self._start_leading()
            elif self.leading.is_set() and (result is Attempt.OTHER
                                            or time.monotonic() - last_renew > s.renew_deadline):
                self._stop_leading("another replica holds the Lease" if result is Attempt.OTHER
                                   else f"could not renew the Lease for {s.renew_deadline:g}s")
            period = s.renew_period if result is Attempt.HELD else s.retry_period
            try:
                await asyncio.wait_for(stopped.wait(), timeout=period)
            except TimeoutError:
                pass

    def _start_leading(self) -> None:
        log.info("leading: acquired Lease %s/%s as %s", self.settings.namespace, self.settings.name,
                 self.settings.identity)
        self.leading.set()
        metrics.leading(True)
        self._on_leading()

    def _stop_leading(self, why: str) -> None:
        log.warning("stopped leading: %s; standing by", why)
        self.leading.clear()
        metrics.leading(False)

    async def on_cleanup(self, **_: Any) -> None:
        """kopf's cleanup handler signature."""
        await self.shutdown()

    async def shutdown(self, timeout: float = 20.0) -> None:
        """Stops reconciling, lets the reconcile in flight finish, then releases the Lease."""
        was_leading = self.leading.is_set()
        self._resigned = True
        self.leading.clear()
        if not was_leading:
            return
        deadline = time.monotonic() + timeout
        while self._busy() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        try:
            await asyncio.to_thread(self.give_up)
        except Exception as error:  # noqa: BLE001 - the Lease then simply expires
            log.warning("could not release the Lease: %s", error)
        metrics.leading(False)
