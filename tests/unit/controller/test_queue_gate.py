"""The work queue reconciles only while its ``leading`` gate is open (a standby keeps keys queued)."""

from __future__ import annotations

import asyncio

from grayrelease.controller.queue import WorkQueue


def test_a_standby_queue_holds_keys_until_it_leads() -> None:
    done: list[tuple[str, str]] = []

    async def scenario() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        queue = WorkQueue(lambda key: done.append(key) and None, workers=2)
        queue.leading.clear()
        stopped = asyncio.Event()
        task = asyncio.create_task(queue.run(stopped))
        await asyncio.sleep(0)
        queue.add(("ns", "a"))
        queue.add(("ns", "b"))
        await asyncio.sleep(0.1)
        while_standby = list(done)
        queue.leading.set()
        for _ in range(100):
            if len(done) == 2:
                break
            await asyncio.sleep(0.01)
        stopped.set()
        await task
        return while_standby, sorted(done)

    standby, leading = asyncio.run(scenario())
    assert standby == []
    assert leading == [("ns", "a"), ("ns", "b")]
