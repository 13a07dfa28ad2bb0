"""Fixtures for the async integration: a real webhook receiver (HTTP on a loopback port), a
worker running in a thread, RabbitMQ at 127.0.0.1:5672 (on CI a missing broker fails)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.conftest import ON_CI
from till.bootstrap import build_worker
from till.queue.worker import Worker
from till.settings import Settings

AMQP_URL = os.environ.get("TILL_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


def wait_for(check: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll until `check()` is truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


@dataclass
class Delivery:
    """One request the receiver got, with the status it answered."""

    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Receiver:
    """A real HTTP server that answers from a script (e.g. 500, 500, 500, then 200)."""

    url: str = ""
    script: list[int] = field(default_factory=list)
    default: int = 200
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted(self) -> list[Delivery]:
        with self.lock:
            return [d for d in self.deliveries if 200 <= d.status < 300]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on a loopback port."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with state.lock:
                status = state.script.pop(0) if state.script else state.default
                state.deliveries.append(
                    Delivery({k.lower(): v for k, v in self.headers.items()}, body, status)
                )
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/till"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def queue_settings(engine: Engine, **overrides: Any) -> Settings:
    """Settings for a worker on the test database with quick retries."""
    values: dict[str, Any] = {
        "database_url": engine.url.render_as_string(hide_password=False),
        "queue_retry_base_seconds": 0.05,
        "queue_retry_max_seconds": 0.5,
        "queue_poll_seconds": 0.05,
        "queue_lease_seconds": 5.0,
        "amqp_url": AMQP_URL,
        "web_dist": "/nonexistent",
        # the test receivers listen on 127.0.0.1
        "webhooks_allow_private": True,
    }
    values.update(overrides)
    return Settings(**values)


class WorkerThread:
    """A worker running its own event loop in a thread (for in-process tests)."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.loop = asyncio.new_event_loop()
        self.stop_event: asyncio.Event | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.error: BaseException | None = None
        self.ready = threading.Event()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def main() -> None:
            self.stop_event = asyncio.Event()
            self.ready.set()
            await self.worker.run(self.stop_event)

        try:
            self.loop.run_until_complete(main())
        except BaseException as exc:  # surfaced by stop()
            self.error = exc
        finally:
            self.loop.close()

    def start(self) -> WorkerThread:
        self.thread.start()
        self.ready.wait(10)
        return self

    def stop(self) -> None:
        if self.stop_event is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(timeout=30)
        if self.error is not None:
            raise self.error


@pytest.fixture
def start_worker() -> Iterator[Callable[..., WorkerThread]]:
    """Start in-process workers; all are stopped after the test."""
    running: list[WorkerThread] = []

    def start(engine: Engine, settings: Settings, **options: Any) -> WorkerThread:
        options.setdefault("tick_seconds", 0.2)
        options.setdefault("refresh_seconds", 0.5)
        thread = WorkerThread(build_worker(settings, engine, **options)).start()
        running.append(thread)
        return thread

    yield start
    for thread in running:
        thread.stop()


def _broker_answers() -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=2):
            return None
    except OSError as exc:
        return str(exc)


@pytest.fixture
def amqp_prefix() -> Iterator[str]:
    """A prefix of exchange and queue names of this test's own (others share the broker);
    the test's queues and exchanges are deleted afterwards."""
    problem = _broker_answers()
    if problem is not None:
        message = f"RabbitMQ is not answering at {AMQP_URL}: {problem}"
        if ON_CI:
            pytest.fail(message + " (on CI a missing service fails the test)")
        pytest.skip(message)
    prefix = f"tilltest-{uuid.uuid4().hex[:8]}"
    yield prefix
    asyncio.run(_delete_topology(prefix))


async def _delete_topology(prefix: str) -> None:
    import aio_pika

    connection = await aio_pika.connect(AMQP_URL)
    try:
        channel = await connection.channel()
        names = json.loads(os.environ.get("_TILL_TEST_QUEUES", "[]"))
        candidates = {
            f"{prefix}.dead",
            f"{prefix}.live",
            f"{prefix}.export.probe",
            f"{prefix}.export.receipt-mail",
        }
        candidates |= {f"{prefix}.webhook.{i}" for i in range(1, 50)}
        candidates |= {f"{prefix}.{q}" for q in names}
        candidates |= {
            f"{prefix}.retry.{q.split('.', 1)[1]}.{n}" for q in list(candidates) for n in range(1, 12)
        }
        for name in sorted(candidates):
            try:
                await channel.queue_delete(name)
            except Exception:
                channel = await connection.channel()
        for exchange in (f"{prefix}.events", f"{prefix}.dead", f"{prefix}.live"):
            try:
                await channel.exchange_delete(exchange)
            except Exception:
                channel = await connection.channel()
    finally:
        await connection.close()
