"""RabbitMQ: signed webhooks retried through the broker's retry queues, dead letters through
the dead-letter exchange, and an outage under a stream of sales (a TCP proxy between Till
and the broker is cut): the outbox holds everything and drains after, none lost or doubled."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from tests.integration.helpers import make_sale, sellable_skus
from tests.queue.conftest import Receiver, WorkerThread, queue_settings, wait_for
from tests.queue.tcp_proxy import TcpProxy
from till.bootstrap import make_transport
from till.queue import deadletters, store, webhooks
from till.queue.export import register_exporter, unregister_exporter
from till.services.sales import place_sales
from till.storage.events import Actor
from till.storage.tables import outbox


@pytest.fixture
def pg_engine(pg_demo_engine: Engine) -> Engine:
    """The broker's behaviour does not depend on the database: these run on PostgreSQL."""
    return pg_demo_engine


class Recorder:
    """An exporter that counts what it is given."""

    name = "recorder"
    topics = frozenset({"sale.placed"})

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def export(self, message_id: str, topic: str, payload: dict[str, Any]) -> None:
        with self.lock:
            self.seen[message_id] += 1


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    found = Recorder()
    register_exporter(found)
    yield found
    unregister_exporter(found.name)


def _sale_ids(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(outbox.c.message_id).where(outbox.c.topic == "sale.placed")).scalars())


def _unsent(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(outbox.c.published_at.is_(None))).scalar_one())


def test_webhook_retried_through_the_broker_arrives_once_signed(
    pg_engine: Engine, receiver: Receiver, start_worker: Callable[..., WorkerThread], amqp_prefix: str
) -> None:
    engine = pg_engine
    receiver.script = [500, 500, 500]
    endpoint = webhooks.add_endpoint(
        engine, "erp", receiver.url, ["sale.placed"], by=Actor(via="tests"), allow_private=True
    )
    start_worker(
        engine, queue_settings(engine, queue_transport="rabbitmq", amqp_prefix=amqp_prefix), schedule=False
    )
    sku = sellable_skus(engine, 1)[0]
    [sale] = place_sales(
        engine, [make_sale(engine, key="sale-rabbit-hook", receipt="NYC1-8100", lines=[(sku, Decimal(1))])]
    )

    wait_for(lambda: receiver.accepted(), what="the accepted delivery")
    [accepted] = receiver.accepted()
    wait_for(
        lambda: store.is_processed(engine, f"webhook.{endpoint['id']}", accepted.headers["till-message-id"]),
        what="processed",
    )
    assert [d.status for d in receiver.deliveries] == [500, 500, 500, 200]
    assert len({d.headers["till-message-id"] for d in receiver.deliveries}) == 1
    for delivery in receiver.deliveries:
        assert webhooks.verify(endpoint["secret"], delivery.headers["till-signature"], delivery.body)
    assert json.loads(accepted.body)["payload"]["order_id"] == sale.order_id
    time.sleep(0.5)
    assert len(receiver.deliveries) == 4


def test_dead_letter_exchange_then_replay(
    pg_engine: Engine, receiver: Receiver, start_worker: Callable[..., WorkerThread], amqp_prefix: str
) -> None:
    engine = pg_engine
    receiver.default = 500
    endpoint = webhooks.add_endpoint(
        engine, "erp", receiver.url, ["sale.placed"], by=Actor(via="tests"), allow_private=True
    )
    settings = queue_settings(
        engine, queue_transport="rabbitmq", amqp_prefix=amqp_prefix, queue_max_attempts=2
    )
    start_worker(engine, settings, schedule=False)
    sku = sellable_skus(engine, 1)[0]
    place_sales(
        engine, [make_sale(engine, key="sale-rabbit-dead", receipt="NYC1-8200", lines=[(sku, Decimal(1))])]
    )
    queue = f"webhook.{endpoint['id']}"

    [letter] = wait_for(lambda: store.dead_letters(engine, queue), what="the dead letter")
    assert letter["topic"] == "sale.placed" and letter["attempts"] == 2 and "500" in letter["last_error"]
    assert len(receiver.deliveries) == 2

    receiver.default = 200
    asyncio.run(
        deadletters.replay(
            engine, make_transport(engine, settings, "replay"), letter["id"], by=Actor(via="tests")
        )
    )
    wait_for(lambda: receiver.accepted(), what="the replayed delivery")
    wait_for(lambda: store.is_processed(engine, queue, letter["message_id"]), what="processed")
    assert store.dead_letters(engine, queue) == []
    assert len(receiver.accepted()) == 1


def test_broker_outage_under_a_stream_of_sales_loses_and_doubles_nothing(
    pg_engine: Engine, recorder: Recorder, start_worker: Callable[..., WorkerThread], amqp_prefix: str
) -> None:
    engine = pg_engine
    proxy = TcpProxy("127.0.0.1", 5672)
    try:
        settings = queue_settings(
            engine,
            queue_transport="rabbitmq",
            amqp_prefix=amqp_prefix,
            amqp_url=f"amqp://guest:guest@127.0.0.1:{proxy.port}/",
        )
        start_worker(engine, settings, schedule=False)
        skus = sellable_skus(engine, 3)
        held: list[int] = []
        total = 60

        def sell() -> None:
            for i in range(total):
                place_sales(
                    engine,
                    [
                        make_sale(
                            engine,
                            key=f"sale-outage-{i:04d}",
                            receipt=f"NYC1-{8300 + i}",
                            lines=[(skus[i % 3], Decimal(1))],
                        )
                    ],
                )
                if proxy.down:
                    held.append(_unsent(engine))
                time.sleep(0.05)

        seller = threading.Thread(target=sell)
        seller.start()
        wait_for(lambda: len(recorder.seen) >= 5, what="the first exports before the outage")
        proxy.cut()
        time.sleep(4)
        proxy.restore()
        seller.join(120)
        assert held and max(held) > 0, "while the broker was away, the outbox held the sales"

        wanted = _sale_ids(engine)
        assert len(wanted) == total
        wait_for(lambda: _unsent(engine) == 0, timeout=90, what="the outbox to drain")
        wait_for(lambda: set(recorder.seen) == wanted, timeout=90, what="every sale exported")
        time.sleep(1)
        assert recorder.seen == dict.fromkeys(wanted, 1), "none lost, none doubled"
    finally:
        proxy.close()


def test_a_switched_off_endpoint_hears_nothing_until_switched_on(
    pg_engine: Engine, receiver: Receiver, start_worker: Callable[..., WorkerThread], amqp_prefix: str
) -> None:
    engine = pg_engine
    endpoint = webhooks.add_endpoint(
        engine, "erp", receiver.url, ["sale.placed"], by=Actor(via="tests"), allow_private=True
    )
    start_worker(
        engine, queue_settings(engine, queue_transport="rabbitmq", amqp_prefix=amqp_prefix), schedule=False
    )
    sku = sellable_skus(engine, 1)[0]

    def sell(n: int) -> str:
        [sale] = place_sales(
            engine,
            [
                make_sale(
                    engine, key=f"sale-rabbit-off-{n}", receipt=f"NYC1-{8500 + n}", lines=[(sku, Decimal(1))]
                )
            ],
        )
        return str(sale.order_id)

    first = sell(1)
    wait_for(lambda: len(receiver.accepted()) == 1, what="the first delivery")
    webhooks.change_endpoint(engine, endpoint["id"], active=False, by=Actor(via="tests"))
    time.sleep(1.5)  # the worker's refresh (0.5 s in tests) unbinds the queue
    sell(2)
    wait_for(lambda: _unsent(engine) == 0, what="the relay")
    time.sleep(1.0)
    webhooks.change_endpoint(engine, endpoint["id"], active=True, by=Actor(via="tests"))
    time.sleep(1.5)
    third = sell(3)
    wait_for(lambda: len(receiver.accepted()) == 2, what="the delivery after switching on")
    time.sleep(0.5)
    assert [json.loads(d.body)["payload"]["order_id"] for d in receiver.accepted()] == [first, third]


def test_an_endpoint_added_a_moment_before_a_sale_hears_it_through_the_broker(
    pg_engine: Engine, receiver: Receiver, start_worker: Callable[..., WorkerThread], amqp_prefix: str
) -> None:
    """The relay binds the new endpoint's queue before it publishes the sale (the broker drops
    an event no queue is bound for), though the worker refreshes only every minute."""
    engine = pg_engine
    start_worker(
        engine,
        queue_settings(engine, queue_transport="rabbitmq", amqp_prefix=amqp_prefix),
        schedule=False,
        refresh_seconds=60,
    )
    sku = sellable_skus(engine, 1)[0]

    def sell(n: int) -> str:
        [sale] = place_sales(
            engine,
            [
                make_sale(
                    engine, key=f"sale-rabbit-new-{n}", receipt=f"NYC1-{8600 + n}", lines=[(sku, Decimal(1))]
                )
            ],
        )
        return str(sale.order_id)

    sell(1)
    wait_for(lambda: _unsent(engine) == 0, what="the relay of the sale before the endpoint")
    webhooks.add_endpoint(
        engine, "erp", receiver.url, ["sale.placed"], by=Actor(via="tests"), allow_private=True
    )
    second = sell(2)
    wait_for(lambda: receiver.accepted(), timeout=15, what="the delivery to the endpoint added just before")
    assert [json.loads(d.body)["payload"]["order_id"] for d in receiver.accepted()] == [second]
