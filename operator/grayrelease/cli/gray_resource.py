"""What ``kubectl gray`` reads from the cluster, parsed into the API models without being brittle.

The plugin and the operator may not be the same version: a newer operator can write status fields
(or enum values) this plugin does not know. The API models forbid unknown fields, which is right
for the operator and wrong for a viewer, so ``parse_release`` drops whatever the models reject,
one offending entry at a time, and keeps the rest. The stable and canary Deployments are reduced
to the few numbers the views show (``Workload``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from grayrelease.api import GrayRelease
from grayrelease.workloads.pods import CanaryTrouble

# What the operator puts on the pod templates of the Deployments it owns (the operator's contract).
ROLE_LABEL = "grayrelease.io/role"
REVISION_LABEL = "grayrelease.io/revision"
RELEASE_LABEL = "grayrelease.io/release"
OPERATOR_LABELS = (ROLE_LABEL, REVISION_LABEL, RELEASE_LABEL)
REVISION_ANNOTATION = "grayrelease.io/revision"

# Enough to drop every unknown field of a status written by a much newer operator.
_MAX_REPAIRS = 200


@dataclass(frozen=True)
class Workload:
    """One of the release's Deployments, as a person wants to see it."""

    name: str
    role: str
    revision: str | None
    desired: int
    ready: int
    available: int
    updated: int
    images: tuple[str, ...]

    @classmethod
    def from_deployment(cls, deployment: dict[str, Any]) -> Workload:
        meta, spec, status = deployment.get("metadata", {}), deployment.get("spec", {}), deployment.get("status", {})
        template = spec.get("template", {})
        pod_labels = template.get("metadata", {}).get("labels", {})
        containers = template.get("spec", {}).get("containers", [])
        return cls(
            name=meta.get("name", ""),
            role=meta.get("labels", {}).get(ROLE_LABEL) or pod_labels.get(ROLE_LABEL, ""),
            revision=pod_labels.get(REVISION_LABEL) or meta.get("labels", {}).get(REVISION_LABEL),
            desired=int(spec.get("replicas", 0) or 0),
            ready=int(status.get("readyReplicas", 0) or 0),
            available=int(status.get("availableReplicas", 0) or 0),
            updated=int(status.get("updatedReplicas", 0) or 0),
            images=tuple(c.get("image", "") for c in containers),
        )


def _delete_at(data: Any, loc: tuple[Any, ...]) -> bool:
    """Deletes the entry at ``loc`` (or, if it is absent, its parent); False if nothing could go."""
    for depth in range(len(loc), 0, -1):
        parent: Any = data
        try:
            for key in loc[: depth - 1]:
                parent = parent[key]
            last = loc[depth - 1]
            if isinstance(parent, dict) and last in parent:
                del parent[last]
                return True
            if isinstance(parent, list) and isinstance(last, int) and 0 <= last < len(parent):
                del parent[last]
                return True
        except (KeyError, IndexError, TypeError):
            continue
    return False


def parse_release(obj: dict[str, Any]) -> GrayRelease:
    """The resource as a model; status entries the models reject are left out rather than fatal.

    Only ``status`` is repaired: the spec was validated by the API server against the same
    models, so a spec the models reject is a real incompatibility and is reported as one.
    """
    data = copy.deepcopy(obj)
    for _ in range(_MAX_REPAIRS):
        try:
            return GrayRelease.model_validate(data)
        except ValidationError as error:
            status_errors = [e["loc"] for e in error.errors() if e["loc"][:1] == ("status",) and len(e["loc"]) > 1]
            if not status_errors or not _delete_at(data, tuple(status_errors[0])):
                raise
    return GrayRelease.model_validate(data)


@dataclass
class Release:
    """A GrayRelease as read by the plugin: the raw object, its model and its two Deployments."""

    raw: dict[str, Any]
    model: GrayRelease
    stable: Workload | None = None
    canary: Workload | None = None
    stable_deployment: dict[str, Any] | None = None
    baseline: Workload | None = None  # read only for a release with a metric compared against a baseline
    canary_trouble: CanaryTrouble = CanaryTrouble()  # restarts, evictions, containers that cannot start

    @property
    def name(self) -> str:
        return self.raw.get("metadata", {}).get("name", "")

    @property
    def namespace(self) -> str:
        return self.raw.get("metadata", {}).get("namespace", "")

    @property
    def phase(self) -> str:
        """The phase as written, even one this plugin's models do not know."""
        return str((self.raw.get("status") or {}).get("phase") or self.model.status.phase.value)

    @property
    def observed(self) -> bool:
        """Whether the operator has seen the current spec (else the status may describe an older one)."""
        seen = self.model.status.observed_generation
        generation = self.raw.get("metadata", {}).get("generation")
        return seen is None or generation is None or seen >= generation
