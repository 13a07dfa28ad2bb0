"""`till worker`: the relay, the consumers and the scheduler in one asyncio process.

Run any number of them. Each worker:
- relays the outbox to the transport (rows are claimed with SKIP LOCKED, so relays in
  several workers share the work and never send a row twice);
- consumes every queue: one per active webhook endpoint, one per registered exporter, and
  `live` (stock and price changes for the tills' event streams);
- ticks the scheduler (a due run is taken by exactly one process);
- writes a heartbeat (what it holds in flight) for the metrics, every few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from typing import Any

import httpx
from sqlalchemy import Connection, Engine

from till.queue import store, webhooks
from till.queue.export import Exporter
from till.queue.messages import LIVE_QUEUE, LIVE_TOPICS, Message, Route, export_queue
from till.queue.scheduler import JobContext, Scheduler, ensure_default_jobs
from till.queue.transport import Consumer, Transport
from till.storage.feed import stamp_pending

log = logging.getLogger(__name__)


def worker_name() -> str:
    """host:pid:random, unique per process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    """One worker process's tasks."""

    def __init__(
        self,
        engine: Engine,
        settings: Any,
        *,
        relay: bool = True,
        consume: bool = True,
        schedule: bool = True,
        transport: Transport,
        exporters: list[Exporter] | None = None,
        name: str,
        tick_seconds: float = 5.0,
        refresh_seconds: float = 5.0,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.name = name
        self.transport = transport
        self.do_relay, self.do_consume, self.do_schedule = relay, consume, schedule
        self.tick_seconds = tick_seconds
        self.refresh_seconds = refresh_seconds
        self.exporters: list[Exporter] = list(exporters or [])
        self.endpoints: dict[int, dict[str, Any]] = {}
        self.in_flight: dict[str, int] = {}
        self.relayed = 0
        self._consumers: dict[str, tuple[Route, asyncio.Task[None], asyncio.Event]] = {}
        self._http: httpx.AsyncClient | None = None
        self._known: set[str] = set()

    # --- routes and consumers ---------------------------------------------------------------

    def routes(self) -> list[Route]:
        """Every queue and the topics it takes, as configured now."""
        found = [Route(LIVE_QUEUE, LIVE_TOPICS)]
        found += [Route(export_queue(e.name), frozenset(e.topics)) for e in self.exporters]
        found += webhooks.webhook_routes(self.endpoints)
        return found

    def _routes_now(self, conn: Connection) -> list[Route]:
        """The routes as committed when the relay claimed its events (read in the relay's own
        transaction), so an endpoint added a moment before a sale hears it whatever the
        refresh interval; the new queue's consumer starts right after the relay."""
        self.endpoints = webhooks.active_endpoints(conn)
        return self.routes()

    def _handler(self, route: Route) -> Any:
        if route.queue == LIVE_QUEUE:
            return self._live
        if route.queue.startswith("export."):
            exporter = next(e for e in self.exporters if export_queue(e.name) == route.queue)

            async def export(message: Message) -> None:
                await exporter.export(message.message_id, message.topic, message.payload)

            return export
        endpoint_id = int(route.queue.split(".", 1)[1])

        async def webhook(message: Message) -> None:
            endpoint = self.endpoints.get(endpoint_id)
            if endpoint is None:
                raise webhooks.WebhookFailed(f"webhook endpoint {endpoint_id} is gone or switched off")
            assert self._http is not None
            await webhooks.deliver(
                self._http,
                endpoint,
                message,
                self.settings.webhook_timeout_seconds,
                allow_private=self.settings.webhooks_allow_private,
            )

        return webhook

    async def _live(self, message: Message) -> None:
        """Make the change visible in the feed now; with RabbitMQ also nudge every app
        process's live poller (each process reads the feed, so all tills hear it)."""
        await asyncio.to_thread(stamp_pending, self.engine)
        publish = getattr(self.transport, "publish_live", None)
        if publish is not None:
            await publish(message.topic.encode())

    def _read_endpoints(self) -> dict[int, dict[str, Any]]:
        with self.engine.connect() as conn:
            return webhooks.active_endpoints(conn)

    async def _refresh(self, stop: asyncio.Event) -> None:
        self.endpoints = await asyncio.to_thread(self._read_endpoints)
        routes = self.routes()
        retire = getattr(self.transport, "retire", None)
        if retire is not None:
            for gone in sorted(set(self._known) - {r.queue for r in routes}):
                await retire(gone)
        self._known = {r.queue for r in routes}
        await self.transport.prepare(routes)
        if not self.do_consume:
            return
        wanted = {r.queue: r for r in routes}
        for queue, (route, task, halt) in list(self._consumers.items()):
            if queue not in wanted or wanted[queue] != route or task.done():
                halt.set()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(task, timeout=30)
                del self._consumers[queue]
        for queue, route in wanted.items():
            if queue not in self._consumers:
                halt = asyncio.Event()
                consumer = Consumer(route, self._handler(route))
                task = asyncio.create_task(self._consume(consumer, stop, halt))
                self._consumers[queue] = (route, task, halt)

    async def _consume(self, consumer: Consumer, stop: asyncio.Event, halt: asyncio.Event) -> None:
        both = asyncio.Event()

        async def watch() -> None:
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(halt.wait())]
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
            both.set()

        watcher = asyncio.create_task(watch())
        try:
            while not both.is_set():
                try:
                    await self.transport.consume(consumer, both, self.in_flight)
                except Exception:
                    log.exception("%s: consumer stopped; starting again", consumer.queue)
                    await _pause(both, 2.0)
        finally:
            watcher.cancel()

    # --- loops --------------------------------------------------------------------------------

    async def relay_loop(self, stop: asyncio.Event) -> None:
        """Relay the outbox: at once while there is more, else every poll interval."""
        failures = 0
        while not stop.is_set():
            try:
                sent = await self.transport.relay(self._routes_now, 500)
                self.relayed += sent
                failures = 0
                if {route.queue for route in self.routes()} != self._known:
                    await self._refresh(stop)
            except Exception as exc:
                failures += 1
                log.warning("relay: the transport did not take the outbox (%s); it stays and is retried", exc)
                sent = 0
            if sent < 500:
                # While the broker is away, try again at most 5 s apart (its client reconnects at the
                # same pace): the outbox drains within seconds of its return, not half a minute.
                wait = self.settings.queue_poll_seconds if failures == 0 else min(5.0, 0.5 * 2**failures)
                await _pause(stop, wait)

    async def scheduler_loop(self, stop: asyncio.Event) -> None:
        """Tick the scheduler."""
        await asyncio.to_thread(ensure_default_jobs, self.engine)
        scheduler = Scheduler(JobContext(self.engine, self.settings, self.replay), self.name)
        while not stop.is_set():
            try:
                await scheduler.tick()
            except Exception:
                log.exception("scheduler tick failed")
            await _pause(stop, self.tick_seconds)

    async def heartbeat_loop(self, stop: asyncio.Event) -> None:
        """Refresh consumers (endpoints may change) and record what this worker holds."""
        while not stop.is_set():
            try:
                await self._refresh(stop)
                queues = sorted(self._consumers)
                waiting = await self.transport.waiting(queues)
                counts = {q: (self.in_flight.get(q, 0), waiting.get(q)) for q in queues}
                await asyncio.to_thread(store.heartbeat, self.engine, self.name, counts)
            except Exception:
                log.exception("heartbeat failed")
            await _pause(stop, self.refresh_seconds)

    async def replay(self, dead: dict[str, Any]) -> None:
        """Put a dead letter back in its queue through this worker's transport."""
        await self.transport.replay(dead)

    async def run(self, stop: asyncio.Event) -> None:
        """Run until `stop` is set; then finish the message in hand and leave."""
        self._http = httpx.AsyncClient()
        # Routes first: the relay must know every queue before it routes a single event.
        try:
            await self._refresh(stop)
        except Exception:
            log.exception("could not read the routes yet; the heartbeat loop keeps trying")
        tasks = [asyncio.create_task(self.heartbeat_loop(stop))]
        if self.do_relay:
            tasks.append(asyncio.create_task(self.relay_loop(stop)))
        if self.do_schedule:
            tasks.append(asyncio.create_task(self.scheduler_loop(stop)))
        recorder = getattr(self.transport, "record_dead_letters", None)
        if recorder is not None and self.do_consume:
            tasks.append(asyncio.create_task(_forever(recorder, stop)))
        try:
            await stop.wait()
        finally:
            for _, _, halt in self._consumers.values():
                halt.set()
            await asyncio.gather(*tasks, *(t for _, t, _ in self._consumers.values()), return_exceptions=True)
            await self.transport.close()
            await self._http.aclose()
            with contextlib.suppress(Exception):
                await asyncio.to_thread(store.forget_worker, self.engine, self.name)


async def _forever(function: Any, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await function(stop)
        except Exception:
            log.exception("dead-letter recorder stopped; starting again")
            await _pause(stop, 2.0)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
