"""Where a GrayRelease stands, derived from its status alone (so a restart lands in the same place).

| stage      | status                                                   | the world the engine keeps  |
|------------|----------------------------------------------------------|-----------------------------|
| INSTALLING | no stableRevision yet                                    | stable = template, R pods   |
| STEADY     | no canary, or canaryRevision == stableRevision           | stable R, weight 0, canary 0|
| STOPPED    | phase RolledBack or Aborted                              | stable R, weight 0, canary 0|
| STEP       | a release at currentStepIndex < number of steps          | the step's weight           |
| PROMOTING  | a release past its last step                             | stable takes the canary     |
"""

from __future__ import annotations

from enum import StrEnum

from grayrelease.api.spec import GrayReleaseSpec
from grayrelease.api.status import GrayReleaseStatus, Phase


class Stage(StrEnum):
    INSTALLING = "Installing"
    STEADY = "Steady"
    STOPPED = "Stopped"
    STEP = "Step"
    PROMOTING = "Promoting"


def stage_of(spec: GrayReleaseSpec, status: GrayReleaseStatus) -> Stage:
    if status.stable_revision is None:
        return Stage.INSTALLING
    if status.phase in (Phase.ROLLED_BACK, Phase.ABORTED):
        return Stage.STOPPED
    if status.canary_revision is None or status.canary_revision == status.stable_revision:
        return Stage.STEADY
    if status.current_step_index < len(spec.strategy.steps):
        return Stage.STEP
    return Stage.PROMOTING
