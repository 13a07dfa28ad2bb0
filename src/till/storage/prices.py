"""Prices: a product's price fields and the planned special prices (price schedules)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select, update

from till.storage.tables import price_schedules, products

#: The product's own price fields, as a price change writes and announces them.
PRICE_FIELDS = ("price", "special_price", "special_from", "special_to")


@dataclass(frozen=True, slots=True)
class PriceSchedule:
    """A special price planned from `starts_at` until `ends_at` (pending, active or ended)."""

    id: int
    sku: str
    special_price: Decimal
    starts_at: datetime
    ends_at: datetime | None
    status: str
    #: the product's special price fields before activation, restored at the end
    previous: dict[str, Any] | None


def _schedule(row: Any) -> PriceSchedule:
    return PriceSchedule(
        id=row.id,
        sku=row.sku,
        special_price=row.special_price,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        status=row.status,
        previous=row.previous,
    )


class PriceRepository:
    """Writes a product's price fields; keeps the price schedules."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def set_prices(self, sku: str, values: dict[str, Any], at: datetime) -> dict[str, Any] | None:
        """Write price fields of a product; its four price fields after, or None if no such sku."""
        changed = self.conn.execute(
            update(products).where(products.c.sku == sku).values(updated_at=at, **values)
        ).rowcount
        if not changed:
            return None
        fields = select(*(products.c[f] for f in PRICE_FIELDS))
        row = self.conn.execute(fields.where(products.c.sku == sku)).one()
        return dict(row._mapping)

    def special_of(self, sku: str) -> dict[str, Any] | None:
        """A product's special price, from and to; None if no such sku."""
        row = self.conn.execute(
            select(products.c.special_price, products.c.special_from, products.c.special_to).where(
                products.c.sku == sku
            )
        ).first()
        return None if row is None else dict(row._mapping)

    def add_schedule(
        self,
        *,
        sku: str,
        special_price: Decimal,
        starts_at: datetime,
        ends_at: datetime | None,
        staff_id: int,
        at: datetime,
    ) -> int:
        """Plan a special price (pending); returns its id."""
        result = self.conn.execute(
            insert(price_schedules).values(
                sku=sku,
                special_price=special_price,
                starts_at=starts_at,
                ends_at=ends_at,
                status="pending",
                previous=None,
                staff_id=staff_id,
                created_at=at,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def schedules(self, limit: int) -> list[PriceSchedule]:
        """Planned, running and ended special prices, newest first."""
        rows = self.conn.execute(select(price_schedules).order_by(price_schedules.c.id.desc()).limit(limit))
        return [_schedule(r) for r in rows]

    def due_to_start(self, now: datetime) -> list[int]:
        """Ids of pending schedules whose start has come, oldest first."""
        query = select(price_schedules.c.id).where(
            price_schedules.c.status == "pending", price_schedules.c.starts_at <= now
        )
        return [int(i) for i in self.conn.execute(query.order_by(price_schedules.c.id)).scalars()]

    def due_to_end(self, now: datetime) -> list[int]:
        """Ids of pending or active schedules whose end has come, oldest first."""
        query = select(price_schedules.c.id).where(
            price_schedules.c.status.in_(["pending", "active"]),
            price_schedules.c.ends_at.is_not(None),
            price_schedules.c.ends_at <= now,
        )
        return [int(i) for i in self.conn.execute(query.order_by(price_schedules.c.id)).scalars()]

    def lock_schedule(self, schedule_id: int) -> PriceSchedule:
        """A schedule, locked for this transaction so two schedulers never apply it twice."""
        return _schedule(
            self.conn.execute(
                select(price_schedules).where(price_schedules.c.id == schedule_id).with_for_update()
            ).one()
        )

    def set_status(self, schedule_id: int, status: str, *, previous: dict[str, Any] | None = None) -> None:
        """Move a schedule on (to active, with what it replaced, or to ended)."""
        values: dict[str, Any] = {"status": status}
        if previous is not None:
            values["previous"] = previous
        self.conn.execute(update(price_schedules).where(price_schedules.c.id == schedule_id).values(**values))
