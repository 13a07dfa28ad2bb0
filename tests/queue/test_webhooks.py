"""Signed webhooks through a real worker: retries with backoff, then exactly one accepted
delivery with a valid signature; dead letters after the last try, replayed by a person."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from tests.integration.helpers import make_sale, sellable_skus
from tests.queue.conftest import Receiver, WorkerThread, queue_settings, wait_for
from till.queue import store, webhooks
from till.services.sales import place_sales
from till.storage.events import Actor

pytestmark = pytest.mark.db


def _sell(engine: Engine, n: int = 1, prefix: str = "hook", base: int = 5000) -> list[str]:
    skus = sellable_skus(engine, 2)
    results = place_sales(
        engine,
        [
            make_sale(
                engine,
                key=f"sale-{prefix}-{i:04d}",
                receipt=f"NYC1-{base + i}",
                lines=[(skus[i % 2], Decimal(1))],
            )
            for i in range(n)
        ],
    )
    return [str(r.order_id) for r in results]


def _unsent(engine: Engine) -> int:
    with engine.connect() as conn:
        return store.unsent_count(conn)


def _check_signed(receiver: Receiver, secret: str) -> None:
    for delivery in receiver.deliveries:
        assert webhooks.verify(secret, delivery.headers["till-signature"], delivery.body)
        assert delivery.headers["till-signature"].startswith(f"t={delivery.headers['till-timestamp']},")
        assert not webhooks.verify("another secret", delivery.headers["till-signature"], delivery.body)


def test_signature_refuses_a_tampered_or_stale_body() -> None:
    body = b'{"id":"1","payload":{"grand_total":"10.00"}}'
    header = webhooks.sign("s3cret", 1_800_000_000, body)
    assert webhooks.verify("s3cret", header, body, now=1_800_000_010)
    assert not webhooks.verify("s3cret", header, body.replace(b"10.00", b"99.00"), now=1_800_000_010)
    assert not webhooks.verify("s3cret", header, body, now=1_800_000_000 + 301), "replayed after 5 minutes"
    assert not webhooks.verify("s3cret", "v1=abc", body)


def test_a_receiver_failing_three_times_gets_the_sale_once(
    demo_engine: Engine, receiver: Receiver, start_worker: Callable[..., WorkerThread]
) -> None:
    engine = demo_engine
    receiver.script = [500, 503, 502]
    endpoint = webhooks.add_endpoint(
        engine, "erp", receiver.url, ["sale.placed"], by=Actor(via="tests"), allow_private=True
    )
    start_worker(engine, queue_settings(engine), schedule=False)
    [order_id] = _sell(engine)

    wait_for(lambda: receiver.accepted(), what="the accepted delivery")
    wait_for(
        lambda: store.is_processed(
            engine, f"webhook.{endpoint['id']}", receiver.accepted()[0].headers["till-message-id"]
        ),
        what="the processed mark",
    )
    assert [d.status for d in receiver.deliveries] == [500, 503, 502, 200]
    assert len({d.headers["till-message-id"] for d in receiver.deliveries}) == 1, "one event, retried"
    assert [d.headers["till-attempt"] for d in receiver.deliveries] == ["1", "2", "3", "4"]
    _check_signed(receiver, endpoint["secret"])
    [accepted] = receiver.accepted()
    document = json.loads(accepted.body)
    assert document["topic"] == "sale.placed" and document["payload"]["order_id"] == order_id
    assert len(receiver.deliveries) == 4, "nothing more arrives (no second delivery)"


def test_the_last_failure_is_a_dead_letter_a_person_replays(
    demo_engine: Engine, receiver: Receiver, start_worker: Callable[..., WorkerThread]
) -> None:
    engine = demo_engine
    receiver.default = 500
    endpoint = webhooks.add_endpoint(
        engine, "crm", receiver.url, ["*"], by=Actor(via="tests"), allow_private=True
    )
    worker = start_worker(engine, queue_settings(engine, queue_max_attempts=3), schedule=False)
    _sell(engine, prefix="dead")
    queue = f"webhook.{endpoint['id']}"

    letters = wait_for(lambda: store.dead_letters(engine, queue), what="two dead letters (sale, fulfilment)")
    wait_for(lambda: len(store.dead_letters(engine, queue)) == 2, what="both dead letters")
    letters = store.dead_letters(engine, queue)
    assert {letter["topic"] for letter in letters} == {"sale.placed", "order.fulfilled"}
    assert all(letter["attempts"] == 3 and "answered 500" in letter["last_error"] for letter in letters)
    assert len(receiver.deliveries) == 6, "three tries each, then no more"

    receiver.default = 200
    replayed, discarded = sorted(letters, key=lambda letter: letter["topic"] != "sale.placed")
    import asyncio

    from till.bootstrap import make_transport
    from till.queue import deadletters

    asyncio.run(
        deadletters.replay(
            engine,
            make_transport(engine, worker.worker.settings, "replay"),
            replayed["id"],
            by=Actor(via="tests"),
        )
    )
    deadletters.discard(engine, discarded["id"], by=Actor(via="tests"))
    wait_for(lambda: receiver.accepted(), what="the replayed delivery")
    wait_for(lambda: store.is_processed(engine, queue, replayed["message_id"]), what="the processed mark")
    assert [json.loads(d.body)["topic"] for d in receiver.accepted()] == ["sale.placed"]
    assert store.dead_letters(engine, queue) == []


def test_an_endpoint_added_a_moment_before_a_sale_hears_it(
    demo_engine: Engine, receiver: Receiver, start_worker: Callable[..., WorkerThread]
) -> None:
    """The relay routes each event by the endpoints committed when it claims the event, not by
    what the worker last refreshed: with a refresh only every minute, the sale made right after
    the endpoint was added still reaches it."""
    engine = demo_engine
    start_worker(engine, queue_settings(engine), schedule=False, refresh_seconds=60)
    _sell(engine, prefix="before")
    wait_for(lambda: _unsent(engine) == 0, what="the relay of the sale before the endpoint")
    webhooks.add_endpoint(
        engine, "erp", receiver.url, ["sale.placed"], by=Actor(via="tests"), allow_private=True
    )
    [order_id] = _sell(engine, prefix="after", base=6000)

    wait_for(lambda: receiver.accepted(), timeout=15, what="the delivery to the endpoint added just before")
    [accepted] = receiver.accepted()
    assert json.loads(accepted.body)["payload"]["order_id"] == order_id, "only the sale after the endpoint"
