"""``grayrelease replay --from-prometheus`` against a real Prometheus scraping a real exporter.

A small exporter serves a latency gauge per revision; for the first part of the window the
canary is as fast as stable, then 60% slower. Replaying the good part must promote, replaying
the whole window must roll back, and the saved scenario must hold what Prometheus recorded.
"""

from __future__ import annotations

import json
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Gauge, start_http_server

pytestmark = pytest.mark.e2e

GOOD_SECONDS = 14
BAD_SECONDS = 14


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def exporter() -> Iterator[dict]:
    """Serves e2e_latency_seconds{revision=stable|canary}; ``state["canary_factor"]`` slows the canary."""
    registry = CollectorRegistry()
    gauge = Gauge("e2e_latency_seconds", "p99 latency per revision", ["revision"], registry=registry)
    port = _free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    state = {"canary_factor": 1.0, "port": port, "running": True}
    rng = random.Random(5)

    def update() -> None:
        while state["running"]:
            gauge.labels(revision="stable").set(0.2 * (1 + rng.gauss(0, 0.02)))
            gauge.labels(revision="canary").set(0.2 * state["canary_factor"] * (1 + rng.gauss(0, 0.02)))
            time.sleep(0.25)

    updater = threading.Thread(target=update, daemon=True)
    updater.start()
    yield state
    state["running"] = False
    server.shutdown()


def _replay(url: str, job: str, start: int, end: int, save: Path) -> dict:
    selector = f'e2e_latency_seconds{{job="{job}",revision="%s"}}'
    argv = [
        sys.executable, "-m", "grayrelease.cli.main", "replay",
        "--from-prometheus", url,
        "--start", str(start), "--end", str(end), "--interval", "1s",
        "--metric", "latency=latency",
        "--stable", f"latency={selector % 'stable'}",
        "--canary", f"latency={selector % 'canary'}",
        "--name", save.stem, "--save", str(save), "--json",
    ]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_replay_from_prometheus(prometheus, exporter, tmp_path: Path) -> None:
    job = f"replay-{uuid.uuid4().hex[:8]}"
    prometheus.add_target(job, f"127.0.0.1:{exporter['port']}")
    deadline = time.monotonic() + 60
    while len(prometheus.query(f'e2e_latency_seconds{{job="{job}"}}')) < 2:
        assert time.monotonic() < deadline, "Prometheus never scraped the exporter"
        time.sleep(0.5)

    start = int(time.time()) + 1
    time.sleep(GOOD_SECONDS)
    onset = int(time.time()) + 1
    exporter["canary_factor"] = 1.6
    time.sleep(BAD_SECONDS)
    end = int(time.time()) - 1

    good = _replay(prometheus.url, job, start, onset - 1, tmp_path / "good.json")
    assert [s["verdict"] for s in good["scenarios"]] == ["promote"]

    whole = _replay(prometheus.url, job, start, end, tmp_path / "whole.json")
    [outcome] = whole["scenarios"]
    assert outcome["verdict"] == "rollback"
    assert outcome["decided_index"] >= onset - start
    print(f"\n[figure] replayed 60% latency regression caught {outcome['decided_index'] - (onset - start) + 1} "
          f"intervals of 1s after onset")

    saved = json.loads((tmp_path / "whole.json").read_text())
    metric = saved["metrics"][0]
    assert saved["format"] == "grayrelease.scenario/v1" and saved["interval_seconds"] == 1
    assert len(metric["stable"]) == len(metric["canary"]) == end - start + 1
    recorded = [v for v in metric["canary"] if v is not None]
    assert len(recorded) >= len(metric["canary"]) - 2
    assert min(recorded) == pytest.approx(0.2, rel=0.1) and max(recorded) == pytest.approx(0.32, rel=0.1)
