"""The world each stage keeps: which replicas, weights and inspections should exist right now.

Targets are recomputed from the (new) status at every decision and returned in full, so a lost
action, a restart or a person scaling a Deployment by hand is corrected at the next reconcile.
Two capacity rules shape them:

- replicas mode: the stable is scaled down only once the canary's pods for the step are ready
  (ready capacity never drops); when the canary is being replaced by a new revision the stable
  goes back to all replicas meanwhile;
- router mode: the stable keeps all replicas; the weight rises only once the canary is ready,
  and drops to 0 while the canary runs another revision than the release's.

A release with a compare metric against a baseline also runs ``<name>-baseline`` during its steps:
the stable's revision with the pods of the baseline's weight (``Situation.baseline_weight``), in
router mode given that weight once both it and the canary are ready, in replicas mode as pods
added beside the stable's. It is scaled to zero when the steps end.
"""

from __future__ import annotations

from grayrelease.api.spec import StepKind
from grayrelease.api.status import InspectionPhase
from grayrelease.engine import actions
from grayrelease.engine.situation import Situation
from grayrelease.engine.stages import Stage


def targets(s: Situation) -> list[actions.Action]:
    return _BY_STAGE[s.stage](s)


def _installing(s: Situation) -> list[actions.Action]:
    return [actions.EnsureStable(revision=s.obs.template_revision, replicas=s.replicas)]


def _baseline_down(s: Situation) -> list[actions.Action]:
    """A baseline left from the steps, scaled to zero (nothing when there is none)."""
    if s.obs.baseline is None or s.status.stable_revision is None:
        return []
    return [actions.EnsureBaseline(revision=s.status.stable_revision, replicas=0)]


def _steady(s: Situation) -> list[actions.Action]:
    """After a success: traffic back to the stable first, then the canary scaled to zero."""
    out: list[actions.Action] = [actions.EnsureStable(revision=s.status.stable_revision, replicas=s.replicas)]
    if s.router:
        out.append(actions.SetWeight(canary_weight=0))
    if s.status.canary_revision is not None and (not s.router or not s.obs.traffic.canary_weight):
        out.append(actions.EnsureCanary(revision=s.status.canary_revision, replicas=0))
    if not s.router or not s.obs.traffic.baseline_weight:
        out += _baseline_down(s)
    return out


def _stopped(s: Situation) -> list[actions.Action]:
    """Rolled back or aborted: everything back on the stable in one step."""
    out: list[actions.Action] = []
    if s.router:
        out.append(actions.SetWeight(canary_weight=0))
    out.append(actions.EnsureStable(revision=s.status.stable_revision, replicas=s.replicas))
    if s.status.canary_revision is not None:
        out.append(actions.EnsureCanary(revision=s.status.canary_revision, replicas=0))
    return out + _baseline_down(s)


def _weighted(s: Situation, stable_revision: str | None, baseline: bool = False) -> list[actions.Action]:
    """The canary (and with ``baseline`` the baseline's weight) at the current step's weight."""
    weight = s.target_weight
    canary = s.canary_replicas(weight)
    baseline_weight = s.baseline_weight(weight) if baseline else 0
    ready = s.canary_ready(canary)
    ensure_canary = actions.EnsureCanary(revision=s.status.canary_revision, replicas=canary)
    if s.router:
        current = s.obs.traffic.canary_weight or 0
        if ready and s.baseline_ready(s.baseline_replicas(weight) if baseline else 0):
            weight_now, baseline_now = weight, baseline_weight
        elif s.canary_on_revision:
            # scaling up: wait for the pods; scaling down: at once
            weight_now = min(weight, current)
            baseline_now = min(baseline_weight, s.obs.traffic.baseline_weight or 0)
        else:
            weight_now = baseline_now = 0  # the canary's pods are being replaced: send them nothing
        stable = actions.EnsureStable(revision=stable_revision, replicas=s.replicas)
        return [stable, actions.SetWeight(canary_weight=weight_now, baseline_weight=baseline_now), ensure_canary]
    if ready:
        stable_replicas = s.replicas - canary
    elif s.canary_on_revision:
        current = s.obs.stable.replicas if s.obs.stable is not None else s.replicas
        stable_replicas = min(s.replicas, max(s.replicas - canary, current))
    else:
        stable_replicas = s.replicas
    return [ensure_canary, actions.EnsureStable(revision=stable_revision, replicas=stable_replicas)]


def _step(s: Situation) -> list[actions.Action]:
    out = _weighted(s, s.status.stable_revision, baseline=True)
    pods = s.baseline_replicas(s.target_weight)
    if s.status.stable_revision is not None and (pods or s.obs.baseline is not None):
        out.append(actions.EnsureBaseline(revision=s.status.stable_revision, replicas=pods,
                                          canary_revision=s.status.canary_revision))
    inspection = s.status.inspection
    step = s.step
    if (
        step is not None and step.kind is StepKind.INSPECT and inspection is not None
        and inspection.step == s.status.current_step_index and inspection.phase is InspectionPhase.RUNNING
    ):
        out.append(actions.StartInspection(step_index=inspection.step, name=inspection.name))
    return out


def _promoting(s: Situation) -> list[actions.Action]:
    """The canary keeps serving its weight while the stable rolls out its template with surge."""
    weighted = [a for a in _weighted(s, s.status.stable_revision) if not isinstance(a, actions.EnsureStable)]
    return [
        actions.PromoteStable(revision=s.status.canary_revision),
        actions.EnsureStable(revision=s.status.canary_revision, replicas=s.replicas),
        *weighted,
        *_baseline_down(s),
    ]


_BY_STAGE = {
    Stage.INSTALLING: _installing,
    Stage.STEADY: _steady,
    Stage.STOPPED: _stopped,
    Stage.STEP: _step,
    Stage.PROMOTING: _promoting,
}
