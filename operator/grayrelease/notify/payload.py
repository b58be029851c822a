"""What a notification says: the event it belongs to and its Slack-compatible JSON body. Pure.

The body is an incoming-webhook message (``text`` plus one coloured ``attachment``) that Slack,
Mattermost and most chat tools render, with the same facts machine-readable under
``grayrelease`` for receivers that are programs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from grayrelease.api.spec import GrayReleaseSpec, NotificationEvent, OnFailure, StepKind

Event = NotificationEvent

# Event reasons (engine/transitions.py) -> notification events. Reasons that depend on the
# outcome (entering a manual gate, a deadline that pauses) are refined in ``classify``.
REASONS: dict[str, Event] = {
    "ReleaseStarted": Event.STARTED,
    "ReleaseRestarted": Event.STARTED,
    "ReleaseRetried": Event.STARTED,
    "StepCompleted": Event.STEP_COMPLETED,
    "StepPromoted": Event.STEP_COMPLETED,
    "PromotedFull": Event.STEP_COMPLETED,
    "Promoted": Event.PROMOTED,
    "RolledBack": Event.ROLLED_BACK,
    "Aborted": Event.ABORTED,
    "Paused": Event.PAUSED,
    "AnalysisInconclusive": Event.PAUSED,
    "AnalysisMarginal": Event.PAUSED,
    "AnalysisFailed": Event.PAUSED,  # emitted only when onFailure is pause; a rollback says RolledBack
    "InspectionFailed": Event.PAUSED,
    "CanaryRestarting": Event.PAUSED,  # emitted only when onFailure is pause
    "CanaryCannotStart": Event.PAUSED,  # emitted only when onFailure is pause
    "ProgressDeadlineExceeded": Event.DEGRADED,
    "Resumed": Event.RESUMED,
    "ReleaseCancelled": Event.CANCELLED,
    "Installed": Event.INSTALLED,
    "CommandIgnored": Event.COMMAND_IGNORED,
    "AnalysisDryRunFailed": Event.DRY_RUN_FAILED,
}

_STYLE: dict[Event, tuple[str, str]] = {  # emoji, attachment colour
    Event.STARTED: (":arrow_forward:", "#439FE0"),
    Event.STEP_COMPLETED: (":white_small_square:", "#439FE0"),
    Event.PAUSED: (":double_vertical_bar:", "warning"),
    Event.HELD: (":double_vertical_bar:", "#439FE0"),
    Event.RESUMED: (":arrow_forward:", "#439FE0"),
    Event.PROMOTED: (":white_check_mark:", "good"),
    Event.ROLLED_BACK: (":rewind:", "danger"),
    Event.ABORTED: (":octagonal_sign:", "danger"),
    Event.DEGRADED: (":warning:", "danger"),
    Event.CANCELLED: (":leftwards_arrow_with_hook:", "#808080"),
    Event.INSTALLED: (":package:", "good"),
    Event.COMMAND_IGNORED: (":grey_question:", "warning"),
    Event.DRY_RUN_FAILED: (":test_tube:", "warning"),
}

_TITLES: dict[Event, str] = {
    Event.STEP_COMPLETED: "step completed", Event.ROLLED_BACK: "rolled back", Event.COMMAND_IGNORED: "command ignored",
    Event.DRY_RUN_FAILED: "dry-run metric failed",
}


def classify(reason: str, spec: GrayReleaseSpec, status: dict[str, Any]) -> Event | None:
    """The notification event of an Event with ``reason``, decided from the status before it.

    A completed step that leads into a pause step without duration is ``paused`` (a person is
    now needed); a progress deadline during the steps with ``onFailure: pause`` is ``paused``. A
    marginal canary held before a step that is not the last is ``held``: it resumes by itself, mostly
    within an interval or two, and needs no person yet; before promotion it is ``paused``.
    """
    event = REASONS.get(reason)
    steps = spec.strategy.steps
    index = int(status.get("currentStepIndex") or 0)
    if event is Event.STEP_COMPLETED and reason != "PromotedFull" and index + 1 < len(steps):
        following = steps[index + 1]
        if following.kind is StepKind.PAUSE and following.pause.duration is None:
            return Event.PAUSED
    if reason == "AnalysisMarginal" and index + 1 < len(steps):
        return Event.HELD
    if (reason == "ProgressDeadlineExceeded" and spec.strategy.on_failure is OnFailure.PAUSE
            and status.get("phase") in ("Progressing", "Paused") and index < len(steps)):
        return Event.PAUSED
    return event


def build(*, event: Event, body: dict[str, Any], type_: str, reason: str, message: str,
          when: datetime) -> dict[str, Any]:
    """The JSON body of one notification (Slack-compatible, plus ``grayrelease`` for programs)."""
    meta = body["metadata"]
    status = body.get("status") or {}
    release = f"{meta['namespace']}/{meta['name']}"
    emoji, colour = _STYLE.get(event, (":information_source:", "#808080"))
    title = _TITLES.get(event, event.value)
    text = f"{emoji} GrayRelease {release} {title}: {message}"
    fields = [
        {"title": "Release", "value": release, "short": True},
        {"title": "Event", "value": f"{event.value} ({reason})", "short": True},
    ]
    return {
        "text": text[:3000],
        "attachments": [{
            "color": colour,
            "fallback": text[:300],
            "title": f"{release} {title}",
            "text": message[:3000],
            "fields": fields,
            "footer": "grayrelease",
            "ts": int(when.timestamp()),
        }],
        "grayrelease": {
            "event": event.value,
            "reason": reason,
            "type": type_,
            "message": message,
            "namespace": meta["namespace"],
            "name": meta["name"],
            "uid": meta.get("uid"),
            "generation": meta.get("generation"),
            "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            # The release as it was when the operator decided (the message says what changed).
            "before": {key: status.get(key) for key in ("phase", "currentStepIndex", "stableRevision",
                                                        "canaryRevision")},
        },
    }
