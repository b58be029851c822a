"""A canary whose containers cannot start (a bad image, a missing Secret) fails its release in a
minute, not at the progress deadline."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest
from builders import T0, at_step, command, dep, obs, spec

from grayrelease.api.status import PauseReason, Phase
from grayrelease.engine import cannot_start, decide
from grayrelease.engine.actions import Emit, EnsureCanary
from grayrelease.engine.observations import Observations, UnschedulablePod, WaitingContainer

SEC = timedelta(seconds=1)
PULL = 'Back-off pulling image "example.com/app:tpyo"'


def waiting(*containers: tuple[str, datetime], message: str = PULL) -> Observations:
    found = tuple(WaitingContainer(pod=f"a-canary-{i}", container="app", reason=reason, pod_created_at=born, message=message)
                  for i, (reason, born) in enumerate(containers))
    return dataclasses.replace(obs(stable=dep("A", 4), canary=dep("B", len(found), ready=0)), canary_waiting=found)


def _event(decision) -> Emit:
    events = [a for a in decision.actions if isinstance(a, Emit)]
    assert len(events) == 1, decision.actions
    return events[0]


@pytest.mark.parametrize(("reason", "waited", "fails"), [
    ("ImagePullBackOff", 59, False),  # a registry's passing hiccup: the kubelet retries
    ("ImagePullBackOff", 60, True),
    ("ErrImagePull", 61, True),
    ("CreateContainerConfigError", 60, True),  # a Secret or ConfigMap key it reads is missing
    ("CreateContainerError", 60, True),
    ("InvalidImageName", 0, True),  # no retry changes it
    ("ErrImageNeverPull", 0, True),
    ("ContainerCreating", 3600, False),  # a pull in progress, however slow
    ("PodInitializing", 3600, False),
])
def test_which_waits_fail_and_after_how_long(reason: str, waited: int, fails: bool) -> None:
    decision = decide(spec(), at_step(0), waiting((reason, T0)), T0 + waited * SEC)
    assert (decision.rule == "canary cannot start") is fails


def test_it_rolls_back_naming_the_pods_and_the_kubelets_why() -> None:
    decision = decide(spec(), at_step(0), waiting(("ImagePullBackOff", T0), ("ErrImagePull", T0 + 5 * SEC)), T0 + 90 * SEC)
    assert decision.rule == "canary cannot start"
    assert decision.status.phase is Phase.ROLLED_BACK and decision.status.aborted_revision == "B"
    assert decision.status.condition("Progressing").reason == "CanaryCannotStart"
    assert any(isinstance(a, EnsureCanary) and a.replicas == 0 for a in decision.actions)
    event = _event(decision)
    assert (event.type, event.reason) == ("Warning", "RolledBack")
    assert (f"canary containers cannot start: a-canary-0/app ImagePullBackOff: {PULL} (pod up 90s), "
            f"a-canary-1/app ErrImagePull: {PULL} (pod up 85s)") in event.message


def test_the_wait_counts_from_the_step_start_when_the_pod_is_older() -> None:
    # A pod that was stuck before the step started (or before a person resumed) gets a full minute again.
    old = waiting(("ImagePullBackOff", T0 - 10 * 60 * SEC))
    assert decide(spec(), at_step(1, started=T0), old, T0 + 30 * SEC).rule is None
    assert decide(spec(), at_step(1, started=T0), old, T0 + 60 * SEC).rule == "canary cannot start"


def test_with_on_failure_pause_it_pauses_and_a_resume_gives_the_pods_another_minute() -> None:
    stuck = waiting(("CreateContainerConfigError", T0))
    paused = decide(spec(on_failure="pause"), at_step(0), stuck, T0 + 60 * SEC)
    assert (paused.status.phase, paused.status.pause_reason) == (Phase.PAUSED, PauseReason.CANARY_CANNOT_START)
    assert (_event(paused).type, _event(paused).reason) == ("Warning", "CanaryCannotStart")
    assert decide(spec(on_failure="pause"), paused.status, stuck, T0 + 120 * SEC).rule is None  # failed once

    now = T0 + 180 * SEC  # the missing Secret created, a person resumes
    asked = paused.status.model_copy(update={"command": command("resume", now)})
    resumed = decide(spec(on_failure="pause"), asked, stuck, now)
    assert resumed.rule == "resume" and resumed.status.phase is Phase.PROGRESSING
    assert decide(spec(on_failure="pause"), resumed.status, stuck, now + 59 * SEC).rule is None
    assert decide(spec(on_failure="pause"), resumed.status, stuck, now + 60 * SEC).rule == "canary cannot start"


def test_a_finished_release_is_not_failed_again() -> None:
    status = at_step(2, phase=Phase.ROLLED_BACK, aborted_revision="B")
    assert decide(spec(), status, waiting(("InvalidImageName", T0)), T0).rule != "canary cannot start"


def test_the_message_names_the_three_longest_waiting_and_counts_the_rest() -> None:
    found = waiting(*[("ImagePullBackOff", T0 + i * SEC) for i in (3, 0, 2, 1, 4)], message="").canary_waiting
    text = cannot_start.describe(found, T0 + 100 * SEC)
    assert text.startswith("canary containers cannot start: a-canary-1/app ImagePullBackOff (pod up 100s), a-canary-3/app")
    assert ", 2 more (waiting 60s" in text


NO_NODE = "0/3 nodes are available: 3 Insufficient cpu."


def unplaced(count: int, since: datetime = T0) -> Observations:
    found = tuple(UnschedulablePod(pod=f"a-canary-{i}", since=since + i * SEC, message=NO_NODE) for i in range(count))
    return dataclasses.replace(obs(stable=dep("A", 4), canary=dep("B", count, ready=0)), canary_unschedulable=found)


def test_a_pod_no_node_takes_fails_nothing_before_the_progress_deadline() -> None:
    """A cluster autoscaler may add a node within minutes: no early failure, as for a slow pull."""
    assert decide(spec(), at_step(0), unplaced(2), T0 + 9 * 60 * SEC).rule is None


@pytest.mark.parametrize(("count", "named"), [
    (1, "no node takes 1 canary pod for 660s (a-canary-0)"),
    (5, "no node takes 5 canary pods for 660s (a-canary-0, a-canary-1, a-canary-2, 2 more)"),
])
def test_the_progress_deadline_says_why_no_node_takes_the_canary(count: int, named: str) -> None:
    decision = decide(spec(), at_step(0), unplaced(count), T0 + 11 * 60 * SEC)
    assert decision.rule == "progress deadline"
    assert decision.status.condition("Progressing").reason == "ProgressDeadlineExceeded"
    assert (f"no progress for 600s (canary 0/1 available); {named}: {NO_NODE.rstrip('.')}; rolled back"
            in _event(decision).message), _event(decision).message


def test_without_unschedulable_pods_the_deadline_says_what_it_said() -> None:
    assert cannot_start.unschedulable((), T0) == ""
    message = _event(decide(spec(), at_step(0), unplaced(0), T0 + 11 * 60 * SEC)).message
    assert message.endswith("no progress for 600s (canary 0/1 available); rolled back to stable A"), message
