"""What people ask of a release, decided before anything is written: pure functions, no API calls.

Two kinds of request. Commands (promote, abort, retry, pause, resume) go into
``status.command`` for the operator to act on, and are refused here when the current phase makes
them meaningless, so a person learns at once rather than from a CommandIgnored Event.
Spec changes (``undo``, ``set image``) are a person's edit of ``spec.template``, exactly as
if they had edited the manifest: the operator then releases the new template as usual.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from grayrelease.api.status import CommandAction, Phase
from grayrelease.cli.gray_resource import OPERATOR_LABELS, REVISION_ANNOTATION, Release
from grayrelease.cli.gray_tree import in_release
from grayrelease.workloads.revision import template_revision

_STEP_PHASES = frozenset({Phase.PROGRESSING, Phase.PAUSED})


class Refused(Exception):
    """The request makes no sense for the release as it is now; the message says why."""


def check_command(action: CommandAction, release: Release) -> None:
    """Raises ``Refused`` unless ``action`` can do something in the release's current phase."""
    phase, status = release.phase, release.model.status
    steps = len(release.model.spec.strategy.steps)
    name = f'grayrelease "{release.name}"'
    if action is CommandAction.RETRY:
        if phase not in (Phase.ROLLED_BACK, Phase.ABORTED):
            raise Refused(f"{name} is {phase}: only a rolled-back or aborted release can be retried")
        return
    if phase not in _STEP_PHASES or not in_release(release):
        what = "no release is in progress" if phase in _STEP_PHASES else f"it is {phase}"
        raise Refused(f"{name}: cannot {action.value}, {what}")
    if status.current_step_index >= steps:
        raise Refused(f"{name} is already being promoted: nothing to {action.value}")
    if action is CommandAction.PAUSE and phase == Phase.PAUSED:
        raise Refused(f"{name} is already paused ({status.pause_reason or 'paused'})")
    if action is CommandAction.RESUME and phase != Phase.PAUSED:
        raise Refused(f"{name} is not paused")


def command_patch(action: CommandAction, requested_by: str, now: datetime | None = None) -> dict[str, Any]:
    """The JSON merge patch of the status subresource that asks the operator for ``action``."""
    when = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"status": {"command": {"action": action.value, "requestedAt": when, "requestedBy": requested_by}}}


# --- undo -------------------------------------------------------------------------------------

# Fields the API server fills into every pod template it stores. The stable Deployment's template
# carries them, the manifest a person wrote usually does not, and the revision hash sees the
# difference; dropping them (only where they hold the default) gives back what was written.
_POD_DEFAULTS: dict[str, Any] = {
    "restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler",
    "securityContext": {}, "terminationGracePeriodSeconds": 30,
}
_CONTAINER_DEFAULTS: dict[str, Any] = {
    "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File", "resources": {},
}
_PROBE_DEFAULTS: dict[str, Any] = {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1,
                                   "failureThreshold": 3}


def _default_pull_policy(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    if "@" in last:
        return "IfNotPresent"
    return "Always" if ":" not in last or last.endswith(":latest") else "IfNotPresent"


def _drop_defaults(template: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(template)
    meta = out.get("metadata", {})
    if meta.get("creationTimestamp") is None:
        meta.pop("creationTimestamp", None)
    spec = out.get("spec", {})
    for key, value in _POD_DEFAULTS.items():
        if spec.get(key) == value:
            spec.pop(key)
    for container in [*spec.get("initContainers", []), *spec.get("containers", [])]:
        for key, value in _CONTAINER_DEFAULTS.items():
            if container.get(key) == value:
                container.pop(key)
        if container.get("imagePullPolicy") == _default_pull_policy(container.get("image", "")):
            container.pop("imagePullPolicy")
        for port in container.get("ports", []):
            if port.get("protocol") == "TCP":
                port.pop("protocol")
        for probe_name in ("livenessProbe", "readinessProbe", "startupProbe"):
            probe = container.get(probe_name) or {}
            for key, value in _PROBE_DEFAULTS.items():
                if probe.get(key) == value:
                    probe.pop(key)
            if (probe.get("httpGet") or {}).get("scheme") == "HTTP":
                probe["httpGet"].pop("scheme")
    return out


def stable_template(release: Release) -> tuple[dict[str, Any], bool]:
    """The stable revision's pod template for ``spec.template``, and whether it hashes to that revision.

    The operator's own labels and annotation are removed (it adds them again); of the two
    candidates, as stored and without the API server's defaults, the one whose hash is the stable
    revision wins, so the operator sees "back to stable" rather than a new revision.
    """
    deployment = release.stable_deployment
    if deployment is None:
        raise Refused(f'grayrelease "{release.name}" has no stable Deployment ({release.name}-stable) to go back to')
    template = copy.deepcopy(deployment.get("spec", {}).get("template", {}))
    meta = template.setdefault("metadata", {})
    for key in OPERATOR_LABELS:
        meta.get("labels", {}).pop(key, None)
    annotations = meta.get("annotations", {})
    annotations.pop(REVISION_ANNOTATION, None)
    if not annotations:
        meta.pop("annotations", None)
    stable = release.model.status.stable_revision
    candidates = [_drop_defaults(template), template]
    for candidate in candidates:
        if template_revision(candidate) == stable:
            return candidate, True
    return candidates[0], False


def undo_operations(release: Release) -> tuple[list[dict[str, Any]], bool]:
    """JSON patch setting ``spec.template`` back to the stable revision's; refused if already there."""
    if release.model.spec.template is None:
        raise Refused(f'grayrelease "{release.name}" adopts a Deployment (workloadRef): undo there instead')
    current = release.raw["spec"].get("template", {})
    if release.model.status.stable_revision and template_revision(current) == release.model.status.stable_revision:
        raise Refused(f'grayrelease "{release.name}" already has the stable revision '
                      f"{release.model.status.stable_revision}: nothing to undo")
    template, exact = stable_template(release)
    return _guarded(release, [{"op": "replace", "path": "/spec/template", "value": template}]), exact


# --- set image --------------------------------------------------------------------------------


def parse_image_pairs(pairs: list[str]) -> dict[str, str]:
    """``["app=img:2", "sidecar=proxy:1"]`` -> mapping; ``*`` means every container."""
    out: dict[str, str] = {}
    for pair in pairs:
        container, sep, image = pair.partition("=")
        if not sep or not container or not image:
            raise Refused(f"expected CONTAINER=IMAGE, got {pair!r}")
        out[container] = image
    return out


def set_image_operations(release: Release, images: dict[str, str]) -> list[dict[str, Any]]:
    """JSON patch replacing the image of the named containers (init containers included)."""
    template = release.raw["spec"].get("template")
    if template is None:
        raise Refused(f'grayrelease "{release.name}" adopts a Deployment (workloadRef): set the image there instead')
    ops: list[dict[str, Any]] = []
    found: set[str] = set()
    pod = template.get("spec", {})
    for field in ("initContainers", "containers"):
        for index, container in enumerate(pod.get(field, [])):
            name = container.get("name")
            image = images.get(name, images.get("*"))
            if image is None:
                continue
            found.add(name)
            if container.get("image") != image:
                ops.append({"op": "replace", "path": f"/spec/template/spec/{field}/{index}/image", "value": image})
    missing = sorted(set(images) - found - {"*"})
    if missing:
        names = ", ".join(c.get("name", "?") for c in pod.get("initContainers", []) + pod.get("containers", []))
        raise Refused(f"no container named {', '.join(missing)} in grayrelease \"{release.name}\" (containers: {names})")
    return _guarded(release, ops) if ops else []


def _guarded(release: Release, ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Prefixes a test of resourceVersion: the patch applies only to the object the decision was made on."""
    version = release.raw.get("metadata", {}).get("resourceVersion")
    guard = [{"op": "test", "path": "/metadata/resourceVersion", "value": version}] if version else []
    return guard + ops
