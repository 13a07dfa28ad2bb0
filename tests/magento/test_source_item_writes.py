"""Source-item writes (issue 13, items 12 and 13): the exporter reads every source item it is
about to move, whatever the paging, and a movement is never lost to a write Magento makes
between Till's read and Till's write when the companion module is there to apply it atomically."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine

from tests.magento.double import MagentoDouble
from tests.magento.store import START_STOCK, seed_till_shop
from tests.magento.test_export import _pull, _source, export_all
from tests.magento.test_export_records import _sell


def test_a_sale_of_more_lines_than_a_page_moves_every_source_item_by_its_units(
    engine: Engine, magento: MagentoDouble
) -> None:
    """Item 13: the exporter read the source items it moves in offset pages of an unsorted list;
    MySQL gives such a query no order, so a row could fall between two pages and be taken as
    missing (quantity 0): Magento's shelf was then set to minus the units sold."""
    staff = seed_till_shop(engine)
    _pull(engine, magento, full=True)
    magento.unsorted_order_varies = True
    lines = [("24-MB01", Decimal(1)), ("24-MB02", Decimal(1)), ("MH01-S-Black", Decimal(2))]
    _sell(engine, staff, "NYC1-000601", lines)  # three rows, pages of two
    export_all(engine, magento)
    assert {sku: _source(magento, sku)[0] for sku, _ in lines} == {
        sku: START_STOCK[sku][0] - units for sku, units in lines
    }
