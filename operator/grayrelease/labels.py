"""Labels, names and owner references of what the operator creates, so queries can tell versions apart.

Pods of a release carry ``grayrelease.io/role`` (stable, canary, or baseline: the stable's
revision started beside the canary, as young and as small as it) and ``grayrelease.io/revision``
(the template hash) next to the user's own labels; PromQL queries and the traffic simulator
select on them.
"""

from __future__ import annotations

from typing import Any, Literal

RELEASE = "grayrelease.io/release"
ROLE = "grayrelease.io/role"
REVISION = "grayrelease.io/revision"
BASELINE_FOR = "grayrelease.io/baseline-for"
"""Pod annotation of a baseline: the canary revision it was started beside."""
MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "grayrelease"
OPERATOR_LABELS = (ROLE, REVISION, RELEASE)

Role = Literal["stable", "canary", "baseline"]
ROLES: tuple[Role, Role] = ("stable", "canary")


def deployment_name(release: str, role: Role) -> str:
    return f"{release}-{role}"


def service_name(release: str, role: Role) -> str:
    return f"{release}-{role}"


def owner_reference(owner: dict[str, Any]) -> dict[str, Any]:
    """An owner reference to the GrayRelease, so deleting it garbage-collects what the operator made."""
    meta = owner["metadata"]
    return {
        "apiVersion": owner.get("apiVersion", "grayrelease.io/v1alpha1"),
        "kind": owner.get("kind", "GrayRelease"),
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }
