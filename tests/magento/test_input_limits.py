"""A store with Web API input limits on (issue 13 item 14): at most 20 objects per array and
300 rows per page (Stores > Configuration > Services > Web API Input Limits)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from tests.integration.helpers import make_sale
from tests.magento.conftest import client_for, connector_settings, run
from tests.magento.double import MagentoDouble
from tests.magento.store import add_simple, seed_till_shop
from till.magento.check import check
from till.magento.client import MagentoError
from till.magento.export import MagentoExporter
from till.magento.pull import pull
from till.services.sales import place_sales
from till.storage import tables as t

SKUS = [f"LIM-{n:02d}" for n in range(25)]


def _store_with_many_products(engine: Engine, magento: MagentoDouble) -> dict[str, int]:
    staff = seed_till_shop(engine)
    for n, sku in enumerate(SKUS):
        add_simple(magento, 500 + n, sku, "3.00", nyc=10)
    magento.input_limits = True

    async def go() -> None:
        async with client_for(magento) as client:
            await pull(engine, client, full=True)

    run(go())
    return staff


def test_a_stock_push_of_more_items_than_the_limit_goes_in_calls_that_fit(
    sqlite_engine: Engine, magento: MagentoDouble
) -> None:
    _store_with_many_products(sqlite_engine, magento)

    async def go() -> None:
        async with client_for(magento) as client:
            moves = [(sku, "nyc_store", Decimal(-1)) for sku in SKUS]
            await MagentoExporter(sqlite_engine, client).push_stock("count:limits", moves)

    run(go())
    assert {magento.source_items[(sku, "nyc_store")]["quantity"] for sku in SKUS} == {9.0}
    assert magento.calls.count(("POST", "/V1/inventory/source-items")) == 2  # 20 + 5


def test_a_sale_of_more_lines_than_the_limit_is_refused_by_magento_with_its_reason(
    sqlite_engine: Engine, magento: MagentoDouble
) -> None:
    """What happens to it: Magento answers 400 with the limit, the export raises (the queue
    retries it, then keeps it as a dead letter to replay once the store raised its limit)."""
    staff = _store_with_many_products(sqlite_engine, magento)
    sale = make_sale(
        sqlite_engine,
        key="sale-limits-1",
        receipt="NYC1-000101",
        staff_id=staff["cashier"],
        lines=[(sku, Decimal(1)) for sku in SKUS[:21]],
    )
    place_sales(sqlite_engine, [sale])
    with sqlite_engine.connect() as conn:
        message = next(m for m in conn.execute(t.outbox.select()) if m.topic == "sale.placed")

    async def go() -> None:
        async with client_for(magento) as client:
            await MagentoExporter(sqlite_engine, client).export(
                message.message_id, message.topic, message.payload
            )

    with pytest.raises(MagentoError, match=r'Maximum items of type "object" is 20'):
        run(go())
    assert not [o for o in magento.orders.values() if o.get("ext_order_id")]
    magento.input_list_limit = 50  # the store raises its Input List Limit: the replay goes through
    run(go())
    assert len([o for o in magento.orders.values() if o.get("ext_order_id")]) == 1


def test_check_says_when_input_limits_are_on_and_what_they_mean(
    sqlite_engine: Engine, magento: MagentoDouble
) -> None:
    seed_till_shop(sqlite_engine)
    magento.input_limits = True

    async def go() -> object:
        async with client_for(magento) as client:
            return await check(sqlite_engine, client)

    report = run(go())
    assert report.ok, report.problems  # type: ignore[attr-defined]
    assert any("Input List Limit" in w for w in report.warnings)  # type: ignore[attr-defined]
    magento.max_page_size = 1  # a store that lowered its maximum below Till's page size (2)
    report = run(go())
    assert any("maximum page size 1" in p for p in report.problems)  # type: ignore[attr-defined]


def test_page_size_cannot_exceed_magentos_maximum(magento: MagentoDouble) -> None:
    with pytest.raises(ValidationError, match="less than or equal to 300"):
        connector_settings(magento, page_size=500)
