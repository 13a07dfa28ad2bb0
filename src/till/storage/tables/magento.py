"""The Magento connector's own state: links, pull cursors, stock pushes and differences."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
)

from till.storage.tables.types import (
    SKU,
    metadata,
    qty,
    timestamp,
)

# --- Magento connector ------------------------------------------------------------------------------

#: Which Magento object a Till object became (or came from): exports look here before creating,
#: so a retried or replayed export never makes a second Magento object.
magento_links = Table(
    "magento_links",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("till_id", String(80), primary_key=True),
    Column("magento_id", String(64), nullable=False),
    Column("detail", JSON, nullable=False),
    timestamp("updated_at"),
    Index("ix_magento_links_kind_magento", "kind", "magento_id"),
)

#: Per data set: how far the pull from Magento got (Magento's `updated_at`, UTC) and when.
magento_pull_state = Table(
    "magento_pull_state",
    metadata,
    Column("dataset", String(32), primary_key=True),
    Column("updated_since", String(19), nullable=True),
    timestamp("last_success_at", nullable=True),
    timestamp("last_full_at", nullable=True),
    Column("items", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
)

#: Source-item changes sent to Magento, one row per (Till movement, sku, source): the ledger
#: that makes each POS stock movement reach Magento exactly once (see docs/magento.md).
magento_stock_pushes = Table(
    "magento_stock_pushes",
    metadata,
    Column("movement", String(80), primary_key=True),
    Column("sku", String(SKU), primary_key=True),
    Column("source_code", String(64), primary_key=True),
    qty("delta"),
    qty("before_qty", nullable=True),
    qty("after_qty", nullable=True),
    Column("state", String(12), nullable=False),
    timestamp("updated_at"),
)

#: Magento's source-item quantities as last seen (pulled or written by Till): the base of a
#: three-way merge, so a pull adds only what moved in Magento and never undoes a Till movement
#: that is still on its way to Magento.
magento_source_items = Table(
    "magento_source_items",
    metadata,
    Column("sku", String(SKU), primary_key=True),
    Column("source_code", String(64), primary_key=True),
    qty("quantity"),
    Column("status", Integer, nullable=False),
    timestamp("updated_at"),
)

#: Stock differences the `magento_reconcile` job found between Till's salable quantity and
#: Magento's, one row per (sku, stock) as of the last run that looked at it.
magento_stock_differences = Table(
    "magento_stock_differences",
    metadata,
    Column("sku", String(SKU), primary_key=True),
    Column("stock_id", Integer, primary_key=True),
    qty("till_quantity"),
    qty("magento_quantity"),
    #: `open` (still differs), `pulled` (Till re-read Magento and now agrees).
    Column("state", String(12), nullable=False),
    timestamp("found_at"),
    timestamp("checked_at"),
)

#: Magento REST calls per worker process and kind of work (pull, export, reconcile): running
#: totals each process adds to after a batch, so any app process can show latency and errors.
magento_call_stats = Table(
    "magento_call_stats",
    metadata,
    Column("worker", String(80), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("calls", BigInteger, nullable=False, default=0),
    Column("errors", BigInteger, nullable=False, default=0),
    Column("retries", BigInteger, nullable=False, default=0),
    Column("seconds", Numeric(20, 6), nullable=False, default=0),
    timestamp("updated_at"),
)
