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

from sqlalchemy import Connection, and_, case, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from till.domain.inventory import InventoryError, Reservation
from till.domain.money import round_qty
from till.storage.tables import (
    reservations,
    source_items,
    sources,
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
        """Append reservations (negative holds, positive compensations)."""
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
        reserved = (
            select(reservations.c.sku, func.sum(reservations.c.quantity))
            .where(reservations.c.stock_id == stock_id, reservations.c.sku.in_(wanted))
            .group_by(reservations.c.sku)
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
                f"source {source_code} holds {round_qty(Decimal(held or 0)):f} of {sku}; "
                f"{-delta:f} cannot be taken out"
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
        return round_qty(Decimal(row.quantity))

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
            SourceLevel(row.source_code, row.name, round_qty(Decimal(row.quantity)), bool(row.in_stock))
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
