"""Racing tills on real databases: nothing lost, nothing doubled, no lost update."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal

from sqlalchemy import Engine

from till.domain.inventory import StockAdjustment
from till.services.auth import Principal
from till.services.sales import SaleResult, place_sales
from till.services.stock import adjust_stock
from till.storage.uow import UnitOfWork

from .helpers import make_sale, order_count, salable, sellable_skus


def _race(*jobs: object) -> list[list[SaleResult]]:
    """Run callables at the same moment on threads; their results in order."""
    barrier = threading.Barrier(len(jobs))
    results: list[list[SaleResult]] = [[] for _ in jobs]
    errors: list[BaseException] = []

    def run(index: int, job: object) -> None:
        barrier.wait()
        try:
            results[index] = job()  # type: ignore[operator]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


def _set_last_unit(engine: Engine, sku: str) -> int:
    """Leave exactly one salable unit of the sku at NYC; returns NYC's stock id."""
    with UnitOfWork(engine) as uow:
        location = uow.reference.location("NYC")
        admin = next(m for m in uow.staff.all() if m.role == "admin")
    assert location is not None
    adjust_stock(engine, Principal(admin), StockAdjustment(sku, location.source_code, "count", Decimal(1)))
    assert salable(engine, location.stock_id, [sku])[sku] == 1
    return location.stock_id


def test_two_tills_selling_the_last_unit_keep_both_sales(demo_engine: Engine) -> None:
    engine = demo_engine
    [sku] = sellable_skus(engine, 1)
    stock_id = _set_last_unit(engine, sku)
    one = make_sale(engine, key=f"race-{uuid.uuid4()}", receipt="NYC1-000100", lines=[(sku, Decimal(1))])
    two = make_sale(
        engine, key=f"race-{uuid.uuid4()}", receipt="NYC2-000100", lines=[(sku, Decimal(1))], register="NYC2"
    )

    first, second = _race(lambda: place_sales(engine, [one]), lambda: place_sales(engine, [two]))

    assert [r.status for r in first + second] == ["accepted", "accepted"]
    assert salable(engine, stock_id, [sku])[sku] == -1
    with UnitOfWork(engine) as uow:
        flagged = [f for f in uow.sales.flags() if f["flag"] == "oversold"]
    assert flagged, "the oversell must be visible to a manager"


def test_racing_retries_of_one_sale_make_one_sale(demo_engine: Engine) -> None:
    engine = demo_engine
    skus = sellable_skus(engine, 2)
    before = order_count(engine)
    start = salable(engine, 2, skus)
    sale = make_sale(
        engine,
        key=f"retry-{uuid.uuid4()}",
        receipt="NYC1-000200",
        lines=[(skus[0], Decimal(2)), (skus[1], Decimal(1))],
    )

    results = _race(*[(lambda: place_sales(engine, [sale])) for _ in range(4)])

    statuses = sorted(r.status for batch in results for r in batch)
    assert statuses == ["accepted", "duplicate", "duplicate", "duplicate"]
    assert len({r.order_id for batch in results for r in batch}) == 1
    assert order_count(engine) == before + 1
    now = salable(engine, 2, skus)
    assert now[skus[0]] == start[skus[0]] - 2
    assert now[skus[1]] == start[skus[1]] - 1


def test_many_concurrent_sales_of_one_sku_lose_no_update(demo_engine: Engine) -> None:
    engine = demo_engine
    [sku] = sellable_skus(engine, 1)
    start = salable(engine, 2, [sku])[sku]
    web_start = salable(engine, 1, [sku])[sku]
    sales = [
        make_sale(
            engine, key=f"many-{uuid.uuid4()}", receipt=f"NYC1-{300 + n:06d}", lines=[(sku, Decimal(1))]
        )
        for n in range(12)
    ]
    jobs = [(lambda chunk=sales[i::4]: place_sales(engine, chunk)) for i in range(4)]

    results = _race(*jobs)

    assert sum(1 for batch in results for r in batch if r.status == "accepted") == 12
    assert salable(engine, 2, [sku])[sku] == start - 12
    # Fulfilment deducted the shop's source, which the web store's stock also counts.
    assert salable(engine, 1, [sku])[sku] == web_start - 12
