"""RabbitMQ transport (aio-pika): durable topology, publisher confirms, manual acks,
retry queues with a TTL per try, and a dead-letter exchange.

Topology (all durable):
- `till.events` (topic exchange): the relay publishes each outbox event with its topic as
  routing key; queue `till.<queue>` is bound once per topic its route takes (`#` for `*`).
- `till.retry.<queue>.<try>`: a failed message waits here (per-message expiration: the
  backoff with jitter), then the queue dead-letters it back to `till.<queue>` through the
  default exchange. One queue per try keeps a short wait from queueing behind a long one.
- `till.dead` (fanout exchange) and queue `till.dead`: every work queue names it as its
  dead-letter exchange (a message the broker rejects lands there), and the consumer
  publishes a message there itself after its last try, with the error in a header. The
  worker records what arrives in `queue_messages` (status dead), where people list,
  inspect, replay and discard dead letters.
The relay marks an outbox row sent only after the broker confirmed the publish; the rows
stay locked (FOR UPDATE SKIP LOCKED) until then, so another relay skips them, and if the
broker is away nothing is marked and everything is sent later.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
    FieldValue,
)
from sqlalchemy import Engine

from till.queue import store
from till.queue.messages import Message, RetryPolicy, Route, RouteSource
from till.queue.transport import Consumer, handle

log = logging.getLogger(__name__)

PUBLISH_TIMEOUT = 10.0


def _body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def _header(message: AbstractIncomingMessage, name: str) -> Any:
    return (message.headers or {}).get(name)


async def _until(queue: AbstractQueue, stop: asyncio.Event) -> AsyncGenerator[AbstractIncomingMessage, None]:
    """The queue's messages, one at a time, until `stop` is set."""
    async with queue.iterator() as messages:
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while True:
                getter = asyncio.ensure_future(messages.__anext__())
                done, _ = await asyncio.wait({getter, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    return
                yield getter.result()
        finally:
            stopping.cancel()


class RabbitTransport:
    """Till's queues on RabbitMQ."""

    name = "rabbitmq"

    def __init__(
        self,
        engine: Engine,
        policy: RetryPolicy,
        worker: str,
        url: str,
        *,
        prefix: str = "till",
        prefetch: int = 10,
    ) -> None:
        self.prefix = prefix
        self.events_exchange = f"{prefix}.events"
        self.dead_name = f"{prefix}.dead"
        self.engine = engine
        self.policy = policy
        self.worker = worker
        self.url = url
        self.prefetch = prefetch
        self._connection: AbstractRobustConnection | None = None
        self._publish: AbstractChannel | None = None
        self._declared: set[str] = set()
        self._bound: dict[str, set[str]] = {}
        self._lock = asyncio.Lock()

    def queue_name(self, queue: str) -> str:
        """The broker's name for one of Till's queues."""
        return f"{self.prefix}.{queue}"

    def retry_name(self, queue: str, attempt: int) -> str:
        """The waiting queue after the `attempt`-th failure."""
        return f"{self.prefix}.retry.{queue}.{attempt}"

    async def _channel(self) -> AbstractChannel:
        async with self._lock:
            if self._connection is None or self._connection.is_closed:
                self._connection = await aio_pika.connect_robust(self.url, timeout=10)
                self._publish = None
                self._declared.clear()
                self._bound.clear()
            if self._publish is None or self._publish.is_closed:
                self._publish = await self._connection.channel(publisher_confirms=True)
                await self._topology(self._publish)
            return self._publish

    async def _topology(self, channel: AbstractChannel) -> None:
        await channel.declare_exchange(self.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        dead = await channel.declare_exchange(self.dead_name, aio_pika.ExchangeType.FANOUT, durable=True)
        dead_queue = await channel.declare_queue(self.dead_name, durable=True)
        await dead_queue.bind(dead)

    async def _work_queue(self, channel: AbstractChannel, queue: str) -> AbstractQueue:
        return await channel.declare_queue(
            self.queue_name(queue), durable=True, arguments={"x-dead-letter-exchange": self.dead_name}
        )

    async def prepare(self, routes: list[Route]) -> None:
        """Declare every route's queue and bind it to its topics (idempotent)."""
        channel = await self._channel()
        events = await channel.get_exchange(self.events_exchange)
        for route in routes:
            keys = {"#" if topic == "*" else topic for topic in route.topics}
            bound = self._bound.setdefault(route.queue, set())
            if route.queue in self._declared and keys == bound:
                continue  # declared on this connection already (a robust connection redeclares)
            declared = await self._work_queue(channel, route.queue)
            self._declared.add(route.queue)
            for key in sorted(keys - bound):
                await declared.bind(events, routing_key=key)
                bound.add(key)
            for key in sorted(bound - keys):
                await declared.unbind(events, routing_key=key)
                bound.discard(key)

    async def retire(self, queue: str) -> None:
        """Stop routing events to a queue whose route is gone (an endpoint deleted or switched
        off), as the database relay does; what waits in it stays until it is switched on."""
        bound = self._bound.pop(queue, set())
        self._declared.discard(queue)
        if not bound:
            return
        channel = await self._channel()
        events = await channel.get_exchange(self.events_exchange)
        declared = await self._work_queue(channel, queue)
        for key in sorted(bound):
            await declared.unbind(events, routing_key=key)

    async def relay(self, routes: RouteSource, limit: int) -> int:
        """Publish a batch of outbox rows, wait for every confirm, then mark them sent."""
        channel = await self._channel()
        events = await channel.get_exchange(self.events_exchange)
        conn = await asyncio.to_thread(self.engine.connect)
        try:
            await asyncio.to_thread(conn.begin)
            rows = await asyncio.to_thread(store.claim_outbox, conn, limit)
            if not rows:
                await asyncio.to_thread(conn.rollback)
                return 0
            # Bind every queue the claimed events must reach before publishing: the broker
            # drops an event for which no queue is bound yet.
            await self.prepare(list(await asyncio.to_thread(store.routes_at, conn, routes)))
            publishes = [
                events.publish(
                    aio_pika.Message(
                        _body(row["payload"]),
                        message_id=row["message_id"],
                        type=row["topic"],
                        content_type="application/json",
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        timestamp=row["created_at"],
                        headers={"x-till-attempt": 1},
                    ),
                    routing_key=row["topic"],
                    mandatory=False,
                )
                for row in rows
            ]
            # Every publish must be confirmed before a single row is marked sent.
            await asyncio.wait_for(asyncio.gather(*publishes), timeout=PUBLISH_TIMEOUT)
            await asyncio.to_thread(store.mark_sent, conn, [row["id"] for row in rows])
            await asyncio.to_thread(conn.commit)
            return len(rows)
        finally:
            await asyncio.to_thread(conn.close)

    async def consume(self, consumer: Consumer, stop: asyncio.Event, in_flight: dict[str, int]) -> None:
        """Consume with manual acks until `stop`; unacked messages return to the queue if the
        process dies (the broker redelivers them)."""
        connection = await self._connection_ready()
        channel = await connection.channel(publisher_confirms=True)
        try:
            await channel.set_qos(prefetch_count=self.prefetch)
            queue = await self._work_queue(channel, consumer.queue)
            async with contextlib.aclosing(_until(queue, stop)) as messages:
                async for incoming in messages:
                    in_flight[consumer.queue] = in_flight.get(consumer.queue, 0) + 1
                    try:
                        await self._one(channel, consumer, incoming)
                    finally:
                        in_flight[consumer.queue] -= 1
        finally:
            await channel.close()

    async def _connection_ready(self) -> AbstractRobustConnection:
        await self._channel()
        assert self._connection is not None
        return self._connection

    async def _one(
        self, channel: AbstractChannel, consumer: Consumer, incoming: AbstractIncomingMessage
    ) -> None:
        try:
            message = Message(
                message_id=str(incoming.message_id),
                topic=str(incoming.type),
                payload=json.loads(incoming.body),
                queue=consumer.queue,
                # A redelivery (its worker died holding it) counts as a try, as the database
                # transport counts a lease that ran out: the attempt means the same on both.
                attempt=int(_header(incoming, "x-till-attempt") or 1) + (1 if incoming.redelivered else 0),
                created_at=incoming.timestamp.replace(tzinfo=UTC).isoformat() if incoming.timestamp else None,
            )
        except (ValueError, TypeError) as exc:
            log.error(
                "%s: unreadable message %s (%s): dead-lettered", consumer.queue, incoming.message_id, exc
            )
            await incoming.reject(requeue=False)
            return

        async def success(duration_ms: float) -> None:
            if duration_ms >= 0:
                await asyncio.to_thread(store.complete, self.engine, message, duration_ms)
            await incoming.ack()

        async def failure(error: str) -> None:
            dead = self.policy.gives_up(message.attempt)
            headers: dict[str, FieldValue] = {
                "x-till-attempt": message.attempt + 1,
                "x-till-queue": consumer.queue,
            }
            if dead:
                target = await channel.get_exchange(self.dead_name)
                headers["x-till-error"] = error[:1000]
                routing_key = consumer.queue
                expiration = None
            else:
                retry_queue = self.retry_name(consumer.queue, message.attempt)
                await channel.declare_queue(
                    retry_queue,
                    durable=True,
                    arguments={
                        "x-dead-letter-exchange": "",
                        "x-dead-letter-routing-key": self.queue_name(consumer.queue),
                    },
                )
                target = channel.default_exchange
                routing_key = retry_queue
                expiration = self.policy.delay(message.attempt)
            await target.publish(
                aio_pika.Message(
                    incoming.body,
                    message_id=message.message_id,
                    type=message.topic,
                    content_type="application/json",
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    timestamp=incoming.timestamp,
                    headers=headers,
                    expiration=expiration,
                ),
                routing_key=routing_key,
                mandatory=False,
            )
            # Confirmed by the broker: only now let go of the original.
            await asyncio.to_thread(store.record_failure, self.engine, consumer.queue, dead=dead)
            await incoming.ack()

        await handle(self.engine, consumer, message, success, failure)

    async def record_dead_letters(self, stop: asyncio.Event) -> None:
        """Copy what reaches the dead-letter queue into the database, then acknowledge it."""
        connection = await self._connection_ready()
        channel = await connection.channel()
        try:
            await channel.set_qos(prefetch_count=50)
            queue = await channel.declare_queue(self.dead_name, durable=True)
            async with contextlib.aclosing(_until(queue, stop)) as messages:
                async for incoming in messages:
                    await self._record_dead(incoming)
        finally:
            await channel.close()

    async def _record_dead(self, incoming: AbstractIncomingMessage) -> None:
        queue = _header(incoming, "x-till-queue")
        if not queue:  # dead-lettered by the broker itself: the x-death header names the queue
            deaths = _header(incoming, "x-death") or [{}]
            queue = str(deaths[0].get("queue", "unknown")).removeprefix(f"{self.prefix}.")
        try:
            payload = json.loads(incoming.body)
        except ValueError:
            payload = {"raw": incoming.body.decode(errors="replace")}
        message = Message(
            str(incoming.message_id),
            str(incoming.type),
            payload if isinstance(payload, dict) else {"value": payload},
            str(queue),
            attempt=int(_header(incoming, "x-till-attempt") or 1) - 1,
        )
        error = str(_header(incoming, "x-till-error") or "rejected by the broker")
        await asyncio.to_thread(store.record_dead_letter, self.engine, message, error)
        await incoming.ack()

    async def replay(self, dead: dict[str, Any]) -> None:
        """Publish the dead letter to its queue again (confirmed), then drop its row."""
        channel = await self._channel()
        await self._work_queue(channel, dead["queue"])
        await channel.default_exchange.publish(
            aio_pika.Message(
                _body(dead["payload"]),
                message_id=dead["message_id"],
                type=dead["topic"],
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                timestamp=datetime.now(UTC),
                headers={"x-till-attempt": 1},
            ),
            routing_key=self.queue_name(dead["queue"]),
            mandatory=False,
        )
        await asyncio.to_thread(store.forget_dead, self.engine, int(dead["id"]))

    async def waiting(self, queues: list[str]) -> dict[str, int | None]:
        """Ready messages per queue, as the broker counts them."""
        channel = await self._channel()
        counts: dict[str, int | None] = {}
        for queue in queues:
            declared = await self._work_queue(channel, queue)
            counts[queue] = declared.declaration_result.message_count
        return counts

    async def publish_live(self, body: bytes) -> None:
        """Tell every app process to look at the change feed now (transient fan-out to
        `<prefix>.live`; see till.queue.live)."""
        channel = await self._channel()
        exchange = await channel.declare_exchange(f"{self.prefix}.live", aio_pika.ExchangeType.FANOUT)
        await exchange.publish(aio_pika.Message(body), routing_key="", mandatory=False)

    async def close(self) -> None:
        """Close the connection."""
        if self._connection is not None and not self._connection.is_closed:
            await self._connection.close()
        self._connection = None
        self._publish = None
