"""A POS sale's coupon counted in Magento as far as REST allows (till.magento.coupons)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine, select

from tests.integration.helpers import make_sale
from tests.magento.conftest import client_for, run
from tests.magento.double import MagentoDouble
from tests.magento.store import seed_till_shop
from till.magento.export import MagentoExporter
from till.magento.pull import pull
from till.services.sales import place_sales
from till.storage import tables as t


def _export_all(engine: Engine, magento: MagentoDouble) -> None:
    async def go() -> None:
        async with client_for(magento) as client:
            exporter = MagentoExporter(engine, client)
            with engine.connect() as conn:
                messages = conn.execute(select(t.outbox).order_by(t.outbox.c.id)).all()
            for m in messages:
                if m.topic in exporter.topics:
                    await exporter.export(m.message_id, m.topic, m.payload)

    run(go())


def test_a_coupon_used_at_the_till_is_counted_once_in_magento(engine: Engine, magento: MagentoDouble) -> None:
    staff = seed_till_shop(engine)
    magento.add_sales_rule(
        12, coupon_code="LUMA5", simple_action="cart_fixed", discount_amount=5, uses_per_coupon=3
    )

    async def pulled() -> None:
        async with client_for(magento) as client:
            await pull(engine, client, full=True)

    run(pulled())
    typed = make_sale(
        engine,
        key="sale-coupon-1",
        receipt="NYC1-000301",
        staff_id=staff["cashier"],
        lines=[("24-MB01", Decimal(1))],
        coupon_code="luma5",
    )
    refused = make_sale(
        engine,
        key="sale-coupon-2",
        receipt="NYC1-000302",
        staff_id=staff["cashier"],
        lines=[("24-MB01", Decimal(1))],
        coupon_code="NOT-A-CODE",
    )
    assert [r.status for r in place_sales(engine, [typed, refused])] == ["accepted", "accepted"]

    _export_all(engine, magento)
    _export_all(engine, magento)  # a replayed queue counts nothing twice

    [coupon] = [c for c in magento.coupons.values() if c["rule_id"] == 12]
    assert coupon["times_used"] == 1
    orders = {o["increment_id"]: o for o in magento.orders.values()}
    # The order carries the coupon Magento knows, as Magento spells it; a refused code is not applied.
    assert orders["NYC1-000301"]["coupon_code"] == "LUMA5"
    assert Decimal(str(orders["NYC1-000301"]["discount_amount"])) == Decimal("-5")
    assert orders["NYC1-000302"].get("coupon_code") is None
