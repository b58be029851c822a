"""The release state machine as one table: (stages, trigger) -> transition.

``RULES`` is read top to bottom and the first rule whose stage matches and whose trigger holds
is taken; one transition per decision, and the next reconcile continues from the new status.
Order is priority: a person's command first (it was issued against what they saw), then the
template, then safety (failures before missing data), then progress.

A transition changes the working status, may queue effects (such as deleting a finished
inspection) and returns the one Event of the decision. Conditions and the status message are
written afterwards by ``report`` from the resulting status.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from grayrelease.api.conditions import set_condition
from grayrelease.api.durations import format_duration, parse_duration
from grayrelease.api.spec import OnFailure, StepKind
from grayrelease.api.status import (
    CommandAction, ConditionType, InspectionPhase, InspectionStatus, PauseReason, Phase, StepAnalysisStatus,
)
from grayrelease.engine import actions, cannot_start, measurements, querywindows, restarts
from grayrelease.engine.situation import Situation
from grayrelease.engine.stages import Stage

Trigger = Callable[[Situation], bool]
Transition = Callable[[Situation], actions.Emit]

FAILURE_PAUSES = (PauseReason.ANALYSIS_FAILED, PauseReason.INSPECTION_FAILED, PauseReason.PROGRESS_DEADLINE,
                  PauseReason.CANARY_RESTARTING, PauseReason.CANARY_CANNOT_START)


@dataclass(frozen=True)
class Rule:
    name: str
    stages: frozenset[Stage]
    trigger: Trigger
    transition: Transition
    handles_command: bool = False


def _normal(reason: str, message: str) -> actions.Emit:
    return actions.Emit(type="Normal", reason=reason, message=message)


def _warning(reason: str, message: str) -> actions.Emit:
    return actions.Emit(type="Warning", reason=reason, message=message)


def _set_progressing(s: Situation, status: str, reason: str, message: str) -> None:
    s.status.conditions = set_condition(
        s.status.conditions, type_=ConditionType.PROGRESSING, status=status, reason=reason, message=message,
        now=s.now, generation=s.obs.generation,
    )


# --- building blocks ------------------------------------------------------------------------


def enter_step(s: Situation, index: int) -> None:
    """Move to step ``index`` (or to promotion past the last one) with fresh per-step state."""
    status = s.status
    status.current_step_index = index
    status.step_started_at = s.now
    status.phase = Phase.PROGRESSING
    status.paused_at = None
    status.pause_reason = None
    status.step_analysis = None
    step = s.step
    if step is None:
        return
    if step.kind is StepKind.ANALYSIS:
        status.step_analysis = StepAnalysisStatus(step=index)
    elif step.kind is StepKind.INSPECT:
        status.inspection = InspectionStatus(step=index, name=s.inspection_name(index))
    elif step.kind is StepKind.PAUSE and step.pause.duration is None:
        pause(s, PauseReason.PAUSE_STEP)


def pause(s: Situation, reason: PauseReason) -> None:
    s.status.phase = Phase.PAUSED
    s.status.pause_reason = reason
    s.status.paused_at = s.now


def _drop_inspection(s: Situation) -> None:
    if s.status.inspection is not None:
        s.effects.append(actions.DeleteInspection(name=s.status.inspection.name))
        s.status.inspection = None


def describe_step(s: Situation) -> str:
    step = s.step
    if step is None:
        return "promotion"
    if step.kind is StepKind.SET_WEIGHT:
        return f"{s.step_label} (setWeight {step.set_weight})"
    if step.kind is StepKind.PAUSE:
        return f"{s.step_label} (pause{' ' + step.pause.duration if step.pause.duration else ''})"
    if step.kind is StepKind.ANALYSIS:
        return f"{s.step_label} (analysis {', '.join(step.analysis.metrics)})"
    return f"{s.step_label} (inspect {'job' if step.inspect.job else 'webhook'})"


# --- transitions ------------------------------------------------------------------------------


def start_release(s: Situation) -> actions.Emit:
    status = s.status
    previous = status.canary_revision if s.stage is Stage.STEP else None
    retry = status.aborted_revision == s.obs.template_revision
    _drop_inspection(s)
    status.canary_revision = s.obs.template_revision
    status.aborted_revision = None
    status.release_started_at = s.now
    status.analysis_started_at = None
    status.analysis = {}
    status.inspection = None
    status.canary_restarts_accepted = None
    enter_step(s, 0)
    _set_progressing(s, "True", "ReleaseStarted", f"releasing {status.canary_revision}")
    s.effects.extend(_warning(reason, message) for reason, message in querywindows.warnings(s.spec))
    target = f"revision {status.canary_revision} against stable {status.stable_revision} ({len(s.steps)} steps)"
    if previous:
        return _normal("ReleaseRestarted", f"template changed mid-release: canary {previous} replaced, releasing {target}")
    if retry:
        return _normal("ReleaseRetried", f"retrying {target}")
    return _normal("ReleaseStarted", f"releasing {target}")


def cancel_release(s: Situation) -> actions.Emit:
    cancelled = s.status.canary_revision
    _drop_inspection(s)
    s.status.canary_revision = s.status.stable_revision
    s.status.aborted_revision = None
    s.status.phase = Phase.SUCCEEDED
    s.status.paused_at = s.status.pause_reason = s.status.step_analysis = None
    _set_progressing(s, "True", "ReleaseCancelled", "the template is the stable revision again")
    return _normal("ReleaseCancelled", f"template reverted to stable {s.status.stable_revision}: release of {cancelled} cancelled")


def installed(s: Situation) -> actions.Emit:
    s.status.stable_revision = s.obs.template_revision
    s.status.phase = Phase.SUCCEEDED
    _set_progressing(s, "True", "Installed", f"revision {s.obs.template_revision} is stable")
    return _normal("Installed", f"first revision {s.obs.template_revision} installed as stable with {s.replicas} replicas")


def degraded(s: Situation) -> actions.Emit:
    s.status.phase = Phase.DEGRADED
    what = "promotion of " + str(s.status.canary_revision) if s.stage is Stage.PROMOTING else "first revision"
    stable = s.obs.stable
    seen = f"{stable.available_replicas}/{s.replicas} available" if stable else "no stable Deployment"
    message = f"{what} made no progress for {s.spec.progress_deadline_seconds}s: stable {seen}"
    _set_progressing(s, "False", "ProgressDeadlineExceeded", message)
    return _warning("ProgressDeadlineExceeded", message)


def advance(s: Situation) -> actions.Emit:
    done = describe_step(s)
    step = s.step
    detail = ""
    if step is not None and step.kind is StepKind.ANALYSIS:
        detail = f": {measurements.gate_summary(s)}"
    if step is not None and step.kind is StepKind.INSPECT:
        s.status.inspection = None  # a passed smoke test's Job stays for its logs; its TTL removes it
    enter_step(s, s.status.current_step_index + 1)
    following = "promoting" if s.step is None else describe_step(s)
    return _normal("StepCompleted", f"{done} passed{detail}; next: {following}")


def finish(s: Situation) -> actions.Emit:
    promoted = s.status.canary_revision
    started = s.status.release_started_at
    s.status.stable_revision = promoted
    s.status.phase = Phase.SUCCEEDED
    s.status.step_analysis = None
    took = f" in {format_duration(s.now - started)}" if started else ""
    _set_progressing(s, "True", "Promoted", f"revision {promoted} is stable")
    return _normal("Promoted", f"revision {promoted} is stable: promoted after {len(s.steps)} steps{took}")


def fail(reason: PauseReason, s: Situation, message: str) -> actions.Emit:
    """A failed analysis, inspection or deadline: roll back, or pause when the spec says so."""
    if s.spec.strategy.on_failure is OnFailure.PAUSE:
        pause(s, reason)
        return _warning(reason.value, f"{message}; paused (onFailure: pause)")
    s.status.phase = Phase.ROLLED_BACK
    s.status.aborted_revision = s.status.canary_revision
    s.status.paused_at = s.status.pause_reason = None
    text = f"{message}; rolled back to stable {s.status.stable_revision}"
    _set_progressing(s, "False", reason.value, text)
    return _warning("RolledBack", text)


def analysis_failed(s: Situation) -> actions.Emit:
    f = measurements.failures(s)[0]
    return fail(PauseReason.ANALYSIS_FAILED, s, f"{describe_step(s)}: {f.where} {f.metric} failed: {f.last}, {f.detail}")


def inspection_failed(s: Situation) -> actions.Emit:
    inspection = s.obs.inspection
    return fail(PauseReason.INSPECTION_FAILED, s, f"{describe_step(s)}: inspection failed: {inspection.message or 'no message'}")


def deadline(s: Situation) -> actions.Emit:
    canary = s.obs.canary
    seen = f"canary {canary.available_replicas}/{s.canary_replicas(s.target_weight)} available" if canary else "no canary"
    if s.router:
        seen += f", weight read back {s.obs.traffic.canary_weight}"
    message = f"{describe_step(s)}: progress deadline exceeded, no progress for {s.spec.progress_deadline_seconds}s ({seen})"
    if pending := cannot_start.unschedulable(s.obs.canary_unschedulable, s.now):
        message += f"; {pending}"
    return fail(PauseReason.PROGRESS_DEADLINE, s, message)


def canary_restarting(s: Situation) -> actions.Emit:
    detail = restarts.describe(s.obs.canary_restarts, s.obs.canary_evictions, s.spec.canary_restart_limit,
                               s.status.canary_restarts_accepted)
    return fail(PauseReason.CANARY_RESTARTING, s, f"{describe_step(s)}: {detail}")


def canary_cannot_start(s: Situation) -> actions.Emit:
    detail = cannot_start.describe(cannot_start.stuck(s.obs.canary_waiting, s.now, s.status.step_started_at), s.now)
    return fail(PauseReason.CANARY_CANNOT_START, s, f"{describe_step(s)}: {detail}")


def pause_for_data(s: Situation) -> actions.Emit:
    f = measurements.inconclusive(s)[0]
    pause(s, PauseReason.ANALYSIS_INCONCLUSIVE)
    return _warning(
        "AnalysisInconclusive",
        f"{describe_step(s)}: {f.where} {f.metric} has no usable data: {f.last}, {f.detail}; "
        "paused, resumes by itself when good data returns",
    )


def pause_for_marginal(s: Situation) -> actions.Emit:
    f = measurements.marginal(s)[0]
    held, go_on = (
        ("not promoted: paused before promotion", "promotes") if s.status.current_step_index == len(s.steps) - 1
        else (f"not advanced to step {s.status.current_step_index + 2}: paused", "goes on")
    )
    pause(s, PauseReason.ANALYSIS_MARGINAL)
    return _warning(
        "AnalysisMarginal",
        f"{describe_step(s)}: {f.metric} {f.last}; {held} at weight {s.status.canary_weight}%, resumes by itself if "
        f"the canary clears; `kubectl gray promote` {go_on} anyway, `kubectl gray abort` rolls back",
    )


def resume(s: Situation) -> actions.Emit:
    """Leave a pause. A pause step completes; after a failure the step starts over; otherwise time resumes."""
    reason = s.status.pause_reason
    if reason is PauseReason.PAUSE_STEP:
        return advance(s)
    paused_for = s.now - (s.status.paused_at or s.now)
    if reason is PauseReason.CANARY_RESTARTING:
        s.status.canary_restarts_accepted = restarts.failures(s.obs.canary_restarts, s.obs.canary_evictions)
    if reason in FAILURE_PAUSES:
        measurements.reset_counters(s, failures=True, inconclusive=True)
        _drop_inspection(s)
        enter_step(s, s.status.current_step_index)
        return _normal("Resumed", f"{describe_step(s)} starts over after {reason.value}")
    if reason is PauseReason.ANALYSIS_INCONCLUSIVE:
        measurements.reset_counters(s, inconclusive=True)
    if s.status.step_started_at is not None:
        s.status.step_started_at += paused_for  # time spent paused does not count against the step
    s.status.phase = Phase.PROGRESSING
    s.status.paused_at = s.status.pause_reason = None
    why = {
        PauseReason.ANALYSIS_INCONCLUSIVE: "metrics data returned",
        PauseReason.ANALYSIS_MARGINAL: "the canary's measurements cleared",
    }.get(reason, "resumed")
    return _normal("Resumed", f"{describe_step(s)}: {why} after {format_duration(paused_for)} paused")


# --- commands ---------------------------------------------------------------------------------


def _by(s: Situation) -> str:
    return f" by {s.command.requested_by}" if s.command and s.command.requested_by else ""


def abort(s: Situation) -> actions.Emit:
    s.status.phase = Phase.ABORTED
    s.status.aborted_revision = s.status.canary_revision
    s.status.paused_at = s.status.pause_reason = None
    text = f"aborted{_by(s)} at {describe_step(s)}; all traffic back on stable {s.status.stable_revision}"
    _set_progressing(s, "False", "Aborted", text)
    return _warning("Aborted", text)


def promote(s: Situation) -> actions.Emit:
    step = describe_step(s)
    emit = advance(s)
    return _normal("StepPromoted", f"{step} promoted{_by(s)}; " + emit.message.split("; ", 1)[-1])


def promote_full(s: Situation) -> actions.Emit:
    step = describe_step(s)
    _drop_inspection(s)
    enter_step(s, len(s.steps))
    return _normal("PromotedFull", f"promoted to stable{_by(s)} at {step}, skipping the remaining steps")


def pause_by_command(s: Situation) -> actions.Emit:
    pause(s, PauseReason.COMMAND)
    return _normal("Paused", f"paused{_by(s)} at {describe_step(s)}")


def resume_by_command(s: Situation) -> actions.Emit:
    emit = resume(s)
    return _normal("Resumed", emit.message + _by(s))


def retry(s: Situation) -> actions.Emit:
    return start_release(s)


def ignore_command(s: Situation) -> actions.Emit:
    return _warning(
        "CommandIgnored",
        f"{s.command.action.value}{_by(s)} ignored: nothing to {s.command.action.value} while {s.status.phase.value}"
        + (" (a promotion cannot be aborted: change the template instead)" if s.stage is Stage.PROMOTING else ""),
    )


# --- triggers ---------------------------------------------------------------------------------


def _command(action: CommandAction) -> Trigger:
    return lambda s: s.command is not None and s.command.action is action


def _any_command(s: Situation) -> bool:
    return s.command is not None


def _new_template(s: Situation) -> bool:
    revision = s.obs.template_revision
    return revision not in (s.status.canary_revision, s.status.stable_revision, s.status.aborted_revision)


def _template_is_stable(s: Situation) -> bool:
    return s.obs.template_revision == s.status.stable_revision


def _stable_installed(s: Situation) -> bool:
    return s.stable_at(s.obs.template_revision, s.replicas)


def _stable_promoted(s: Situation) -> bool:
    return s.stable_at(s.status.canary_revision, s.replicas)


def _stuck_while_degraded_allowed(s: Situation) -> bool:
    return s.status.phase is not Phase.DEGRADED and s.deadline_passed(s.status.step_started_at or s.status.release_started_at)


def _not_failure_paused(s: Situation) -> bool:
    return s.status.pause_reason not in FAILURE_PAUSES


def _analysis_failed(s: Situation) -> bool:
    return _not_failure_paused(s) and bool(measurements.failures(s))


def _canary_restarting(s: Situation) -> bool:
    return _not_failure_paused(s) and restarts.beyond_limit(
        s.obs.canary_restarts, s.obs.canary_evictions, s.spec.canary_restart_limit, s.status.canary_restarts_accepted)


def _canary_cannot_start(s: Situation) -> bool:
    return _not_failure_paused(s) and bool(cannot_start.stuck(s.obs.canary_waiting, s.now, s.status.step_started_at))


def _inspection_failed(s: Situation) -> bool:
    inspection, current = s.obs.inspection, s.status.inspection
    return (
        _not_failure_paused(s) and inspection is not None and current is not None
        and inspection.name == current.name and inspection.phase is InspectionPhase.FAILED
    )


def _deadline(s: Situation) -> bool:
    step = s.step
    return (
        not s.paused and step is not None and step.kind is StepKind.SET_WEIGHT
        and not s.weight_reached() and s.deadline_passed(s.status.step_started_at)
    )


def _inconclusive(s: Situation) -> bool:
    return not s.paused and bool(measurements.inconclusive(s))


def _data_returned(s: Situation) -> bool:
    return s.status.pause_reason is PauseReason.ANALYSIS_INCONCLUSIVE and measurements.data_returned(s)


def _marginal_at_step_end(s: Situation) -> bool:
    """The step is complete, but a compare metric's canary looks worse than stable: it gets no
    more traffic (nor promotion) until that clears or a person decides."""
    return step_complete(s) and bool(measurements.marginal(s))


def _marginal_cleared(s: Situation) -> bool:
    return s.status.pause_reason is PauseReason.ANALYSIS_MARGINAL and not measurements.marginal(s)


def _paused(s: Situation) -> bool:
    return s.paused


def _not_paused(s: Situation) -> bool:
    return not s.paused


def step_complete(s: Situation) -> bool:
    step = s.step
    if s.paused or step is None:
        return False
    if step.kind is StepKind.SET_WEIGHT:
        return s.weight_reached()
    if step.kind is StepKind.PAUSE:
        return step.pause.duration is not None and s.elapsed_in_step() >= parse_duration(step.pause.duration)
    if step.kind is StepKind.ANALYSIS:
        return measurements.gate_passed(s)
    inspection, current = s.obs.inspection, s.status.inspection
    return (
        inspection is not None and current is not None and inspection.name == current.name
        and inspection.phase is InspectionPhase.SUCCEEDED
    )


def _both(a: Trigger, b: Trigger) -> Trigger:
    return lambda s: a(s) and b(s)


# --- the table --------------------------------------------------------------------------------

ANY = frozenset(Stage)
STEP = frozenset({Stage.STEP})
RULES: tuple[Rule, ...] = (
    # people
    Rule("abort", STEP, _command(CommandAction.ABORT), abort, handles_command=True),
    Rule("retry", frozenset({Stage.STOPPED}), _command(CommandAction.RETRY), retry, handles_command=True),
    Rule("promote-full", STEP, _command(CommandAction.PROMOTE_FULL), promote_full, handles_command=True),
    Rule("promote", STEP, _command(CommandAction.PROMOTE), promote, handles_command=True),
    Rule("resume", STEP, _both(_command(CommandAction.RESUME), _paused), resume_by_command, handles_command=True),
    Rule("pause", STEP, _both(_command(CommandAction.PAUSE), _not_paused), pause_by_command, handles_command=True),
    Rule("command not applicable", ANY, _any_command, ignore_command, handles_command=True),
    # the template
    Rule("first revision installed", frozenset({Stage.INSTALLING}), _stable_installed, installed),
    Rule("first revision stuck", frozenset({Stage.INSTALLING}), _stuck_while_degraded_allowed, degraded),
    Rule("template back to stable", frozenset({Stage.STEP, Stage.STOPPED}), _template_is_stable, cancel_release),
    Rule("new template", frozenset({Stage.STEADY, Stage.STOPPED, Stage.STEP}), _new_template, start_release),
    # safety
    Rule("canary restarting", STEP, _canary_restarting, canary_restarting),
    Rule("canary cannot start", STEP, _canary_cannot_start, canary_cannot_start),
    Rule("analysis failed", STEP, _analysis_failed, analysis_failed),
    Rule("inspection failed", STEP, _inspection_failed, inspection_failed),
    Rule("progress deadline", STEP, _deadline, deadline),
    Rule("metrics data missing", STEP, _inconclusive, pause_for_data),
    Rule("metrics data returned", STEP, _data_returned, resume),
    Rule("marginal at step end", STEP, _marginal_at_step_end, pause_for_marginal),
    Rule("marginal cleared", STEP, _marginal_cleared, resume),
    # progress
    Rule("step complete", STEP, step_complete, advance),
    Rule("stable promoted", frozenset({Stage.PROMOTING}), _stable_promoted, finish),
    Rule("promotion stuck", frozenset({Stage.PROMOTING}), _stuck_while_degraded_allowed, degraded),
)


def first_rule(s: Situation) -> Rule | None:
    stage = s.stage
    return next((rule for rule in RULES if stage in rule.stages and rule.trigger(s)), None)

