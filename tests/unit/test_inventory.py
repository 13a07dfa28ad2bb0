"""MSI arithmetic: salable quantity, sale reservations, adjustments."""

from __future__ import annotations

from decimal import Decimal

import pytest

from till.domain.inventory import (
    InventoryError,
    Reservation,
    Source,
    SourceItem,
    Stock,
    StockAdjustment,
    salable_quantity,
    sale_reservations,
)

SHOP, WAREHOUSE = Source("shop", "Shop"), Source("wh", "Warehouse", enabled=False)
WEB = Stock(1, "Web", ("shop", "wh"))


def test_salable_counts_enabled_in_stock_sources_plus_reservations() -> None:
    items = [
        SourceItem("A", "shop", Decimal(5)),
        SourceItem("A", "wh", Decimal(100)),  # source disabled
        SourceItem("B", "shop", Decimal(7), in_stock=False),
    ]
    held = [
        Reservation(1, "A", Decimal(-2), "order_placed", "order", "o1"),
        Reservation(2, "A", Decimal(-1), "order_placed", "order", "o2"),
    ]  # another stock
    assert salable_quantity(WEB, [SHOP, WAREHOUSE], items, held, "A") == Decimal(3)
    assert salable_quantity(WEB, [SHOP, WAREHOUSE], items, held, "B") == Decimal(0)


def test_a_sold_out_item_sold_anyway_stays_owed_after_fulfilment() -> None:
    """Offline tills sell a sold-out item: salable is start − sold before and after shipping."""
    before = [SourceItem("C", "shop", Decimal(0), in_stock=False)]
    held = [Reservation(1, "C", Decimal(-3), "order_placed", "order", "o1")]
    assert salable_quantity(WEB, [SHOP], before, held, "C") == Decimal(-3)
    shipped = [SourceItem("C", "shop", Decimal(-3), in_stock=False)]
    compensated = [*held, Reservation(1, "C", Decimal(3), "shipment_created", "order", "o1")]
    assert salable_quantity(WEB, [SHOP], shipped, compensated, "C") == Decimal(-3)


def test_a_sale_reserves_each_sku_once_in_sku_order() -> None:
    reserved = sale_reservations(1, [("B", Decimal(1)), ("A", Decimal(2)), ("B", Decimal(3))], "o9")
    assert [(r.sku, r.quantity) for r in reserved] == [("A", Decimal(-2)), ("B", Decimal(-4))]
    with pytest.raises(InventoryError):
        sale_reservations(1, [("A", Decimal(0))], "o9")


def test_adjustments_have_reasons_and_signed_deltas() -> None:
    assert StockAdjustment("A", "shop", "damage", Decimal(2)).deltas() == [("shop", Decimal(-2))]
    assert StockAdjustment("A", "shop", "transfer", Decimal(3), to_source_code="wh").deltas() == [
        ("shop", Decimal(-3)),
        ("wh", Decimal(3)),
    ]
    assert StockAdjustment("A", "shop", "correction", Decimal(-1)).deltas() == [("shop", Decimal(-1))]
    with pytest.raises(InventoryError, match="sets a quantity"):
        StockAdjustment("A", "shop", "count", Decimal(4)).deltas()
    for bad in (
        lambda: StockAdjustment("A", "shop", "transfer", Decimal(1)),
        lambda: StockAdjustment("A", "shop", "transfer", Decimal(1), to_source_code="shop"),
        lambda: StockAdjustment("A", "shop", "count", Decimal(-1)),
        lambda: StockAdjustment("A", "shop", "receive", Decimal(0)),
        lambda: StockAdjustment("A", "shop", "theft", Decimal(1)),  # type: ignore[arg-type]
    ):
        with pytest.raises(InventoryError):
            bad()
