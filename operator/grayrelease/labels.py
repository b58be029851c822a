"""Labels and names the operator puts on what it creates, so queries can tell versions apart.

Pods of a release carry ``grayrelease.io/role`` (stable or canary) and ``grayrelease.io/revision``
(the template hash) next to the user's own labels; PromQL queries and the traffic simulator
select on them.
"""

from __future__ import annotations

from typing import Literal

RELEASE = "grayrelease.io/release"
ROLE = "grayrelease.io/role"
REVISION = "grayrelease.io/revision"
MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "grayrelease"
OPERATOR_LABELS = (ROLE, REVISION, RELEASE)

Role = Literal["stable", "canary"]
ROLES: tuple[Role, Role] = ("stable", "canary")


def deployment_name(release: str, role: Role) -> str:
    return f"{release}-{role}"


def service_name(release: str, role: Role) -> str:
    return f"{release}-{role}"
