"""One interface, two transports: the database queue (embedded default) and RabbitMQ.

Both take events from the transactional outbox (the relay), hand them to consumers with
at-least-once delivery, retry failures with backoff and jitter, and dead-letter a message
after the last try. Consumers are idempotent: the `processed_messages` row written when a
handler returns makes a redelivered message a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Engine

from till.queue import store
from till.queue.messages import Message, RetryPolicy, Route, RouteSource

log = logging.getLogger(__name__)

Handler = Callable[[Message], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Consumer:
    """A queue, the topics routed to it and what handles its messages."""

    route: Route
    handler: Handler

    @property
    def queue(self) -> str:
        """The queue's name."""
        return self.route.queue


class Transport(Protocol):
    """What the worker needs of a transport."""

    name: str

    async def prepare(self, routes: list[Route]) -> None:
        """Make sure every route's queue exists and hears its topics."""

    async def relay(self, routes: RouteSource, limit: int) -> int:
        """Hand unsent outbox events to the queues; returns how many events were sent."""

    async def consume(self, consumer: Consumer, stop: asyncio.Event, in_flight: dict[str, int]) -> None:
        """Deliver the queue's messages to the consumer until `stop` is set."""

    async def replay(self, dead: dict[str, Any]) -> None:
        """Put a dead letter back in its queue with fresh tries."""

    async def waiting(self, queues: list[str]) -> dict[str, int | None]:
        """Messages the broker holds per queue (None where the database counts them)."""

    async def close(self) -> None:
        """Release connections."""


async def handle(
    engine: Engine,
    consumer: Consumer,
    message: Message,
    on_success: Callable[[float], Awaitable[None]],
    on_failure: Callable[[str], Awaitable[None]],
) -> None:
    """Run a handler once per message id: skip a message already applied, time the handler,
    then report success (recorded by the caller) or the failure."""
    if await asyncio.to_thread(store.is_processed, engine, message.queue, message.message_id):
        log.info("%s: %s already applied; acknowledged again", message.queue, message.message_id)
        await on_success(-1.0)
        return
    started = time.perf_counter()
    try:
        await consumer.handler(message)
    except Exception as exc:
        log.warning("%s: %s failed (try %d): %s", message.queue, message.message_id, message.attempt, exc)
        await on_failure(f"{type(exc).__name__}: {exc}")
        return
    await on_success((time.perf_counter() - started) * 1000)


class DatabaseTransport:
    """The queue is a table: claims with FOR UPDATE SKIP LOCKED and a lease."""

    name = "database"

    def __init__(
        self,
        engine: Engine,
        policy: RetryPolicy,
        worker: str,
        *,
        lease_seconds: float = 60.0,
        poll_seconds: float = 0.5,
        batch: int = 10,
    ) -> None:
        self.engine = engine
        self.policy = policy
        self.worker = worker
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.batch = batch

    async def prepare(self, routes: list[Route]) -> None:
        """Nothing to declare: a queue is a value in a column."""

    async def relay(self, routes: RouteSource, limit: int) -> int:
        """Copy outbox events into queue rows in one transaction."""
        return await asyncio.to_thread(store.relay_to_database, self.engine, routes, limit)

    async def consume(self, consumer: Consumer, stop: asyncio.Event, in_flight: dict[str, int]) -> None:
        """Claim, handle, finish; sleep a little when the queue is empty."""
        while not stop.is_set():
            try:
                claimed = await asyncio.to_thread(
                    store.claim, self.engine, consumer.queue, self.worker, self.batch, self.lease_seconds
                )
            except Exception:
                log.exception("%s: claiming failed; trying again", consumer.queue)
                claimed = []
            if not claimed:
                await _sleep_or_stop(stop, self.poll_seconds)
                continue
            # Leave what the lease no longer safely covers: another worker reclaims it after
            # the lease, and two workers must not hold one message at once.
            usable_until = time.monotonic() + self.lease_seconds * 0.8
            for index, item in enumerate(claimed):
                if time.monotonic() > usable_until or stop.is_set():
                    rest = [c.row_id for c in claimed[index:]]
                    await asyncio.to_thread(store.release, self.engine, rest, self.worker)
                    break
                in_flight[consumer.queue] = in_flight.get(consumer.queue, 0) + 1
                try:
                    await self._one(consumer, item)
                finally:
                    in_flight[consumer.queue] -= 1

    async def _one(self, consumer: Consumer, item: store.Claimed) -> None:
        async def success(duration_ms: float) -> None:
            await asyncio.to_thread(
                store.complete,
                self.engine,
                item.message,
                max(duration_ms, 0.0),
                row_id=item.row_id,
                worker=self.worker,
            )

        async def failure(error: str) -> None:
            await asyncio.to_thread(store.fail, self.engine, item, error, self.policy, self.worker)

        await handle(self.engine, consumer, item.message, success, failure)

    async def replay(self, dead: dict[str, Any]) -> None:
        """Mark the row ready again."""
        await asyncio.to_thread(store.requeue_dead, self.engine, int(dead["id"]))

    async def waiting(self, queues: list[str]) -> dict[str, int | None]:
        """The database counts its own queues."""
        return dict.fromkeys(queues)

    async def close(self) -> None:
        """Nothing to close."""


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
