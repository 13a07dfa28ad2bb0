"""RabbitMQ out of reach for a sustained time (60 s by default) while sales keep being made:
the outbox holds every sale's event while the broker is away, and once it is back each event
reaches each consumer exactly once: an exporter in the worker, and a webhook over real HTTP.

The broker itself never stops (other tests and agents share it): a TCP proxy between the worker
and the broker is cut. TILL_TEST_BROKER_OUTAGE sets the outage in seconds (e.g. 300 for five
minutes); the test's own wall time is the outage and about 15 s more.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select

from tests.integration.helpers import make_sale, sellable_skus
from tests.queue.conftest import Receiver, WorkerThread, queue_settings, wait_for
from tests.queue.tcp_proxy import TcpProxy
from tests.queue.test_rabbitmq import Recorder
from till.queue import webhooks
from till.queue.export import register_exporter, unregister_exporter
from till.services.sales import PushedSale, place_sales
from till.storage.events import Actor
from till.storage.tables import outbox

OUTAGE_SECONDS = float(os.environ.get("TILL_TEST_BROKER_OUTAGE", "60"))
BEFORE, DURING, AFTER = 20, 120, 20


@pytest.fixture
def exporter() -> Iterator[Recorder]:
    found = Recorder()
    register_exporter(found)
    yield found
    unregister_exporter(found.name)


def _unsent(engine: Engine, topic: str | None = None) -> int:
    query = select(func.count()).where(outbox.c.published_at.is_(None))
    if topic is not None:
        query = query.where(outbox.c.topic == topic)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _sale_events(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(outbox.c.message_id).where(outbox.c.topic == "sale.placed")).scalars())


def test_broker_away_for_a_minute_under_a_stream_of_sales_delivers_each_event_once(
    pg_demo_engine: Engine,
    exporter: Recorder,
    receiver: Receiver,
    start_worker: Callable[..., WorkerThread],
    amqp_prefix: str,
) -> None:
    engine = pg_demo_engine
    webhooks.add_endpoint(
        engine, "erp", receiver.url, ["sale.placed"], by=Actor(via="tests"), allow_private=True
    )
    proxy = TcpProxy("127.0.0.1", 5672)
    kinds = [
        make_sale(engine, key="sale-template", receipt="NYC1-0", lines=[(sku, Decimal(1))]).sale
        for sku in sellable_skus(engine, 5)
    ]
    made = 0

    def sell() -> None:
        nonlocal made
        key, receipt = f"sale-outage-{made:05d}", f"NYC1-{made + 1:06d}"
        template = kinds[made % len(kinds)]
        assert template is not None
        sale = dataclasses.replace(template, idempotency_key=key, receipt_number=receipt)
        [result] = place_sales(engine, [PushedSale(key, "NYC1", {"idempotency_key": key}, sale=sale)])
        assert result.status == "accepted"
        made += 1

    try:
        settings = queue_settings(
            engine,
            queue_transport="rabbitmq",
            amqp_prefix=amqp_prefix,
            amqp_url=f"amqp://guest:guest@127.0.0.1:{proxy.port}/",
        )
        worker = start_worker(engine, settings, schedule=False)
        for _ in range(BEFORE):
            sell()
        wait_for(lambda: len(exporter.seen) >= 5, what="the first exports before the outage")

        proxy.cut()
        cut_at = time.monotonic()
        # Sales keep coming at an even pace through the whole outage.
        for n in range(DURING):
            sell()
            time.sleep(max(0.0, cut_at + (n + 1) * OUTAGE_SECONDS / DURING - time.monotonic()))
        held = _unsent(engine, "sale.placed")
        outage = time.monotonic() - cut_at
        proxy.restore()
        restored_at = time.monotonic()
        assert held >= DURING, f"the outbox held every sale made while the broker was away ({held})"

        for _ in range(AFTER):
            sell()
        wanted = _sale_events(engine)
        assert made == len(wanted) == BEFORE + DURING + AFTER
        wait_for(lambda: _unsent(engine) == 0, timeout=120, what="the outbox to drain")
        wait_for(lambda: set(exporter.seen) == wanted, timeout=120, what="every sale exported")
        wait_for(
            lambda: {d.headers["till-message-id"] for d in receiver.accepted()} == wanted,
            timeout=120,
            what="every sale's webhook",
        )
        caught_up = time.monotonic() - restored_at
        time.sleep(1)  # a late duplicate would show itself here
        worker.stop()
    finally:
        proxy.close()

    exported = Counter(exporter.seen)
    hooked = Counter(d.headers["till-message-id"] for d in receiver.accepted())
    assert exported == dict.fromkeys(wanted, 1), "each sale exported once: none lost, none doubled"
    assert hooked == dict.fromkeys(wanted, 1), "each sale's webhook accepted once: none lost, none doubled"
    print(
        f"\n{made} sales ({DURING} during a {outage:.0f} s outage), outbox held {held} of their events; "
        f"exported {sum(exported.values())}, webhooks accepted {sum(hooked.values())} "
        f"of {len(receiver.deliveries)} delivered, all {caught_up:.0f} s after the broker came back"
    )
