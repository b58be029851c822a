"""The controller's entry point: ``emit`` one Event as notifications to whoever asked for it.

Two kinds of receivers: the cluster-wide webhook (``grayrelease run --notify-webhook`` or
``GRAYRELEASE_NOTIFY_WEBHOOK``, the default events of every release) and a release's own
``spec.notifications.webhook`` (its chosen events). Both get the same body. A small memory of
recent notifications keeps an Event re-emitted after a lost status patch from being sent twice.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from grayrelease.api.spec import DEFAULT_NOTIFICATION_EVENTS, GrayReleaseSpec
from grayrelease.notify import payload
from grayrelease.notify.sender import Delivery, Sender

log = logging.getLogger(__name__)

ENV = "GRAYRELEASE_NOTIFY_WEBHOOK"
CLUSTER_TIMEOUT = 5.0
RECENT = 1024

_cluster_url: str | None = None
_sender = Sender()
_recent: OrderedDict[tuple[str, str, str], None] = OrderedDict()
_recent_lock = threading.Lock()


def configure(*, webhook: str | None = None) -> None:
    """Sets the cluster-wide webhook: ``webhook``, else $GRAYRELEASE_NOTIFY_WEBHOOK, else none."""
    global _cluster_url  # noqa: PLW0603 - one process-wide setting, set once at start
    url = webhook or os.environ.get(ENV) or None
    if url and not url.startswith(("http://", "https://")):
        raise ValueError(f"the notification webhook must start with http:// or https://, not {url[:20]!r}")
    _cluster_url = url


def _first_time(key: tuple[str, str, str]) -> bool:
    with _recent_lock:
        if key in _recent:
            return False
        _recent[key] = None
        while len(_recent) > RECENT:
            _recent.popitem(last=False)
        return True


def deliveries(body: dict[str, Any], spec: GrayReleaseSpec, type_: str, reason: str, message: str,
               now: datetime, cluster_url: str | None) -> list[Delivery]:
    """Who gets this Event, and what (pure: the rules the tests check)."""
    event = payload.classify(reason, spec, body.get("status") or {})
    if event is None:
        return []
    out: list[Delivery] = []
    content: dict[str, Any] | None = None
    targets: list[tuple[str, float, list[Any]]] = []
    if cluster_url:
        targets.append((cluster_url, CLUSTER_TIMEOUT, list(DEFAULT_NOTIFICATION_EVENTS)))
    own = spec.notifications.webhook if spec.notifications else None
    if own is not None:
        targets.append((own.url, float(own.timeout_seconds), list(own.events)))
    for url, timeout, events in targets:
        if event not in events or any(d.url == url for d in out):
            continue
        content = content or payload.build(event=event, body=body, type_=type_, reason=reason, message=message,
                                           when=now)
        out.append(Delivery(url=url, body=content, timeout=timeout))
    return out


def emit(body: dict[str, Any], spec: GrayReleaseSpec, type_: str, reason: str, message: str) -> None:
    """Queues the notifications of one Event; never raises, never waits for the network."""
    try:
        uid = body["metadata"].get("uid") or body["metadata"]["name"]
        found = deliveries(body, spec, type_, reason, message, datetime.now(UTC), _cluster_url)
        if found and _first_time((uid, reason, message)):
            for delivery in found:
                _sender.submit(delivery)
    except Exception as error:  # noqa: BLE001 - notifications must never break a reconcile
        log.warning("could not notify %s: %s", reason, error)


def flush(timeout: float = 10.0) -> bool:
    return _sender.flush(timeout)
