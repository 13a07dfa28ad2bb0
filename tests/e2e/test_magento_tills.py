"""Tills pushing over the real HTTP API, on a store whose data comes from Magento (the double),
then the exporter: what the Magento merchant sees."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select

from tests.e2e.conftest import Live, priced, sale_payload
from tests.magento.conftest import client_for, magento, magento_server, run  # noqa: F401 - fixtures
from tests.magento.double import MagentoDouble
from till.magento.export import MagentoExporter
from till.magento.pull import pull
from till.storage import tables as t


def _pull(engine: Engine, double: MagentoDouble, *, full: bool = False) -> None:
    async def go() -> None:
        async with client_for(double) as client:
            await pull(engine, client, full=full)

    run(go())


def _export(engine: Engine, double: MagentoDouble) -> None:
    async def go() -> None:
        async with client_for(double) as client:
            exporter = MagentoExporter(engine, client)
            with engine.connect() as conn:
                messages = conn.execute(select(t.outbox).order_by(t.outbox.c.id)).all()
            for m in messages:
                if m.topic in exporter.topics:
                    await exporter.export(m.message_id, m.topic, m.payload)

    run(go())


def _line(sku: str, qty: str, price: str) -> dict[str, Any]:
    return {"sku": sku, "qty": qty, "unit_price": price}


def test_sales_pushed_by_tills_become_magento_orders_and_stock_once(
    live: Live,
    magento: MagentoDouble,  # noqa: F811 - the fixture imported above
) -> None:
    # The web store's coupon, pulled from Magento with the rest.
    magento.add_sales_rule(70, coupon_code="WELCOME10", name="Welcome: 10% off", discount_amount=10)
    _pull(live.engine, magento, full=True)
    # With a coupon (10 % off) and a cashier's line discount: Magento gets Till's exact figures.
    online = priced(
        live,
        sale_payload(
            live,
            key="till-push-0001",
            receipt="NYC1-000501",
            coupon_code="WELCOME10",
            lines=[
                _line("24-MB01", "2", "34.00"),
                {**_line("24-MB02", "1", "49.00"), "line_discount": {"kind": "amount", "value": "4.00"}},
            ],
        ),
    )
    # Made offline an hour earlier, when Magento's shop source held one hoodie in M.
    offline = priced(
        live,
        sale_payload(
            live,
            key="till-push-0002",
            receipt="NYC1-000502",
            created_at="2026-11-25T14:04:05+00:00",
            lines=[_line("MH01-M-Black", "3", "52.00")],
        ),
    )
    with live.sign_in("maya") as till:
        answer = till.post("/api/sync/push", json={"sales": [online, offline]})
        replay = till.post("/api/sync/push", json={"sales": [online, offline]})
    assert answer.status_code == 200, answer.text
    assert [s["status"] for s in answer.json()["sales"]] == ["accepted", "accepted"]
    assert [s["status"] for s in replay.json()["sales"]] == ["duplicate", "duplicate"]

    _export(live.engine, magento)
    _export(live.engine, magento)  # a replayed queue

    orders = {o["increment_id"]: o for o in magento.orders.values()}
    assert sorted(orders) == ["NYC1-000501", "NYC1-000502"]
    first = orders["NYC1-000501"]
    assert Decimal(first["grand_total"]) == Decimal(online["totals"]["grand_total"])
    assert Decimal(first["discount_amount"]) == -Decimal(online["totals"]["discount"]) < 0
    assert Decimal(first["tax_amount"]) == Decimal(online["totals"]["tax"])
    assert first["coupon_code"] == "WELCOME10"
    assert [c["times_used"] for c in magento.coupons.values() if c["code"] == "WELCOME10"] == [1]
    assert sum(Decimal(i["discount_amount"]) for i in first["items"]) == Decimal(online["totals"]["discount"])
    assert Decimal(first["subtotal"]) - Decimal(online["totals"]["discount"]) + Decimal(
        first["tax_amount"]
    ) + Decimal(first["discount_tax_compensation_amount"]) == Decimal(first["grand_total"])
    assert Decimal(orders["NYC1-000502"]["tax_amount"]) == Decimal(offline["totals"]["tax"])
    assert all(o["state"] == "complete" for o in orders.values()) and len(magento.invoices) == 2
    bags = magento.source_items[("24-MB01", "nyc_store")]
    hoodies = magento.source_items[("MH01-M-Black", "nyc_store")]
    assert (bags["quantity"], bags["status"]) == (8.0, 1)
    backpacks = magento.source_items[("24-MB02", "nyc_store")]
    assert (backpacks["quantity"], backpacks["status"]) == (1.0, 1)
    assert (hoodies["quantity"], hoodies["status"]) == (-2.0, 0)
    assert magento.salable("24-MB01", 1) == Decimal(108)  # warehouse 100 + shop 8: the sale once
    assert magento.reservations == []

    # The till's next stock pull says what Magento says.
    _pull(live.engine, magento)
    with live.sign_in("maya") as till:
        page = till.get("/api/sync/stock", params={"location": "NYC", "cursor": 0, "limit": 5000}).json()
    salable = {item["sku"]: item["salable"] for item in page["items"]}
    assert salable["24-MB01"] == "8.0000" and salable["MH01-M-Black"] == "-2.0000"
