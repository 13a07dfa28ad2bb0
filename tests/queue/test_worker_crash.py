"""Kill a worker (SIGKILL) in the middle of a message: the message is delivered again to
another worker and applied once; nothing else is applied twice. Real `till worker`
processes on every database with the database queue, and on RabbitMQ."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from tests.integration.helpers import make_sale, sellable_skus
from tests.queue.conftest import AMQP_URL, wait_for
from tests.queue.probe import lines
from till.queue import webhooks
from till.services.sales import place_sales
from till.storage.events import Actor
from till.storage.tables import outbox, processed_messages

ROOT = Path(__file__).resolve().parents[2]


def _worker(
    engine: Engine, log: Path, *, transport: str, prefix: str = "till", slow: float = 0, **extra: str
) -> subprocess.Popen[bytes]:
    env = {
        **extra,
        **os.environ,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "TILL_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "TILL_QUEUE_TRANSPORT": transport,
        "TILL_AMQP_URL": AMQP_URL,
        "TILL_AMQP_PREFIX": prefix,
        "TILL_EXPORTERS": "tests.queue.probe:Probe",
        "TILL_QUEUE_LEASE_SECONDS": "3",
        "TILL_QUEUE_POLL_SECONDS": "0.1",
        "TILL_PROBE_LOG": str(log),
        "TILL_PROBE_SLOW": str(slow),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "till.cli", "worker", "--no-schedule"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=open(log.with_suffix(f".{len(list(log.parent.glob('*.err')))}.err"), "wb"),
    )


def _sale_message_ids(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(outbox.c.message_id).where(outbox.c.topic == "sale.placed")).scalars())


def _kill_mid_message(engine: Engine, tmp_path: Path, transport: str, prefix: str = "till") -> None:
    log = tmp_path / "probe.log"
    skus = sellable_skus(engine, 1)
    place_sales(
        engine,
        [
            make_sale(
                engine, key=f"sale-kill-{i:04d}", receipt=f"NYC1-{7000 + i}", lines=[(skus[0], Decimal(1))]
            )
            for i in range(3)
        ],
    )
    wanted = _sale_message_ids(engine)
    assert len(wanted) == 3

    first = _worker(engine, log, transport=transport, prefix=prefix, slow=30)
    second = None
    try:
        started = wait_for(
            lambda: [m for e, m, _ in lines(str(log)) if e == "start"], timeout=60, what="a message in hand"
        )
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        victim = started[0]
        assert not [m for e, m, _ in lines(str(log)) if e == "done"], "killed before finishing"

        second = _worker(engine, log, transport=transport, prefix=prefix)
        wait_for(
            lambda: {m for e, m, _ in lines(str(log)) if e == "done"} == wanted,
            timeout=90,
            what="every sale exported",
        )
        # Let a late duplicate show itself, if there were one.
        with engine.connect() as conn:
            wait_for(
                lambda: (
                    conn.execute(
                        select(func.count())
                        .select_from(processed_messages)
                        .where(processed_messages.c.queue == "export.probe")
                    ).scalar_one()
                    == 3
                ),
                what="three processed marks",
            )
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()
    events = lines(str(log))
    done = Counter(m for e, m, _ in events if e == "done")
    assert done == dict.fromkeys(wanted, 1), "each sale applied exactly once"
    starts = Counter(m for e, m, _ in events if e == "start")
    assert starts[victim] == 2, "the message in hand was delivered again"
    assert {pid for e, m, pid in events if e == "done"} == {second.pid}


@pytest.mark.db
def test_sigkill_mid_message_database_queue(demo_engine: Engine, tmp_path: Path) -> None:
    _kill_mid_message(demo_engine, tmp_path, "database")


def test_sigkill_mid_message_rabbitmq(pg_demo_engine: Engine, tmp_path: Path, amqp_prefix: str) -> None:
    """RabbitMQ's redelivery does not depend on the database: run once, on PostgreSQL."""
    _kill_mid_message(pg_demo_engine, tmp_path, "rabbitmq", amqp_prefix)


class HangingReceiver:
    """A webhook receiver that holds the first delivery open (its worker is killed meanwhile)
    and accepts every later one; it keeps each delivery's headers."""

    def __init__(self) -> None:
        self.headers: list[dict[str, str]] = []
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.headers.append({k.lower(): v for k, v in self.headers.items()})
                if len(receiver.headers) == 1:
                    receiver.release.wait(60)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("transport", ["database", "rabbitmq"])
def test_a_delivery_cut_by_a_crash_comes_again_as_the_next_attempt(
    pg_demo_engine: Engine, tmp_path: Path, amqp_prefix: str, transport: str
) -> None:
    """Till-Attempt means the same on both transports: a delivery its worker died in counts
    as a try, so the redelivery to another worker is attempt 2 (the message id is unchanged)."""
    engine = pg_demo_engine
    receiver = HangingReceiver()
    webhooks.add_endpoint(
        engine, "erp", receiver.url, ["sale.placed"], by=Actor(via="tests"), allow_private=True
    )
    sku = sellable_skus(engine, 1)[0]
    place_sales(
        engine, [make_sale(engine, key="sale-attempt", receipt="NYC1-7100", lines=[(sku, Decimal(1))])]
    )
    log = tmp_path / "probe.log"
    options = {"transport": transport, "prefix": amqp_prefix, "TILL_WEBHOOKS_ALLOW_PRIVATE": "true"}
    first = _worker(engine, log, **options)  # type: ignore[arg-type]
    second = None
    try:
        wait_for(lambda: receiver.headers, timeout=60, what="the first delivery")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        second = _worker(engine, log, **options)  # type: ignore[arg-type]
        wait_for(lambda: len(receiver.headers) >= 2, timeout=60, what="the delivery again")
    finally:
        receiver.close()
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(20)
    assert [h["till-attempt"] for h in receiver.headers] == ["1", "2"]
    assert len({h["till-message-id"] for h in receiver.headers}) == 1
