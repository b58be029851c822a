"""Captured GrayRelease objects and Deployments for the ``kubectl gray`` view tests (no cluster)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

NOW = datetime(2025, 3, 1, 12, 10, tzinfo=UTC)

SPEC: dict[str, Any] = {
    "replicas": 4,
    "selector": {"matchLabels": {"app": "checkout"}},
    "template": {
        "metadata": {"labels": {"app": "checkout"}},
        "spec": {"containers": [{"name": "app", "image": "example.com/checkout:2"}]},
    },
    "service": {"name": "checkout", "port": 80},
    "strategy": {"steps": [
        {"setWeight": 25}, {"pause": {}}, {"analysis": {"metrics": ["error-rate"], "count": 3}},
        {"setWeight": 50}, {"pause": {"duration": "30s"}},
    ]},
    "analysis": {"interval": "30s", "metrics": [
        {"name": "error-rate", "provider": {"prometheus": {"address": "http://prom:9090"}},
         "query": "sum(rate(errors[1m]))", "successCondition": "result < 0.01"},
        {"name": "latency", "provider": {"prometheus": {"address": "http://prom:9090"}},
         "query": "histogram_quantile(0.99, x)", "compare": {"against": "stable"}},
    ]},
}

# What the operator writes while a release waits at the manual gate (step 2 of 5).
PAUSED_STATUS: dict[str, Any] = {
    "phase": "Paused",
    "observedGeneration": 2,
    "currentStepIndex": 1,
    "canaryWeight": 25,
    "stableRevision": "7c9f12ab34",
    "canaryRevision": "5d2a99ee01",
    "pauseReason": "PauseStep",
    "releaseStartedAt": "2025-03-01T12:00:00Z",
    "message": "step 2/5 (pause): waiting for kubectl gray promote",
    "conditions": [
        {"type": "Available", "status": "True", "reason": "EnoughReplicasAvailable", "message": "4/4 available",
         "lastTransitionTime": "2025-03-01T11:00:00Z"},
        {"type": "AnalysisPassing", "status": "False", "reason": "AnalysisInconclusive",
         "message": "latency: no data, query returned no series", "lastTransitionTime": "2025-03-01T12:08:00Z"},
        {"type": "Paused", "status": "True", "reason": "PauseStep", "message": "waiting for promote",
         "lastTransitionTime": "2025-03-01T12:05:00Z"},
    ],
    "analysis": {
        "error-rate": {"phase": "Successful", "lastValue": 0.0023, "lastMeasuredAt": "2025-03-01T12:09:40Z",
                       "successes": 9, "failures": 0, "inconclusives": 0, "consecutiveErrors": 0,
                       "measurements": [{"value": 0.0023, "phase": "Successful", "time": "2025-03-01T12:09:40Z"}]},
        "latency": {"phase": "Inconclusive", "lastMeasuredAt": "2025-03-01T12:09:50Z", "successes": 3,
                    "inconclusives": 1, "measurements": [
                        {"phase": "Inconclusive", "time": "2025-03-01T12:09:50Z",
                         "message": "query returned no series"}]},
    },
    "inspection": {"step": 1, "name": "smoke-1-5d2a", "phase": "Running", "message": "job started"},
    "lastHandledCommand": {"action": "pause", "requestedAt": "2025-03-01T12:04:00Z", "requestedBy": "bob"},
}


def deployment(role: str, revision: str, image: str, desired: int, ready: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": f"checkout-{role}", "namespace": "shop",
                     "labels": {"grayrelease.io/release": "checkout", "grayrelease.io/role": role}},
        "spec": {"replicas": desired, "template": {
            "metadata": {"labels": {"app": "checkout", "grayrelease.io/role": role,
                                    "grayrelease.io/revision": revision, "grayrelease.io/release": "checkout"},
                         "annotations": {"grayrelease.io/revision": revision}},
            "spec": {"containers": [{"name": "app", "image": image, "imagePullPolicy": "IfNotPresent",
                                     "terminationMessagePath": "/dev/termination-log",
                                     "terminationMessagePolicy": "File", "resources": {}}],
                     "restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler",
                     "securityContext": {}, "terminationGracePeriodSeconds": 30}}},
        "status": {"replicas": desired, "readyReplicas": ready, "availableReplicas": ready, "updatedReplicas": desired},
    }


def release_object(status: dict[str, Any] | None, spec: dict[str, Any] | None = None,
                   generation: int = 2) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "grayrelease.io/v1alpha1", "kind": "GrayRelease",
        "metadata": {"name": "checkout", "namespace": "shop", "generation": generation,
                     "creationTimestamp": "2025-03-01T11:00:00Z"},
        "spec": copy.deepcopy(spec or SPEC),
    }
    if status is not None:
        obj["status"] = copy.deepcopy(status)
    return obj
