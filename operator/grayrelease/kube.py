"""The one Kubernetes API client of the operator's I/O layers (workloads, traffic, inspect, controller).

One pooled ``kubernetes.client.ApiClient`` per process: every call shares its connection pool,
and every call is counted (``API_CALLS``) so benchmarks can report API traffic per release.
Objects the operator owns are written with server-side apply under the field manager
``grayrelease``, so a repeated apply is a no-op and fields other managers own are left alone.
The engine and the API models never import this module (import-linter enforces it).
"""

from __future__ import annotations

import collections
import json
import threading
from typing import Any

import kubernetes
from kubernetes.client.exceptions import ApiException

FIELD_MANAGER = "grayrelease"

# (apiVersion, kind) -> (path prefix, plural). Only what the operator touches.
_RESOURCES: dict[tuple[str, str], tuple[str, str]] = {
    ("apps/v1", "Deployment"): ("/apis/apps/v1", "deployments"),
    ("v1", "Service"): ("/api/v1", "services"),
    ("v1", "Event"): ("/api/v1", "events"),
    ("v1", "Pod"): ("/api/v1", "pods"),
    ("batch/v1", "Job"): ("/apis/batch/v1", "jobs"),
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): ("/apis/gateway.networking.k8s.io/v1", "httproutes"),
    ("grayrelease.io/v1alpha1", "GrayRelease"): ("/apis/grayrelease.io/v1alpha1", "grayreleases"),
    ("coordination.k8s.io/v1", "Lease"): ("/apis/coordination.k8s.io/v1", "leases"),
}

API_CALLS: collections.Counter[str] = collections.Counter()
_lock = threading.Lock()
_client: kubernetes.client.ApiClient | None = None
# Set by ``configure`` (kubectl's --kubeconfig and --context); None: in-cluster, then KUBECONFIG.
_kubeconfig: str | None = None
_context: str | None = None
_configured = False


class NotFound(Exception):
    """The object does not exist (HTTP 404)."""


class Conflict(Exception):
    """The object changed since it was read (HTTP 409); read again and retry."""


def configure(kubeconfig: str | None = None, context: str | None = None) -> None:
    """Use this kubeconfig file and context (as kubectl's flags do) for the next ``client()``.

    Called before the first API call, e.g. by ``kubectl gray``; an explicit choice skips the
    in-cluster credentials, which a person at a terminal never means.
    """
    global _client, _kubeconfig, _context, _configured
    with _lock:
        _kubeconfig, _context, _configured, _client = kubeconfig, context, True, None


def client() -> kubernetes.client.ApiClient:
    """The shared API client: in-cluster credentials when running in a pod, else KUBECONFIG."""
    global _client
    with _lock:
        if _client is None:
            try:
                if _configured:
                    raise kubernetes.config.ConfigException("kubeconfig chosen by configure()")
                kubernetes.config.load_incluster_config()
            except kubernetes.config.ConfigException:
                kubernetes.config.load_kube_config(config_file=_kubeconfig, context=_context)
            configuration = kubernetes.client.Configuration.get_default_copy()
            configuration.connection_pool_maxsize = 32
            _client = kubernetes.client.ApiClient(configuration)
        return _client


def path(api_version: str, kind: str, namespace: str | None, name: str | None = None, subresource: str | None = None) -> str:
    prefix, plural = _RESOURCES[(api_version, kind)]
    out = prefix + (f"/namespaces/{namespace}" if namespace else "") + f"/{plural}"
    if name:
        out += f"/{name}"
    if subresource:
        out += f"/{subresource}"
    return out


def request(method: str, url: str, body: Any = None, *, content_type: str = "application/json",
            query: list[tuple[str, Any]] | None = None, timeout: float = 30) -> dict[str, Any]:
    """One API call; JSON in, JSON out. Raises NotFound, Conflict or ApiException."""
    API_CALLS[method] += 1
    api = client()
    headers = {"Accept": "application/json", "Content-Type": content_type}
    method_, full_url, headers, body_, post = api.param_serialize(
        method, url, query_params=query or [], header_params=headers, body=body, auth_settings=["BearerToken"],
    )
    response = api.call_api(method_, full_url, header_params=headers, body=body_, post_params=post,
                            _request_timeout=timeout)
    response.read()
    if response.status == 404:
        raise NotFound(url)
    if response.status == 409:
        raise Conflict(url)
    if response.status >= 400:
        raise ApiException(status=response.status, reason=response.reason, http_resp=response)
    return json.loads(response.data) if response.data else {}


def get(api_version: str, kind: str, namespace: str, name: str) -> dict[str, Any]:
    return request("GET", path(api_version, kind, namespace, name))


def get_or_none(api_version: str, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
    try:
        return get(api_version, kind, namespace, name)
    except NotFound:
        return None


def apply(obj: dict[str, Any]) -> dict[str, Any]:
    """Server-side apply of an object the operator owns (force: the operator is its only writer)."""
    meta = obj["metadata"]
    url = path(obj["apiVersion"], obj["kind"], meta.get("namespace"), meta["name"])
    return request("PATCH", url, obj, content_type="application/apply-patch+yaml",
                   query=[("fieldManager", FIELD_MANAGER), ("force", "true")])


def patch(api_version: str, kind: str, namespace: str, name: str, body: Any, *,
          subresource: str | None = None, merge: str = "merge") -> dict[str, Any]:
    """A merge patch (``merge="merge"``) or JSON patch (``merge="json"``)."""
    content_type = {"merge": "application/merge-patch+json", "json": "application/json-patch+json"}[merge]
    return request("PATCH", path(api_version, kind, namespace, name, subresource), body, content_type=content_type,
                   query=[("fieldManager", FIELD_MANAGER)])


def create(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj["metadata"]
    return request("POST", path(obj["apiVersion"], obj["kind"], meta.get("namespace")), obj)


def delete(api_version: str, kind: str, namespace: str, name: str, *, propagation: str = "Background") -> None:
    try:
        request("DELETE", path(api_version, kind, namespace, name), {"propagationPolicy": propagation})
    except NotFound:
        pass
