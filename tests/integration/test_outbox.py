"""The transactional outbox: every change others must hear of writes its event in the same
transaction; no event without its change, no change without its event (all 3 databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from tests.integration.helpers import make_sale, sellable_skus
from till.domain.customers import Customer
from till.domain.inventory import StockAdjustment
from till.domain.sales import RefundLineRequest
from till.services import customers, price_changes, refunds, shifts
from till.services.auth import Principal
from till.services.sales import place_sales
from till.services.stock import adjust_stock
from till.storage.events import EventRepository
from till.storage.tables import outbox, products
from till.storage.uow import UnitOfWork

pytestmark = pytest.mark.db


def principal(engine: Engine, username: str) -> Principal:
    with UnitOfWork(engine) as uow:
        found = uow.staff.by_username(username)
        assert found is not None
        return Principal(found[0])


def topics(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(outbox.c.topic).order_by(outbox.c.id)).scalars())


def events(engine: Engine, topic: str) -> list[dict[str, Any]]:
    with UnitOfWork(engine) as uow:
        return [e["payload"] for e in uow.events.events(topic)]


def test_each_change_writes_its_event(demo_engine: Engine) -> None:
    engine = demo_engine
    admin = principal(engine, "admin")
    sku = sellable_skus(engine, 1)[0]

    [result] = place_sales(
        engine, [make_sale(engine, key="sale-outbox-0001", receipt="NYC1-9001", lines=[(sku, Decimal(2))])]
    )
    assert result.status == "accepted"
    assert topics(engine) == ["sale.placed", "order.fulfilled"]
    [placed] = events(engine, "sale.placed")
    assert placed["order_id"] == result.order_id and [Decimal(line["qty"]) for line in placed["lines"]] == [2]

    refunds.refund(
        engine,
        admin,
        order_id=str(result.order_id),
        idempotency_key="refund-outbox-0001",
        register_code="NYC1",
        lines=[RefundLineRequest(1, Decimal(1))],
        method="cash",
    )
    with UnitOfWork(engine) as uow:
        source = uow.reference.location("NYC")
        assert source is not None
    adjust_stock(engine, admin, StockAdjustment(sku, source.source_code, "damage", Decimal(1), "dropped"))
    customers.create_customer(engine, Customer("outbox@example.com", "Out", "Box", 1), "cust-outbox-0001")
    shifts.open_shift(engine, admin, "NYC2", Decimal("100.00"))
    shifts.close_shift(engine, admin, "NYC2", Decimal("100.00"))
    price_changes.change_price(engine, admin, sku, price=Decimal("99.50"))

    assert topics(engine) == [
        "sale.placed",
        "order.fulfilled",
        "refund.created",
        "stock.adjusted",
        "customer.created",
        "shift.closed",
        "price.changed",
    ]
    [price] = events(engine, "price.changed")
    assert price["sku"] == sku and price["price"] == "99.50"


def test_a_failed_change_leaves_no_event(demo_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The event is written, then the change fails later in the transaction: neither stays."""
    engine = demo_engine
    admin = principal(engine, "admin")
    sku = sellable_skus(engine, 1)[0]
    with engine.connect() as conn:
        before = conn.execute(select(products.c.price).where(products.c.sku == sku)).scalar_one()

    def broken_audit(self: EventRepository, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(EventRepository, "audit", broken_audit)
    with pytest.raises(RuntimeError):
        price_changes.change_price(engine, admin, sku, price=Decimal("1.00"))
    with engine.connect() as conn:
        assert conn.execute(select(products.c.price).where(products.c.sku == sku)).scalar_one() == before
        assert conn.execute(select(func.count()).select_from(outbox)).scalar_one() == 0


def test_a_failed_event_leaves_no_change(demo_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing the event fails: the sale is not stored either (the till keeps it and retries)."""
    engine = demo_engine
    sku = sellable_skus(engine, 1)[0]

    def broken_publish(self: EventRepository, *args: Any) -> str:
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(EventRepository, "publish", broken_publish)
    monkeypatch.setattr(EventRepository, "publish_many", broken_publish)
    with pytest.raises(RuntimeError):
        place_sales(
            engine,
            [make_sale(engine, key="sale-outbox-0002", receipt="NYC1-9002", lines=[(sku, Decimal(1))])],
        )
    with UnitOfWork(engine) as uow:
        assert uow.sales.id_for_key("sale-outbox-0002") is None
    assert topics(engine) == []


def test_scheduled_special_price_starts_and_ends_through_the_feed(demo_engine: Engine) -> None:
    """The scheduler's price job applies a planned special price, writes the change feed
    (`prices`) and the event; at its end the old special price is back."""
    from till.services.sync import pull

    engine = demo_engine
    admin = principal(engine, "admin")
    sku = sellable_skus(engine, 1)[0]
    start = datetime.now(UTC) + timedelta(minutes=5)
    price_changes.schedule_special_price(
        engine, admin, sku, Decimal("3.25"), start, start + timedelta(hours=1)
    )
    cursor = pull(engine, "prices", 0, 100_000, "NYC").cursor

    assert price_changes.apply_due_prices(engine, now=start - timedelta(seconds=1)) == {
        "started": 0,
        "ended": 0,
    }
    assert price_changes.apply_due_prices(engine, now=start) == {"started": 1, "ended": 0}
    page = pull(engine, "prices", cursor, 100, "NYC")
    [item] = page.items
    assert item["sku"] == sku and item["special_price"] == "3.25"
    assert price_changes.apply_due_prices(engine, now=start) == {"started": 0, "ended": 0}, "applied once"

    assert price_changes.apply_due_prices(engine, now=start + timedelta(hours=1)) == {
        "started": 0,
        "ended": 1,
    }
    [after] = pull(engine, "prices", page.cursor, 100, "NYC").items
    assert after["special_price"] is None
    assert [e["reason"] for e in events(engine, "price.changed")] == ["schedule started", "schedule ended"]


def test_a_scheduled_special_price_starts_on_the_shops_day_not_utcs(demo_engine: Engine) -> None:
    """Planned for 5:30 pm in Los Angeles (01:30 UTC the next day), the special price is on
    from the shop's own calendar day, so tills there sell at it at once (issue 18 item 2)."""
    from sqlalchemy import update

    from till.storage.tables import locations

    engine = demo_engine
    with engine.begin() as conn:
        conn.execute(update(locations).values(timezone="America/Los_Angeles"))
    admin = principal(engine, "admin")
    sku = sellable_skus(engine, 1)[0]
    start = datetime(2026, 12, 2, 1, 30, tzinfo=UTC)  # 2026-12-01 17:30 in Los Angeles
    price_changes.schedule_special_price(
        engine, admin, sku, Decimal("0.25"), start, start + timedelta(hours=3)
    )
    assert price_changes.apply_due_prices(engine, now=start) == {"started": 1, "ended": 0}

    with UnitOfWork(engine) as uow:
        product = uow.catalog.products([sku])[sku]
        shop = uow.reference.location("NYC")
    assert shop is not None
    day = shop.business_day(start)
    assert day.isoformat() == "2026-12-01"
    assert product.special_price is not None
    assert str(product.special_price.starts) == "2026-12-01"
    assert product.final_price(day, 0) == Decimal("0.25"), "on sale in the shop from now"
