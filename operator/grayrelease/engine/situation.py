"""The facts one decision is made from: inputs, the working copy of status, and derived readings.

Guards and transitions (``transitions``), targets (``targets``) and the report (``report``) all
read the same ``Situation``, so a fact such as "is the canary ready for this step" has exactly
one definition. Transitions change ``status`` (a private copy) and queue effects; nothing else
is mutable.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from grayrelease.api.spec import GrayReleaseSpec, Step, StepKind
from grayrelease.api.status import Command, GrayReleaseStatus, Phase
from grayrelease.engine import actions
from grayrelease.engine.observations import Observations
from grayrelease.engine.stages import Stage, stage_of


def pod_share(canary: float, others: float) -> float:
    """The canary's share of the ready pods, in percent (0 without any): without a router, each
    ready pod gets an equal part of the requests, so this is the canary's share of the traffic."""
    return 100.0 * canary / (canary + others) if canary + others else 0.0


@dataclass
class Situation:
    spec: GrayReleaseSpec
    status: GrayReleaseStatus  # working copy, owned by this decision
    obs: Observations
    now: datetime
    command: Command | None = None  # a command not handled yet
    effects: list[actions.Action] = field(default_factory=list)  # queued by transitions, before the targets

    # --- where we are -------------------------------------------------------------------------

    @property
    def stage(self) -> Stage:
        return stage_of(self.spec, self.status)

    @property
    def steps(self) -> list[Step]:
        return self.spec.strategy.steps

    @property
    def step(self) -> Step | None:
        index = self.status.current_step_index
        return self.steps[index] if 0 <= index < len(self.steps) else None

    @property
    def step_label(self) -> str:
        return f"step {self.status.current_step_index + 1}/{len(self.steps)}"

    @property
    def paused(self) -> bool:
        return self.status.phase == Phase.PAUSED

    @property
    def replicas(self) -> int:
        return self.spec.replicas

    @property
    def router(self) -> bool:
        return self.obs.router_mode != "replicas"

    def elapsed_in_step(self) -> timedelta:
        return self.now - (self.status.step_started_at or self.now)

    def deadline_passed(self, since: datetime | None) -> bool:
        return since is not None and self.now - since > timedelta(seconds=self.spec.progress_deadline_seconds)

    # --- the weight the current step asks for ------------------------------------------------

    @property
    def target_weight(self) -> int:
        """The last setWeight at or before the current step (all steps once promoting); 0 if none."""
        upto = min(self.status.current_step_index, len(self.steps) - 1)
        for step in reversed(self.steps[: upto + 1]):
            if step.kind is StepKind.SET_WEIGHT:
                return step.set_weight or 0
        return 0

    def canary_replicas(self, weight: int) -> int:
        """ceil(R * w / 100), at least one pod for any weight above zero."""
        if weight <= 0:
            return 0
        return min(self.replicas, max(1, math.ceil(self.replicas * weight / 100)))

    def baseline_weight(self, weight: int) -> int:
        """The baseline's share beside a canary at ``weight``: as much as the canary's, but never more
        than half of what the canary leaves, so the stable keeps serving (0 without a baseline)."""
        if not self.spec.uses_baseline or weight <= 0:
            return 0
        return min(weight, (100 - weight) // 2)

    def baseline_replicas(self, weight: int) -> int:
        """The baseline's pods beside a canary at ``weight``: as many as a canary would get at the baseline's weight."""
        return self.canary_replicas(self.baseline_weight(weight))

    # --- readings of the world ----------------------------------------------------------------

    @property
    def canary_on_revision(self) -> bool:
        canary = self.obs.canary
        return canary is not None and canary.revision == self.status.canary_revision

    def canary_ready(self, replicas: int) -> bool:
        """The canary runs the release's revision with ``replicas`` pods, all available."""
        canary = self.obs.canary
        if replicas == 0:
            return canary is None or canary.replicas == 0
        return (
            self.canary_on_revision and canary is not None and canary.replicas == replicas
            and canary.rolled_out and canary.available_replicas >= replicas
        )

    def baseline_ready(self, replicas: int) -> bool:
        """The baseline runs the stable's revision with ``replicas`` pods, all available (no baseline: ready)."""
        baseline = self.obs.baseline
        if replicas == 0:
            return baseline is None or baseline.replicas == 0
        return (
            baseline is not None and baseline.revision == self.status.stable_revision
            and baseline.replicas == replicas and baseline.rolled_out and baseline.available_replicas >= replicas
        )

    def stable_at(self, revision: str | None, replicas: int) -> bool:
        stable = self.obs.stable
        return (
            stable is not None and revision is not None and stable.revision == revision
            and stable.replicas == replicas and stable.rolled_out and stable.available_replicas >= replicas
        )

    def weight_reached(self) -> bool:
        """The world serves the current step's weight: pods ready and, with a router, weight read back."""
        weight = self.target_weight
        canary = self.canary_replicas(weight)
        baseline = self.baseline_weight(weight)
        if not self.canary_ready(canary) or not self.baseline_ready(self.baseline_replicas(weight)):
            return False
        if self.router:
            return self.obs.traffic.canary_weight == weight and (
                not baseline or self.obs.traffic.baseline_weight == baseline)
        return self.stable_at(self.status.stable_revision, self.replicas - canary)

    def observed_weight(self) -> int:
        """Share of traffic the canary gets now: router read-back, or share of ready pods.

        0 once the canary's revision is the stable one (after a promotion): pods still being
        scaled down then serve the stable revision, so no traffic reaches another version."""
        if self.status.canary_revision is None or self.status.canary_revision == self.status.stable_revision:
            return 0
        if self.router:
            return self.obs.traffic.canary_weight or 0
        canary = self.obs.canary.ready_replicas if self.obs.canary and self.canary_on_revision else 0
        stable = self.obs.stable.ready_replicas if self.obs.stable else 0
        stable += self.obs.baseline.ready_replicas if self.obs.baseline else 0  # baseline pods serve too
        return round(pod_share(canary, stable))

    def inspection_name(self, index: int) -> str:
        """Unique per release attempt and step, stable across decisions (the controller prefixes it)."""
        seed = f"{self.status.canary_revision}/{self.status.release_started_at}/{self.status.step_started_at}/{index}"
        return f"{index}-{hashlib.sha256(seed.encode()).hexdigest()[:10]}"
