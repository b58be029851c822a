"""Job inspections: a smoke test that runs as a Kubernetes Job against the canary and must succeed.

The Job's name is chosen by the engine (unique per release attempt and step), so creating it
again after an operator restart finds the existing one instead of running the test twice.
The Job gets the release's variables as environment variables (GRAYRELEASE_CANARY_SERVICE …)
so a test knows what to call, and an owner reference so it goes with the GrayRelease. A passed
Job is kept for its logs and removed by Kubernetes a day after it finished
(``ttlSecondsAfterFinished``, unless the step's Job spec sets its own).
"""

from __future__ import annotations

import copy
from typing import Any

from grayrelease import kube
from grayrelease import labels



FINISHED_JOB_TTL = 86400  # a finished smoke test stays a day for its logs, unless the spec says otherwise


def job_manifest(release: dict[str, Any], name: str, job_spec: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    spec = copy.deepcopy(job_spec)
    spec.setdefault("backoffLimit", 0)
    spec.setdefault("ttlSecondsAfterFinished", FINISHED_JOB_TTL)
    pod_spec = spec.setdefault("template", {}).setdefault("spec", {})
    pod_spec.setdefault("restartPolicy", "Never")
    for container in pod_spec.get("containers", []):
        present = {e.get("name") for e in container.get("env", [])}
        container.setdefault("env", []).extend({"name": k, "value": v} for k, v in env.items() if k not in present)
    meta = release["metadata"]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": meta["namespace"],
            "labels": {labels.RELEASE: meta["name"], labels.MANAGED_BY: labels.MANAGER, "grayrelease.io/inspection": name},
            "ownerReferences": [labels.owner_reference(release)],
        },
        "spec": spec,
    }


def start(release: dict[str, Any], name: str, job_spec: dict[str, Any], env: dict[str, str]) -> None:
    """Creates the Job unless it exists already (idempotent across restarts)."""
    try:
        kube.create(job_manifest(release, name, job_spec, env))
    except kube.Conflict:
        pass  # created by an earlier attempt


def phase_of(job: dict[str, Any] | None) -> tuple[str, str]:
    """(phase, message) of a Job: Running, Succeeded, Failed or Missing."""
    if job is None:
        return "Missing", "the inspection Job does not exist"
    for condition in job.get("status", {}).get("conditions", []) or []:
        if condition.get("status") != "True":
            continue
        if condition.get("type") in ("Complete", "SuccessCriteriaMet"):
            return "Succeeded", "the inspection Job succeeded"
        if condition.get("type") in ("Failed", "FailureTarget"):
            return "Failed", f"the inspection Job failed: {condition.get('reason', '')} {condition.get('message', '')}".strip()
    return "Running", "the inspection Job is running"


def observe(namespace: str, name: str) -> tuple[str, str]:
    return phase_of(kube.get_or_none("batch/v1", "Job", namespace, name))


def delete(namespace: str, name: str) -> None:
    kube.delete("batch/v1", "Job", namespace, name)
