"""Webhook notifications from the real operator to a receiver on loopback, as a chat tool gets them.

The release names the receiver in ``spec.notifications.webhook``; the test reads what arrived.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e import releases as gr
from tests.e2e.harness import Cluster, Prometheus, Process, wait_until


class Receiver:
    """A loopback HTTP server that records every JSON POST."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                body["_received"] = time.time()
                outer.received.append(body)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/team"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self, name: str) -> list[str]:
        return [r["grayrelease"]["event"] for r in self.received if r["grayrelease"]["name"] == name]

    def wait(self, name: str, event: str) -> dict[str, Any]:
        return wait_until(lambda: next((r for r in self.received if r["grayrelease"]["name"] == name
                                        and r["grayrelease"]["event"] == event), None),
                          timeout=60, interval=0.2, what=f"a {event} notification for {name}")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()


def test_manual_gate_and_promotion_are_notified(cluster: Cluster, namespace: str, operator: Process,
                                                receiver: Receiver) -> None:
    steps = [{"setWeight": 50}, {"pause": {}}, {"setWeight": 100}]
    hook = {"notifications": {"webhook": {"url": receiver.url}}}
    cluster.apply(gr.grayrelease("shop", steps=steps, extra_spec=hook), namespace)
    gr.wait_phase(cluster, namespace, "shop", "Succeeded", timeout=60)
    cluster.apply(gr.grayrelease("shop", image="example.com/app:2", steps=steps, extra_spec=hook), namespace)
    gr.wait_phase(cluster, namespace, "shop", "Paused", timeout=60)
    paused = receiver.wait("shop", "paused")
    assert paused["grayrelease"]["namespace"] == namespace
    assert "pause" in paused["text"] and paused["attachments"][0]["color"] == "warning"

    command = {"status": {"command": {"action": "promote", "requestedAt": "2026-01-01T00:00:00Z",
                                      "requestedBy": "e2e"}}}
    asked = time.time()
    cluster.kubectl("patch", "grayrelease", "shop", "-n", namespace, "--subresource=status", "--type=merge",
                    "-p", json.dumps(command))
    done = gr.wait_phase(cluster, namespace, "shop", "Succeeded", timeout=60)
    promoted = receiver.wait("shop", "promoted")
    print(f"\n[figure] promote command -> promoted notification received: {promoted['_received'] - asked:.1f}s")
    assert done["stableRevision"] in promoted["text"]
    assert promoted["attachments"][0]["color"] == "good"
    assert promoted["grayrelease"]["reason"] == "Promoted"
    time.sleep(2)  # anything sent twice would have arrived by now
    assert receiver.events("shop") == ["paused", "promoted"]  # default events only, each once


def test_a_marginal_hold_is_held_not_paused(cluster: Cluster, namespace: str, operator: Process,
                                            prometheus: Prometheus, receiver: Receiver) -> None:
    """A canary held at 25% as marginal notifies ``held`` (it resumes by itself), never ``paused``."""
    analysis = gr.marginal_gauge_analysis(prometheus.url)
    hook = {"notifications": {"webhook": {"url": receiver.url, "events": ["held", "paused", "rolledBack"]}}}
    cluster.apply(gr.grayrelease("cart", steps=gr.MARGINAL_STEPS, analysis=analysis, extra_spec=hook), namespace)
    gr.wait_phase(cluster, namespace, "cart", "Succeeded", timeout=60)
    cluster.apply(gr.grayrelease("cart", image="example.com/app:2", steps=gr.MARGINAL_STEPS, analysis=analysis,
                                 extra_spec=hook), namespace)
    held = receiver.wait("cart", "held")
    assert held["grayrelease"]["reason"] == "AnalysisMarginal" and "paused at weight 25%" in held["text"]
    gr.wait_phase(cluster, namespace, "cart", "RolledBack", timeout=120)
    receiver.wait("cart", "rolledBack")
    assert receiver.events("cart") == ["held", "rolledBack"]


def test_rollback_is_notified(cluster: Cluster, namespace: str, operator: Process, simulator: Process,
                              prometheus: Prometheus, receiver: Receiver) -> None:
    analysis = gr.error_rate_analysis(prometheus.url, threshold=0.05)
    steps = [{"setWeight": 25}, {"pause": {"duration": "60s"}}, {"setWeight": 75}]
    hook = {"notifications": {"webhook": {"url": receiver.url, "events": ["started", "rolledBack"]}}}
    cluster.apply(gr.grayrelease("pay", steps=steps, analysis=analysis, error_ratio=0.001, extra_spec=hook), namespace)
    gr.wait_phase(cluster, namespace, "pay", "Succeeded", timeout=60)
    cluster.apply(gr.grayrelease("pay", image="example.com/app:2", steps=steps, analysis=analysis, error_ratio=0.2,
                                 extra_spec=hook), namespace)
    gr.wait_phase(cluster, namespace, "pay", "RolledBack", timeout=120)
    rolled = receiver.wait("pay", "rolledBack")
    assert "error-rate" in rolled["text"]
    assert rolled["attachments"][0]["color"] == "danger"
    assert rolled["grayrelease"]["type"] == "Warning"
    assert receiver.events("pay") == ["started", "rolledBack"]
