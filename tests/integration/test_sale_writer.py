"""Group commit: batches pushed at once to one process are placed together, and each request
still gets exactly its own answers."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal

from sqlalchemy import Engine

from tests.integration.helpers import make_sale, order_count, salable, sellable_skus
from till.services.sale_writer import SaleWriter
from till.services.sales import PushedSale, SaleResult


def _push_at_once(writer: SaleWriter, batches: list[list[PushedSale]]) -> list[list[SaleResult] | Exception]:
    """Each batch from its own thread (a till's request), all released together."""
    barrier = threading.Barrier(len(batches))
    answers: list[list[SaleResult] | Exception] = [[] for _ in batches]

    def push(index: int) -> None:
        barrier.wait()
        try:
            answers[index] = writer.place(batches[index])
        except Exception as exc:
            answers[index] = exc

    threads = [threading.Thread(target=push, args=(i,)) for i in range(len(batches))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


def test_tills_pushing_at_once_each_get_their_own_answers_and_every_sale_once(demo_engine: Engine) -> None:
    engine = demo_engine
    skus = sellable_skus(engine, 3)
    start = salable(engine, 2, skus)
    orders_before = order_count(engine)
    batches = [
        [
            make_sale(
                engine,
                key=f"gc-{till}-{n}-{uuid.uuid4()}",
                receipt=f"NYC1-{till * 10 + n + 500:06d}",
                lines=[(skus[(till + n) % 3], Decimal(1))],
            )
            for n in range(3)
        ]
        for till in range(8)
    ]
    # The last till retries the first till's batch (its answer was lost): same sales, no new ones.
    batches.append(list(batches[0]))

    answers = _push_at_once(SaleWriter(engine), batches)

    for batch, answer in zip(batches, answers, strict=True):
        assert isinstance(answer, list), answer
        assert [r.idempotency_key for r in answer] == [s.idempotency_key for s in batch]
    first, replay = answers[0], answers[-1]
    assert isinstance(first, list) and isinstance(replay, list)
    assert [r.order_id for r in replay] == [r.order_id for r in first]
    statuses = sorted(r.status for answer in answers if isinstance(answer, list) for r in answer)
    assert statuses.count("accepted") == 24 and statuses.count("duplicate") == 3
    assert order_count(engine) == orders_before + 24
    lines = [s.sale.lines[0].sku for b in batches[:8] for s in b if s.sale]
    sold = {sku: lines.count(sku) for sku in skus}
    assert salable(engine, 2, skus) == {sku: start[sku] - sold[sku] for sku in skus}


def test_a_batch_the_database_refuses_fails_alone(pg_demo_engine: Engine) -> None:
    engine = pg_demo_engine
    [sku] = sellable_skus(engine, 1)
    one = Decimal(1)
    orders_before = order_count(engine)
    good = [
        [make_sale(engine, key=f"ok-{n}-{uuid.uuid4()}", receipt=f"NYC1-{700 + n:06d}", lines=[(sku, one)])]
        for n in range(5)
    ]
    # A quantity past the column's size: the database refuses the INSERT (the API's validation
    # stops it first; the writer must not let it take other tills' sales down with it).
    too_many = Decimal(10) ** 9
    bad = [make_sale(engine, key=f"bad-{uuid.uuid4()}", receipt="NYC1-000799", lines=[(sku, too_many)])]

    answers = _push_at_once(SaleWriter(engine), [*good, bad])

    assert isinstance(answers[-1], Exception)
    assert all(isinstance(a, list) and a[0].status == "accepted" for a in answers[:-1]), answers
    assert order_count(engine) == orders_before + 5
