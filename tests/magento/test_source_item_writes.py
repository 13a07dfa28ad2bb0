"""Source-item writes (issue 13, items 12 and 13): the exporter reads every source item it is
about to move, whatever the paging, and a movement is never lost to a write Magento makes
between Till's read and Till's write when the companion module is there to apply it atomically."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.magento.conftest import client_for, run
from tests.magento.double import MagentoDouble
from tests.magento.store import START_STOCK, seed_till_shop
from tests.magento.test_export import _pull, _source, export_all
from tests.magento.test_export_records import _sell
from till.magento.client import MagentoError
from till.magento.export import MagentoExporter
from till.storage.magento_links import pushes_of
from till.storage.uow import UnitOfWork


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


def _ship_once_while(magento: MagentoDouble, order: dict[str, Any]) -> None:
    """The web order ships from the shop while Till's stock move is under way: right after
    Till read the source item (the absolute path's read-modify-write window), or as Till's
    relative write arrives."""
    done: list[bool] = []

    done: list[bool] = []
    shipment = {"arguments": {"extension_attributes": {"source_code": "nyc_store"}}}

    def ship(method: str, template: str, when: tuple[str, str]) -> None:
        if not done and (method, template) == when:
            done.append(True)
            magento.ship({"orderId": str(order["entity_id"])}, {}, shipment)

    magento.after_call.append(lambda m, t: ship(m, t, ("GET", "/V1/inventory/source-items")))
    magento.before_call.append(lambda m, t: ship(m, t, ("POST", "/V1/till-pos/source-items/adjust")))


def test_a_web_shipment_during_a_till_stock_move_is_not_overwritten(
    engine: Engine, magento: MagentoDouble
) -> None:
    """Item 12: with the companion module, Till's move is `quantity + delta` in Magento: a web
    shipment from the shop landing while it is under way is kept, and the next pull brings it
    into Till. (The absolute write of REST alone overwrote it: the shelf read 2 too many and
    the shipment's compensating reservation stayed, so the web could oversell by 2.)"""
    magento.till_pos = True
    staff = seed_till_shop(engine)
    _pull(engine, magento, full=True)
    web_before = magento.salable("24-MB01", 1)
    web_order = magento.place_web_order([("24-MB01", Decimal(2))])
    _ship_once_while(magento, web_order)
    _sell(engine, staff, "NYC1-000611", [("24-MB01", Decimal(1))])
    export_all(engine, magento)

    shop = START_STOCK["24-MB01"][0]
    assert _source(magento, "24-MB01") == (shop - 1 - 2, 1)
    assert magento.salable("24-MB01", 1) == web_before - 1 - 2
    _pull(engine, magento)
    with UnitOfWork(engine) as uow:
        assert uow.stock.salable(2, ["24-MB01"])["24-MB01"] == shop - 1 - 2


def test_a_relative_move_whose_answer_was_lost_is_applied_once(
    engine: Engine, magento: MagentoDouble
) -> None:
    """Item 12: Magento applied the move but every answer was lost (the export fails and is
    retried later): the module keeps the movement id, so the retry moves nothing more."""
    magento.till_pos = True
    staff = seed_till_shop(engine)
    _pull(engine, magento, full=True)
    order_id = _sell(engine, staff, "NYC1-000612", [("24-MB01", Decimal(2))])
    magento.fail_after[("POST", "/V1/till-pos/source-items/adjust")] = [504] * 3
    with pytest.raises(MagentoError):
        export_all(engine, magento)
    with engine.connect() as conn:
        assert pushes_of(conn, f"sale:{order_id}")[("24-MB01", "nyc_store")]["state"] == "sent"
    export_all(engine, magento)
    export_all(engine, magento)
    assert _source(magento, "24-MB01") == (START_STOCK["24-MB01"][0] - 2, 1)
    with engine.connect() as conn:
        assert pushes_of(conn, f"sale:{order_id}")[("24-MB01", "nyc_store")]["state"] == "done"


def test_a_movement_left_uncertain_is_never_sent_again(engine: Engine, magento: MagentoDouble) -> None:
    """A REST move whose answer was lost while Magento moved too is `uncertain`; asked again
    (a replayed message) it sends nothing, by either path, and fails on no missing module."""
    seed_till_shop(engine)
    _pull(engine, magento, full=True)
    move = [("24-MB01", "nyc_store", Decimal(-1))]

    def push() -> None:
        async def go() -> None:
            async with client_for(magento) as client:
                await MagentoExporter(engine, client).push_stock("adjust:replayed", move)

        run(go())

    magento.fail_after[("POST", "/V1/inventory/source-items")] = [504] * 3
    with pytest.raises(MagentoError):
        push()
    magento.source_items[("24-MB01", "nyc_store")]["quantity"] = 5.0  # a count in Magento's admin
    push()
    push()
    assert _source(magento, "24-MB01") == (Decimal(5), 1)
    with engine.connect() as conn:
        assert pushes_of(conn, "adjust:replayed")[("24-MB01", "nyc_store")]["state"] == "uncertain"
