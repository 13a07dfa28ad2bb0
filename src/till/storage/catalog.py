"""Catalog storage: products with their EAV values, categories, attributes, cart rules."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Connection, Row, select

from till.domain.catalog import (
    Attribute,
    AttributeOption,
    AttributeSet,
    AttributeValue,
    BackendType,
    Category,
    Product,
    ProductType,
    SpecialPrice,
    TierPrice,
)
from till.storage.tables import (
    attribute_set_members,
    attributes,
    categories,
    product_values,
    products,
    tier_prices,
)


class CatalogRepository:
    """Loads catalog entities in bulk (one query per table, never one per product)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def products(self, skus: Iterable[str]) -> dict[str, Product]:
        """The products with these skus, by sku; unknown skus are absent."""
        wanted = sorted(set(skus))
        found: dict[str, Product] = {}
        for start in range(0, len(wanted), 1000):
            chunk = wanted[start : start + 1000]
            rows = self.conn.execute(select(products).where(products.c.sku.in_(chunk))).all()
            found.update(self._build(rows))
        return found

    def product_page(self, after_id: int, limit: int) -> list[tuple[int, Product]]:
        """Products in id order after `after_id`, for a full export."""
        rows = self.conn.execute(
            select(products).where(products.c.id > after_id).order_by(products.c.id).limit(limit)
        ).all()
        built = self._build(rows)
        return [(int(row.id), built[row.sku]) for row in rows]

    def sku_for_barcode(self, barcode: str) -> str | None:
        """The sku a scanned barcode belongs to."""
        return self.conn.execute(select(products.c.sku).where(products.c.barcode == barcode)).scalar()

    def search(self, text: str, limit: int) -> list[Product]:
        """Products whose sku, name or barcode contains the text (case-insensitive)."""
        pattern = f"%{text.lower()}%"
        from sqlalchemy import func, or_

        rows = self.conn.execute(
            select(products)
            .where(
                or_(
                    func.lower(products.c.sku).like(pattern),
                    func.lower(products.c.name).like(pattern),
                    products.c.barcode == text,
                )
            )
            .order_by(products.c.name)
            .limit(limit)
        ).all()
        return list(self._build(rows).values())

    def _build(self, rows: Sequence[Row[Any]]) -> dict[str, Product]:
        if not rows:
            return {}
        ids = [row.id for row in rows]
        values: dict[int, dict[str, AttributeValue]] = {i: {} for i in ids}
        for backend, table in product_values.items():
            query = select(table.c.product_id, table.c.attribute_code, table.c.value).where(
                table.c.product_id.in_(ids)
            )
            for product_id, code, value in self.conn.execute(query):
                values[product_id][code] = _typed(backend, value)
        tiers: dict[int, list[TierPrice]] = {i: [] for i in ids}
        for tier in self.conn.execute(select(tier_prices).where(tier_prices.c.product_id.in_(ids))):
            tiers[tier.product_id].append(TierPrice(tier.qty, tier.price, tier.customer_group_id))
        built: dict[str, Product] = {}
        for row in rows:
            special = None
            if row.special_price is not None:
                special = SpecialPrice(row.special_price, row.special_from, row.special_to)
            built[row.sku] = Product(
                sku=row.sku,
                name=row.name,
                type=cast(ProductType, row.type),
                price=row.price,
                attribute_set=row.attribute_set,
                enabled=bool(row.enabled),
                tax_class=row.tax_class,
                barcode=row.barcode,
                special_price=special,
                tier_prices=tuple(sorted(tiers[row.id], key=lambda t: (t.qty, t.price))),
                category_ids=tuple(row.category_ids or ()),
                attributes=values[row.id],
                configurable_attributes=tuple(row.configurable_attributes or ()),
                parent_sku=row.parent_sku,
            )
        return built

    def attributes(self) -> list[Attribute]:
        """Every attribute definition."""
        return [
            Attribute(
                code=row.code,
                label=row.label,
                backend_type=cast(BackendType, row.backend_type),
                frontend_input=row.frontend_input,
                options=tuple(AttributeOption(str(o["value"]), str(o["label"])) for o in row.options),
                is_required=bool(row.is_required),
            )
            for row in self.conn.execute(select(attributes).order_by(attributes.c.code))
        ]

    def attribute_sets(self) -> list[AttributeSet]:
        """Every attribute set that has members, by name."""
        members: dict[str, set[str]] = {}
        for set_name, code in self.conn.execute(
            select(attribute_set_members.c.set_name, attribute_set_members.c.attribute_code)
        ):
            members.setdefault(set_name, set()).add(code)
        return [AttributeSet(name, frozenset(codes)) for name, codes in sorted(members.items())]

    def categories(self) -> list[Category]:
        """The category tree as a flat list."""
        return [
            Category(row.id, row.name, row.parent_id, row.position)
            for row in self.conn.execute(select(categories).order_by(categories.c.id))
        ]


def _typed(backend: str, value: Any) -> AttributeValue:
    if backend == "decimal":
        return Decimal(value).quantize(Decimal("0.0001"))
    if backend == "int":
        return int(value)
    if backend == "datetime":
        return cast(datetime, value)  # the column type hands back an aware UTC moment
    return str(value)


def wire_value(value: AttributeValue) -> str | int:
    """An attribute value as JSON carries it: decimals and datetimes as strings."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
