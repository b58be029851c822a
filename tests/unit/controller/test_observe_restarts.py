"""Canary restarts, evictions, containers that cannot start and pods no node takes are read from the
watched pods' status: this release's canary revision only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from grayrelease import labels
from grayrelease.controller import observe, store
from grayrelease.workloads.pods import CanaryTrouble
from grayrelease.engine.observations import ContainerRestarts, EvictedPod, UnschedulablePod, WaitingContainer


def pod(name: str, *, release: str = "web", revision: str = "B", namespace: str = "shop",
        containers: list[dict[str, Any]] | None = None, init: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": namespace, "creationTimestamp": "2026-12-07T10:00:00Z",
                     "labels": {labels.RELEASE: release, labels.REVISION: revision, labels.ROLE: "canary"}},
        "status": {"containerStatuses": containers, "initContainerStatuses": init},
    }


CRASHING = {
    "name": "app", "restartCount": 4, "ready": False,
    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed container"}},
    "lastState": {"terminated": {"reason": "Error", "exitCode": 1}},
}
OOM_RUNNING = {
    "name": "sidecar", "restartCount": 1, "ready": True, "state": {"running": {}},
    "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}},
}
HEALTHY = {"name": "app", "restartCount": 0, "ready": True, "state": {"running": {}}}


@pytest.fixture(autouse=True)
def pods() -> Iterator[store.Store]:
    for key in store.canary_pods.keys():
        store.canary_pods.forget(key)
    yield store.canary_pods
    for key in store.canary_pods.keys():
        store.canary_pods.forget(key)


def test_restarted_containers_say_how_they_last_ended_and_why_they_wait(pods: store.Store) -> None:
    pods.put(pod("web-canary-1", containers=[CRASHING, OOM_RUNNING]))
    pods.put(pod("web-canary-2", containers=[HEALTHY]))
    assert sorted(observe.canary_trouble("shop", "web", "B").restarts, key=lambda c: c.container) == [
        ContainerRestarts("web-canary-1", "app", 4, last_exit="Error, exit code 1", waiting="CrashLoopBackOff"),
        ContainerRestarts("web-canary-1", "sidecar", 1, last_exit="OOMKilled, exit code 137", waiting=""),
    ]


def test_init_containers_count_and_statuses_without_a_last_state_still_count(pods: store.Store) -> None:
    pods.put(pod("web-canary-1", init=[{"name": "migrate", "restartCount": 2}], containers=None))
    assert observe.canary_trouble("shop", "web", "B") == CanaryTrouble(restarts=(ContainerRestarts("web-canary-1", "migrate", 2),))


@pytest.mark.parametrize("other", [
    pod("web-canary-old", revision="A", containers=[CRASHING]),  # an earlier canary revision
    pod("api-canary-1", release="api", containers=[CRASHING]),  # another release
    pod("web-canary-1", namespace="other", containers=[CRASHING]),  # the same name elsewhere
])
def test_only_this_releases_canary_revision_counts(pods: store.Store, other: dict[str, Any]) -> None:
    pods.put(other)
    assert observe.canary_trouble("shop", "web", "B") == CanaryTrouble()


def test_evicted_pods_count_and_failed_pods_for_other_reasons_do_not(pods: store.Store) -> None:
    evicted = pod("web-canary-1", containers=[HEALTHY])
    evicted["status"].update(phase="Failed", reason="Evicted",
                             message="Pod ephemeral local storage usage exceeds the total limit of containers 1Gi.")
    shutdown = pod("web-canary-2", containers=[HEALTHY])
    shutdown["status"].update(phase="Failed", reason="Terminated",
                              message="Pod was terminated in response to imminent node shutdown.")
    pods.put(evicted)
    pods.put(shutdown)
    assert observe.canary_trouble("shop", "web", "B") == CanaryTrouble(evictions=(EvictedPod(
        "web-canary-1", "Pod ephemeral local storage usage exceeds the total limit of containers 1Gi."),))


def test_containers_waiting_for_an_image_or_their_config_are_named_with_the_kubelets_why(pods: store.Store) -> None:
    pulling = {"name": "app", "restartCount": 0, "ready": False,
               "state": {"waiting": {"reason": "ImagePullBackOff",
                                     "message": 'Back-off pulling image "example.com/app:typo"'}}}
    creating = {"name": "app", "restartCount": 0, "ready": False, "state": {"waiting": {"reason": "ContainerCreating"}}}
    config = {"name": "sidecar", "restartCount": 0, "state": {"waiting": {
        "reason": "CreateContainerConfigError", "message": 'secret "db"   not found'}}}
    pods.put(pod("web-canary-1", init=[config], containers=[pulling]))
    pods.put(pod("web-canary-2", containers=[creating]))  # a pull in progress, however slow, is no failure
    done = pod("web-canary-3", containers=[pulling])
    done["status"]["phase"] = "Failed"  # a pod that has ended waits for nothing
    pods.put(done)
    born = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    assert observe.canary_trouble("shop", "web", "B") == CanaryTrouble(waiting=(
        WaitingContainer("web-canary-1", "sidecar", "CreateContainerConfigError", born, 'secret "db" not found'),
        WaitingContainer("web-canary-1", "app", "ImagePullBackOff", born, 'Back-off pulling image "example.com/app:typo"'),
    ))


def test_pods_the_scheduler_cannot_place_are_named_with_its_why(pods: store.Store) -> None:
    def pending(name: str, condition: dict[str, Any], phase: str = "Pending") -> dict[str, Any]:
        body = pod(name)
        body["status"].update(phase=phase, conditions=[{"type": "Initialized", "status": "True"}, condition])
        return body

    said = "0/3 nodes are available:  3 node(s) didn't match Pod's node affinity/selector."
    pods.put(pending("web-canary-1", {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                      "message": said, "lastTransitionTime": "2026-12-07T10:00:05Z"}))
    pods.put(pending("web-canary-2", {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}))
    pods.put(pending("web-canary-3", {"type": "PodScheduled", "status": "True"}, phase="Running"))
    pods.put(pending("web-canary-4", {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}))
    found = observe.canary_trouble("shop", "web", "B").unschedulable
    assert sorted(found, key=lambda p: p.pod) == [
        UnschedulablePod("web-canary-1", datetime(2026, 12, 7, 10, 0, 5, tzinfo=UTC), " ".join(said.split())),
        UnschedulablePod("web-canary-2", datetime(2026, 12, 7, 10, 0, tzinfo=UTC)),  # no transition time: since creation
    ]


def test_no_canary_revision_reads_nothing(pods: store.Store) -> None:
    pods.put(pod("web-canary-1", containers=[CRASHING]))
    assert observe.canary_trouble("shop", "web", None) == CanaryTrouble()


def test_the_pod_store_is_indexed_by_release_and_follows_relabels_and_deletes() -> None:
    pods = store.PodsByRelease()
    pods.put(pod("web-canary-1"))
    pods.put(pod("web-canary-2"))
    pods.put(pod("api-canary-1", release="api"))
    assert sorted(p["metadata"]["name"] for p in pods.of_release("shop", "web")) == ["web-canary-1", "web-canary-2"]
    pods.put(pod("web-canary-2", release="api"))  # relabelled: it moves
    assert [p["metadata"]["name"] for p in pods.of_release("shop", "web")] == ["web-canary-1"]
    assert sorted(p["metadata"]["name"] for p in pods.of_release("shop", "api")) == ["api-canary-1", "web-canary-2"]
    pods.forget(("shop", "web-canary-1"))
    pods.forget(("shop", "never-seen"))
    assert pods.of_release("shop", "web") == [] and pods.of_release("other", "api") == []
    assert len(pods) == 2
