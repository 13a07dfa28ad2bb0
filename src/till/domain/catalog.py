"""The catalog in Magento's EAV shape.

A product is a fixed entity (sku, type, attribute set, status) plus typed attribute values,
as in `catalog_product_entity` and `catalog_product_entity_{varchar,int,decimal,text,datetime}`.
Prices follow Magento's final-price rule: the lowest of the base price, an active special
price and a tier price that fits the customer group and quantity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from till.domain.errors import DomainError

BackendType = Literal["varchar", "int", "decimal", "text", "datetime"]
ProductType = Literal["simple", "configurable", "virtual"]
AttributeValue = str | int | Decimal | datetime

#: Magento's "ALL GROUPS" marker for tier prices (customer_group_id 32000).
ALL_GROUPS: int | None = None


class CatalogError(DomainError):
    """A catalog fact that breaks a rule, such as a variant without its options."""

    code = "catalog_invalid"


@dataclass(frozen=True, slots=True)
class AttributeOption:
    """One choice of a select attribute, such as size M or colour Red."""

    value: str
    label: str


@dataclass(frozen=True, slots=True)
class Attribute:
    """An EAV attribute (`eav_attribute`): its code, label and the type its values are stored as."""

    code: str
    label: str
    backend_type: BackendType
    frontend_input: str = "text"
    options: tuple[AttributeOption, ...] = ()
    is_required: bool = False

    def coerce(self, raw: object) -> AttributeValue:
        """Turn a raw value into the attribute's typed value, or raise CatalogError."""
        try:
            if self.backend_type in ("varchar", "text"):
                value: AttributeValue = str(raw)
            elif self.backend_type == "int":
                if isinstance(raw, bool) or not isinstance(raw, int | str):
                    raise TypeError
                value = int(raw)
            elif self.backend_type == "decimal":
                if isinstance(raw, float):
                    raise TypeError
                value = Decimal(str(raw))
            else:
                value = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise CatalogError(
                f"attribute {self.code!r} holds {self.backend_type} values, not {raw!r}"
            ) from exc
        if self.options and str(value) not in {o.value for o in self.options}:
            raise CatalogError(f"{raw!r} is not an option of attribute {self.code!r}")
        return value


@dataclass(frozen=True, slots=True)
class AttributeSet:
    """A named group of attributes that products of one kind share (`eav_attribute_set`)."""

    name: str
    attribute_codes: frozenset[str]


@dataclass(frozen=True, slots=True)
class Category:
    """A node of the category tree, under its parent (None for a root)."""

    id: int
    name: str
    parent_id: int | None = None
    position: int = 0


@dataclass(frozen=True, slots=True)
class TierPrice:
    """A price for buying at least `qty` units, for one customer group or all of them."""

    qty: Decimal
    price: Decimal
    customer_group_id: int | None = ALL_GROUPS


@dataclass(frozen=True, slots=True)
class SpecialPrice:
    """A special price, active on the days from `starts` to `ends` inclusive (either open)."""

    price: Decimal
    starts: date | None = None
    ends: date | None = None

    def is_active(self, day: date) -> bool:
        """True on the days the special price applies, as Magento compares store-local dates."""
        return (self.starts is None or self.starts <= day) and (self.ends is None or day <= self.ends)


@dataclass(frozen=True, slots=True)
class Product:
    """A sellable thing (simple or virtual) or a configurable parent that groups variants."""

    sku: str
    name: str
    type: ProductType = "simple"
    price: Decimal = Decimal("0")
    attribute_set: str = "Default"
    enabled: bool = True
    tax_class: str = "Taxable Goods"
    barcode: str | None = None
    special_price: SpecialPrice | None = None
    tier_prices: tuple[TierPrice, ...] = ()
    category_ids: tuple[int, ...] = ()
    attributes: dict[str, AttributeValue] = field(default_factory=dict)
    #: For a configurable parent: the attribute codes a cashier chooses (size, colour).
    configurable_attributes: tuple[str, ...] = ()
    #: For a variant: its parent's sku.
    parent_sku: str | None = None

    def __post_init__(self) -> None:
        if not self.sku or len(self.sku) > 64:
            raise CatalogError("a sku must have 1 to 64 characters, as in Magento")
        if self.price < 0:
            raise CatalogError(f"{self.sku}: a price cannot be negative")
        if self.type == "configurable" and not self.configurable_attributes:
            raise CatalogError(f"{self.sku}: a configurable product needs its option attributes")

    @property
    def is_sellable(self) -> bool:
        """Only enabled simple or virtual products go into a cart; a parent needs a variant."""
        return self.enabled and self.type != "configurable"

    def final_price(self, day: date, customer_group_id: int, qty: Decimal = Decimal("1")) -> Decimal:
        """The unit price a customer pays before cart rules: Magento's lowest-price rule."""
        candidates = [self.price]
        if self.special_price is not None and self.special_price.is_active(day):
            candidates.append(self.special_price.price)
        candidates.extend(
            tier.price
            for tier in self.tier_prices
            if tier.qty <= qty
            and (tier.customer_group_id is None or tier.customer_group_id == customer_group_id)
        )
        return min(candidates)


def variant_for(parent: Product, variants: list[Product], chosen: dict[str, str]) -> Product:
    """The child of a configurable product that matches the chosen option values."""
    missing = [code for code in parent.configurable_attributes if code not in chosen]
    if missing:
        raise CatalogError(f"{parent.sku}: choose {', '.join(missing)}")
    for variant in variants:
        if variant.parent_sku != parent.sku:
            continue
        if all(str(variant.attributes.get(c)) == chosen[c] for c in parent.configurable_attributes):
            return variant
    raise CatalogError(f"{parent.sku}: no variant with {chosen}")
