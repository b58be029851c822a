"""Pure builders of the objects a GrayRelease owns: one Deployment and one Service per role.

The stable and canary Deployments select the user's labels plus their role, so the user's own
Service (selecting only the user's labels) spans both and, without a traffic router, splits
traffic by the ratio of ready pods. Rollouts inside a Deployment (promotion of the stable side)
surge and never take a ready pod away first (``maxUnavailable: 0``).
"""

from __future__ import annotations

import copy
from typing import Any

from grayrelease import labels
from grayrelease.labels import Role


def _meta(release: dict[str, Any], name: str, role: Role) -> dict[str, Any]:
    meta = release["metadata"]
    return {
        "name": name,
        "namespace": meta["namespace"],
        "labels": {labels.RELEASE: meta["name"], labels.ROLE: role, labels.MANAGED_BY: labels.MANAGER},
        "ownerReferences": [labels.owner_reference(release)],
    }


def deployment(release: dict[str, Any], role: Role, revision: str, template: dict[str, Any], replicas: int,
               selector: dict[str, str], annotations: dict[str, str] | None = None) -> dict[str, Any]:
    """The Deployment of one role running ``template`` at ``revision`` with ``replicas`` pods
    (``annotations`` added to its pods)."""
    pod_template = copy.deepcopy(template)
    pod_meta = pod_template.setdefault("metadata", {})
    pod_labels = pod_meta.setdefault("labels", {})
    pod_labels.update({labels.ROLE: role, labels.REVISION: revision, labels.RELEASE: release["metadata"]["name"]})
    pod_annotations = pod_meta.setdefault("annotations", {})
    pod_annotations.setdefault("grayrelease.io/revision", revision)
    pod_annotations.update(annotations or {})
    meta = _meta(release, labels.deployment_name(release["metadata"]["name"], role), role)
    meta["labels"][labels.REVISION] = revision
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {**selector, labels.ROLE: role}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}},
            "template": pod_template,
        },
    }


def role_service(release: dict[str, Any], role: Role, selector: dict[str, str], port: int,
                 target_port: int | str) -> dict[str, Any]:
    """The Service of one role, the backend a traffic router weights."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(release, labels.service_name(release["metadata"]["name"], role), role),
        "spec": {
            "selector": {**selector, labels.ROLE: role},
            "ports": [{"name": "http", "port": port, "targetPort": target_port, "protocol": "TCP"}],
        },
    }
