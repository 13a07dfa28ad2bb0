"""Shift storage: one open shift per register, cash movements, the Z report when closed."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from till.domain.errors import Conflict
from till.domain.money import ZERO
from till.domain.shifts import CashMovement
from till.storage.db import inserted_id
from till.storage.tables import cash_movements, order_payments, orders, refunds, shifts


class ShiftAlreadyOpen(Conflict):
    """The register already has an open shift."""


class ShiftRepository:
    """Shifts and their cash movements."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def open(self, register_code: str, staff_id: int, opening_float: Decimal) -> int:
        """Open a shift; raises ShiftAlreadyOpen if one is open (a unique column decides)."""
        try:
            with self.conn.begin_nested():
                result = self.conn.execute(
                    insert(shifts).values(
                        register_code=register_code,
                        open_register=register_code,
                        opened_by=staff_id,
                        opened_at=datetime.now(UTC),
                        opening_float=opening_float,
                    )
                )
        except IntegrityError:
            raise ShiftAlreadyOpen(register_code) from None
        return inserted_id(result)

    def open_shift(self, register_code: str) -> dict[str, Any] | None:
        """The register's open shift."""
        row = self.conn.execute(select(shifts).where(shifts.c.open_register == register_code)).first()
        return None if row is None else dict(row._mapping)

    def get(self, shift_id: int) -> dict[str, Any] | None:
        """A shift by id."""
        row = self.conn.execute(select(shifts).where(shifts.c.id == shift_id)).first()
        return None if row is None else dict(row._mapping)

    def add_movement(self, shift_id: int, movement: CashMovement, staff_id: int) -> None:
        """Record cash in or out."""
        self.conn.execute(
            insert(cash_movements).values(
                shift_id=shift_id,
                kind=movement.kind,
                amount=movement.amount,
                reason=movement.reason,
                staff_id=staff_id,
                created_at=datetime.now(UTC),
            )
        )

    def movements(self, shift_id: int) -> list[CashMovement]:
        """Cash movements of a shift, oldest first."""
        rows = self.conn.execute(
            select(cash_movements).where(cash_movements.c.shift_id == shift_id).order_by(cash_movements.c.id)
        )
        return [CashMovement(r.kind, r.amount, r.reason) for r in rows]

    def close(self, shift_id: int, staff_id: int, counted_cash: Decimal, z_report: dict[str, Any]) -> bool:
        """Close an open shift; False if it was closed already."""
        changed = self.conn.execute(
            update(shifts)
            .where(shifts.c.id == shift_id, shifts.c.closed_at.is_(None))
            .values(
                open_register=None,
                closed_by=staff_id,
                closed_at=datetime.now(UTC),
                counted_cash=counted_cash,
                z_report=z_report,
            )
        ).rowcount
        return bool(changed)

    def sales_of(self, shift_id: int) -> list[dict[str, Any]]:
        """Per sale of the shift: totals and payments by method (for the X/Z report)."""
        rows = self.conn.execute(
            select(
                orders.c.id,
                orders.c.grand_total,
                orders.c.tax,
                orders.c.discount,
                orders.c.change_due,
                orders.c.gift_cards_sold,
            ).where(orders.c.shift_id == shift_id)
        ).all()
        if not rows:
            return []
        by_order: dict[str, list[tuple[str, Decimal]]] = {r.id: [] for r in rows}
        pay = select(order_payments.c.order_id, order_payments.c.method, order_payments.c.amount).where(
            order_payments.c.order_id.in_(list(by_order))
        )
        for order_id, method, amount in self.conn.execute(pay):
            by_order[order_id].append((method, amount))
        return [
            {
                "grand_total": r.grand_total,
                "tax": r.tax,
                "discount": r.discount,
                "change_due": r.change_due,
                "gift_cards_sold": r.gift_cards_sold,
                "payments": by_order[r.id],
            }
            for r in rows
        ]

    def refunds_of(self, shift_id: int) -> list[dict[str, Any]]:
        """Refunds given during the shift."""
        rows = self.conn.execute(
            select(refunds.c.total, refunds.c.tax, refunds.c.discount, refunds.c.method).where(
                refunds.c.shift_id == shift_id
            )
        )
        return [dict(r._mapping) for r in rows]

    def count_open(self) -> int:
        """How many shifts are open now."""
        value = self.conn.execute(
            select(func.count()).select_from(shifts).where(shifts.c.closed_at.is_(None))
        )
        return int(value.scalar_one() or ZERO)
