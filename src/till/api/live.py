"""Live events for tills: one poller per app process reads the change feed and fans stock
and price changes out to the event streams connected to this process.

The feed lives in the database, so every process hears every change whichever process made
it; nothing a till needs is held only in one process's memory. What one poll finds for a
location is encoded once, as one Server-Sent Events frame per dataset, and the same bytes go to
every stream: with a thousand tills open, the cost of a change must not grow with the tills.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from till.services.sync import pull
from till.storage.feed import latest_seq
from till.storage.uow import UnitOfWork

log = logging.getLogger(__name__)
LIVE_DATASETS = ("stock", "prices")


class LiveHub:
    """Subscribers per location, fed by one polling task."""

    def __init__(self, engine: Engine, interval: float = 0.25) -> None:
        self.engine = engine
        self.interval = interval
        self._subscribers: dict[str, set[asyncio.Queue[bytes]]] = {}
        self._cursors: dict[tuple[str, str], int] = {}
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None

    @contextlib.asynccontextmanager
    async def subscribe(self, location: str) -> AsyncIterator[asyncio.Queue[bytes]]:
        """A queue of encoded event frames for one location, for as long as the stream is open."""
        queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=10_000)
        if not self._subscribers.get(location):
            # A location's first listener hears what changes from now on.
            position = await run_in_threadpool(self._position)
            for dataset in LIVE_DATASETS:
                self._cursors[(location, dataset)] = position
        self._subscribers.setdefault(location, set()).add(queue)
        try:
            yield queue
        finally:
            self._subscribers[location].discard(queue)

    def wake(self) -> None:
        """Poll now instead of at the next interval (a worker said the feed moved)."""
        if self._wake is not None:
            self._wake.set()

    async def start(self) -> None:
        """Start polling (once per process)."""
        if self._wake is None:
            self._wake = asyncio.Event()
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop polling."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                for location, queues in list(self._subscribers.items()):
                    if not queues:
                        continue
                    for dataset in LIVE_DATASETS:
                        key = (location, dataset)
                        page = await run_in_threadpool(
                            pull, self.engine, dataset, self._cursors[key], 1000, location
                        )
                        self._cursors[key] = page.cursor
                        if not page.items:
                            continue
                        frame = changes_frame(dataset, page.cursor, page.items)
                        for queue in list(queues):
                            with contextlib.suppress(asyncio.QueueFull):
                                queue.put_nowait(frame)
            except Exception:  # a passing database error must not end live updates for good
                log.exception("live poller failed; retrying")
            assert self._wake is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            self._wake.clear()

    def _position(self) -> int:
        with UnitOfWork(self.engine) as uow:
            return latest_seq(uow.conn)


def changes_frame(dataset: str, cursor: int, items: list[dict[str, Any]]) -> bytes:
    """One `changes` event: every entity of a dataset that changed since the last poll."""
    data = json.dumps({"dataset": dataset, "items": items}, separators=(",", ":"))
    return f"event: changes\nid: {cursor}\ndata: {data}\n\n".encode()


#: The first frame of a stream: from here on the till hears every change.
READY_FRAME = b"event: ready\ndata: {}\n\n"
#: A comment line that keeps proxies from closing an idle stream.
PING_FRAME = b": ping\n\n"
