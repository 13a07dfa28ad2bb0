"""Inventory as Magento MSI keeps it: sources, stocks, source items and the reservation ledger."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
)

from till.storage.tables.types import (
    SKU,
    metadata,
    qty,
    timestamp,
)

# --- inventory (MSI) -----------------------------------------------------------------------

sources = Table(
    "sources",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
)

stocks = Table(
    "stocks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(128), nullable=False),
)

stock_sources = Table(
    "stock_sources",
    metadata,
    Column("stock_id", ForeignKey("stocks.id"), primary_key=True),
    Column("source_code", ForeignKey("sources.code"), primary_key=True),
    Column("priority", Integer, nullable=False, default=0),
)

source_items = Table(
    "source_items",
    metadata,
    Column("sku", String(SKU), primary_key=True),
    Column("source_code", ForeignKey("sources.code"), primary_key=True),
    qty("quantity"),
    Column("in_stock", Boolean, nullable=False, default=True),
    timestamp("updated_at"),
)

reservations = Table(
    "reservations",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("stock_id", ForeignKey("stocks.id"), nullable=False),
    Column("sku", String(SKU), nullable=False),
    qty("quantity"),
    Column("event", String(32), nullable=False),
    Column("object_type", String(32), nullable=False),
    Column("object_id", String(64), nullable=False),
    timestamp("created_at"),
    Index("ix_reservations_stock_sku", "stock_id", "sku"),
)

#: The running sum of `reservations` per stock and sku, kept in SQL in the writer's transaction,
#: so salable quantity is read from one row instead of summing an ever-growing ledger.
reservation_totals = Table(
    "reservation_totals",
    metadata,
    Column("stock_id", ForeignKey("stocks.id"), primary_key=True),
    Column("sku", String(SKU), primary_key=True),
    qty("quantity"),
)

stock_adjustments = Table(
    "stock_adjustments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sku", String(SKU), nullable=False),
    Column("source_code", ForeignKey("sources.code"), nullable=False),
    Column("to_source_code", ForeignKey("sources.code"), nullable=True),
    Column("reason", String(16), nullable=False),
    qty("quantity"),
    Column("note", String(255), nullable=False, default=""),
    Column("staff_id", Integer, nullable=True),
    timestamp("created_at"),
)
