"""The work queue: which GrayRelease to reconcile next, and when.

One asyncio loop, a fixed number of workers and a delay heap, whatever the number of
releases: a key is queued at most once at a time (repeated events collapse into one
reconcile), and a reconcile that asks to be looked at again later is put on the heap
instead of holding a task or a thread. Reconciles run in a small bounded thread pool
because the API client is synchronous.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from grayrelease.controller import metrics
from grayrelease.controller.store import Key

log = logging.getLogger(__name__)

Reconcile = Callable[[Key], float | None]  # returns seconds until the next look, or None


class WorkQueue:
    def __init__(self, reconcile: Reconcile, workers: int = 4) -> None:
        self._reconcile = reconcile
        self._workers = workers
        self._ready: asyncio.Queue[Key] | None = None
        self._queued: set[Key] = set()
        self._running: set[Key] = set()
        self._dirty: set[Key] = set()  # changed while running: run once more right after
        self._heap: list[tuple[float, int, Key]] = []
        self._seq = itertools.count()
        self._wake: asyncio.Event | None = None
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reconcile")
        self.reconciles = 0
        self.errors = 0
        self.leading = asyncio.Event()  # workers reconcile only while set (leader election clears it)
        self.leading.set()

    @property
    def depth(self) -> int:
        """Keys waiting for a worker now."""
        return len(self._queued)

    @property
    def delayed(self) -> int:
        """Looks scheduled for later (pauses, analysis intervals, active releases)."""
        return len(self._heap)

    def resize(self, workers: int) -> None:
        """Sets the number of workers; only before ``run``."""
        self._workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reconcile")

    @property
    def busy(self) -> bool:
        """A reconcile is running (a leader stepping down waits for it before releasing its Lease)."""
        return bool(self._running)

    def add(self, key: Key) -> None:
        """Reconcile ``key`` as soon as a worker is free (no-op when it is already queued)."""
        if self._ready is None:
            return
        if key in self._running:
            self._dirty.add(key)
            return
        if key not in self._queued:
            self._queued.add(key)
            self._ready.put_nowait(key)

    def add_after(self, key: Key, seconds: float) -> None:
        heapq.heappush(self._heap, (time.monotonic() + seconds, next(self._seq), key))
        if self._wake is not None:
            self._wake.set()

    async def run(self, stopped: asyncio.Event) -> None:
        self._ready = asyncio.Queue()
        self._wake = asyncio.Event()
        tasks = [asyncio.create_task(self._worker(i)) for i in range(self._workers)]
        tasks.append(asyncio.create_task(self._timer()))
        try:
            await stopped.wait()
        finally:
            for task in tasks:
                task.cancel()
            self._pool.shutdown(wait=False, cancel_futures=True)

    async def _timer(self) -> None:
        assert self._wake is not None
        while True:
            now = time.monotonic()
            while self._heap and self._heap[0][0] <= now:
                _, _, key = heapq.heappop(self._heap)
                self.add(key)
            timeout = (self._heap[0][0] - now) if self._heap else 3600.0
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=max(timeout, 0.01))
            except TimeoutError:
                pass

    async def _worker(self, index: int) -> None:
        assert self._ready is not None
        loop = asyncio.get_running_loop()
        while True:
            key = await self._ready.get()
            await self.leading.wait()  # a standby keeps its keys queued, ready for the moment it leads
            self._queued.discard(key)
            self._running.add(key)
            again: float | None = None
            started, failed = time.monotonic(), False
            try:
                again = await loop.run_in_executor(self._pool, self._reconcile, key)
            except Exception:  # noqa: BLE001 - one release's failure must not stop the others
                self.errors, failed = self.errors + 1, True
                log.exception("reconcile of %s/%s failed; retrying in 5s", *key)
                again = 5.0
            finally:
                self.reconciles += 1
                self._running.discard(key)
                metrics.reconcile_done(time.monotonic() - started, failed=failed)
            if key in self._dirty:
                self._dirty.discard(key)
                self.add(key)
            elif again is not None:
                self.add_after(key, again)
