"""Sales (orders), their lines, payments and flags, refused sales and refunds."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from till.storage.tables.types import (
    SKU,
    Money,
    metadata,
    money,
    qty,
    timestamp,
)

# --- sales ---------------------------------------------------------------------------------------

orders = Table(
    "orders",
    metadata,
    Column("id", String(36), primary_key=True),
    # Idempotency is this constraint, not a look-up: two racing retries make one sale.
    Column("idempotency_key", String(80), nullable=False, unique=True),
    Column("receipt_number", String(32), nullable=False),
    Column("register_code", ForeignKey("registers.code"), nullable=False),
    Column("location_code", ForeignKey("locations.code"), nullable=False),
    Column("staff_id", ForeignKey("staff.id"), nullable=False),
    Column("customer_id", ForeignKey("customers.id"), nullable=True),
    Column("state", String(16), nullable=False),
    timestamp("created_at"),
    timestamp("received_at"),
    Column("business_day", Date, nullable=False),
    money("subtotal"),
    money("discount"),
    money("tax"),
    money("discount_tax_compensation"),
    money("grand_total"),
    money("client_subtotal"),
    money("client_discount"),
    money("client_tax"),
    money("client_grand_total"),
    money("change_due"),
    money("total_refunded"),
    #: Money of the sale that bought gift cards: a liability, outside the totals above.
    Column("gift_cards_sold", Money(), nullable=False, default=0, server_default="0"),
    Column("coupon_code", String(64), nullable=True),
    Column("flags", String(255), nullable=False, default=""),
    Column("shift_id", Integer, nullable=True),
    #: When the goods were deducted from the location's source (MSI shipment); NULL until then.
    timestamp("fulfilled_at", nullable=True),
    UniqueConstraint("register_code", "receipt_number", name="uq_orders_register_receipt"),
    Index("ix_orders_location_day", "location_code", "business_day"),
    Index("ix_orders_received_at", "received_at"),
    Index("ix_orders_fulfilled_at", "fulfilled_at"),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", ForeignKey("orders.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True, autoincrement=False),
    Column("sku", String(SKU), nullable=False),
    Column("name", String(255), nullable=False),
    qty("qty"),
    money("price"),
    money("price_incl_tax"),
    money("row_total"),
    money("discount"),
    money("tax"),
    money("discount_tax_compensation"),
    money("row_grand_total"),
    qty("qty_refunded"),
    money("amount_refunded"),
)

order_payments = Table(
    "order_payments",
    metadata,
    Column("order_id", ForeignKey("orders.id"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("method", String(16), nullable=False),
    money("amount"),
    Column("reference", String(128), nullable=False, default=""),
)

order_flags = Table(
    "order_flags",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False, index=True),
    Column("flag", String(32), nullable=False),
    Column("detail", JSON, nullable=False),
    timestamp("created_at"),
    Column("resolved", Boolean, nullable=False, default=False),
)

#: Sales the server could not accept, kept whole so a manager can see and mend them.
rejected_sales = Table(
    "rejected_sales",
    metadata,
    Column("idempotency_key", String(80), primary_key=True),
    Column("register_code", String(12), nullable=False),
    Column("reason", Text, nullable=False),
    Column("payload", JSON, nullable=False),
    timestamp("received_at"),
)

#: Queued actions of a till (refunds, cash movements, shift steps) the server refused, kept
#: whole for a manager: a till never holds the only record of something it did.
refused_actions = Table(
    "refused_actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("action_key", String(80), nullable=True),
    Column("register_code", String(12), nullable=True),
    Column("location_code", String(32), nullable=True),
    Column("device_id", String(36), nullable=True),
    Column("staff_id", Integer, nullable=True),
    Column("session_staff_id", Integer, nullable=True),
    Column("reason", Text, nullable=False),
    Column("payload", JSON, nullable=False),
    timestamp("received_at"),
    Index("ix_refused_actions_received_at", "received_at"),
)

refunds = Table(
    "refunds",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("idempotency_key", String(80), nullable=False, unique=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False, index=True),
    Column("register_code", ForeignKey("registers.code"), nullable=False),
    Column("staff_id", ForeignKey("staff.id"), nullable=False),
    timestamp("created_at"),
    Column("business_day", Date, nullable=False),
    money("subtotal"),
    money("discount"),
    money("tax"),
    money("total"),
    Column("method", String(16), nullable=False),
    Column("reason", String(255), nullable=False, default=""),
    Column("shift_id", Integer, nullable=True),
    # The back office's Today page sums a location's refunds of the day.
    Index("ix_refunds_register_day", "register_code", "business_day"),
)

refund_lines = Table(
    "refund_lines",
    metadata,
    Column("refund_id", ForeignKey("refunds.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True, autoincrement=False),
    Column("sku", String(SKU), nullable=False),
    qty("qty"),
    Column("restock", Boolean, nullable=False),
    money("row_total"),
    money("discount"),
    money("tax"),
    money("discount_tax_compensation"),
    money("amount"),
)
