"""The API calls of ``kubectl gray``, through the operator's shared client in ``grayrelease.kube``.

Like kubectl, the plugin honours ``--kubeconfig`` (else ``KUBECONFIG``), ``--context`` and the
context's namespace. A person's writes go out under the field manager ``kubectl-gray`` so
``managedFields`` tells them apart from the operator's.
"""

from __future__ import annotations

import getpass
import json
import os
from typing import Any

import kubernetes
from kubernetes.client.exceptions import ApiException

from grayrelease import kube, labels
from grayrelease.api import API_VERSION, KIND
from grayrelease.cli.gray_resource import Release, Workload, parse_release
from grayrelease.workloads import pods

FIELD_MANAGER = "kubectl-gray"


class CliError(Exception):
    """A failure to report in one line and exit 1 (no traceback)."""


def connect(kubeconfig: str | None, context: str | None) -> None:
    kube.configure(kubeconfig=kubeconfig, context=context)


def _context(kubeconfig: str | None, context: str | None) -> dict[str, Any]:
    try:
        contexts, active = kubernetes.config.list_kube_config_contexts(config_file=kubeconfig)
    except (kubernetes.config.ConfigException, OSError, TypeError):
        return {}
    chosen = next((c for c in contexts if c.get("name") == context), None) if context else active
    return (chosen or {}).get("context") or {}


def default_namespace(kubeconfig: str | None, context: str | None) -> str:
    """The context's namespace, as kubectl does; ``default`` when it sets none."""
    return _context(kubeconfig, context).get("namespace") or "default"


def requester(kubeconfig: str | None, context: str | None) -> str:
    """Who asks: the kubeconfig user of the context, else the login name."""
    user = _context(kubeconfig, context).get("user")
    if user:
        return str(user)
    try:
        return os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _call(method: str, url: str, body: Any = None, *, content_type: str = "application/json",
          query: list[tuple[str, Any]] | None = None) -> dict[str, Any]:
    try:
        return kube.request(method, url, body, content_type=content_type, query=query)
    except kube.Conflict as error:
        raise CliError("the GrayRelease changed while this command ran; run it again") from error
    except ApiException as error:
        raise CliError(f"Error from server ({error.reason}): {_server_message(error)}") from error
    except kubernetes.config.ConfigException as error:
        raise CliError(f"cannot load kubeconfig: {error}") from error
    except OSError as error:
        raise CliError(f"cannot reach the API server: {error}") from error


def _server_message(error: ApiException) -> str:
    try:
        return json.loads(error.body).get("message", error.body)
    except (TypeError, ValueError, AttributeError):
        return str(error.body or error.reason)


def get_raw(namespace: str, name: str) -> dict[str, Any]:
    try:
        return _call("GET", kube.path(API_VERSION, KIND, namespace, name))
    except kube.NotFound as error:
        raise CliError(f'grayrelease "{name}" not found in namespace "{namespace}"') from error


def list_raw(namespace: str | None) -> list[dict[str, Any]]:
    """All GrayReleases of ``namespace`` (None: every namespace)."""
    try:
        return _call("GET", kube.path(API_VERSION, KIND, namespace)).get("items", [])
    except kube.NotFound as error:
        raise CliError("the GrayRelease CRD is not installed in this cluster") from error


def deployment(namespace: str, name: str) -> dict[str, Any] | None:
    try:
        return _call("GET", kube.path("apps/v1", "Deployment", namespace, name))
    except kube.NotFound:
        return None


def release_deployments(namespace: str | None) -> list[dict[str, Any]]:
    """Every Deployment a GrayRelease owns in ``namespace`` (None: all), in one call."""
    query = [("labelSelector", "grayrelease.io/release")]
    return _call("GET", kube.path("apps/v1", "Deployment", namespace), query=query).get("items", [])


def canary_pods(namespace: str, name: str) -> list[dict[str, Any]]:
    """The release's canary pods, as the operator watches them; none where this user may not list pods."""
    query = [("labelSelector", f"{labels.RELEASE}={name},{labels.ROLE}=canary")]
    try:
        return kube.request("GET", kube.path("v1", "Pod", namespace), query=query).get("items", [])
    except ApiException as error:
        if error.status in (401, 403):
            return []  # the release reads well enough without them
        raise CliError(f"Error from server ({error.reason}): {_server_message(error)}") from error
    except OSError as error:
        raise CliError(f"cannot reach the API server: {error}") from error


def read(namespace: str, name: str) -> Release:
    """The release with its stable and canary Deployments (and its baseline, where it compares with one)."""
    raw = get_raw(namespace, name)
    model = parse_release(raw)
    stable = deployment(namespace, f"{name}-stable")
    canary = deployment(namespace, f"{name}-canary")
    baseline = deployment(namespace, f"{name}-baseline") if model.spec.uses_baseline else None
    canary_workload = Workload.from_deployment(canary) if canary else None
    # A canary scaled to zero (a steady release) has no pods to show: no call, also at each --watch frame.
    trouble = (pods.canary_trouble(canary_pods(namespace, name), model.status.canary_revision)
               if canary_workload and canary_workload.desired > 0 else pods.CanaryTrouble())
    return Release(
        raw=raw, model=model,
        stable=Workload.from_deployment(stable) if stable else None,
        canary=canary_workload,
        stable_deployment=stable,
        baseline=Workload.from_deployment(baseline) if baseline else None,
        canary_trouble=trouble,
    )


def patch_status(namespace: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
    """A JSON merge patch on the status subresource: how people's commands reach the operator."""
    try:
        return _call("PATCH", kube.path(API_VERSION, KIND, namespace, name, "status"), body,
                     content_type="application/merge-patch+json", query=[("fieldManager", FIELD_MANAGER)])
    except kube.NotFound as error:
        raise CliError(f'grayrelease "{name}" not found in namespace "{namespace}"') from error


def patch_spec(namespace: str, name: str, operations: list[dict[str, Any]]) -> dict[str, Any]:
    """A JSON patch of the resource (a person's change of spec, as ``kubectl edit`` would make)."""
    try:
        return _call("PATCH", kube.path(API_VERSION, KIND, namespace, name), operations,
                     content_type="application/json-patch+json", query=[("fieldManager", FIELD_MANAGER)])
    except kube.NotFound as error:
        raise CliError(f'grayrelease "{name}" not found in namespace "{namespace}"') from error
