"""`till fulfil`: the sweep that hands over the goods of sales stored before fulfilment was part
of placing them, each once."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import Engine, func, select, update

from tests.integration.helpers import make_sale, sellable_skus
from till.services.sale_writer import SaleWriter
from till.services.sales import fulfil_orders
from till.storage.tables import orders, outbox


def _fulfilments(engine: Engine) -> int:
    with engine.connect() as conn:
        query = select(func.count()).where(outbox.c.topic == "order.fulfilled")
        return int(conn.execute(query).scalar_one())


def test_the_sweep_fulfils_each_waiting_sale_once(demo_engine: Engine) -> None:
    engine = demo_engine
    while fulfil_orders(engine):
        pass  # whatever the seed left waiting
    [sku] = sellable_skus(engine, 1)
    sale = make_sale(engine, key=f"sweep-{uuid.uuid4()}", receipt="NYC1-000901", lines=[(sku, Decimal(2))])
    [answer] = SaleWriter(engine).place([sale])
    assert answer.status == "accepted" and answer.order_id is not None
    order_id = answer.order_id
    with engine.begin() as conn:  # as a sale stored before fulfilment was part of placing it
        conn.execute(update(orders).where(orders.c.id == order_id).values(fulfilled_at=None))
    before = _fulfilments(engine)

    assert fulfil_orders(engine) == 1
    assert fulfil_orders(engine) == 0, "a fulfilled sale is not handed over twice"

    with engine.connect() as conn:
        fulfilled_at = conn.execute(select(orders.c.fulfilled_at).where(orders.c.id == order_id)).scalar_one()
    assert fulfilled_at is not None and fulfilled_at.tzinfo is not None
    assert _fulfilments(engine) == before + 1
