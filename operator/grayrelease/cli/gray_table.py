"""The ``kubectl gray list`` view: one line per GrayRelease, like ``kubectl get`` with more to say.

READY sums the ready pods of a release's stable and canary Deployments against its replicas;
the Deployments are read in one list call for all releases, not one call per release.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from grayrelease.cli.gray_resource import RELEASE_LABEL, Release, parse_release
from grayrelease.cli.gray_text import Painter, age, parse_time, short_revision, table
from grayrelease.cli.gray_tree import step_label


def ready_by_release(deployments: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """(namespace, release) -> ready pods over its Deployments."""
    out: dict[tuple[str, str], int] = defaultdict(int)
    for deployment in deployments:
        meta = deployment.get("metadata", {})
        release = meta.get("labels", {}).get(RELEASE_LABEL)
        if release:
            out[(meta.get("namespace", ""), release)] += int(deployment.get("status", {}).get("readyReplicas", 0) or 0)
    return out


def render(items: list[dict[str, Any]], deployments: list[dict[str, Any]], now: datetime, *,
           all_namespaces: bool, wide: bool = False, paint: Painter | None = None) -> str:
    paint = paint or Painter(False)
    ready = ready_by_release(deployments)
    header = ["NAME", "PHASE", "STEP", "WEIGHT", "READY", "STABLE", "CANARY", "AGE"]
    if all_namespaces:
        header.insert(0, "NAMESPACE")
    if wide:
        header.append("MESSAGE")
    rows = [header]
    for raw in sorted(items, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"])):
        release = Release(raw=raw, model=parse_release(raw))
        status, spec = release.model.status, release.model.spec
        canary = status.canary_revision if status.canary_revision != status.stable_revision else None
        row = [
            release.name, paint.phase(release.phase), step_label(release), f"{status.canary_weight}%",
            f"{ready.get((release.namespace, release.name), 0)}/{spec.replicas}",
            short_revision(status.stable_revision), short_revision(canary),
            age(parse_time(raw["metadata"].get("creationTimestamp")), now),
        ]
        if all_namespaces:
            row.insert(0, release.namespace)
        if wide:
            row.append(status.message)
        rows.append(row)
    return "\n".join(table(rows))
