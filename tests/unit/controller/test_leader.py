"""Leader election rules against an in-memory Lease with resourceVersion checks (no cluster)."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest

from grayrelease import kube
from grayrelease.controller import leader
from grayrelease.controller.leader import Attempt


class FakeLeases:
    """One Lease with optimistic concurrency: a PUT with a stale resourceVersion is a 409."""

    def __init__(self) -> None:
        self.lease: dict[str, Any] | None = None
        self.version = 0

    def get(self, api_version: str, kind: str, namespace: str, name: str) -> dict[str, Any]:
        if self.lease is None:
            raise kube.NotFound(name)
        return copy.deepcopy(self.lease)

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        if self.lease is not None:
            raise kube.Conflict("exists")
        self.version += 1
        self.lease = {**copy.deepcopy(obj), "metadata": {**obj["metadata"], "resourceVersion": str(self.version)}}
        return self.lease

    def request(self, method: str, url: str, body: Any = None, **_: Any) -> dict[str, Any]:
        assert method == "PUT" and self.lease is not None
        if body["metadata"].get("resourceVersion") != self.lease["metadata"]["resourceVersion"]:
            raise kube.Conflict(url)
        self.version += 1
        self.lease = copy.deepcopy(body)
        self.lease["metadata"]["resourceVersion"] = str(self.version)
        return self.lease

    def hold(self, holder: str | None) -> None:
        """Another replica writes the Lease (a renewal, or a release when ``holder`` is None)."""
        lease = self.lease or self.create({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                                           "metadata": {"name": "grayrelease-leader", "namespace": "ops"}, "spec": {}})
        spec = {**lease.get("spec", {}), "holderIdentity": holder, "leaseDurationSeconds": 15,
                "renewTime": f"2026-01-01T00:00:{self.version:02d}.000000Z"}
        self.request("PUT", "", {**lease, "spec": spec})


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def leases(monkeypatch: pytest.MonkeyPatch) -> FakeLeases:
    fake = FakeLeases()
    monkeypatch.setattr(kube, "get", fake.get)
    monkeypatch.setattr(kube, "create", fake.create)
    monkeypatch.setattr(kube, "request", fake.request)
    return fake


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(leader.time, "monotonic", fake)
    return fake


def elector(identity: str, **settings: float) -> leader.Elector:
    return leader.Elector(leader.Settings(namespace="ops", identity=identity, **settings),
                          leading=asyncio.Event(), on_leading=lambda: None, busy=lambda: False)


def test_the_first_candidate_creates_the_lease(leases: FakeLeases, clock: Clock) -> None:
    assert elector("a").attempt() is Attempt.HELD
    assert leases.lease is not None and leases.lease["spec"]["holderIdentity"] == "a"
    assert leases.lease["spec"]["leaseDurationSeconds"] == 15


def test_a_live_lease_is_not_taken_over(leases: FakeLeases, clock: Clock) -> None:
    leases.hold("a")
    b = elector("b")
    assert b.attempt() is Attempt.OTHER
    clock.now += 14
    assert b.attempt() is Attempt.OTHER
    leases.hold("a")  # renewed: the lease duration counts again from b's observation
    clock.now += 14
    assert b.attempt() is Attempt.OTHER
    clock.now += 14
    assert b.attempt() is Attempt.OTHER


def test_a_lease_unrenewed_for_its_duration_is_taken_over(leases: FakeLeases, clock: Clock) -> None:
    leases.hold("a")
    b = elector("b")
    assert b.attempt() is Attempt.OTHER
    clock.now += 15.1
    assert b.attempt() is Attempt.HELD
    spec = leases.lease["spec"]  # type: ignore[index]
    assert spec["holderIdentity"] == "b"
    assert spec["leaseTransitions"] == 1
    assert spec["acquireTime"] == spec["renewTime"]


def test_a_released_lease_is_free_at_once(leases: FakeLeases, clock: Clock) -> None:
    leases.hold("a")
    b = elector("b")
    assert b.attempt() is Attempt.OTHER
    leases.hold(None)
    assert b.attempt() is Attempt.HELD


def test_losing_a_race_is_a_failed_attempt_not_a_second_leader(leases: FakeLeases, clock: Clock,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    leases.hold(None)
    b = elector("b")
    real_get = leases.get

    def get_then_race(*args: Any) -> dict[str, Any]:
        seen = real_get(*args)
        leases.hold("c")  # c writes between b's read and b's write
        return seen

    monkeypatch.setattr(kube, "get", get_then_race)
    assert b.attempt() is Attempt.FAILED
    assert leases.lease["spec"]["holderIdentity"] == "c"  # type: ignore[index]


def test_renewal_keeps_the_acquire_time(leases: FakeLeases, clock: Clock) -> None:
    a = elector("a")
    a.attempt()
    acquired = leases.lease["spec"]["acquireTime"]  # type: ignore[index]
    clock.now += 5
    assert a.attempt() is Attempt.HELD
    assert leases.lease["spec"]["acquireTime"] == acquired  # type: ignore[index]
    assert leases.lease["spec"]["leaseTransitions"] == 0  # type: ignore[index]


def test_give_up_clears_the_holder_only_when_held(leases: FakeLeases, clock: Clock) -> None:
    leases.hold("a")
    elector("b").give_up()
    assert leases.lease["spec"]["holderIdentity"] == "a"  # type: ignore[index]
    a = elector("a")
    a.give_up()
    assert leases.lease["spec"]["holderIdentity"] is None  # type: ignore[index]


def test_the_leader_steps_down_when_another_replica_holds_the_lease(leases: FakeLeases) -> None:
    async def scenario() -> list[bool]:
        stopped = asyncio.Event()
        a = elector("a", renew_period=0.02, retry_period=0.02)
        task = asyncio.create_task(a.run(stopped))
        seen = []
        await asyncio.sleep(0.05)
        seen.append(a.leading.is_set())
        leases.hold("b")  # e.g. a was partitioned away long enough for b to take over
        await asyncio.sleep(0.03)
        seen.append(a.leading.is_set())
        stopped.set()
        await task
        return seen

    assert asyncio.run(scenario()) == [True, False]


def test_shutdown_releases_the_lease_and_stops_campaigning(leases: FakeLeases) -> None:
    async def scenario() -> Any:
        stopped = asyncio.Event()
        a = elector("a", renew_period=0.01, retry_period=0.01)
        task = asyncio.create_task(a.run(stopped))
        await asyncio.sleep(0.03)
        await a.shutdown()
        await asyncio.sleep(0.05)  # the campaign loop must not take the Lease back
        holder = leases.lease["spec"]["holderIdentity"]  # type: ignore[index]
        stopped.set()
        await task
        return holder, a.leading.is_set()

    assert asyncio.run(scenario()) == (None, False)


def test_a_leader_that_cannot_renew_stops_before_the_lease_could_expire(leases: FakeLeases,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> list[bool]:
        stopped = asyncio.Event()
        a = elector("a", lease_duration=0.3, renew_period=0.02, retry_period=0.02)  # renew deadline 0.2 s
        task = asyncio.create_task(a.run(stopped))
        await asyncio.sleep(0.05)
        seen = [a.leading.is_set()]

        def unreachable(*_: Any) -> dict[str, Any]:
            raise ConnectionError("API server unreachable")

        monkeypatch.setattr(kube, "get", unreachable)
        await asyncio.sleep(0.1)
        seen.append(a.leading.is_set())  # within the deadline: still leading
        await asyncio.sleep(0.25)
        seen.append(a.leading.is_set())  # past it: stepped down
        stopped.set()
        await task
        return seen

    assert asyncio.run(scenario()) == [True, True, False]
