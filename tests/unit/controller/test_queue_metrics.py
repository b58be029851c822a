"""The work queue's depth is visible on /metrics."""

from __future__ import annotations

import asyncio

import prometheus_client

from grayrelease.controller import metrics
from grayrelease.controller.queue import WorkQueue


def _sample(name: str) -> float:
    value = prometheus_client.REGISTRY.get_sample_value(name)
    assert value is not None, name
    return value


def test_queue_depth_and_delayed_looks_are_exported() -> None:
    queue = WorkQueue(lambda key: None, workers=1)
    metrics.track_queue(queue)

    async def fill() -> None:
        queue._ready = asyncio.Queue()  # as run() would, without starting workers
        queue.add(("ns", "a"))
        queue.add(("ns", "a"))  # collapses into the one already queued
        queue.add(("ns", "b"))
        queue.add_after(("ns", "c"), 60)

    asyncio.run(fill())
    assert _sample("grayrelease_workqueue_depth") == 2
    assert _sample("grayrelease_workqueue_delayed") == 1
