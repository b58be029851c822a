"""The ``kubectl gray get`` view: everything a person needs about one release on one screen.

Sections, in the order a person asks the questions: where is it (phase, step, weight,
revisions, message), what is left (steps, with a marker at the current one), what runs (the
stable and canary Deployments), is it good (analysis per metric, the running inspection), and
what went wrong (Warning conditions, newest first). A pure function of what was read and ``now``.
"""

from __future__ import annotations

from datetime import datetime

from grayrelease.api.spec import Step, StepKind
from grayrelease.api.status import Condition, ConditionType, Phase
from grayrelease.cli.gray_resource import Release, Workload
from grayrelease.cli.gray_text import Painter, age, number, parse_time, short_revision, table
from grayrelease.engine import measurements, querywindows, restarts

# Pauses people asked for or that a pause step makes are expected, not warnings.
_QUIET_PAUSES = frozenset({"PauseStep", "PausedByCommand", "NotPaused"})


def describe_step(step: Step) -> str:
    """One step in a few words: ``setWeight 25``, ``pause 30s``, ``pause (until promoted)``."""
    kind = step.kind
    if kind is StepKind.SET_WEIGHT:
        return f"setWeight {step.set_weight}"
    if kind is StepKind.PAUSE:
        return f"pause {step.pause.duration}" if step.pause.duration else "pause (until promoted)"
    if kind is StepKind.ANALYSIS:
        count = f" ×{step.analysis.count}" if step.analysis.count else ""
        return f"analysis {', '.join(step.analysis.metrics)}{count}"
    return "inspect job" if step.inspect.job is not None else f"inspect webhook {step.inspect.webhook.url}"


def in_release(release: Release) -> bool:
    """Whether a canary revision is being released (not steady, not yet installed)."""
    status = release.model.status
    return status.canary_revision is not None and status.canary_revision != status.stable_revision


def target_weight(release: Release) -> int | None:
    """The weight the current step asks for: the last setWeight at or before it."""
    steps = release.model.spec.strategy.steps
    index = min(release.model.status.current_step_index, len(steps) - 1)
    for step in reversed(steps[: index + 1]):
        if step.set_weight is not None:
            return step.set_weight
    return None


def step_label(release: Release) -> str:
    status, steps = release.model.status, release.model.spec.strategy.steps
    if not steps:
        return "-"
    if not in_release(release) and release.phase not in (Phase.ROLLED_BACK, Phase.ABORTED):
        return f"{len(steps)}/{len(steps)}" if release.phase == Phase.SUCCEEDED else "-"
    if status.current_step_index >= len(steps):
        return f"{len(steps)}/{len(steps)}"
    return f"{status.current_step_index + 1}/{len(steps)}"


def _marker(index: int, release: Release, paint: Painter) -> str:
    status = release.model.status
    current = status.current_step_index
    phase = release.phase
    stopped = phase in (Phase.ROLLED_BACK, Phase.ABORTED)
    if not stopped and not in_release(release):
        # No release under way: a steady release has passed every step, an installing one none.
        return paint("✔", "green") if phase == Phase.SUCCEEDED else paint("○", "grey")
    if index < current:
        return paint("✔", "green")
    if index > current:
        return paint("○", "grey")
    if stopped:
        return paint("✖", "red")
    if phase == Phase.PAUSED:
        return paint("॥", "yellow")
    return paint("▶", "blue")


def _summary(release: Release, now: datetime, paint: Painter) -> list[str]:
    status, spec = release.model.status, release.model.spec
    phase = paint.phase(release.phase)
    if status.pause_reason is not None and release.phase == Phase.PAUSED:
        phase += f" ({status.pause_reason.value})"
    weight = f"{status.canary_weight}%"
    target = target_weight(release)
    if in_release(release) and target is not None and target != status.canary_weight:
        weight += f" (step wants {target}%)"
    revisions = f"stable {short_revision(status.stable_revision)}"
    if status.canary_revision and status.canary_revision != status.stable_revision:
        revisions += f", canary {status.canary_revision}"
    if status.aborted_revision:
        revisions += f", rolled back {status.aborted_revision}"
    rows = [
        ["Name:", release.name],
        ["Namespace:", release.namespace],
        ["Phase:", phase],
        ["Step:", step_label(release)],
        ["Canary weight:", weight],
        ["Revisions:", revisions],
        ["Replicas:", str(spec.replicas)],
        ["Traffic:", "Gateway API HTTPRoute " + spec.traffic_routing.gateway_api.http_route
         if spec.traffic_routing and spec.traffic_routing.gateway_api else "replica ratio"],
    ]
    if status.message:
        rows.append(["Message:", status.message])
    if status.command is not None:
        by = f" by {status.command.requested_by}" if status.command.requested_by else ""
        rows.append(["Command:", paint(f"{status.command.action.value} requested{by} "
                                       f"{age(status.command.requested_at, now)} ago, not handled yet", "yellow")])
    elif status.last_handled_command is not None:
        last = status.last_handled_command
        by = f" by {last.requested_by}" if last.requested_by else ""
        rows.append(["Last command:", f"{last.action.value}{by} {age(last.requested_at, now)} ago"])
    if not release.observed:
        rows.append(["", paint("the operator has not seen the latest spec yet", "yellow")])
    return table(rows)


def _gate_progress(release: Release) -> str:
    """How far the current analysis step has come, per metric: its successes against the count it
    needs, as the step counts them. The Analysis table counts the whole release from the end of
    initialDelay, so its OK column can trail a step measured before then."""
    status, spec = release.model.status, release.model.spec
    step, gate = spec.strategy.steps[status.current_step_index], status.step_analysis
    if step.analysis is None or gate is None or gate.step != status.current_step_index:
        return ""
    parts = []
    for name in step.analysis.metrics:
        metric = spec.analysis.metric(name)
        done = gate.metrics[name].successes if name in gate.metrics else 0
        dry = metric is not None and metric.dry_run
        parts.append(f"{name} {done}" + (" (dry run)" if dry else f"/{measurements.successes_needed(step, metric)}"))
    return ", ".join(parts)


def _steps(release: Release, paint: Painter) -> list[str]:
    steps = release.model.spec.strategy.steps
    if not steps:
        return ["Steps: none (promoted as soon as the canary is ready)"]
    rows = [[_marker(i, release, paint), str(i + 1), describe_step(step)] for i, step in enumerate(steps)]
    status = release.model.status
    if in_release(release) and status.current_step_index < len(steps):
        progress = _gate_progress(release)
        rows[status.current_step_index].append(paint("← current", "bold") + (f"  {progress}" if progress else ""))
    lines = ["Steps:", *table(rows, indent="  ")]
    if in_release(release) and status.current_step_index >= len(steps) and release.phase == Phase.PROGRESSING:
        lines.append("  " + paint("▶", "blue") + "  promoting: the stable side takes the canary revision")
    return lines


def _workload_row(role: str, workload: Workload | None, release: Release, paint: Painter) -> list[str]:
    name = f"{release.name}-{role}"
    if workload is None:
        return [name, role, "-", paint("absent", "grey"), "-", ""]
    colour = "green" if workload.ready >= workload.desired else "yellow"
    ready = paint(f"{workload.ready}/{workload.desired}", colour)
    return [name, role, short_revision(workload.revision), ready, str(workload.updated), ", ".join(workload.images)]


def _workloads(release: Release, now: datetime, paint: Painter) -> list[str]:
    rows = [["NAME", "ROLE", "REVISION", "READY", "UP-TO-DATE", "IMAGES"],
            _workload_row("stable", release.stable, release, paint),
            _workload_row("canary", release.canary, release, paint)]
    if release.model.spec.uses_baseline:
        rows.append(_workload_row("baseline", release.baseline, release, paint))
    return ["Workloads:", *table(rows, indent="  "), *_canary_trouble(release, now, paint)]


def _canary_trouble(release: Release, now: datetime, paint: Painter) -> list[str]:
    """The canary pods' restarts, evictions, containers that cannot start and pods no node takes, as
    the operator counts them, with the limit each is held against: seen here before they fail the release."""
    trouble, limit = release.canary_trouble, release.model.spec.canary_restart_limit
    lines = []
    for c in sorted(trouble.restarts, key=lambda c: (-c.restarts, c.pod, c.container)):
        reason = restarts.why(c)
        lines.append(f"{c.pod}/{c.container}  restarts {c.restarts} of canaryRestartLimit {limit}" + (f"  ({reason})" if reason else ""))
    if trouble.evictions:
        lines.append(f"evicted pods {len(trouble.evictions)} of canaryRestartLimit {limit}: "
                     + ", ".join(e.pod for e in sorted(trouble.evictions, key=lambda e: e.pod)))
    for w in sorted(trouble.waiting, key=lambda w: (w.pod_created_at, w.pod, w.container)):
        lines.append(f"{w.pod}/{w.container}  {w.reason}, pod up {age(w.pod_created_at, now)}" + (f"  ({w.message})" if w.message else ""))
    for p in sorted(trouble.unschedulable, key=lambda p: (p.since, p.pod)):
        lines.append(f"{p.pod}  Unschedulable for {age(p.since, now)}" + (f"  ({p.message})" if p.message else ""))
    return ["  " + paint("⚠", "yellow") + " " + line for line in lines]


def _analysis(release: Release, now: datetime, paint: Painter) -> list[str]:
    metrics = release.model.status.analysis
    declared = [m.name for m in release.model.spec.analysis.metrics]
    names = declared + [name for name in metrics if name not in declared]
    if not names:
        return []
    dry = {m.name for m in release.model.spec.analysis.metrics if m.dry_run}
    rows = [["METRIC", "PHASE", "LAST VALUE", "OK", "FAILED", "INCONCL.", "ERRORS", "MEASURED"]]
    for name in names:
        record = metrics.get(name)
        shown = f"{name} (dry run)" if name in dry else name  # measured, never deciding
        if record is None:
            rows.append([shown, paint.metric("Pending"), "-", "0", "0", "0", "0", "-"])
            continue
        last = record.measurements[-1] if record.measurements else None
        value = number(record.last_value)
        if last is not None and last.stable_value is not None:
            spec = release.model.spec.analysis.metric(name)
            value += f" ({'baseline' if spec is not None and spec.against_baseline else 'stable'} {number(last.stable_value)})"
        measured = f"{age(record.last_measured_at, now)} ago" if record.last_measured_at else "-"
        rows.append([shown, paint.metric(record.phase.value), value, str(record.successes), str(record.failures),
                     str(record.inconclusives), str(record.consecutive_errors), measured])
    lines = ["Analysis:", *table(rows, indent="  ")]
    # A passing metric read over a long window, or one whose window is unknown, is still slow to catch
    # a regression: said under the table, as the release's start said it.
    long = {w.metric: w.note() for w in querywindows.long_windows(release.model.spec)}
    unknown = dict.fromkeys(querywindows.unknown_windows(release.model.spec), querywindows.UNKNOWN_NOTE)
    for name in names:
        record = metrics.get(name)
        last = record.measurements[-1] if record and record.measurements else None
        if last is not None and last.message and last.phase.value != "Successful":
            lines.append(f"    {name}: {last.message}")
        elif note := long.get(name) or unknown.get(name):
            lines.append(f"    {name}: {note}")
    return lines


def _inspection(release: Release, paint: Painter) -> list[str]:
    inspection = release.model.status.inspection
    if inspection is None:
        return []
    line = f"  step {inspection.step + 1}  {inspection.name}  {paint.metric(inspection.phase.value)}"
    if inspection.message:
        line += f"  {inspection.message}"
    return ["Inspection:", line]


def is_warning(condition: Condition) -> bool:
    """A condition a person should look at: something is not passing, or a pause nobody asked for."""
    if condition.type == ConditionType.PAUSED:
        return condition.status == "True" and condition.reason not in _QUIET_PAUSES
    return condition.status == "False"


def _warnings(release: Release, now: datetime, paint: Painter) -> list[str]:
    bad = sorted((c for c in release.model.status.conditions if is_warning(c)),
                 key=lambda c: c.last_transition_time, reverse=True)
    if not bad:
        return []
    rows = [[paint("⚠", "red"), c.type, c.reason, f"{age(c.last_transition_time, now)} ago", c.message] for c in bad]
    return ["Warnings:", *table(rows, indent="  ")]


def render(release: Release, now: datetime, paint: Painter | None = None) -> str:
    """The whole ``get`` view as text (no trailing newline)."""
    paint = paint or Painter(False)
    sections = [
        _summary(release, now, paint),
        _steps(release, paint),
        _workloads(release, now, paint),
        _analysis(release, now, paint),
        _inspection(release, paint),
        _warnings(release, now, paint),
    ]
    return "\n\n".join("\n".join(section) for section in sections if section)


def created(release: Release) -> datetime | None:
    return parse_time(release.raw.get("metadata", {}).get("creationTimestamp"))
