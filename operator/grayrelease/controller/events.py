"""Kubernetes Events on a GrayRelease: one per decision, visible in `kubectl describe` and `kubectl events`.

Posted with the shared API client from the reconcile threads (kopf's own poster needs its
event loop's context). A failure to post is logged, never fatal: Events are a report, status
is the record.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import UTC, datetime
from typing import Any

from grayrelease import kube

log = logging.getLogger(__name__)
COMPONENT = "grayrelease"
HOST = os.environ.get("POD_NAME") or os.uname().nodename


def post(body: dict[str, Any], type_: str, reason: str, message: str) -> None:
    meta = body["metadata"]
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{meta['name']}.{time.time_ns():x}", "namespace": meta["namespace"]},
        "involvedObject": {"apiVersion": body.get("apiVersion", "grayrelease.io/v1alpha1"),
                           "kind": body.get("kind", "GrayRelease"), "name": meta["name"],
                           "namespace": meta["namespace"], "uid": meta["uid"],
                           "resourceVersion": meta.get("resourceVersion")},
        "type": type_,
        "reason": reason,
        "message": message[:1024],
        "firstTimestamp": now[:19] + "Z",
        "lastTimestamp": now[:19] + "Z",
        "eventTime": now,
        "count": 1,
        "source": {"component": COMPONENT},
        "reportingComponent": COMPONENT,
        "reportingInstance": HOST[:128],
        "action": reason,
    }
    try:
        kube.create(event)
    except Exception as error:  # noqa: BLE001 - an Event is a report, not a step of the release
        log.warning("could not post Event %s on %s/%s: %s", reason, meta["namespace"], meta["name"], error)
