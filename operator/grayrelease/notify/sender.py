"""Delivery of notifications: one bounded queue, one daemon thread, one POST per notification.

The reconcile threads only enqueue (never wait); a full queue drops the notification with a
warning rather than holding a release back. Each POST has a bounded timeout and is never
retried, so a notification arrives at most once; failures are logged.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

MAX_QUEUE = 256
USER_AGENT = "grayrelease-notifier"


@dataclass(frozen=True)
class Delivery:
    url: str
    body: dict[str, Any]
    timeout: float


def post(delivery: Delivery) -> int:
    """POSTs one notification; the HTTP status, or raises on a network error or non-2xx answer."""
    request = urllib.request.Request(
        delivery.url, data=json.dumps(delivery.body).encode(), method="POST",
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
    )
    with urllib.request.urlopen(request, timeout=delivery.timeout) as response:  # noqa: S310 - http(s) only, checked by the API
        return int(response.status)


class Sender:
    """A background sender with a bounded queue; ``submit`` never blocks."""

    def __init__(self, *, max_queue: int = MAX_QUEUE) -> None:
        self._queue: queue.Queue[Delivery | None] = queue.Queue(maxsize=max_queue)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.sent = self.failed = self.dropped = 0

    def submit(self, delivery: Delivery) -> bool:
        """Queues ``delivery``; False (and a warning) when the queue is full."""
        self._ensure_thread()
        try:
            self._queue.put_nowait(delivery)
            return True
        except queue.Full:
            self.dropped += 1
            log.warning("notification queue full (%d): dropped a notification for %s", self._queue.maxsize,
                        delivery.body.get("grayrelease", {}).get("name"))
            return False

    def flush(self, timeout: float = 10.0) -> bool:
        """Waits until everything queued so far was attempted (tests and shutdown)."""
        done = threading.Event()
        threading.Thread(target=lambda: (self._queue.join(), done.set()), daemon=True).start()
        return done.wait(timeout)

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="grayrelease-notify", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            delivery = self._queue.get()
            try:
                if delivery is None:
                    return
                code = post(delivery)
                self.sent += 1
                log.debug("notification sent to %s: HTTP %d", _redact(delivery.url), code)
            except Exception as error:  # noqa: BLE001 - a notification is a report, never a step of the release
                self.failed += 1
                log.warning("notification to %s failed: %s", _redact(delivery.url), error)
            finally:
                self._queue.task_done()


def _redact(url: str) -> str:
    """Scheme and host only: incoming-webhook URLs carry their secret in the path."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…"
