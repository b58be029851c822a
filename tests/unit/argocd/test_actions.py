"""argocd/actions: which actions Argo CD offers per phase, and what each one writes.

Discovery follows the operator's own rules (`kubectl gray` refuses the same commands); every
action writes only ``status.command``, as `kubectl gray` does, so the spec stays what is in Git.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from grayrelease.api.resource import GrayRelease
from tests.unit.argocd import lua
from tests.unit.argocd.test_health import fixture

OFFERED = {
    "progressing": {"promote", "promote-full", "abort", "pause"},
    "paused-step": {"promote", "promote-full", "abort", "resume"},
    "paused-by-command": {"promote", "promote-full", "abort", "resume"},
    "rolled-back": {"retry"},
    "aborted": {"retry"},
    "succeeded": set(),
}


@pytest.mark.parametrize("name", list(OFFERED), ids=[f"{name} -> {sorted(OFFERED[name])}" for name in OFFERED])
def test_discovery_per_phase(name: str) -> None:
    found = lua.discovery(fixture(name))
    assert set(found) == set(lua.ACTIONS)  # every action listed, disabled when meaningless
    assert {action for action, enabled in found.items() if enabled} == OFFERED[name]


def test_discovery_offers_nothing_while_already_promoting() -> None:
    obj = fixture("progressing")
    obj["status"]["currentStepIndex"] = len(obj["spec"]["strategy"]["steps"])
    assert not any(lua.discovery(obj).values())


def test_discovery_offers_nothing_without_a_canary() -> None:
    obj = fixture("progressing")
    obj["status"]["canaryRevision"] = obj["status"]["stableRevision"]
    assert not any(lua.discovery(obj).values())


def test_discovery_without_status() -> None:
    obj = fixture("succeeded")
    del obj["status"]
    assert not any(lua.discovery(obj).values())


@pytest.mark.parametrize("action", lua.ACTIONS)
def test_action_writes_the_command_and_nothing_else(action: str) -> None:
    before = fixture("paused-step")
    after = lua.action(action, before)
    command = after["status"].pop("command")
    assert command["action"] == action
    assert command["requestedBy"] == "argocd"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", command["requestedAt"])
    requested = datetime.strptime(command["requestedAt"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - requested) < timedelta(minutes=1)  # UTC, not local time
    assert after == before  # spec, metadata and the rest of status untouched


@pytest.mark.parametrize("action", lua.ACTIONS)
def test_action_output_is_a_valid_grayrelease(action: str) -> None:
    after = lua.action(action, fixture("progressing"))
    model = GrayRelease.model_validate({k: v for k, v in after.items() if k in ("apiVersion", "kind", "metadata",
                                                                                 "spec", "status")})
    assert model.status.command is not None and model.status.command.action.value == action


def test_action_on_an_object_without_status() -> None:
    obj = fixture("succeeded")
    del obj["status"]
    assert lua.action("retry", obj)["status"]["command"]["action"] == "retry"
