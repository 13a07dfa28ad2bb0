"""Stock that moves in bulk: transfers between shops, deliveries received, stock counts.

Each is a header with a state and lines per sku; a state changes only by a conditional
UPDATE from the state before, so a retried step finds it done and moves no stock twice.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table

from till.storage.tables.types import SKU, metadata, qty, timestamp

stock_transfers = Table(
    "stock_transfers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("from_location", ForeignKey("locations.code"), nullable=False),
    Column("to_location", ForeignKey("locations.code"), nullable=False),
    Column("from_source", ForeignKey("sources.code"), nullable=False),
    Column("to_source", ForeignKey("sources.code"), nullable=False),
    #: draft, sent (in transit), received, cancelled.
    Column("state", String(16), nullable=False),
    Column("note", String(255), nullable=False, default=""),
    Column("created_by", Integer, nullable=False),
    timestamp("created_at"),
    Column("sent_by", Integer, nullable=True),
    timestamp("sent_at", nullable=True),
    Column("received_by", Integer, nullable=True),
    timestamp("received_at", nullable=True),
    Index("ix_stock_transfers_to_state", "to_location", "state"),
    Index("ix_stock_transfers_from_state", "from_location", "state"),
)

stock_transfer_lines = Table(
    "stock_transfer_lines",
    metadata,
    Column("transfer_id", ForeignKey("stock_transfers.id"), primary_key=True),
    Column("sku", String(SKU), primary_key=True),
    qty("quantity"),
    qty("received", nullable=True),
    qty("damaged", nullable=True),
    #: Good units received beyond what was sent, not stocked: the receiver could not add stock.
    qty("held", nullable=True),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("location_code", ForeignKey("locations.code"), nullable=False),
    Column("source_code", ForeignKey("sources.code"), nullable=False),
    Column("supplier", String(128), nullable=False, default=""),
    Column("reference", String(64), nullable=False, default=""),
    #: expected, received.
    Column("state", String(16), nullable=False),
    Column("created_by", Integer, nullable=False),
    timestamp("created_at"),
    Column("received_by", Integer, nullable=True),
    timestamp("received_at", nullable=True),
    Index("ix_deliveries_location_state", "location_code", "state"),
)

delivery_lines = Table(
    "delivery_lines",
    metadata,
    Column("delivery_id", ForeignKey("deliveries.id"), primary_key=True),
    Column("sku", String(SKU), primary_key=True),
    qty("expected"),
    qty("received", nullable=True),
    qty("damaged", nullable=True),
    #: Good units received beyond what was announced, not stocked: the receiver could not add stock.
    qty("held", nullable=True),
)

stock_counts = Table(
    "stock_counts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("location_code", ForeignKey("locations.code"), nullable=False),
    Column("source_code", ForeignKey("sources.code"), nullable=False),
    #: full (every sku the source holds) or cycle (a set of skus).
    Column("kind", String(8), nullable=False),
    #: The counter does not see the expected quantities.
    Column("blind", Boolean, nullable=False),
    #: counting, review, approved, cancelled.
    Column("state", String(16), nullable=False),
    Column("started_by", Integer, nullable=False),
    timestamp("started_at"),
    timestamp("submitted_at", nullable=True),
    Column("approved_by", Integer, nullable=True),
    timestamp("approved_at", nullable=True),
    Index("ix_stock_counts_location_state", "location_code", "state"),
)

stock_count_lines = Table(
    "stock_count_lines",
    metadata,
    Column("count_id", ForeignKey("stock_counts.id"), primary_key=True),
    Column("sku", String(SKU), primary_key=True),
    #: The source quantity when the count started.
    qty("snapshot"),
    qty("counted", nullable=True),
    #: The source quantity when the last scan was recorded, and that moment (server clock).
    qty("book_at_scan", nullable=True),
    timestamp("scanned_at", nullable=True),
    #: Units sold before the scan on a till that reached the server after it; set at approval.
    qty("sold_late", nullable=True),
    qty("adjustment", nullable=True),
)
