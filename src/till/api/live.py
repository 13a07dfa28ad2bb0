"""Live events for tills: one poller per app process reads the change feed and fans stock
and price changes out to the event streams connected to this process, and announces that
other data sets changed (`news`), so a connected till pulls when there is news, not by the clock.
A poll that finds the feed where it was costs one query, however many tills listen.

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

import psycopg
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from till.services.sync import FeedHeads, pull
from till.storage.feed import FEED_CHANNEL, latest_seq, stamp_pending
from till.storage.uow import UnitOfWork

log = logging.getLogger(__name__)
LIVE_DATASETS = ("stock", "prices")
#: Shortest time between two polls of the feed, however often commits wake the poller.
MIN_POLL_GAP = 0.1
#: Seconds between the clock's polls while PostgreSQL's NOTIFY wakes the poller at each commit.
LISTENING_POLL = 2.0


class LiveHub:
    """Subscribers per location, fed by one polling task."""

    def __init__(self, engine: Engine, heads: FeedHeads | None = None, interval: float = 0.25) -> None:
        self.engine = engine
        self.heads = heads
        self.interval = interval
        #: The feed position at the last poll, and each data set's head then.
        self._seen: int | None = None
        self._heads: dict[str, int] = {}
        #: True while the PostgreSQL listener hears every commit that moves the feed.
        self._listening = False
        self._subscribers: dict[str, set[asyncio.Queue[bytes]]] = {}
        self._cursors: dict[tuple[str, str], int] = {}
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
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
        """Start polling (once per process); on PostgreSQL, also listen for committed changes."""
        if self._wake is None:
            self._wake = asyncio.Event()
        if self._task is None:
            self._task = asyncio.create_task(self._run())
        if self._listener is None and self.engine.dialect.name == "postgresql":
            self._listener = asyncio.create_task(self._listen())

    async def stop(self) -> None:
        """Stop polling and listening."""
        for task in (self._task, self._listener):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = self._listener = None

    async def _listen(self) -> None:
        """Wake the poller whenever a commit anywhere changed the feed (PostgreSQL NOTIFY)."""
        conninfo = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {FEED_CHANNEL}")
                    self._listening = True
                    async for _ in conn.notifies():
                        self.wake()
            except (psycopg.Error, OSError) as exc:
                self._listening = False
                # The interval poll carries on meanwhile: a lost listener only slows delivery.
                log.warning("live listener lost the database (%s); listening again in 2 s", exc)
                await asyncio.sleep(2)

    async def _run(self) -> None:
        woken = False
        while True:
            try:
                if any(self._subscribers.values()):
                    await self._poll()
            except Exception:  # a passing database error must not end live updates for good
                log.exception("live poller failed; retrying")
            assert self._wake is not None
            # While PostgreSQL tells of every commit, the clock's poll is only a safety net. Right
            # after a wake, poll again soon: the committer may have held the stamp meanwhile.
            quiet = self._listening and not woken
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(self.interval, LISTENING_POLL) if quiet else self.interval):
                    await self._wake.wait()
            woken = self._wake.is_set()
            self._wake.clear()
            # Commits can come hundreds a second: what arrives meanwhile waits for one poll.
            await asyncio.sleep(MIN_POLL_GAP)

    async def _poll(self) -> None:
        position = await run_in_threadpool(self._stamped_position)
        if position == self._seen:
            if self.heads is not None:
                self.heads.confirm(position)
            return  # nothing committed since the last poll: idle tills cost this one query
        self._seen = position
        if self.heads is not None:
            self.heads.invalidate()
            heads, _ = await run_in_threadpool(self.heads.read)
            moved = [
                name
                for name, head in heads.items()
                if name not in LIVE_DATASETS and self._heads and head > self._heads.get(name, 0)
            ]
            self._heads = heads
            if moved:
                # What the stream does not carry itself, it announces: the till pulls those.
                frame = news_frame(moved, position)
                for queues in list(self._subscribers.values()):
                    for queue in list(queues):
                        with contextlib.suppress(asyncio.QueueFull):
                            queue.put_nowait(frame)
        for location, queues in list(self._subscribers.items()):
            if not queues:
                continue
            for dataset in LIVE_DATASETS:
                key = (location, dataset)
                page = await run_in_threadpool(pull, self.engine, dataset, self._cursors[key], 1000, location)
                self._cursors[key] = page.cursor
                if not page.items:
                    continue
                frame = changes_frame(dataset, page.cursor, page.items)
                for queue in list(queues):
                    with contextlib.suppress(asyncio.QueueFull):
                        queue.put_nowait(frame)

    def _stamped_position(self) -> int:
        # Stamp first, as a pull does: a writer that died before stamping hides nothing.
        stamp_pending(self.engine, wait=False)
        return self._position()

    def _position(self) -> int:
        with UnitOfWork(self.engine) as uow:
            return latest_seq(uow.conn)


def changes_frame(dataset: str, cursor: int, items: list[dict[str, Any]]) -> bytes:
    """One `changes` event: every entity of a dataset that changed since the last poll."""
    data = json.dumps({"dataset": dataset, "items": items}, separators=(",", ":"))
    return f"event: changes\nid: {cursor}\ndata: {data}\n\n".encode()


def news_frame(datasets: list[str], position: int) -> bytes:
    """One `news` event: data sets the stream does not carry that changed; the till pulls them."""
    data = json.dumps({"datasets": datasets}, separators=(",", ":"))
    return f"event: news\nid: {position}\ndata: {data}\n\n".encode()


#: The first frame of a stream: from here on the till hears every change.
READY_FRAME = b"event: ready\ndata: {}\n\n"
#: A comment line that keeps proxies from closing an idle stream.
PING_FRAME = b": ping\n\n"
