"""The catalog's write side: domain products, attributes and categories as rows, stored.

The demo seed inserts a whole catalog with it; the Magento pull upserts page by page with
`product_row`, `replace_values` and `replace_tier_prices`. Neither builds rows of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, Row, Table, delete, func, insert, select, update

from till.domain.catalog import Attribute, AttributeSet, AttributeValue, Category, Product, TierPrice
from till.storage import tables as t
from till.storage.db import inserted_id

#: Rows per executemany statement in bulk inserts.
CHUNK_ROWS = 5000


def insert_chunked(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows with executemany, `CHUNK_ROWS` per statement."""
    for start in range(0, len(rows), CHUNK_ROWS):
        conn.execute(insert(table), list(rows[start : start + CHUNK_ROWS]))


def next_id(conn: Connection, column: Column[Any]) -> int:
    """One above the highest id in use: where explicitly numbered rows may start."""
    return int(conn.execute(select(func.coalesce(func.max(column), 0))).scalar_one()) + 1


def advance_sequences(conn: Connection, tables: Iterable[Table]) -> None:
    """After inserting explicit ids, move PostgreSQL's serial sequences past them.

    SQLite and MariaDB continue after the highest id by themselves; PostgreSQL's sequence
    does not know about ids it did not hand out, and its next insert would collide.
    """
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        highest = next_id(conn, table.c.id)
        conn.execute(select(func.setval(func.pg_get_serial_sequence(table.name, "id"), highest, False)))


def product_row(product_id: int, product: Product, now: datetime) -> dict[str, Any]:
    """The `products` row of a domain product."""
    special = product.special_price
    return {
        "id": product_id,
        "sku": product.sku,
        "name": product.name,
        "type": product.type,
        "attribute_set": product.attribute_set,
        "enabled": product.enabled,
        "price": product.price,
        "special_price": special.price if special else None,
        "special_from": special.starts if special else None,
        "special_to": special.ends if special else None,
        "tax_class": product.tax_class,
        "barcode": product.barcode,
        "parent_sku": product.parent_sku,
        "configurable_attributes": list(product.configurable_attributes),
        "category_ids": list(product.category_ids),
        "updated_at": now,
    }


def attribute_row(attribute: Attribute) -> dict[str, Any]:
    """The `attributes` row of a domain attribute; options as Magento's REST API lists them."""
    return {
        "code": attribute.code,
        "label": attribute.label,
        "backend_type": attribute.backend_type,
        "frontend_input": attribute.frontend_input,
        "options": [{"value": o.value, "label": o.label} for o in attribute.options],
        "is_required": attribute.is_required,
    }


def tier_price_rows(product_id: int, tiers: Iterable[TierPrice]) -> list[dict[str, Any]]:
    """The `tier_prices` rows of one product."""
    return [
        {
            "product_id": product_id,
            "customer_group_id": tp.customer_group_id,
            "qty": tp.qty,
            "price": tp.price,
        }
        for tp in tiers
    ]


def replace_values(
    conn: Connection, product_id: int, backend: str, values: Mapping[str, AttributeValue]
) -> None:
    """Replace a product's EAV values of one backend type with `values`."""
    table = t.product_values[backend]
    conn.execute(delete(table).where(table.c.product_id == product_id))
    if values:
        conn.execute(
            insert(table),
            [{"product_id": product_id, "attribute_code": k, "value": v} for k, v in sorted(values.items())],
        )


def replace_tier_prices(conn: Connection, product_id: int, tiers: Sequence[TierPrice]) -> None:
    """Replace a product's tier prices."""
    conn.execute(delete(t.tier_prices).where(t.tier_prices.c.product_id == product_id))
    if tiers:
        conn.execute(insert(t.tier_prices), tier_price_rows(product_id, tiers))


def insert_catalog(
    conn: Connection,
    *,
    attributes: Sequence[Attribute],
    attribute_sets: Sequence[AttributeSet],
    categories: Sequence[Category],
    products: Sequence[Product],
    now: datetime,
) -> list[dict[str, Any]]:
    """Insert a whole catalog into empty catalog tables; returns the `products` rows."""
    backend_of = {a.code: a.backend_type for a in attributes}
    conn.execute(insert(t.attributes), [attribute_row(a) for a in attributes])
    conn.execute(insert(t.attribute_sets), [{"name": s.name} for s in attribute_sets])
    conn.execute(
        insert(t.attribute_set_members),
        [
            {"set_name": s.name, "attribute_code": code}
            for s in attribute_sets
            for code in sorted(s.attribute_codes)
        ],
    )
    conn.execute(
        insert(t.categories),
        [{"id": c.id, "name": c.name, "parent_id": c.parent_id, "position": c.position} for c in categories],
    )
    first = next_id(conn, t.products.c.id)
    product_rows: list[dict[str, Any]] = []
    values: dict[str, list[dict[str, Any]]] = {backend: [] for backend in t.product_values}
    tier_rows: list[dict[str, Any]] = []
    for product_id, product in enumerate(products, start=first):
        product_rows.append(product_row(product_id, product, now))
        for code, value in product.attributes.items():
            values[backend_of[code]].append(
                {"product_id": product_id, "attribute_code": code, "value": value}
            )
        tier_rows.extend(tier_price_rows(product_id, product.tier_prices))
    insert_chunked(conn, t.products, product_rows)
    for backend, rows in values.items():
        insert_chunked(conn, t.product_values[backend], rows)
    insert_chunked(conn, t.tier_prices, tier_rows)
    return product_rows


# --- upserts page by page (the Magento pull) ------------------------------------------------------


@dataclass
class StoredProducts:
    """What is stored of some products, read in one query per table, to compare before writing."""

    rows: dict[str, Row[Any]] = field(default_factory=dict)
    #: backend -> product id -> attribute code -> value
    values: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    #: product id -> (customer group id, qty, price) as strings
    tiers: dict[int, list[tuple[str, str, str]]] = field(default_factory=dict)


def stored_products(conn: Connection, skus: Sequence[str]) -> StoredProducts:
    """The stored rows, EAV values and tier prices of these skus."""
    rows = {row.sku: row for row in conn.execute(select(t.products).where(t.products.c.sku.in_(skus)))}
    stored = StoredProducts(rows=rows, values={backend: {} for backend in t.product_values})
    ids = [int(row.id) for row in rows.values()]
    if not ids:
        return stored
    for backend, table in t.product_values.items():
        query = select(table.c.product_id, table.c.attribute_code, table.c.value).where(
            table.c.product_id.in_(ids)
        )
        for product_id, code, value in conn.execute(query):
            stored.values[backend].setdefault(int(product_id), {})[code] = value
    for r in conn.execute(select(t.tier_prices).where(t.tier_prices.c.product_id.in_(ids))):
        stored.tiers.setdefault(int(r.product_id), []).append(
            (str(r.customer_group_id), str(r.qty), str(r.price))
        )
    return stored


def add_attribute_sets(conn: Connection, names: Iterable[str]) -> None:
    """Create the attribute sets of these names that do not exist yet."""
    known = set(conn.execute(select(t.attribute_sets.c.name)).scalars())
    for name in sorted(set(names) - known):
        conn.execute(insert(t.attribute_sets).values(name=name))


def insert_product(conn: Connection, sku: str, values: Mapping[str, Any], now: datetime) -> int:
    """Insert a product row; returns its id."""
    return inserted_id(conn.execute(insert(t.products).values(sku=sku, updated_at=now, **values)))


def update_product(conn: Connection, product_id: int, values: Mapping[str, Any], now: datetime) -> None:
    """Set these columns of a product row."""
    conn.execute(update(t.products).where(t.products.c.id == product_id).values(updated_at=now, **values))


def set_parent(conn: Connection, sku: str, parent_sku: str) -> bool:
    """Make a product a configurable's child; False if it was already."""
    moved = conn.execute(
        update(t.products)
        .where(
            t.products.c.sku == sku,
            (t.products.c.parent_sku != parent_sku) | t.products.c.parent_sku.is_(None),
        )
        .values(parent_sku=parent_sku)
    ).rowcount
    return bool(moved)


def disable_products(conn: Connection, skus: Sequence[str]) -> None:
    """Disable these products (they stay, for history and links)."""
    if skus:
        conn.execute(update(t.products).where(t.products.c.sku.in_(list(skus))).values(enabled=False))
