"""Products, tier prices and stock levels."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
)

from till.api.schemas.common import (
    Code,
    DecimalOut,
    MoneyOut,
    Sku,
    Strict,
    decimal_string,
    no_float,
)


class TierPriceOut(BaseModel):
    qty: DecimalOut
    price: MoneyOut
    customer_group_id: int | None


class ProductOut(BaseModel):
    sku: str
    name: str
    type: str
    attribute_set: str
    enabled: bool
    price: MoneyOut
    special_price: MoneyOut | None
    special_from: str | None
    special_to: str | None
    tier_prices: list[TierPriceOut]
    tax_class: str
    barcode: str | None
    category_ids: list[int]
    attributes: dict[str, str | int]
    configurable_attributes: list[str]
    parent_sku: str | None


class SourceLevelOut(BaseModel):
    source_code: str
    source_name: str
    quantity: DecimalOut
    in_stock: bool


class StockOut(BaseModel):
    sku: str
    sources: list[SourceLevelOut]
    salable_by_location: dict[str, DecimalOut]
    #: Units sent by transfer to a location and not received yet, by receiving location.
    in_transit_to: dict[str, DecimalOut] = {}


class StockAdjustmentIn(Strict):
    sku: Sku
    source_code: Code
    reason: Literal["count", "damage", "transfer", "receive", "correction"]
    quantity: Annotated[
        Decimal,
        BeforeValidator(no_float),
        Field(ge=Decimal("-100000"), le=Decimal("100000"), decimal_places=4),
        decimal_string(4, signed=True, example="5"),
    ]
    to_source_code: Code | None = None
    note: Annotated[str, Field(max_length=255)] = ""
