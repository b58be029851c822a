"""argocd/health.lua on GrayReleases captured from live e2e runs, and on the edges they cannot show."""

from __future__ import annotations

import copy
import json

import pytest

from tests.unit.argocd import lua
from tests.unit.argocd.fixtures import FIXTURES


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


@pytest.mark.parametrize(("name", "health"), [
    ("succeeded", "Healthy"),
    ("progressing", "Progressing"),
    ("paused-step", "Suspended"),
    ("paused-by-command", "Suspended"),
    ("rolled-back", "Degraded"),
    ("aborted", "Degraded"),
], ids=["Succeeded -> Healthy", "Progressing mid-step -> Progressing", "pause step -> Suspended",
        "paused by command -> Suspended", "RolledBack -> Degraded", "Aborted -> Degraded"])
def test_health_of_captured_phases(name: str, health: str) -> None:
    obj = fixture(name)
    result = lua.health(obj)
    assert result["status"] == health
    assert obj["status"]["message"] in result["message"]  # the operator's own words reach Argo CD


def test_paused_message_names_the_pause_reason_once() -> None:
    message = lua.health(fixture("paused-step"))["message"]
    assert message.count("PauseStep") == 1
    obj = fixture("paused-step")
    obj["status"]["message"] = "waiting"
    assert lua.health(obj)["message"] == "PauseStep: waiting"


def test_rolled_back_message_says_why() -> None:
    assert "error-rate" in lua.health(fixture("rolled-back"))["message"]


def test_generation_not_yet_observed_is_progressing() -> None:
    obj = fixture("succeeded")
    obj["metadata"]["generation"] = obj["status"]["observedGeneration"] + 1
    result = lua.health(obj)
    assert result["status"] == "Progressing"
    assert str(obj["metadata"]["generation"]) in result["message"]


def test_pending_command_is_progressing_until_handled() -> None:
    obj = fixture("aborted")
    obj["status"]["command"] = {"action": "retry", "requestedAt": "2026-01-01T00:00:00Z"}
    assert lua.health(obj) == {"status": "Progressing", "message": "Command retry requested, waiting for the operator"}


@pytest.mark.parametrize(("phase", "health"), [("Pending", "Progressing"), ("Degraded", "Degraded"),
                                               ("Exploded", "Unknown")])
def test_other_phases(phase: str, health: str) -> None:
    obj = fixture("succeeded")
    obj["status"]["phase"] = phase
    assert lua.health(obj)["status"] == health


def test_no_status_yet_is_progressing() -> None:
    obj = copy.deepcopy(fixture("succeeded"))
    del obj["status"]
    assert lua.health(obj)["status"] == "Progressing"
