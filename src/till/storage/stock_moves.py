"""Transfers, deliveries and stock counts: headers, lines and their state changes.

A state moves only by `UPDATE … WHERE state = :before`; the caller that changed no row knows
another (or an earlier try of its own) got there first, and moves no stock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table, and_, func, insert, select, update

from till.storage.tables import (
    deliveries,
    delivery_lines,
    order_lines,
    orders,
    source_items,
    stock_count_lines,
    stock_counts,
    stock_transfer_lines,
    stock_transfers,
)

ZERO_QTY = Decimal("0.0000")


class StockMovesRepository:
    """Reads and writes transfers, deliveries and counts inside one transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- shared ------------------------------------------------------------------------------

    def _create(self, header: Table, values: dict[str, Any]) -> int:
        result = self.conn.execute(insert(header).values(**values))
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def _move(self, header: Table, id_: int, before: str, values: dict[str, Any]) -> bool:
        """Move a header from state `before`; False if it was not in that state."""
        changed = self.conn.execute(
            update(header).where(header.c.id == id_, header.c.state == before).values(**values)
        ).rowcount
        return bool(changed)

    def _header(self, header: Table, id_: int, *, lock: bool = False) -> dict[str, Any] | None:
        query = select(header).where(header.c.id == id_)
        row = self.conn.execute(query.with_for_update() if lock else query).first()
        return None if row is None else dict(row._mapping)

    def _lines(self, lines: Table, key: Any, id_: int) -> list[dict[str, Any]]:
        query = select(lines).where(key == id_).order_by(lines.c.sku)
        return [dict(row._mapping) for row in self.conn.execute(query)]

    def quantities_at(
        self, source_code: str, skus: Iterable[str] | None, *, lock: bool = False
    ) -> dict[str, Decimal]:
        """The source item quantity of each sku (every sku the source holds when None)."""
        query = select(source_items.c.sku, source_items.c.quantity).where(
            source_items.c.source_code == source_code
        )
        if skus is not None:
            wanted = sorted(set(skus))
            if not wanted:
                return {}
            query = query.where(source_items.c.sku.in_(wanted))
        found = {
            str(sku): Decimal(q) for sku, q in self.conn.execute(query.with_for_update() if lock else query)
        }
        if skus is None:
            return found
        return {sku: found.get(sku, ZERO_QTY) for sku in sorted(set(skus))}

    # --- transfers ---------------------------------------------------------------------------

    def create_transfer(self, values: dict[str, Any], lines: Mapping[str, Decimal]) -> int:
        """A draft transfer with its lines; returns its id."""
        transfer_id = self._create(stock_transfers, {**values, "state": "draft"})
        self.conn.execute(
            insert(stock_transfer_lines),
            [{"transfer_id": transfer_id, "sku": sku, "quantity": q} for sku, q in lines.items()],
        )
        return transfer_id

    def transfer(self, transfer_id: int, *, lock: bool = False) -> dict[str, Any] | None:
        """A transfer's header, or None."""
        return self._header(stock_transfers, transfer_id, lock=lock)

    def transfer_lines(self, transfer_id: int) -> list[dict[str, Any]]:
        """A transfer's lines by sku."""
        return self._lines(stock_transfer_lines, stock_transfer_lines.c.transfer_id, transfer_id)

    def move_transfer(self, transfer_id: int, before: str, **values: Any) -> bool:
        """Change a transfer's state from `before`; False if it was not there."""
        return self._move(stock_transfers, transfer_id, before, values)

    def record_transfer_receipt(
        self, transfer_id: int, lines: Iterable[tuple[str, Decimal, Decimal, Decimal]]
    ) -> None:
        """Received, damaged and held per sku; a sku not on the transfer gets a line of zero sent."""
        known = {line["sku"] for line in self.transfer_lines(transfer_id)}
        for sku, received, damaged, held in lines:
            if sku in known:
                self.conn.execute(
                    update(stock_transfer_lines)
                    .where(
                        stock_transfer_lines.c.transfer_id == transfer_id, stock_transfer_lines.c.sku == sku
                    )
                    .values(received=received, damaged=damaged, held=held)
                )
            else:
                self.conn.execute(
                    insert(stock_transfer_lines).values(
                        transfer_id=transfer_id,
                        sku=sku,
                        quantity=0,
                        received=received,
                        damaged=damaged,
                        held=held,
                    )
                )

    def transfers_at(self, location_code: str | None, states: Iterable[str] | None) -> list[dict[str, Any]]:
        """Transfers from or to a location (every location when None), newest first."""
        query = select(stock_transfers).order_by(stock_transfers.c.id.desc()).limit(200)
        if location_code is not None:
            query = query.where(
                (stock_transfers.c.from_location == location_code)
                | (stock_transfers.c.to_location == location_code)
            )
        if states is not None:
            query = query.where(stock_transfers.c.state.in_(sorted(states)))
        return [dict(row._mapping) for row in self.conn.execute(query)]

    def in_transit(self, sku: str) -> dict[str, Decimal]:
        """Units of a sku sent and not yet received, per receiving location."""
        query = (
            select(stock_transfers.c.to_location, func.sum(stock_transfer_lines.c.quantity))
            .join(stock_transfers, stock_transfers.c.id == stock_transfer_lines.c.transfer_id)
            .where(stock_transfers.c.state == "sent", stock_transfer_lines.c.sku == sku)
            .group_by(stock_transfers.c.to_location)
        )
        return {
            str(loc): Decimal(total).quantize(Decimal("0.0001")) for loc, total in self.conn.execute(query)
        }

    # --- deliveries --------------------------------------------------------------------------

    def create_delivery(self, values: dict[str, Any], lines: Mapping[str, Decimal]) -> int:
        """An expected delivery (no lines: ad hoc); returns its id."""
        delivery_id = self._create(deliveries, {**values, "state": "expected"})
        if lines:
            self.conn.execute(
                insert(delivery_lines),
                [{"delivery_id": delivery_id, "sku": sku, "expected": q} for sku, q in lines.items()],
            )
        return delivery_id

    def delivery(self, delivery_id: int) -> dict[str, Any] | None:
        """A delivery's header, or None."""
        return self._header(deliveries, delivery_id)

    def delivery_lines(self, delivery_id: int) -> list[dict[str, Any]]:
        """A delivery's lines by sku."""
        return self._lines(delivery_lines, delivery_lines.c.delivery_id, delivery_id)

    def move_delivery(self, delivery_id: int, before: str, **values: Any) -> bool:
        """Change a delivery's state from `before`; False if it was not there."""
        return self._move(deliveries, delivery_id, before, values)

    def record_delivery_receipt(
        self, delivery_id: int, lines: Iterable[tuple[str, Decimal, Decimal, Decimal]]
    ) -> None:
        """Received, damaged and held per sku; a sku not announced gets a line expecting zero."""
        known = {line["sku"] for line in self.delivery_lines(delivery_id)}
        for sku, received, damaged, held in lines:
            if sku in known:
                self.conn.execute(
                    update(delivery_lines)
                    .where(delivery_lines.c.delivery_id == delivery_id, delivery_lines.c.sku == sku)
                    .values(received=received, damaged=damaged, held=held)
                )
            else:
                self.conn.execute(
                    insert(delivery_lines).values(
                        delivery_id=delivery_id,
                        sku=sku,
                        expected=0,
                        received=received,
                        damaged=damaged,
                        held=held,
                    )
                )

    def deliveries_at(self, location_code: str | None, states: Iterable[str] | None) -> list[dict[str, Any]]:
        """Deliveries to a location (every location when None), newest first."""
        query = select(deliveries).order_by(deliveries.c.id.desc()).limit(200)
        if location_code is not None:
            query = query.where(deliveries.c.location_code == location_code)
        if states is not None:
            query = query.where(deliveries.c.state.in_(sorted(states)))
        return [dict(row._mapping) for row in self.conn.execute(query)]

    # --- counts ------------------------------------------------------------------------------

    def create_count(self, values: dict[str, Any], snapshot: Mapping[str, Decimal]) -> int:
        """A count in progress with the snapshot of each sku it covers; returns its id."""
        count_id = self._create(stock_counts, {**values, "state": "counting"})
        if snapshot:
            self.conn.execute(
                insert(stock_count_lines),
                [{"count_id": count_id, "sku": sku, "snapshot": q} for sku, q in snapshot.items()],
            )
        return count_id

    def count(self, count_id: int, *, lock: bool = False) -> dict[str, Any] | None:
        """A count's header, or None."""
        return self._header(stock_counts, count_id, lock=lock)

    def count_lines(self, count_id: int) -> list[dict[str, Any]]:
        """A count's lines by sku."""
        return self._lines(stock_count_lines, stock_count_lines.c.count_id, count_id)

    def move_count(self, count_id: int, before: str, **values: Any) -> bool:
        """Change a count's state from `before`; False if it was not there."""
        return self._move(stock_counts, count_id, before, values)

    def record_scan(
        self,
        count_id: int,
        sku: str,
        counted: Decimal,
        book: Decimal,
        at: datetime,
        *,
        snapshot: Decimal | None,
    ) -> None:
        """Set a sku's counted quantity and the book quantity read with it (a new line when
        `snapshot` is given: a sku a full count found that the source did not hold)."""
        values = {"counted": counted, "book_at_scan": book, "scanned_at": at}
        if snapshot is not None:
            self.conn.execute(
                insert(stock_count_lines).values(count_id=count_id, sku=sku, snapshot=snapshot, **values)
            )
            return
        self.conn.execute(
            update(stock_count_lines)
            .where(stock_count_lines.c.count_id == count_id, stock_count_lines.c.sku == sku)
            .values(**values)
        )

    def settle_count_line(self, count_id: int, sku: str, **values: Any) -> None:
        """Write a line's closing figures (book at close, sold late, adjustment)."""
        self.conn.execute(
            update(stock_count_lines)
            .where(stock_count_lines.c.count_id == count_id, stock_count_lines.c.sku == sku)
            .values(**values)
        )

    def counts_at(self, location_code: str | None, states: Iterable[str] | None) -> list[dict[str, Any]]:
        """Counts at a location (every location when None), newest first."""
        query = select(stock_counts).order_by(stock_counts.c.id.desc()).limit(200)
        if location_code is not None:
            query = query.where(stock_counts.c.location_code == location_code)
        if states is not None:
            query = query.where(stock_counts.c.state.in_(sorted(states)))
        return [dict(row._mapping) for row in self.conn.execute(query)]

    def sold_late(self, location_code: str, sku: str, scanned_at: datetime) -> Decimal:
        """Units of a sku sold at a location before `scanned_at` (the till's clock) whose sale
        reached the server after it: off the shelf at the scan, not yet off the book."""
        total = self.conn.execute(
            select(func.sum(order_lines.c.qty))
            .join(orders, orders.c.id == order_lines.c.order_id)
            .where(
                and_(
                    orders.c.location_code == location_code,
                    order_lines.c.sku == sku,
                    orders.c.created_at <= scanned_at,
                    orders.c.received_at > scanned_at,
                )
            )
        ).scalar()
        return Decimal(total or 0).quantize(Decimal("0.0001"))
