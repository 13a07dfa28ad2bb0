"""Stock storage: source items, append-only reservations and salable quantity on read.

No quantity is ever read into Python, changed and written back: reservations are appended,
source quantities change by `quantity = quantity + :delta` in SQL, and callers touch skus in
sorted order so two writers never take row locks in opposite orders.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import Connection, and_, bindparam, case, delete, func, insert, select, tuple_, update
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from till.domain.inventory import InventoryError, Reservation, StockAdjustment
from till.domain.money import round_qty
from till.storage.db import insert_skipping_clashes
from till.storage.tables import (
    orders,
    reservation_totals,
    reservations,
    source_items,
    sources,
    stock_adjustments,
    stock_sources,
    stocks,
)

ZERO_QTY = Decimal("0.0000")


@dataclass(frozen=True, slots=True)
class SourceLevel:
    """A sku's quantity at one source."""

    source_code: str
    source_name: str
    quantity: Decimal
    in_stock: bool


class StockRepository:
    """Reads and appends stock facts inside one transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def append_reservations(self, items: Sequence[Reservation]) -> None:
        """Append reservations (negative holds, positive compensations) and keep their totals.

        The totals change by the net of the items per (stock, sku), in SQL and in (stock, sku)
        order; a sale's hold and its compensation written together net to nothing and leave
        the totals row untouched (and unlocked).
        """
        if not items:
            return
        now = datetime.now(UTC)
        self.conn.execute(
            insert(reservations),
            [
                {
                    "stock_id": r.stock_id,
                    "sku": r.sku,
                    "quantity": r.quantity,
                    "event": r.event,
                    "object_type": r.object_type,
                    "object_id": r.object_id,
                    "created_at": now,
                }
                for r in items
            ],
        )
        net: dict[tuple[int, str], Decimal] = {}
        for r in items:
            net[(r.stock_id, r.sku)] = net.get((r.stock_id, r.sku), ZERO_QTY) + r.quantity
        changed = sorted((key, qty) for key, qty in net.items() if qty != 0)
        if not changed:
            return
        self.conn.execute(
            insert_skipping_clashes(self.conn, reservation_totals),
            [{"stock_id": stock_id, "sku": sku, "quantity": 0} for (stock_id, sku), _ in changed],
        )
        self.conn.execute(
            update(reservation_totals)
            .where(
                reservation_totals.c.stock_id == bindparam("b_stock"),
                reservation_totals.c.sku == bindparam("b_sku"),
            )
            .values(quantity=reservation_totals.c.quantity + bindparam("b_qty")),
            [{"b_stock": stock_id, "b_sku": sku, "b_qty": qty} for (stock_id, sku), qty in changed],
        )

    def salable(self, stock_id: int, skus: Iterable[str]) -> dict[str, Decimal]:
        """Salable quantity per sku: linked, enabled source quantity (in stock, or owed) + reservations."""
        wanted = sorted(set(skus))
        result = dict.fromkeys(wanted, ZERO_QTY)
        if not wanted:
            return result
        # As domain.inventory.salable_quantity: out of stock adds nothing but what is owed.
        counted = case(
            (source_items.c.in_stock.is_(True), source_items.c.quantity),
            (source_items.c.quantity < 0, source_items.c.quantity),
            else_=0,
        )
        on_hand = (
            select(source_items.c.sku, func.sum(counted))
            .join(stock_sources, stock_sources.c.source_code == source_items.c.source_code)
            .join(sources, sources.c.code == source_items.c.source_code)
            .where(
                stock_sources.c.stock_id == stock_id,
                source_items.c.sku.in_(wanted),
                sources.c.enabled.is_(True),
            )
            .group_by(source_items.c.sku)
        )
        for sku, total in self.conn.execute(on_hand):
            result[sku] += Decimal(total)
        reserved = select(reservation_totals.c.sku, reservation_totals.c.quantity).where(
            reservation_totals.c.stock_id == stock_id, reservation_totals.c.sku.in_(wanted)
        )
        for sku, total in self.conn.execute(reserved):
            result[sku] += Decimal(total)
        # SQLite sums decimals as binary floats; four places bring them back exactly.
        return {sku: round_qty(qty) for sku, qty in result.items()}

    def change_source_quantity(
        self, sku: str, source_code: str, delta: Decimal, *, refuse_below_zero: bool = False
    ) -> None:
        """Add `delta` to a source item in SQL, creating the item if it does not exist yet.

        With `refuse_below_zero`, taking out more than the source holds raises `InventoryError`
        (the check is part of the UPDATE, so two writers cannot both take the last units).
        A sale's fulfilment does not refuse: a sale made at a till happened, oversold or not.
        """
        now = datetime.now(UTC)
        item = and_(source_items.c.sku == sku, source_items.c.source_code == source_code)
        guarded = refuse_below_zero and delta < 0
        condition = and_(item, source_items.c.quantity + delta >= 0) if guarded else item
        changed = self.conn.execute(
            update(source_items)
            .where(condition)
            .values(quantity=source_items.c.quantity + delta, updated_at=now)
        ).rowcount
        if changed:
            if delta > 0:
                self._back_in_stock(sku, source_code)
            return
        if guarded:
            held = self.conn.execute(select(source_items.c.quantity).where(item)).scalar()
            raise InventoryError(
                f"source {source_code} holds {held or ZERO_QTY:f} of {sku}; {-delta:f} cannot be taken out"
            )
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(source_items).values(
                        sku=sku, source_code=source_code, quantity=delta, in_stock=True, updated_at=now
                    )
                )
        except IntegrityError:
            # Another writer created it a moment ago: add to theirs.
            self.conn.execute(
                update(source_items)
                .where(item)
                .values(quantity=source_items.c.quantity + delta, updated_at=now)
            )
            if delta > 0:
                self._back_in_stock(sku, source_code)

    def deduct_many(self, items: Sequence[tuple[str, str, Decimal]]) -> None:
        """Take sold units (source code, sku, qty) out of source items, in the order given.

        Callers pass them sorted, so concurrent writers lock rows in one order. An item that
        does not exist yet is created at zero first (a sale of something never stocked there
        leaves the source owing units). Never refuses: a sale at a till happened.
        """
        if not items:
            return
        now = datetime.now(UTC)
        # An upsert, not an insert-if-missing then an update: these rows are shared by every
        # till selling the same goods, so each is touched once, in the given order.
        rows = [
            {"sku": sku, "source_code": source, "quantity": -qty, "in_stock": False, "updated_at": now}
            for source, sku, qty in items
        ]
        dialect = self.conn.dialect.name
        if dialect in ("postgresql", "sqlite"):
            insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
            statement = insert_(source_items)
            self.conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["sku", "source_code"],
                    set_={
                        "quantity": source_items.c.quantity + statement.excluded.quantity,
                        "updated_at": statement.excluded.updated_at,
                    },
                ),
                rows,
            )
        else:
            upsert = mysql.insert(source_items)
            self.conn.execute(
                upsert.on_duplicate_key_update(
                    quantity=source_items.c.quantity + upsert.inserted.quantity,
                    updated_at=upsert.inserted.updated_at,
                ),
                rows,
            )

    def _back_in_stock(self, sku: str, source_code: str) -> None:
        # Magento's automatic stock status: a sold-out item that receives units is in stock again.
        self.conn.execute(
            update(source_items)
            .where(
                source_items.c.sku == sku,
                source_items.c.source_code == source_code,
                source_items.c.quantity > 0,
                source_items.c.in_stock.is_(False),
            )
            .values(in_stock=True)
        )

    def set_source_quantity(self, sku: str, source_code: str, quantity: Decimal) -> Decimal:
        """Set a counted quantity; returns the quantity it replaced (locked while read)."""
        now = datetime.now(UTC)
        row = self.conn.execute(
            select(source_items.c.quantity)
            .where(source_items.c.sku == sku, source_items.c.source_code == source_code)
            .with_for_update()
        ).first()
        if row is None:
            self.conn.execute(
                insert(source_items).values(
                    sku=sku, source_code=source_code, quantity=quantity, in_stock=True, updated_at=now
                )
            )
            return ZERO_QTY
        self.conn.execute(
            update(source_items)
            .where(source_items.c.sku == sku, source_items.c.source_code == source_code)
            .values(quantity=quantity, updated_at=now)
        )
        if quantity > 0:
            self._back_in_stock(sku, source_code)
        return cast(Decimal, row.quantity)

    def levels(self, sku: str) -> list[SourceLevel]:
        """A sku's quantity at every source that holds it."""
        query = (
            select(
                source_items.c.source_code, sources.c.name, source_items.c.quantity, source_items.c.in_stock
            )
            .join(sources, sources.c.code == source_items.c.source_code)
            .where(source_items.c.sku == sku)
            .order_by(source_items.c.source_code)
        )
        return [
            SourceLevel(row.source_code, row.name, row.quantity, bool(row.in_stock))
            for row in self.conn.execute(query)
        ]

    def stock_ids(self) -> list[int]:
        """Every stock's id."""
        return [int(i) for i in self.conn.execute(select(stocks.c.id).order_by(stocks.c.id)).scalars()]

    def stocks_of_source(self, source_code: str) -> list[int]:
        """The stocks a source feeds: a change at the source changes their salable quantity."""
        query = select(stock_sources.c.stock_id).where(stock_sources.c.source_code == source_code)
        return sorted(int(i) for i in self.conn.execute(query).scalars())

    def source_exists(self, source_code: str) -> bool:
        """True if the source is known."""
        return (
            self.conn.execute(select(sources.c.code).where(sources.c.code == source_code)).first() is not None
        )

    def record_adjustment(self, adjustment: StockAdjustment, staff_id: int, at: datetime) -> None:
        """Keep the adjustment itself, beside the quantities it changed."""
        self.conn.execute(
            insert(stock_adjustments).values(
                sku=adjustment.sku,
                source_code=adjustment.source_code,
                to_source_code=adjustment.to_source_code,
                reason=adjustment.reason,
                quantity=adjustment.quantity,
                note=adjustment.note,
                staff_id=staff_id,
                created_at=at,
            )
        )

    # --- reconciliation -------------------------------------------------------------------------

    def clean_balanced_reservations(self, limit: int = 5000, chunk: int = 500) -> int:
        """Delete up to `limit` sets of an order's reservations that sum to zero (a fulfilled
        sale: -qty then +qty), as Magento's `inventory_cleanup_reservations` cron does."""
        balanced = self.conn.execute(
            select(reservations.c.stock_id, reservations.c.sku, reservations.c.object_id)
            .where(reservations.c.object_type == "order")
            .group_by(reservations.c.stock_id, reservations.c.sku, reservations.c.object_id)
            .having(and_(func.sum(reservations.c.quantity) == 0, func.count() > 1))
            .limit(limit)
        ).all()
        cleaned = 0
        for start in range(0, len(balanced), chunk):
            keys = [tuple(row) for row in balanced[start : start + chunk]]
            cleaned += self.conn.execute(
                delete(reservations).where(
                    tuple_(reservations.c.stock_id, reservations.c.sku, reservations.c.object_id).in_(keys)
                )
            ).rowcount
        return int(cleaned)

    def count_unbalanced(self, fulfilled_before: datetime) -> int:
        """Orders fulfilled before the moment whose reservations do not sum to zero."""
        return int(
            self.conn.execute(
                select(func.count()).select_from(
                    select(reservations.c.object_id)
                    .join(orders, orders.c.id == reservations.c.object_id)
                    .where(orders.c.fulfilled_at.is_not(None), orders.c.fulfilled_at < fulfilled_before)
                    .group_by(reservations.c.stock_id, reservations.c.sku, reservations.c.object_id)
                    .having(func.sum(reservations.c.quantity) != 0)
                    .subquery()
                )
            ).scalar_one()
        )
