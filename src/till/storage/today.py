"""A shop's day in figures, summed by the database: sales, transactions, top items, staff.

Every query reads the day's orders through `ix_orders_location_day` (location, business day)
and the day's refunds through `ix_refunds_register_day`; sums come back as money in cents.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, false, func, or_, select

from till.domain.money import ZERO
from till.storage.tables import order_lines, orders, refunds, registers, staff

#: (location code, that location's business day)
LocationDay = tuple[str, date]


def _orders_of(days: Sequence[LocationDay]) -> ColumnElement[bool]:
    if not days:
        return false()
    return or_(*(and_(orders.c.location_code == code, orders.c.business_day == day) for code, day in days))


class TodayRepository:
    """The figures of some locations' business days."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def by_location(self, days: Sequence[LocationDay]) -> dict[str, dict[str, Any]]:
        """Per location: transactions, sales (grand totals), tax and discounts."""
        rows = self.conn.execute(
            select(
                orders.c.location_code,
                func.count().label("transactions"),
                func.sum(orders.c.grand_total).label("sales"),
                func.sum(orders.c.tax).label("tax"),
                func.sum(orders.c.discount).label("discounts"),
            )
            .where(_orders_of(days))
            .group_by(orders.c.location_code)
        )
        return {
            r.location_code: {
                "transactions": int(r.transactions),
                "sales": r.sales or ZERO,
                "tax": r.tax or ZERO,
                "discounts": r.discounts or ZERO,
            }
            for r in rows
        }

    def refunds_by_location(self, days: Sequence[LocationDay]) -> dict[str, tuple[int, Decimal]]:
        """Per location: how many refunds and how much was given back."""
        if not days:
            return {}
        on_day = or_(
            *(and_(registers.c.location_code == code, refunds.c.business_day == day) for code, day in days)
        )
        rows = self.conn.execute(
            select(
                registers.c.location_code, func.count().label("n"), func.sum(refunds.c.total).label("total")
            )
            .select_from(refunds.join(registers, registers.c.code == refunds.c.register_code))
            .where(on_day)
            .group_by(registers.c.location_code)
        )
        return {r.location_code: (int(r.n), r.total or ZERO) for r in rows}

    def top_items(self, days: Sequence[LocationDay], limit: int = 5) -> list[dict[str, Any]]:
        """The day's best sellers by quantity, with what they took."""
        qty = func.sum(order_lines.c.qty).label("qty")
        rows = self.conn.execute(
            select(
                order_lines.c.sku,
                func.max(order_lines.c.name).label("name"),
                qty,
                func.sum(order_lines.c.row_grand_total).label("sales"),
            )
            .select_from(orders.join(order_lines, order_lines.c.order_id == orders.c.id))
            .where(_orders_of(days))
            .group_by(order_lines.c.sku)
            .order_by(qty.desc(), order_lines.c.sku)
            .limit(limit)
        )
        return [{"sku": r.sku, "name": r.name, "qty": r.qty, "sales": r.sales or ZERO} for r in rows]

    def by_staff(self, days: Sequence[LocationDay]) -> list[dict[str, Any]]:
        """Per staff member who sold: transactions and sales, the biggest first."""
        sales = func.sum(orders.c.grand_total).label("sales")
        rows = self.conn.execute(
            select(staff.c.username, staff.c.name, func.count().label("transactions"), sales)
            .select_from(orders.join(staff, staff.c.id == orders.c.staff_id))
            .where(_orders_of(days))
            .group_by(staff.c.username, staff.c.name)
            .order_by(sales.desc(), staff.c.username)
        )
        return [
            {
                "username": r.username,
                "name": r.name,
                "transactions": int(r.transactions),
                "sales": r.sales or ZERO,
            }
            for r in rows
        ]
