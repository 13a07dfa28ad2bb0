"""Customers, their groups and keys, tax rates and rules, and cart rules."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Table,
)

from till.storage.tables.types import (
    metadata,
    money,
    timestamp,
)

# --- customers and tax --------------------------------------------------------------------------

customer_groups = Table(
    "customer_groups",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("code", String(64), nullable=False),
    Column("tax_class", String(64), nullable=False),
)

customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(255), nullable=False, unique=True),
    Column("firstname", String(128), nullable=False),
    Column("lastname", String(128), nullable=False),
    Column("phone", String(32), nullable=True),
    Column("group_id", ForeignKey("customer_groups.id"), nullable=False),
    timestamp("created_at"),
    timestamp("updated_at"),
)

#: The keys tills gave customers they created (offline or not): creation is idempotent, and
#: a customer made offline whose e-mail was known is linked here instead of duplicated.
customer_keys = Table(
    "customer_keys",
    metadata,
    Column("client_key", String(80), primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False, index=True),
)

tax_rates = Table(
    "tax_rates",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("country", String(2), nullable=False),
    Column("region", String(64), nullable=False, default="*"),
    Column("postcode", String(32), nullable=False, default="*"),
    Column("percent", Numeric(12, 4), nullable=False),
)

tax_rules = Table(
    "tax_rules",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("customer_classes", JSON, nullable=False),
    Column("product_classes", JSON, nullable=False),
    Column("rates", JSON, nullable=False),
    Column("priority", Integer, nullable=False, default=0),
    Column("position", Integer, nullable=False, default=0),
    Column("calculate_subtotal", Boolean, nullable=False, default=False),
)

cart_rules = Table(
    "cart_rules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(128), nullable=False),
    Column("coupon_code", String(64), nullable=True, unique=True),
    Column("action", String(16), nullable=False),
    money("amount"),
    Column("active", Boolean, nullable=False, default=True),
    Column("from_date", Date, nullable=True),
    Column("to_date", Date, nullable=True),
    Column("customer_groups", JSON, nullable=False),
    money("min_subtotal", nullable=True),
    Column("skus", JSON, nullable=True),
    Column("sort_order", Integer, nullable=False, default=0),
    Column("stop_further_rules", Boolean, nullable=False, default=False),
)
