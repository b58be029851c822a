"""Analysis bookkeeping: fold new measurements into status counters, and read verdicts off them.

A measurement counts once (it must be newer than the metric's ``lastMeasuredAt`` and taken in
the current release) and for every use of its metric that is active:

- background analysis, for metrics with ``background: true``, from ``analysisStartedAt`` (the
  canary's first weight) plus ``initialDelay``, while the release is at a step;
- the current analysis step (``status.stepAnalysis``), if it names the metric.

Every measurement is recorded in ``status.analysis[metric]`` (last N, compare history) whatever
its use, so people see what the operator saw.

A metric with ``dryRun`` is measured, judged and recorded like the others, but no verdict below
reads it: it never fails, pauses or holds the release, nor gates a step. When it turns to
failing, a Warning Event (AnalysisDryRunFailed) says the release would have failed on it.

Verdicts use the limits of the metric, or of ``spec.analysis`` when the metric sets none:
failures above ``failureLimit`` fail; inconclusive measurements above ``inconclusiveLimit``, or
consecutive errors above ``consecutiveErrorLimit``, pause the release (missing data never passes);
a compare metric whose last judged measurement was marginal holds the release at the end of its
step (no more traffic, no promotion) until it clears.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from grayrelease.api.durations import parse_duration
from grayrelease.api.spec import Metric, Step, StepKind
from grayrelease.api.status import (
    MAX_COMPARE_HISTORY, MAX_MEASUREMENTS, CompareHistory, GateCounters, MeasurementPhase, MeasurementRecord,
    MetricPhase, MetricStatus,
)
from grayrelease.engine import actions
from grayrelease.engine.observations import Measurement
from grayrelease.engine.situation import Situation
from grayrelease.engine.stages import Stage


@dataclass(frozen=True)
class Limits:
    failure: int
    inconclusive: int
    consecutive_error: int


def limits_of(situation: Situation, metric: Metric) -> Limits:
    defaults = situation.spec.analysis
    return Limits(
        failure=defaults.failure_limit if metric.failure_limit is None else metric.failure_limit,
        inconclusive=defaults.inconclusive_limit if metric.inconclusive_limit is None else metric.inconclusive_limit,
        consecutive_error=(
            defaults.consecutive_error_limit if metric.consecutive_error_limit is None
            else metric.consecutive_error_limit
        ),
    )


def background_started(situation: Situation, metric: Metric) -> bool:
    """Background analysis of ``metric`` is on: a release at a step, canary weighted, initial delay over
    (and, for compare metrics of kind latency or throughput, the canary as old as their query window)."""
    started = situation.status.analysis_started_at
    if not metric.background or started is None or situation.stage is not Stage.STEP:
        return False
    delay = max(parse_duration(situation.spec.analysis.initial_delay or "0s"), metric.fill_window())
    return situation.now >= started + delay


def gate_metrics(situation: Situation) -> list[str]:
    """Metrics the current analysis step is measuring ([] outside analysis steps)."""
    step = situation.step
    gate = situation.status.step_analysis
    if situation.stage is not Stage.STEP or step is None or step.kind is not StepKind.ANALYSIS:
        return []
    if gate is None or gate.step != situation.status.current_step_index:
        return []
    return list(step.analysis.metrics)


def required_successes(situation: Situation, metric: Metric) -> int:
    return successes_needed(situation.step, metric)


def successes_needed(step: Step | None, metric: Metric | None) -> int:
    """Successful measurements an analysis step needs of ``metric``: the step's count, else the metric's, else one."""
    if step is not None and step.analysis is not None and step.analysis.count is not None:
        return step.analysis.count
    return (metric.count if metric is not None else None) or 1


def step_interval(situation: Situation, metric: Metric) -> timedelta:
    step = situation.step
    own = step.analysis.interval if step is not None and step.analysis is not None else None
    return parse_duration(own or metric.interval or situation.spec.analysis.interval)


def background_interval(situation: Situation, metric: Metric) -> timedelta:
    return parse_duration(metric.interval or situation.spec.analysis.interval)


def _count(counters: MetricStatus | GateCounters, phase: MeasurementPhase) -> None:
    if phase is MeasurementPhase.SUCCESSFUL:
        counters.successes += 1
        counters.consecutive_errors = 0
    elif phase is MeasurementPhase.FAILED:
        counters.failures += 1
        counters.consecutive_errors = 0
    elif phase is MeasurementPhase.INCONCLUSIVE:
        counters.inconclusives += 1
        counters.consecutive_errors = 0
    else:
        counters.consecutive_errors += 1


def fold(situation: Situation) -> None:
    """Count the observations' new measurements into ``situation.status`` (in time order)."""
    status = situation.status
    gate_names = set(gate_metrics(situation))
    for m in sorted(situation.obs.measurements, key=lambda m: m.measured_at):
        metric = situation.spec.analysis.metric(m.metric)
        if metric is None or status.release_started_at is None or m.measured_at < status.release_started_at:
            continue
        record = status.analysis.get(m.metric) or MetricStatus()
        if record.last_measured_at is not None and m.measured_at <= record.last_measured_at:
            continue  # already counted: deciding twice must not count twice
        turned = metric.dry_run and m.phase is MeasurementPhase.FAILED and _last_verdict(record) is not MeasurementPhase.FAILED
        if record.dry_run != metric.dry_run:
            # dryRun turned on or off mid-release: what was counted the other way counts for nothing now.
            _restart_counters(situation, m.metric, record, metric.dry_run)
        _record(record, metric, m)
        if background_started(situation, metric):
            _count(record, m.phase)
        status.analysis[m.metric] = record
        if turned:
            situation.effects.append(actions.Emit(
                type="Warning", reason="AnalysisDryRunFailed",
                message=f"dry-run metric {metric.name} would have failed the release: {_last(situation, m.metric)}",
            ))
        if m.metric in gate_names and status.step_started_at is not None and m.measured_at >= status.step_started_at:
            gate = status.step_analysis.metrics.setdefault(m.metric, GateCounters())
            _count(gate, m.phase)
            gate.last_measured_at = m.measured_at


def _last_verdict(record: MetricStatus) -> MeasurementPhase | None:
    """The last Successful or Failed of the metric's measurements kept (query errors and gaps say nothing)."""
    verdicts = (MeasurementPhase.SUCCESSFUL, MeasurementPhase.FAILED)
    return next((e.phase for e in reversed(record.measurements) if e.phase in verdicts), None)


def _restart_counters(situation: Situation, name: str, record: MetricStatus, dry_run: bool) -> None:
    record.successes = record.failures = record.inconclusives = record.consecutive_errors = 0
    record.marginal = False
    record.dry_run = dry_run
    gate = situation.status.step_analysis
    if gate is not None and name in gate.metrics:
        gate.metrics[name] = GateCounters()


def _record(record: MetricStatus, metric: Metric, m: Measurement) -> None:
    record.phase = MetricPhase(m.phase.value)
    record.last_value = m.value
    record.last_measured_at = m.measured_at
    if m.phase in (MeasurementPhase.SUCCESSFUL, MeasurementPhase.FAILED):
        record.marginal = m.marginal  # a query error or a gap leaves the last judgement standing
    entry = MeasurementRecord(
        value=m.value, stable_value=m.stable_value, phase=m.phase, time=m.measured_at, message=m.message[:512],
    )
    record.measurements = [*record.measurements, entry][-MAX_MEASUREMENTS:]
    if metric.compare is not None:
        history = record.history or CompareHistory()
        counted = metric.compare.requests_query is not None
        record.history = CompareHistory(
            stable=[*history.stable, m.stable_value][-MAX_COMPARE_HISTORY:],
            canary=[*history.canary, m.value][-MAX_COMPARE_HISTORY:],
            stable_requests=[*(history.stable_requests or []), m.stable_requests][-MAX_COMPARE_HISTORY:] if counted else None,
            canary_requests=[*(history.canary_requests or []), m.canary_requests][-MAX_COMPARE_HISTORY:] if counted else None,
            canary_weights=[*history.weights(), m.canary_weight][-MAX_COMPARE_HISTORY:],
            canary_pods=[*history.pods()[0], m.canary_pods][-MAX_COMPARE_HISTORY:],
            stable_pods=[*history.pods()[1], m.stable_pods][-MAX_COMPARE_HISTORY:],
        )


# --- verdicts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """A metric over one of its limits, with what to tell people."""

    metric: str
    where: str  # "background analysis" or "analysis step"
    detail: str  # e.g. "2 failures > limit 1"
    last: str  # the value and message of the last measurement


def _last(situation: Situation, name: str) -> str:
    record = situation.status.analysis.get(name)
    if record is None or not record.measurements:
        return "no measurement"
    entry = record.measurements[-1]
    value = "no value" if entry.value is None else f"value {entry.value:g}"
    return f"{value}" + (f" ({entry.message})" if entry.message else "")


def _uses(situation: Situation) -> list[tuple[Metric, str, MetricStatus | GateCounters]]:
    """Every counted use of a metric that decides something (dry-run metrics decide nothing)."""
    uses: list[tuple[Metric, str, MetricStatus | GateCounters]] = []
    for metric in situation.spec.analysis.metrics:
        record = situation.status.analysis.get(metric.name)
        if record is not None and metric.background and not _dry_run(situation, metric.name):
            uses.append((metric, "background analysis", record))
    gate = situation.status.step_analysis
    for name in gate_metrics(situation):
        metric = situation.spec.analysis.metric(name)
        if metric is not None and not _dry_run(situation, name) and gate is not None and name in gate.metrics:
            uses.append((metric, "analysis step", gate.metrics[name]))
    return uses


def _dry_run(situation: Situation, name: str) -> bool:
    """The metric is in dryRun, or its counters still count what it measured in dryRun (until its
    next measurement restarts them)."""
    metric = situation.spec.analysis.metric(name)
    record = situation.status.analysis.get(name)
    return (metric is not None and metric.dry_run) or (record is not None and record.dry_run)


def failures(situation: Situation) -> list[Finding]:
    out = []
    for metric, where, counters in _uses(situation):
        limit = limits_of(situation, metric).failure
        if counters.failures > limit:
            out.append(Finding(metric.name, where, f"{counters.failures} failed > limit {limit}", _last(situation, metric.name)))
    return out


def inconclusive(situation: Situation) -> list[Finding]:
    out = []
    for metric, where, counters in _uses(situation):
        limits = limits_of(situation, metric)
        if counters.inconclusives > limits.inconclusive:
            detail = f"{counters.inconclusives} inconclusive > limit {limits.inconclusive}"
        elif counters.consecutive_errors > limits.consecutive_error:
            detail = f"{counters.consecutive_errors} consecutive errors > limit {limits.consecutive_error}"
        else:
            continue
        out.append(Finding(metric.name, where, detail, _last(situation, metric.name)))
    return out


def marginal(situation: Situation) -> list[Finding]:
    """Compare metrics whose last judged measurement was marginal: passing, but the canary looked
    worse than stable at that look. The canary gets no more traffic, nor promotion, on them
    without a person."""
    return [
        Finding(name, "analysis", "canary looks worse than stable, not conclusively", _last(situation, name))
        for name, record in situation.status.analysis.items()
        if record.marginal and not _dry_run(situation, name)
    ]


def gate_passed(situation: Situation) -> bool:
    gate = situation.status.step_analysis
    names = [name for name in gate_metrics(situation) if not _dry_run(situation, name)]
    if gate is None or not names:
        return False
    return all(
        name in gate.metrics and gate.metrics[name].successes >= required_successes(situation, situation.spec.analysis.metric(name))
        for name in names
    )


def gate_summary(situation: Situation) -> str:
    gate = situation.status.step_analysis
    parts = []
    for name in gate_metrics(situation):
        metric = situation.spec.analysis.metric(name)
        done = gate.metrics[name].successes if gate and name in gate.metrics else 0
        if _dry_run(situation, name):
            failed = gate.metrics[name].failures if gate and name in gate.metrics else 0
            parts.append(f"{name} (dry run) {done} successful, {failed} failed, last {_last(situation, name)}")
            continue
        parts.append(f"{name} {done}/{required_successes(situation, metric)} successful, last {_last(situation, name)}")
    return "; ".join(parts)


def data_returned(situation: Situation) -> bool:
    """Every metric that paused the release has a successful measurement since the pause."""
    paused_at = situation.status.paused_at
    stuck = {f.metric for f in inconclusive(situation)}
    for name in stuck:
        record = situation.status.analysis.get(name)
        if record is None or record.last_measured_at is None or paused_at is None:
            return False
        if record.last_measured_at <= paused_at or record.phase is not MetricPhase.SUCCESSFUL:
            return False
    return bool(stuck)


def reset_counters(situation: Situation, *, failures: bool = False, inconclusive: bool = False) -> None:
    counters: list[MetricStatus | GateCounters] = list(situation.status.analysis.values())
    if situation.status.step_analysis is not None:
        counters += list(situation.status.step_analysis.metrics.values())
    for c in counters:
        if failures:
            c.failures = 0
        if inconclusive:
            c.inconclusives = 0
            c.consecutive_errors = 0
