"""A crash-looping canary fails its release on its container restarts, whatever the metrics say."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from builders import T0, at_step, command, dep, obs, spec

from grayrelease.api.spec import GrayReleaseSpec
from grayrelease.api.status import PauseReason, Phase
from grayrelease.engine import decide, restarts
from grayrelease.engine.actions import Emit, EnsureCanary
from grayrelease.engine.observations import ContainerRestarts, EvictedPod, Observations

MIN = timedelta(minutes=1)
READY_25 = dict(stable=dep("A", 3), canary=dep("B", 1))


def crashing(*counts: int, waiting: str = "CrashLoopBackOff", last: str = "Error, exit code 1") -> Observations:
    found = tuple(ContainerRestarts(pod=f"a-canary-{i}", container="app", restarts=n, last_exit=last, waiting=waiting)
                  for i, n in enumerate(counts))
    return dataclasses.replace(obs(**READY_25), canary_restarts=found)


def limited(limit: int, **extra) -> GrayReleaseSpec:
    data = spec(**extra).model_dump(by_alias=True, exclude_none=True)
    return GrayReleaseSpec.model_validate({**data, "canaryRestartLimit": limit})


def _event(decision) -> Emit:
    events = [a for a in decision.actions if isinstance(a, Emit)]
    assert len(events) == 1, decision.actions
    return events[0]


def test_the_default_limit_is_three_restarts_of_one_container() -> None:
    assert spec().canary_restart_limit == 3
    assert decide(spec(), at_step(1), crashing(3, 1), T0).rule is None
    decision = decide(spec(), at_step(1), crashing(4, 1), T0)
    assert decision.rule == "canary restarting"
    assert decision.status.phase is Phase.ROLLED_BACK and decision.status.aborted_revision == "B"
    event = _event(decision)
    assert (event.type, event.reason) == ("Warning", "RolledBack")
    assert ("canary container restarts a-canary-0/app 4 (CrashLoopBackOff; last Error, exit code 1), a-canary-1/app 1 "
            "(CrashLoopBackOff; last Error, exit code 1) (canaryRestartLimit 3: restarts of a container, or pods evicted)") in event.message
    assert any(isinstance(a, EnsureCanary) and a.replicas == 0 for a in decision.actions)
    assert decision.status.condition("Progressing").reason == "CanaryRestarting"


def test_one_restart_of_each_of_many_pods_is_no_crash_loop() -> None:
    # A sidecar restarted once as each of twenty pods started: common, and harmless.
    assert decide(spec(), at_step(1), crashing(*[1] * 20, waiting="", last="Error, exit code 1"), T0).rule is None


def test_a_limit_of_zero_fails_on_the_first_restart() -> None:
    assert decide(limited(0), at_step(1), crashing(1, waiting="", last="OOMKilled, exit code 137"), T0).rule == \
        "canary restarting"
    assert decide(limited(0), at_step(1), crashing(), T0).rule is None


def test_restarts_fail_even_while_the_metrics_pass_and_before_the_weight_is_reached() -> None:
    not_ready = dataclasses.replace(crashing(5), canary=dep("B", 1, ready=0))
    decision = decide(spec(), at_step(0), not_ready, T0 + MIN)  # the progress deadline is 10 minutes away
    assert decision.rule == "canary restarting"


@pytest.mark.parametrize("phase", [Phase.SUCCEEDED, Phase.ROLLED_BACK])
def test_a_finished_release_is_not_failed_again(phase: Phase) -> None:
    promoted = phase is Phase.SUCCEEDED
    status = at_step(2, phase=phase, stable_revision="B" if promoted else "A", aborted_revision=None if promoted else "B")
    assert decide(spec(), status, crashing(9), T0).rule != "canary restarting"


def test_with_on_failure_pause_it_pauses_and_a_resume_accepts_the_restarts_seen() -> None:
    paused = decide(spec(on_failure="pause"), at_step(1), crashing(4, 2), T0)
    assert paused.rule == "canary restarting"
    assert (paused.status.phase, paused.status.pause_reason) == (Phase.PAUSED, PauseReason.CANARY_RESTARTING)
    assert (_event(paused).type, _event(paused).reason) == ("Warning", "CanaryRestarting")
    assert any(isinstance(a, EnsureCanary) and a.replicas == 1 for a in paused.actions)  # the canary is kept
    # Still paused while nothing changes: the same restarts do not fail it twice.
    assert decide(spec(on_failure="pause"), paused.status, crashing(6), T0 + MIN).rule is None

    asked = paused.status.model_copy(update={"command": command("resume", T0 + 2 * MIN)})
    resumed = decide(spec(on_failure="pause"), asked, crashing(6), T0 + 2 * MIN)
    assert resumed.rule == "resume" and resumed.status.phase is Phase.PROGRESSING
    assert resumed.status.canary_restarts_accepted == 6
    # Three more are tolerated; the fourth beyond those accepted fails it again.
    assert decide(spec(on_failure="pause"), resumed.status, crashing(9), T0 + 3 * MIN).rule is None
    again = decide(spec(on_failure="pause"), resumed.status, crashing(10), T0 + 3 * MIN)
    assert again.rule == "canary restarting"
    assert ("a-canary-0/app 10 (CrashLoopBackOff; last Error, exit code 1) (canaryRestartLimit 3: restarts of a container,"
            " or pods evicted, 6 accepted before)") in _event(again).message


def test_a_new_release_forgets_the_restarts_accepted_for_the_last_one() -> None:
    status = at_step(2, canary_restarts_accepted=7)
    decision = decide(spec(), status, obs(template="C", **READY_25), T0)
    assert decision.rule == "new template" and decision.status.canary_restarts_accepted is None


def evicted(n: int, *, restarts: tuple[int, ...] = ()) -> Observations:
    pods = tuple(EvictedPod(pod=f"a-canary-e{i}", message="Pod ephemeral local storage usage exceeds the total limit"
                            " of containers 1Gi.") for i in range(n))
    return dataclasses.replace(crashing(*restarts), canary_evictions=pods)


def test_evicted_pods_are_counted_over_the_pods() -> None:
    # An evicted pod is replaced by a fresh one with no restarts: the restarts never show the loop.
    assert decide(spec(), at_step(1), evicted(3), T0).rule is None
    decision = decide(spec(), at_step(1), evicted(4, restarts=(1,)), T0)
    assert decision.rule == "canary restarting" and decision.status.phase is Phase.ROLLED_BACK
    message = _event(decision).message
    assert ("canary container restarts a-canary-0/app 1 (CrashLoopBackOff; last Error, exit code 1); canary pods evicted 4: "
            "a-canary-e0 (Pod ephemeral local storage usage exceeds the total limit of containers 1Gi.)") in message
    assert "1 more (canaryRestartLimit 3" in message
    assert restarts.failures(crashing(2).canary_restarts, evicted(1).canary_evictions) == 2


def test_the_message_names_the_three_worst_and_counts_the_rest() -> None:
    found = crashing(1, 5, 2, 2, 1).canary_restarts
    text = restarts.describe(found, (), 3, None)
    assert text.startswith("canary container restarts a-canary-1/app 5")
    assert text.index("a-canary-2/app 2") < text.index("a-canary-3/app 2")
    assert text.endswith(", 2 more (canaryRestartLimit 3: restarts of a container, or pods evicted)")
    assert restarts.most(found) == 5 and restarts.most(()) == 0


def test_the_limit_is_checked_by_the_schema() -> None:
    with pytest.raises(ValueError):
        limited(-1)
    assert limited(0).canary_restart_limit == 0
