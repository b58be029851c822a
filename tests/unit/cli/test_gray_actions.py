"""What ``kubectl gray`` asks for, decided without a cluster: command checks, spec patches, waiting, completion."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest
from captured import SPEC, deployment, release_object

from grayrelease.api.status import CommandAction
from grayrelease.cli import gray_actions, gray_completion, gray_wait
from grayrelease.cli.gray_resource import Release, parse_release
from grayrelease.cli.gray_text import Painter
from grayrelease.workloads.revision import template_revision

STABLE_TEMPLATE = {"metadata": {"labels": {"app": "checkout"}},
                   "spec": {"containers": [{"name": "app", "image": "example.com/checkout:1"}]}}
STABLE = template_revision(STABLE_TEMPLATE)


def _release(status: dict[str, Any] | None, *, generation: int = 2, stable_deployment: bool = False) -> Release:
    raw = release_object(status, generation=generation)
    raw["metadata"]["resourceVersion"] = "42"
    stable = deployment("stable", STABLE, "example.com/checkout:1", 3, 3) if stable_deployment else None
    return Release(raw=raw, model=parse_release(raw), stable_deployment=stable)


def _status(phase: str, index: int = 1, **extra: Any) -> dict[str, Any]:
    return {"phase": phase, "currentStepIndex": index, "stableRevision": STABLE, "canaryRevision": "5d2a99ee01",
            "observedGeneration": 2, **extra}


ALLOWED = [
    ("promote", _status("Paused")), ("promote-full", _status("Progressing")), ("abort", _status("Paused")),
    ("pause", _status("Progressing")), ("resume", _status("Paused")), ("retry", _status("RolledBack")),
    ("retry", _status("Aborted")),
]
REFUSED = [
    ("promote", _status("Succeeded", canaryRevision=STABLE), "it is Succeeded"),
    ("abort", _status("RolledBack"), "it is RolledBack"),
    ("retry", _status("Progressing"), "only a rolled-back or aborted release"),
    ("pause", _status("Paused"), "already paused"),
    ("resume", _status("Progressing"), "not paused"),
    ("abort", _status("Progressing", index=5), "already being promoted"),
    ("promote", _status("Pending", canaryRevision=None, stableRevision=None), "it is Pending"),
    ("promote", _status("Progressing", canaryRevision=STABLE), "no release is in progress"),
    ("abort", _status("Degraded"), "it is Degraded"),
]


@pytest.mark.parametrize(("action", "status"), ALLOWED, ids=[f"{a} while {s['phase']}" for a, s in ALLOWED])
def test_command_accepted(action: str, status: dict[str, Any]) -> None:
    gray_actions.check_command(CommandAction(action), _release(status))


@pytest.mark.parametrize(("action", "status", "why"), REFUSED,
                         ids=[f"{a} refused while {s['phase']}: {w}" for a, s, w in REFUSED])
def test_command_refused(action: str, status: dict[str, Any], why: str) -> None:
    with pytest.raises(gray_actions.Refused, match=why):
        gray_actions.check_command(CommandAction(action), _release(status))


def test_command_patch_is_the_operator_contract() -> None:
    patch = gray_actions.command_patch(CommandAction.PROMOTE_FULL, "alice",
                                       datetime(2025, 3, 1, 12, 0, 5, 123456, tzinfo=UTC))
    assert patch == {"status": {"command": {"action": "promote-full", "requestedAt": "2025-03-01T12:00:05Z",
                                            "requestedBy": "alice"}}}


def test_undo_restores_the_stable_template_as_written() -> None:
    release = _release(_status("Paused"), stable_deployment=True)
    operations, exact = gray_actions.undo_operations(release)
    assert operations[0] == {"op": "test", "path": "/metadata/resourceVersion", "value": "42"}
    assert operations[1] == {"op": "replace", "path": "/spec/template", "value": STABLE_TEMPLATE}
    assert exact  # server defaults and operator labels gone: the hash is the stable revision again


def test_undo_keeps_what_the_user_set_even_if_it_looks_like_a_default() -> None:
    release = _release(_status("Paused"), stable_deployment=True)
    pod = release.stable_deployment["spec"]["template"]["spec"]
    pod["containers"][0]["imagePullPolicy"] = "Always"  # not the default for a tagged image
    pod["terminationGracePeriodSeconds"] = 5
    template, _ = gray_actions.stable_template(release)
    assert template["spec"]["containers"][0]["imagePullPolicy"] == "Always"
    assert template["spec"]["terminationGracePeriodSeconds"] == 5


def test_undo_refused_when_already_stable_or_nothing_to_go_back_to() -> None:
    raw_spec_revision = template_revision(SPEC["template"])
    with pytest.raises(gray_actions.Refused, match="nothing to undo"):
        gray_actions.undo_operations(_release(_status("Succeeded", stableRevision=raw_spec_revision),
                                              stable_deployment=True))
    with pytest.raises(gray_actions.Refused, match="no stable Deployment"):
        gray_actions.undo_operations(_release(_status("Paused")))


def test_set_image_replaces_only_named_containers() -> None:
    release = _release(_status("Paused"))
    ops = gray_actions.set_image_operations(release, gray_actions.parse_image_pairs(["app=example.com/checkout:3"]))
    assert ops[1:] == [{"op": "replace", "path": "/spec/template/spec/containers/0/image",
                        "value": "example.com/checkout:3"}]
    assert gray_actions.set_image_operations(release, {"app": "example.com/checkout:2"}) == []  # unchanged
    with pytest.raises(gray_actions.Refused, match="no container named web.*containers: app"):
        gray_actions.set_image_operations(release, {"web": "x:1"})
    with pytest.raises(gray_actions.Refused, match="CONTAINER=IMAGE"):
        gray_actions.parse_image_pairs(["app"])


@pytest.mark.parametrize(("status", "generation", "code"), [
    (_status("Succeeded", canaryRevision=STABLE), 2, 0),
    (_status("RolledBack"), 2, 1),
    (_status("Aborted"), 2, 1),
    (_status("Degraded"), 2, 1),
    (_status("Paused"), 2, None),
    (_status("Succeeded", canaryRevision=STABLE), 3, None),
], ids=["succeeded", "rolled back", "aborted", "degraded", "paused: not done",
        "succeeded for an older spec: not done"])
def test_outcome(status: dict[str, Any], generation: int, code: int | None) -> None:
    assert gray_wait.outcome(_release(status, generation=generation)) == code


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_status_prints_each_change_once_and_exits_with_the_outcome() -> None:
    sequence = [_status("Paused"), _status("Paused"), _status("Progressing", index=2),
                _status("RolledBack", message="analysis error-rate failed")]
    reads = iter(sequence)
    out, clock = io.StringIO(), FakeClock()
    code = gray_wait.status(lambda: _release(next(reads)), timeout=None, interval=1, out=out, clock=clock,
                            sleep=clock.sleep)
    lines = out.getvalue().splitlines()
    assert code == gray_wait.EXIT_FAILED
    assert [line.split(":")[0] for line in lines] == ["Paused", "Progressing", "RolledBack",
                                                       'grayrelease "checkout" ended RolledBack']


def test_status_times_out_with_exit_2() -> None:
    out, clock = io.StringIO(), FakeClock()
    code = gray_wait.status(lambda: _release(_status("Paused")), timeout=5, interval=2, out=out, clock=clock,
                            sleep=clock.sleep)
    assert code == gray_wait.EXIT_TIMEOUT
    assert out.getvalue().splitlines()[-1] == 'timed out waiting for grayrelease "checkout" (still Paused)'


def test_watch_in_a_pipe_prints_a_frame_only_when_something_changed() -> None:
    reads = iter([_status("Paused"), _status("Paused"), _status("Succeeded", canaryRevision=STABLE)])
    out = io.StringIO()
    code = gray_wait.watch(lambda: _release(next(reads)), until_done=True, interval=0, paint=Painter(False), out=out,
                           sleep=lambda _: None)
    assert code == 0
    assert out.getvalue().count("Name:") == 2


NAMES = ["checkout", "payments"]


@pytest.mark.parametrize(("words", "expected"), [
    (["pro"], ["promote"]),
    (["promote", ""], NAMES),
    (["promote", "-n", "shop", "pay"], ["payments"]),
    (["get", "-o", ""], ["json", "yaml", "wide"]),
    (["completion", "z"], ["zsh"]),
    (["set", ""], ["image"]),
    (["set", "image", "ch"], ["checkout"]),
    (["promote", "checkout", ""], []),
    (["replay", "--per", ""], ["auto", "side", "pod"]),
    (["replay", "--confidence", "0.999", "ch"], ["checkout"]),
    (["replay", "--prometheus", "http://localhost:9090", "--stable-revision", "v1", "pa"], ["payments"]),
], ids=["command prefix", "release names", "names after a namespace flag", "output formats", "shells",
        "set subcommand", "set image name", "nothing after the name", "replay --per", "a name after a judge flag's value",
        "a name after --prometheus and a revision"])
def test_completion_candidates(words: list[str], expected: list[str]) -> None:
    asked: list[str | None] = []

    def names(namespace: str | None) -> list[str]:
        asked.append(namespace)
        return NAMES

    assert gray_completion.candidates(words, names) == expected
    if "-n" in words:
        assert asked == ["shop"]

