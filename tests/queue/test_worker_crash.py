"""Kill a worker (SIGKILL) in the middle of a message: the message is delivered again to
another worker and applied once; nothing else is applied twice. Real `till worker`
processes on every database with the database queue, and on RabbitMQ."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from tests.integration.helpers import make_sale, sellable_skus
from tests.queue.conftest import AMQP_URL, wait_for
from tests.queue.probe import lines
from till.services.sales import place_sales
from till.storage.tables import outbox, processed_messages

ROOT = Path(__file__).resolve().parents[2]


def _worker(
    engine: Engine, log: Path, *, transport: str, prefix: str = "till", slow: float = 0
) -> subprocess.Popen[bytes]:
    env = {
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
