"""``GrayRelease.status``: all progress state of a release, so a restarted operator resumes exactly.

The engine reads and returns this model; the controller writes it back with one status patch
per reconcile. People talk to the operator through it too: ``kubectl gray`` writes ``command``
into the status subresource (the spec stays what is in Git), the engine handles it once and
moves it to ``lastHandledCommand``.

Everything is bounded (measurement lists, compare history, the metric map, conditions) so the
object stays small with thousands of releases.

Fields beyond the first sketch, all needed to make decisions from status alone:
``pauseReason`` (why the release is paused, which decides what resumes it),
``analysisStartedAt`` (when the canary first got weight: background analysis' initial delay counts
from here), ``stepAnalysis`` (counters of the current inline analysis step), and
``command.requestedBy``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from grayrelease.api.base import Model

MAX_MEASUREMENTS = 10
MAX_COMPARE_HISTORY = 60
"""Values per side a compare metric's history keeps in the status: what the judge sees, and what
``grayrelease replay`` gives it (a slow leak or a drift needs the longer view)."""
MAX_CONDITIONS = 8
MAX_MESSAGE = 1024


class Phase(StrEnum):
    PENDING = "Pending"  # first revision being installed as stable
    PROGRESSING = "Progressing"  # a release is moving through its steps or being promoted
    PAUSED = "Paused"  # waiting for a person, or for metrics data to return
    SUCCEEDED = "Succeeded"  # the template's revision is stable and serves all traffic
    DEGRADED = "Degraded"  # the stable side cannot become available within the progress deadline
    ROLLED_BACK = "RolledBack"  # the operator rolled the canary back (analysis, inspection, deadline)
    ABORTED = "Aborted"  # a person aborted the release


class ConditionType(StrEnum):
    PROGRESSING = "Progressing"
    AVAILABLE = "Available"
    ANALYSIS_PASSING = "AnalysisPassing"
    PAUSED = "Paused"


class MeasurementPhase(StrEnum):
    SUCCESSFUL = "Successful"
    FAILED = "Failed"
    INCONCLUSIVE = "Inconclusive"  # no data, NaN, or neither condition met: never a pass
    ERROR = "Error"  # the query itself failed


class MetricPhase(StrEnum):
    PENDING = "Pending"  # not measured yet in this release
    SUCCESSFUL = MeasurementPhase.SUCCESSFUL.value
    FAILED = MeasurementPhase.FAILED.value
    INCONCLUSIVE = MeasurementPhase.INCONCLUSIVE.value
    ERROR = MeasurementPhase.ERROR.value


class InspectionPhase(StrEnum):
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    MISSING = "Missing"


class CommandAction(StrEnum):
    PROMOTE = "promote"  # complete the current step (also leaves a pause)
    PROMOTE_FULL = "promote-full"  # skip the remaining steps and promote
    ABORT = "abort"  # roll back now
    RETRY = "retry"  # restart a rolled-back or aborted release at step 0
    PAUSE = "pause"
    RESUME = "resume"


class PauseReason(StrEnum):
    PAUSE_STEP = "PauseStep"  # a pause step without duration: waits for promote
    COMMAND = "PausedByCommand"  # `kubectl gray pause`
    ANALYSIS_INCONCLUSIVE = "AnalysisInconclusive"  # resumes by itself when good data returns
    ANALYSIS_MARGINAL = "AnalysisMarginal"  # at a step's end; resumes by itself when the canary clears
    ANALYSIS_FAILED = "AnalysisFailed"  # onFailure: pause
    INSPECTION_FAILED = "InspectionFailed"  # onFailure: pause
    PROGRESS_DEADLINE = "ProgressDeadlineExceeded"  # onFailure: pause
    CANARY_RESTARTING = "CanaryRestarting"  # onFailure: pause
    CANARY_CANNOT_START = "CanaryCannotStart"  # onFailure: pause


class Condition(Model):
    type: str = Field(max_length=63)
    status: Literal["True", "False", "Unknown"]
    reason: str = Field(max_length=128)
    message: str = Field("", max_length=MAX_MESSAGE)
    last_transition_time: datetime
    observed_generation: int | None = None


class MeasurementRecord(Model):
    value: float | None = None
    stable_value: float | None = Field(None, description="The stable's value, for compare metrics.")
    phase: MeasurementPhase
    time: datetime
    message: str = Field("", max_length=512)


class CompareHistory(Model):
    """Recent values of both sides, oldest first, for the statistical judge and for people."""

    stable: list[float | None] = Field(default_factory=list, max_length=MAX_COMPARE_HISTORY)
    canary: list[float | None] = Field(default_factory=list, max_length=MAX_COMPARE_HISTORY)
    stable_requests: list[float | None] | None = Field(
        None, max_length=MAX_COMPARE_HISTORY, description="Requests per interval on the stable side (requestsQuery).",
    )
    canary_requests: list[float | None] | None = Field(
        None, max_length=MAX_COMPARE_HISTORY, description="Requests per interval on the canary side (requestsQuery).",
    )
    canary_weights: list[float | None] | None = Field(
        None, max_length=MAX_COMPARE_HISTORY,
        description="Percent of the traffic the canary had at each interval: the split changes from step to step.",
    )
    canary_pods: list[int | None] | None = Field(
        None, max_length=MAX_COMPARE_HISTORY,
        description="Ready canary pods at each interval: what a rate per pod is due, where a router sets the split.",
    )
    stable_pods: list[int | None] | None = Field(
        None, max_length=MAX_COMPARE_HISTORY, description="Ready stable pods at each interval.",
    )

    def weights(self) -> list[float | None]:
        """``canary_weights`` aligned with ``stable``: None in front for intervals recorded without one."""
        return self._aligned(self.canary_weights)

    def pods(self) -> tuple[list[int | None], list[int | None]]:
        """``canary_pods`` and ``stable_pods`` aligned with ``stable``, as ``weights``."""
        return self._aligned(self.canary_pods), self._aligned(self.stable_pods)

    def _aligned(self, values: list[Any] | None) -> list[Any]:
        known = (values or [])[-len(self.stable):] if self.stable else []
        return [None] * (len(self.stable) - len(known)) + known


class MetricStatus(Model):
    """Background analysis of one metric during the current release."""

    phase: MetricPhase = MetricPhase.PENDING
    last_value: float | None = None
    last_measured_at: datetime | None = None
    successes: int = 0
    failures: int = 0
    inconclusives: int = 0
    consecutive_errors: int = 0
    marginal: bool = False  # compare metrics: the canary looked worse at the last judged look; holds the step
    dry_run: bool = Field(
        False, description="The counters count measurements taken in dryRun: they decide nothing, even once dryRun is off.",
    )
    measurements: list[MeasurementRecord] = Field(default_factory=list, max_length=MAX_MEASUREMENTS)
    history: CompareHistory | None = None


class GateCounters(Model):
    """Measurements of one metric counted by the current inline analysis step."""

    successes: int = 0
    failures: int = 0
    inconclusives: int = 0
    consecutive_errors: int = 0
    last_measured_at: datetime | None = None


class StepAnalysisStatus(Model):
    step: int
    metrics: dict[str, GateCounters] = Field(default_factory=dict, max_length=16)


class InspectionStatus(Model):
    step: int
    name: str = Field(max_length=63, description="Unique per release attempt and step; the Job/webhook call id.")
    phase: InspectionPhase = InspectionPhase.RUNNING
    message: str = Field("", max_length=512)


class Command(Model):
    action: CommandAction
    requested_at: datetime
    requested_by: str | None = Field(None, max_length=253)


class GrayReleaseStatus(Model):
    phase: Phase = Phase.PENDING
    observed_generation: int | None = None
    current_step_index: int = 0
    canary_weight: int = Field(0, description="Weight in effect: read back from the router, or the share of ready replicas.")
    stable_revision: str | None = Field(None, max_length=63)
    canary_revision: str | None = Field(None, max_length=63)
    aborted_revision: str | None = Field(
        None, max_length=63,
        description="Rolled-back revision; not released again until the template changes or `kubectl gray retry`.",
    )
    release_started_at: datetime | None = None
    step_started_at: datetime | None = None
    analysis_started_at: datetime | None = None
    paused_at: datetime | None = None
    pause_reason: PauseReason | None = None
    canary_restarts_accepted: int | None = Field(
        None, ge=0,
        description="Restarts of the most restarted canary container, or evicted canary pods if more, when a"
                    " person resumed after CanaryRestarting; canaryRestartLimit counts those beyond them.",
    )
    conditions: list[Condition] = Field(
        default_factory=list, max_length=MAX_CONDITIONS,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
    )
    analysis: dict[str, MetricStatus] = Field(default_factory=dict, max_length=16)
    step_analysis: StepAnalysisStatus | None = None
    inspection: InspectionStatus | None = None
    message: str = Field("", max_length=MAX_MESSAGE)
    command: Command | None = None
    last_handled_command: Command | None = None

    def condition(self, type_: str) -> Condition | None:
        return next((c for c in self.conditions if c.type == type_), None)
