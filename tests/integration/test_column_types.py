"""The shared column types give the same Python values back on every database: money as a
`Decimal` in cents, quantities at four places, moments as aware UTC datetimes (all 3 databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import StatementError

from till.storage.tables import NaiveMoment, magento_stock_differences, price_schedules

pytestmark = pytest.mark.db

PARIS = timezone(timedelta(hours=1))


def _schedule(engine: Engine, **values: object) -> None:
    row = {
        "sku": "SKU-1",
        "special_price": Decimal("9.99"),
        "starts_at": datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        "status": "pending",
        "created_at": datetime(2026, 2, 1, 8, 0, tzinfo=UTC),
    }
    with engine.begin() as conn:
        conn.execute(insert(price_schedules).values({**row, **values}))


def test_money_comes_back_as_cents(engine: Engine) -> None:
    _schedule(engine, special_price=Decimal("12.3456"))
    _schedule(engine, special_price=12)
    with engine.connect() as conn:
        query = select(price_schedules.c.special_price).order_by(price_schedules.c.id)
        prices = list(conn.execute(query).scalars())
    assert prices == [Decimal("12.35"), Decimal("12.00")]
    assert all(isinstance(p, Decimal) and p.as_tuple().exponent == -2 for p in prices)


def test_quantities_come_back_at_four_places(engine: Engine) -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(magento_stock_differences).values(
                sku="SKU-1",
                stock_id=1,
                till_quantity=Decimal("3"),
                magento_quantity=Decimal("2.5"),
                state="open",
                found_at=moment,
                checked_at=moment,
            )
        )
    with engine.connect() as conn:
        row = conn.execute(select(magento_stock_differences)).one()
        total = conn.execute(select(func.sum(magento_stock_differences.c.magento_quantity))).scalar_one()
    assert (row.till_quantity, row.magento_quantity) == (Decimal("3.0000"), Decimal("2.5000"))
    assert str(row.till_quantity) == "3.0000"
    # A sum of a quantity column carries the column's type, so it is quantised as well.
    assert total == Decimal("2.5000") and str(total) == "2.5000"
    assert row.found_at == moment and row.found_at.tzinfo is UTC


def test_moments_come_back_aware_in_utc(engine: Engine) -> None:
    in_paris = datetime(2026, 3, 1, 10, 30, 15, 250000, tzinfo=PARIS)
    _schedule(engine, starts_at=in_paris, ends_at=None)
    with engine.connect() as conn:
        row = conn.execute(select(price_schedules)).one()
        latest = conn.execute(select(func.max(price_schedules.c.starts_at))).scalar_one()
        in_utc = datetime(2026, 3, 1, 9, 30, 15, 250000, tzinfo=UTC)
        found = conn.execute(select(func.count()).where(price_schedules.c.starts_at == in_utc)).scalar_one()
    assert row.starts_at == in_utc
    assert row.starts_at.tzinfo is UTC  # stored as UTC, not as Paris wall time
    assert row.created_at.tzinfo is UTC
    assert row.ends_at is None
    assert latest == row.starts_at and latest.tzinfo is UTC
    assert found == 1


def test_a_naive_moment_is_refused_on_write(engine: Engine) -> None:
    with pytest.raises(StatementError) as refused:
        _schedule(engine, starts_at=datetime(2026, 3, 1, 9, 30))
    assert isinstance(refused.value.orig, NaiveMoment)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(price_schedules)).scalar_one() == 0
