"""Inventory the MSI way: sources, stocks, source items and append-only reservations.

Salable quantity of a sku in a stock = the quantities of the stock's enabled, in-stock
source items + the sum of its reservations (Magento's `GetProductSalableQty`). A sale
appends a negative reservation; fulfilment deducts the source item and appends the
compensating positive reservation, so the salable quantity never counts a sale twice.
Nothing here ever reads a quantity, changes it and writes it back: storage appends rows
and aggregates on read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from till.domain.errors import DomainError

ReservationEvent = Literal[
    "order_placed",
    "order_canceled",
    "shipment_created",
    "creditmemo_created",
    "stock_adjusted",
    # Web orders Magento holds and has not shipped, carried into Till as one offset per sku.
    "magento_salable",
]
AdjustmentReason = Literal["count", "damage", "transfer", "receive", "correction"]
ADJUSTMENT_REASONS: tuple[AdjustmentReason, ...] = (
    "count",
    "damage",
    "transfer",
    "receive",
    "correction",
)


class InventoryError(DomainError):
    """A stock operation that cannot be done as asked."""

    code = "inventory_invalid"


@dataclass(frozen=True, slots=True)
class Source:
    """A physical place that holds stock: a shop floor, a back room, a warehouse."""

    code: str
    name: str
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Stock:
    """A virtual pool of stock over linked sources; a sales channel sells from one stock."""

    id: int
    name: str
    source_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SourceItem:
    """How many units of a sku a source holds, and whether it is in stock there."""

    sku: str
    source_code: str
    quantity: Decimal
    in_stock: bool = True


@dataclass(frozen=True, slots=True)
class Reservation:
    """A signed quantity held against a stock, and what caused it (MSI metadata)."""

    stock_id: int
    sku: str
    quantity: Decimal
    event: ReservationEvent
    object_type: str
    object_id: str


def salable_quantity(
    stock: Stock,
    sources: Iterable[Source],
    source_items: Iterable[SourceItem],
    reservations: Iterable[Reservation],
    sku: str,
) -> Decimal:
    """Salable quantity of one sku in one stock; may be negative after an oversell.

    An out-of-stock source item adds nothing, except a negative quantity: units sold at a till
    while it was sold out are owed, so salable stays start − sold until they arrive.
    """
    enabled = {s.code for s in sources if s.enabled and s.code in stock.source_codes}
    on_hand = sum(
        (
            i.quantity if i.in_stock else min(i.quantity, Decimal(0))
            for i in source_items
            if i.sku == sku and i.source_code in enabled
        ),
        Decimal("0"),
    )
    reserved = sum(
        (r.quantity for r in reservations if r.sku == sku and r.stock_id == stock.id),
        Decimal("0"),
    )
    return on_hand + reserved


def sale_reservations(
    stock_id: int, lines: Iterable[tuple[str, Decimal]], order_ref: str
) -> list[Reservation]:
    """The reservations a sale appends: one negative quantity per sku (summed over lines)."""
    per_sku: dict[str, Decimal] = {}
    for sku, qty in lines:
        if qty <= 0:
            raise InventoryError(f"{sku}: a sold quantity must be positive")
        per_sku[sku] = per_sku.get(sku, Decimal("0")) + qty
    # Sorted so that every writer touches skus in one order.
    return [
        Reservation(stock_id, sku, -qty, "order_placed", "order", order_ref)
        for sku, qty in sorted(per_sku.items())
    ]


@dataclass(frozen=True, slots=True)
class StockAdjustment:
    """A change to a source item with a reason: a count sets, the others add or remove."""

    sku: str
    source_code: str
    reason: AdjustmentReason
    quantity: Decimal
    note: str = ""
    #: For a transfer: the source that receives what leaves `source_code`.
    to_source_code: str | None = None

    def __post_init__(self) -> None:
        if self.reason not in ADJUSTMENT_REASONS:
            raise InventoryError(f"unknown reason {self.reason!r}; use one of {ADJUSTMENT_REASONS}")
        if self.reason == "count" and self.quantity < 0:
            raise InventoryError("a counted quantity cannot be negative")
        if self.reason in ("damage", "transfer") and self.quantity <= 0:
            raise InventoryError(f"a {self.reason} moves a positive quantity out of the source")
        if self.reason == "receive" and self.quantity <= 0:
            raise InventoryError("received stock must be a positive quantity")
        if self.reason == "transfer":
            if not self.to_source_code:
                raise InventoryError("a transfer needs the source it goes to")
            if self.to_source_code == self.source_code:
                raise InventoryError("a transfer needs two different sources")
        elif self.to_source_code:
            raise InventoryError("only a transfer names a second source")

    def deltas(self) -> list[tuple[str, Decimal]]:
        """The signed changes to source quantities, as (source code, delta); not for counts."""
        if self.reason == "count":
            raise InventoryError("a count sets a quantity; it is not a delta")
        if self.reason == "transfer":
            assert self.to_source_code is not None
            return [(self.source_code, -self.quantity), (self.to_source_code, self.quantity)]
        if self.reason == "damage":
            return [(self.source_code, -self.quantity)]
        return [(self.source_code, self.quantity)]
