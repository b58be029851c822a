"""What the engine asks the controller to do: idempotent targets, never increments.

Each action states a desired state ("the canary runs revision X with 3 replicas"), so applying
the same decision twice, or after an operator restart, changes nothing the second time. The
controller applies a decision's actions in order.

Revisions in ``EnsureStable`` / ``EnsureCanary``: when the Deployment already runs ``revision``
only its replicas change; otherwise its pod template becomes ``spec.template``. The engine only
asks for a revision a Deployment does not run yet when it is the template's revision
(``Observations.template_revision``), so the controller never needs an older template.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class EnsureStable:
    """The stable Deployment runs ``revision`` with ``replicas`` (created from spec.template on first install)."""

    revision: str
    replicas: int


@dataclass(frozen=True)
class EnsureCanary:
    """The canary Deployment runs ``revision`` (spec.template) with ``replicas``; 0 keeps it, scaled down."""

    revision: str
    replicas: int


@dataclass(frozen=True)
class EnsureBaseline:
    """The baseline Deployment runs ``revision`` (the stable's, copied from the stable Deployment) with
    ``replicas``; 0 keeps it, scaled down. Not created while the stable runs another revision. Its
    pods are started anew for each ``canary_revision``, so they are as young as the canary's."""

    revision: str
    replicas: int
    canary_revision: str | None = None


@dataclass(frozen=True)
class PromoteStable:
    """The stable Deployment takes the canary's template (spec.template): a surge rollout, maxUnavailable 0."""

    revision: str


@dataclass(frozen=True)
class SetWeight:
    """The router sends ``canary_weight`` percent of traffic to the canary, ``baseline_weight`` to the
    baseline and the rest to stable (router mode only)."""

    canary_weight: int
    baseline_weight: int = 0


@dataclass(frozen=True)
class StartInspection:
    """Run the inspection of step ``step_index`` (Job or webhook, per the step) under ``name``; no-op if it exists."""

    step_index: int
    name: str


@dataclass(frozen=True)
class DeleteInspection:
    name: str


@dataclass(frozen=True)
class Emit:
    """A Kubernetes Event on the GrayRelease, with the value that caused it: at most one per
    transition, plus one per dry-run metric turning to failing (measurement bookkeeping) and, when
    a release starts, one for compare metrics read over long windows (LongQueryWindow) and one for
    those whose window the query does not show (QueryWindowUnknown)."""

    type: Literal["Normal", "Warning"]
    reason: str
    message: str


Action = EnsureStable | EnsureCanary | EnsureBaseline | PromoteStable | SetWeight | StartInspection | DeleteInspection | Emit
