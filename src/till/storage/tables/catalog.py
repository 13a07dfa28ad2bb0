"""The catalog in Magento's EAV shape: a fixed entity row plus one table of values per backend type."""

from __future__ import annotations

from typing import Any

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
    Text,
)
from sqlalchemy.types import TypeEngine

from till.storage.tables.types import (
    SKU,
    Moment,
    metadata,
    money,
    qty,
    timestamp,
)

# --- catalog (EAV) ----------------------------------------------------------------------------

attributes = Table(
    "attributes",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("label", String(128), nullable=False),
    Column("backend_type", String(16), nullable=False),
    Column("frontend_input", String(16), nullable=False, default="text"),
    Column("options", JSON, nullable=False),
    Column("is_required", Boolean, nullable=False, default=False),
)

attribute_sets = Table(
    "attribute_sets",
    metadata,
    Column("name", String(64), primary_key=True),
)

attribute_set_members = Table(
    "attribute_set_members",
    metadata,
    Column("set_name", ForeignKey("attribute_sets.name"), primary_key=True),
    Column("attribute_code", ForeignKey("attributes.code"), primary_key=True),
)

categories = Table(
    "categories",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(128), nullable=False),
    Column("parent_id", Integer, nullable=True),
    Column("position", Integer, nullable=False, default=0),
)

products = Table(
    "products",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sku", String(SKU), nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    Column("type", String(16), nullable=False),
    Column("attribute_set", ForeignKey("attribute_sets.name"), nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    money("price"),
    money("special_price", nullable=True),
    Column("special_from", Date, nullable=True),
    Column("special_to", Date, nullable=True),
    Column("tax_class", String(64), nullable=False),
    Column("barcode", String(64), nullable=True, index=True),
    Column("parent_sku", String(SKU), nullable=True, index=True),
    Column("configurable_attributes", JSON, nullable=False),
    Column("category_ids", JSON, nullable=False),
    timestamp("updated_at"),
)


def _eav_values(backend: str, value_type: TypeEngine[Any]) -> Table:
    return Table(
        f"product_values_{backend}",
        metadata,
        Column("product_id", ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
        Column("attribute_code", ForeignKey("attributes.code"), primary_key=True),
        Column("value", value_type, nullable=False),
    )


product_values = {
    "varchar": _eav_values("varchar", String(255)),
    "int": _eav_values("int", Integer()),
    "decimal": _eav_values("decimal", Numeric(20, 4)),
    "text": _eav_values("text", Text()),
    "datetime": _eav_values("datetime", Moment()),
}

tier_prices = Table(
    "tier_prices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("product_id", ForeignKey("products.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("customer_group_id", Integer, nullable=True),
    qty("qty"),
    money("price"),
)
