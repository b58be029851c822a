"""What people read: conditions and the one-line status message, written from the decided status.

``Progressing`` is set by the transitions (they know why a release stopped); the other
conditions are a function of status and observations, so they are rewritten at every decision.
"""

from __future__ import annotations

from datetime import timedelta

from grayrelease.api.conditions import set_condition
from grayrelease.api.durations import format_duration, parse_duration
from grayrelease.api.spec import StepKind
from grayrelease.api.status import ConditionType, Phase
from grayrelease.engine import measurements
from grayrelease.engine.situation import Situation
from grayrelease.engine.stages import Stage
from grayrelease.engine.transitions import describe_step


def report(s: Situation) -> None:
    _conditions(s)
    s.status.message = message(s)[:1024]


def _set(s: Situation, type_: str, status: str, reason: str, message: str) -> None:
    s.status.conditions = set_condition(
        s.status.conditions, type_=type_, status=status, reason=reason, message=message,
        now=s.now, generation=s.obs.generation,
    )


def _conditions(s: Situation) -> None:
    stable, canary = s.obs.stable, s.obs.canary
    on_stable = stable.available_replicas if stable else 0
    on_canary = canary.available_replicas if canary else 0
    text = f"{on_stable + on_canary} pods available for {s.replicas} replicas (stable {on_stable}, canary {on_canary})"
    if on_stable + on_canary >= s.replicas:
        _set(s, ConditionType.AVAILABLE, "True", "EnoughReplicasAvailable", text)
    else:
        _set(s, ConditionType.AVAILABLE, "False", "NotEnoughReplicasAvailable", text)

    if s.spec.analysis.metrics:
        failed, missing = measurements.failures(s), measurements.inconclusive(s)
        if failed:
            f = failed[0]
            _set(s, ConditionType.ANALYSIS_PASSING, "False", "AnalysisFailed", f"{f.metric}: {f.last}, {f.detail}")
        elif missing:
            f = missing[0]
            _set(s, ConditionType.ANALYSIS_PASSING, "False", "AnalysisInconclusive", f"{f.metric}: {f.last}, {f.detail}")
        else:
            values = ", ".join(
                f"{name}={record.last_value:g}" for name, record in s.status.analysis.items() if record.last_value is not None
            )
            _set(s, ConditionType.ANALYSIS_PASSING, "True", "AnalysisPassing", values or "no measurement yet")

    if s.status.phase is Phase.PAUSED:
        reason = s.status.pause_reason.value if s.status.pause_reason else "Paused"
        _set(s, ConditionType.PAUSED, "True", reason, _pause_hint(s))
    else:
        _set(s, ConditionType.PAUSED, "False", "NotPaused", "")


def _pause_hint(s: Situation) -> str:
    reason = s.status.pause_reason
    if reason is not None and reason.value == "AnalysisInconclusive":
        return "metrics have no usable data; resumes by itself when good data returns"
    if reason is not None and reason.value == "AnalysisMarginal":
        return (
            "a canary metric looks worse than stable, not conclusively: held at this weight; resumes by itself "
            "if it clears, `kubectl gray promote` goes on anyway, `abort` rolls back"
        )
    if reason is not None and reason.value == "PauseStep":
        return "waiting for `kubectl gray promote`"
    return "waiting for `kubectl gray resume`, `promote` or `abort`"


def message(s: Situation) -> str:
    stage, status = s.stage, s.status
    if stage is Stage.INSTALLING:
        stable = s.obs.stable
        ready = stable.available_replicas if stable else 0
        return f"installing first revision {s.obs.template_revision}: {ready}/{s.replicas} available"
    if stage is Stage.STEADY:
        return f"revision {status.stable_revision} is stable"
    if stage is Stage.STOPPED:
        progressing = status.condition(ConditionType.PROGRESSING)
        return progressing.message if progressing else f"{status.phase.value}: {status.canary_revision}"
    if stage is Stage.PROMOTING:
        stable = s.obs.stable
        ready = stable.available_replicas if stable and stable.revision == status.canary_revision else 0
        return f"promoting {status.canary_revision} to stable: {ready}/{s.replicas} available"
    head = describe_step(s)
    if status.phase is Phase.PAUSED:
        return f"{head}: paused ({status.pause_reason.value if status.pause_reason else 'Paused'}): {_pause_hint(s)}"
    step = s.step
    if step.kind is StepKind.SET_WEIGHT:
        canary = s.obs.canary
        ready = canary.available_replicas if canary and s.canary_on_revision else 0
        return f"{head}: weight {status.canary_weight}%, canary {ready}/{s.canary_replicas(s.target_weight)} available"
    if step.kind is StepKind.PAUSE:
        left = parse_duration(step.pause.duration) - s.elapsed_in_step()
        return f"{head}: {format_duration(max(left, timedelta(0)))} left"
    if step.kind is StepKind.ANALYSIS:
        return f"{head}: {measurements.gate_summary(s)}"
    inspection = status.inspection
    return f"{head}: inspection {inspection.name} {inspection.phase.value}" if inspection else head
