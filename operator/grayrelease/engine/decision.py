"""``decide(spec, status, observations, now)``: one pure step of the release state machine.

The order inside a decision:

1. bookkeeping from observations: observed generation, the weight in effect, when the canary
   first got weight, the current inspection's phase, and new measurements counted into status;
2. at most one transition, the first rule of ``transitions.RULES`` that applies;
3. targets: the full desired world for the resulting stage (``targets``), after any effects
   the transition queued, then the transition's Event;
4. conditions and message (``report``).

The input status is never mutated. Deciding twice on the same input gives the same decision,
and deciding again on the returned status with the same observations changes nothing but what
time changes (measurements are counted once, commands handled once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from grayrelease.api.spec import GrayReleaseSpec
from grayrelease.api.status import GrayReleaseStatus, InspectionPhase
from grayrelease.engine import actions, measurements
from grayrelease.engine.observations import Observations
from grayrelease.engine.report import report
from grayrelease.engine.situation import Situation
from grayrelease.engine.stages import Stage
from grayrelease.engine.targets import targets
from grayrelease.engine.transitions import first_rule


@dataclass(frozen=True)
class Decision:
    status: GrayReleaseStatus  # the new status, to be written with one status patch
    actions: tuple[actions.Action, ...]  # to apply in order; all idempotent
    rule: str | None = None  # name of the transition taken, for logs and tests


def decide(
    spec: GrayReleaseSpec,
    status: GrayReleaseStatus,
    observations: Observations,
    now: datetime,
) -> Decision:
    s = Situation(spec=spec, status=status.model_copy(deep=True), obs=observations, now=now)
    _bookkeeping(s)
    rule = first_rule(s)
    emit = rule.transition(s) if rule is not None else None
    s.status.canary_weight = s.observed_weight()  # again: the transition may have changed the revisions
    if rule is not None and rule.handles_command:
        s.status.last_handled_command = s.command
        s.status.command = None
    report(s)
    out = [*s.effects, *targets(s)]
    if emit is not None:
        out.append(emit)
    return Decision(status=s.status, actions=tuple(out), rule=rule.name if rule else None)


def _bookkeeping(s: Situation) -> None:
    status = s.status
    status.observed_generation = s.obs.generation
    if status.command is not None and status.command == status.last_handled_command:
        status.command = None  # handled already; the patch clearing it was lost
    s.command = status.command
    if s.stage is Stage.INSTALLING and status.release_started_at is None:
        status.release_started_at = s.now
    status.canary_weight = s.observed_weight()
    if s.stage is Stage.STEP and status.canary_weight > 0 and s.canary_on_revision and status.analysis_started_at is None:
        status.analysis_started_at = s.now
    seen, current = s.obs.inspection, status.inspection
    if seen is not None and current is not None and seen.name == current.name:
        phase = InspectionPhase.RUNNING if seen.phase is InspectionPhase.MISSING else seen.phase
        status.inspection = current.model_copy(update={"phase": phase, "message": seen.message[:512]})
    measurements.fold(s)
