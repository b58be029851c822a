"""Two operator replicas with Lease-based leader election: one acts, the other stands by warm.

Each test starts its own pair of operator processes (watching only ``ha-*`` namespaces, so they
never meet the session's operator), with different identities through POD_NAME, and a Lease in
the test's own namespace. It stops the leader mid-release — SIGKILL, as when a node is lost, or
SIGTERM, as in a rolling update — and measures how long the standby takes to hold the Lease and
to move the release again (it handles a `promote` command written right after the leader died).
The figures are printed, never asserted; what is asserted is that exactly one replica acted at
a time and that the release completed exactly once.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.e2e import releases as gr
from tests.e2e.harness import Cluster, Process, wait_until

STEPS = [{"setWeight": 50}, {"pause": {}}, {"setWeight": 100}]
SHORT = {"lease_duration": "4", "renew_period": "1", "retry_period": "0.5"}
DEFAULT = {"lease_duration": "15", "renew_period": "5", "retry_period": "2"}  # the flags' defaults


@pytest.fixture
def ha_namespace(cluster: Cluster) -> Iterator[str]:
    """A fresh ``ha-`` namespace: holds the release and the Lease of this test's replicas."""
    name = f"ha-{uuid.uuid4().hex[:8]}"
    cluster.kubectl("create", "namespace", name)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


class Replica:
    """One operator process of the pair, with its identity and the part of its log it wrote."""

    def __init__(self, cluster: Cluster, letter: str, namespace: str, timing: dict[str, str]) -> None:
        self.identity = f"grayrelease-{letter}-{namespace[3:]}"
        self.timing = timing
        argv = [str(Path(sys.executable).parent / "grayrelease"), "run", "--namespace=ha-*", "--liveness=",
                "--metrics-port=0", "--leader-elect", f"--leader-lease-namespace={namespace}",
                f"--leader-lease-duration={timing['lease_duration']}",
                f"--leader-renew-period={timing['renew_period']}", f"--leader-retry-period={timing['retry_period']}"]
        self.process = Process(name=f"operator-ha-{letter}", argv=argv,
                               env={**cluster.env, "PYTHONUNBUFFERED": "1", "POD_NAME": self.identity})
        self._offset = 0

    def start(self) -> None:
        self._offset = self.process.log_path.stat().st_size if self.process.log_path.exists() else 0
        self.process.start()

    def log(self) -> str:
        with self.process.log_path.open("rb") as log:
            log.seek(self._offset)
            return log.read().decode(errors="replace")


@pytest.fixture
def replicas(crds: Cluster, ha_namespace: str, request: pytest.FixtureRequest) -> Iterator[tuple[Replica, Replica]]:
    timing = getattr(request, "param", SHORT)
    pair = (Replica(crds, "a", ha_namespace, timing), Replica(crds, "b", ha_namespace, timing))
    yield pair
    for replica in pair:
        replica.process.stop(kill=True)


def holder(cluster: Cluster, namespace: str) -> str | None:
    result = cluster.kubectl("get", "lease", "grayrelease-leader", "-n", namespace, "-o",
                             "jsonpath={.spec.holderIdentity}", check=False)
    return result.stdout.strip() or None if result.returncode == 0 else None


def start_pair(cluster: Cluster, namespace: str, a: Replica, b: Replica) -> None:
    """``a`` starts first and leads; ``b`` joins and says in its log that it stands by."""
    a.start()
    wait_until(lambda: holder(cluster, namespace) == a.identity, timeout=60, what="replica a to lead")
    b.start()
    wait_until(lambda: f"standby: Lease {namespace}/grayrelease-leader is held by {a.identity}" in b.log(),
               timeout=60, what="replica b to stand by")


def paused_release(cluster: Cluster, namespace: str) -> dict:
    """A release of v2 waiting at its `pause: {}` step, after v1 was installed."""
    cluster.apply(gr.grayrelease("ha", steps=STEPS), namespace)
    gr.wait_phase(cluster, namespace, "ha", "Succeeded", timeout=180)
    cluster.apply(gr.grayrelease("ha", image="example.com/app:2", steps=STEPS), namespace)
    return gr.wait_status(cluster, namespace, "ha", lambda s: s.get("phase") == "Paused"
                          and s.get("currentStepIndex") == 1, timeout=180, what="paused at the manual gate")


def promote(cluster: Cluster, namespace: str) -> str:
    requested = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    command = {"status": {"command": {"action": "promote", "requestedAt": requested, "requestedBy": "test_ha"}}}
    cluster.kubectl("patch", "grayrelease", "ha", "-n", namespace, "--subresource=status", "--type=merge",
                    "-p", json.dumps(command))
    return requested


def fail_over(cluster: Cluster, namespace: str, leader: Replica, standby: Replica, *, kill: bool) -> tuple[float, float]:
    """Stops the leader and promotes at once; seconds until the standby holds the Lease, and until it acted."""
    assert leader.process.proc is not None
    started = time.monotonic()
    if kill:
        leader.process.proc.kill()
    else:
        leader.process.proc.terminate()  # not waited for: the clock runs from the signal
    promote(cluster, namespace)
    wait_until(lambda: holder(cluster, namespace) == standby.identity, timeout=60, interval=0.1,
               what="the standby to acquire the Lease")
    acquired = time.monotonic() - started
    wait_until(lambda: (gr.status(cluster, namespace, "ha").get("lastHandledCommand") or {}).get("requestedBy")
               == "test_ha", timeout=60, interval=0.1, what="the promote command to be handled")
    return acquired, time.monotonic() - started


def acting_instances(cluster: Cluster, namespace: str) -> list[str]:
    return [e.get("reportingInstance", "") for e in gr.events(cluster, namespace, "ha")]


def check_completed_once(cluster: Cluster, namespace: str) -> None:
    gr.wait_status(cluster, namespace, "ha", lambda s: s.get("phase") == "Succeeded" and s.get("canaryWeight") == 0,
                   timeout=180, what="promotion after failover")
    time.sleep(2)  # a second actor, if there were one, would post its own Promoted by now
    assert gr.reasons(cluster, namespace, "ha").count("Promoted") == 1


@pytest.mark.parametrize("replicas", [SHORT, DEFAULT], ids=["lease-4s", "lease-15s-default"], indirect=True)
def test_leader_killed_mid_release_standby_takes_over(cluster: Cluster, ha_namespace: str,
                                                      replicas: tuple[Replica, Replica]) -> None:
    a, b = replicas
    start_pair(cluster, ha_namespace, a, b)
    paused_release(cluster, ha_namespace)
    assert set(acting_instances(cluster, ha_namespace)) == {a.identity}  # only the leader acted
    assert holder(cluster, ha_namespace) == a.identity

    lease_after, progress_after = fail_over(cluster, ha_namespace, a, b, kill=True)
    print(f"[figure] failover (leader killed -9, lease {a.timing['lease_duration']}s): lease acquired after {lease_after:.1f} s, "
          f"release progressing again after {progress_after:.1f} s")
    check_completed_once(cluster, ha_namespace)
    after = acting_instances(cluster, ha_namespace)
    assert after[-1] == b.identity and set(after) == {a.identity, b.identity}


@pytest.mark.parametrize("replicas", [DEFAULT], ids=["lease-15s-default"], indirect=True)
def test_leader_terminated_hands_over_at_once(cluster: Cluster, ha_namespace: str,
                                              replicas: tuple[Replica, Replica]) -> None:
    a, b = replicas
    start_pair(cluster, ha_namespace, a, b)
    paused_release(cluster, ha_namespace)

    lease_after, progress_after = fail_over(cluster, ha_namespace, a, b, kill=False)
    print(f"[figure] handover (leader SIGTERM, default flags): lease acquired after {lease_after:.1f} s, "
          f"release progressing again after {progress_after:.1f} s")
    assert f"released Lease {ha_namespace}/grayrelease-leader" in a.log()
    check_completed_once(cluster, ha_namespace)
