"""Traffic simulator for the demo and the e2e tests: pods do not run under kwok, so this
process plays their part on the wire that Prometheus sees.

Every tick it reads the real routing state from the API server (the stable, canary and baseline
Deployments' ready pods and the HTTPRoute backend weights of each GrayRelease), splits a
steady request rate between the sides accordingly, and decides each side's errors and
latencies from a per-revision model set by annotations on the pod template:

    sim.grayrelease.io/error-ratio: "0.2"    # fraction of requests answered 5xx (default 0.001)
    sim.grayrelease.io/latency-ms: "120"     # median latency (default 50; log-normal spread)

It serves what a real service's instrumentation would on /metrics, and what kube-state-metrics
would of the Deployments' ready pods (so a query can divide a side's requests by its pods), and
registers itself as a file-based Prometheus target:

    http_requests_total{namespace, app, role, revision, code}
    http_request_duration_seconds_bucket{namespace, app, role, revision, le}
    kube_deployment_status_replicas_ready{namespace, deployment}

Only loopback is used: the API server through the kubeconfig, and the /metrics listener.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import kubernetes
import numpy as np
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

log = logging.getLogger("simulator")

ERROR_RATIO = "sim.grayrelease.io/error-ratio"
LATENCY_MS = "sim.grayrelease.io/latency-ms"
REVISION = "grayrelease.io/revision"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 2.5, 5.0)


class Model:
    """The simulated services' metrics, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        labels = ["namespace", "app", "role", "revision"]
        self.requests = Counter("http_requests", "Requests served, by answer code.", [*labels, "code"],
                                registry=self.registry)
        self.latency = Histogram("http_request_duration_seconds", "Request latency.", labels,
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self.ready = Gauge("kube_deployment_status_replicas_ready", "Ready pods of a Deployment (as kube-state-metrics).",
                           ["namespace", "deployment"], registry=self.registry)


def _side(deployment: dict[str, Any] | None) -> dict[str, Any] | None:
    if not deployment:
        return None
    template = deployment["spec"]["template"]
    annotations = template.get("metadata", {}).get("annotations", {}) or {}
    return {
        "ready": int((deployment.get("status") or {}).get("readyReplicas") or 0),
        "revision": template.get("metadata", {}).get("labels", {}).get(REVISION, "unknown"),
        "error_ratio": float(annotations.get(ERROR_RATIO, 0.001)),
        "latency": float(annotations.get(LATENCY_MS, 50)) / 1000.0,
    }


ROLES = ("stable", "canary", "baseline")


def _route_shares(route: dict[str, Any] | None, release: str) -> dict[str, float] | None:
    """Each role's share of the first rule that routes to the release's stable Service."""
    if not route:
        return None
    for rule in route.get("spec", {}).get("rules", []):
        weights = {r.get("name"): int(r.get("weight", 1)) for r in rule.get("backendRefs") or []}
        if f"{release}-stable" in weights:
            per_role = {role: weights.get(f"{release}-{role}", 0) for role in ROLES}
            total = sum(per_role.values())
            return {role: weight / total if total else 0.0 for role, weight in per_role.items()}
    return None


class Simulator:
    def __init__(self, namespaces: list[str], rps: float, tick: float, seed: int) -> None:
        kubernetes.config.load_kube_config()
        self.custom = kubernetes.client.CustomObjectsApi()
        self.apps = kubernetes.client.AppsV1Api()
        self.namespaces = namespaces
        self.rps = rps
        self.tick = tick
        self.model = Model()
        self.rng = np.random.default_rng(seed)

    def _releases(self) -> list[dict[str, Any]]:
        if self.namespaces:
            out = []
            for ns in self.namespaces:
                out += self.custom.list_namespaced_custom_object("grayrelease.io", "v1alpha1", ns, "grayreleases")["items"]
            return out
        return self.custom.list_cluster_custom_object("grayrelease.io", "v1alpha1", "grayreleases")["items"]

    def _deployments(self) -> dict[tuple[str, str], dict[str, Any]]:
        items = self.apps.list_deployment_for_all_namespaces(label_selector="app.kubernetes.io/managed-by=grayrelease").items
        api = kubernetes.client.ApiClient()
        return {(d.metadata.namespace, d.metadata.name): api.sanitize_for_serialization(d) for d in items}

    def _route(self, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            return self.custom.get_namespaced_custom_object("gateway.networking.k8s.io", "v1", namespace, "httproutes", name)
        except kubernetes.client.ApiException:
            return None

    def step(self, dt: float) -> None:
        deployments = self._deployments()
        for (ns, deployment), body in deployments.items():
            self.model.ready.labels(namespace=ns, deployment=deployment).set((body.get("status") or {}).get("readyReplicas") or 0)
        for release in self._releases():
            ns, name = release["metadata"]["namespace"], release["metadata"]["name"]
            sides = {role: _side(deployments.get((ns, f"{name}-{role}"))) for role in ROLES}
            ready = {role: side["ready"] if side else 0 for role, side in sides.items()}
            if sum(ready.values()) == 0:
                continue
            routing = (release["spec"].get("trafficRouting") or {}).get("gatewayAPI")
            shares = _route_shares(self._route(ns, routing["httpRoute"]), name) if routing else None
            if shares is None:  # the user's Service spreads requests over every ready pod
                shares = {role: n / sum(ready.values()) for role, n in ready.items()}
            # a role with no ready pod answers nothing: its share goes to the stable
            served = {role: share if ready[role] else 0.0 for role, share in shares.items() if role != "stable"}
            served["stable"] = max(0.0, 1.0 - sum(served.values()))
            counts = self.rng.multinomial(self.rng.poisson(self.rps * dt), [served[role] for role in ROLES])
            for role, n in zip(ROLES, counts):
                side = sides[role]
                if side is None or n <= 0 or side["ready"] == 0:
                    continue
                errors = int(self.rng.binomial(n, min(max(side["error_ratio"], 0.0), 1.0)))
                labels = {"namespace": ns, "app": name, "role": role, "revision": side["revision"]}
                self.model.requests.labels(**labels, code="200").inc(n - errors)
                if errors:
                    self.model.requests.labels(**labels, code="500").inc(errors)
                latencies = self.rng.lognormal(math.log(side["latency"]), 0.25, size=n)
                histogram = self.model.latency.labels(**labels)
                for value in latencies:
                    histogram.observe(float(value))

    def run(self, stop: threading.Event) -> None:
        last = time.monotonic()
        while not stop.wait(self.tick):
            now = time.monotonic()
            try:
                self.step(now - last)
            except Exception as error:  # noqa: BLE001 - keep simulating through API hiccups
                log.warning("tick failed: %s", error)
            last = now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="/metrics port on 127.0.0.1 (0: any free one)")
    parser.add_argument("--rps", type=float, default=200.0, help="requests per second per release")
    parser.add_argument("--tick", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-n", "--namespace", action="append", default=[])
    parser.add_argument("--targets-file", type=Path, help="write a Prometheus file_sd target for this process here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    simulator = Simulator(args.namespace, args.rps, args.tick, args.seed)
    server, _ = start_http_server(args.port, addr="127.0.0.1", registry=simulator.model.registry)
    port = server.server_address[1]
    if args.targets_file:
        tmp = args.targets_file.with_suffix(".tmp")
        tmp.write_text(json.dumps([{"targets": [f"127.0.0.1:{port}"], "labels": {"job": "simulator"}}]))
        tmp.rename(args.targets_file)
    log.info("serving /metrics on 127.0.0.1:%d (pid %d)", port, os.getpid())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        simulator.run(stop)
    finally:
        if args.targets_file:
            args.targets_file.unlink(missing_ok=True)
        server.shutdown()


if __name__ == "__main__":
    main()
