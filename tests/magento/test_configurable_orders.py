"""A configurable product's variant sold at a till, recorded as Magento records its own (issue 13,
item 8): a parent row and a linked child row, through the companion module Till_Pos when the
store has it; the variant alone, and a warning from `till magento check`, when it does not."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine

from tests.magento.conftest import client_for, run
from tests.magento.double import MagentoDouble
from tests.magento.store import COLOR, SIZE, seed_till_shop
from tests.magento.test_export import _principal, _pull, _source, export_all
from tests.magento.test_export_records import _pos_order, _sell
from till.domain.sales import RefundLineRequest
from till.magento.check import check
from till.services.refunds import refund


def test_a_hoodie_sold_at_the_till_is_a_configurable_parent_and_its_variant(
    engine: Engine, magento: MagentoDouble
) -> None:
    magento.till_pos = True
    staff = seed_till_shop(engine)
    _pull(engine, magento, full=True)
    order_id = _sell(engine, staff, "NYC1-000701", [("24-MB01", Decimal(1)), ("MH01-S-Black", Decimal(2))])
    export_all(engine, magento)

    order = _pos_order(magento, "NYC1-000701")
    bag, parent, child = order["items"]
    assert (bag["sku"], bag["product_type"], bag.get("parent_item_id")) == ("24-MB01", "simple", None)
    # The parent row: the configurable's id, name and type, the variant's sku, the price and tax.
    assert (parent["sku"], parent["product_id"], parent["product_type"], parent["name"]) == (
        "MH01-S-Black",
        magento.products["MH01"]["id"],
        "configurable",
        "Chaz Kangeroo Hoodie",
    )
    assert (parent["price"], parent["row_total"]) == ("52.00", "104.00")
    assert parent["product_option"]["extension_attributes"]["configurable_item_options"] == [
        {"option_id": str(COLOR), "option_value": 49},
        {"option_id": str(SIZE), "option_value": 167},
    ]
    assert parent["product_options"]["simple_sku"] == "MH01-S-Black"
    # The child row: the variant's own product, under its parent, no amounts.
    assert (child["sku"], child["product_id"], child["product_type"], child["parent_item_id"]) == (
        "MH01-S-Black",
        magento.products["MH01-S-Black"]["id"],
        "simple",
        parent["item_id"],
    )
    assert (child["price"], child["row_total"], child["qty_ordered"]) == ("0.00", "0.00", 2.0)
    assert order["state"] == "complete"
    assert _source(magento, "MH01-S-Black") == (Decimal(1), 1)  # 3 on the shelf, 2 sold

    # A refund of one hoodie, not restocked: the credit memo takes the parent and, with it, the
    # child; MSI moves neither the warehouse nor the web stock's salable quantity twice.
    web_before = magento.salable("MH01-S-Black", 1)
    warehouse_before = _source(magento, "MH01-S-Black", "nj_warehouse")
    refund(
        engine,
        _principal(engine, staff["manager"]),
        order_id=order_id,
        idempotency_key="refund-0000701",
        register_code="NYC1",
        method="cash",
        lines=[RefundLineRequest(2, Decimal(1), restock=False)],
    )
    export_all(engine, magento)
    export_all(engine, magento)
    [memo] = magento.creditmemos.values()
    assert sorted((i["order_item_id"], i["qty"]) for i in memo["items"]) == [
        (parent["item_id"], 1.0),
        (child["item_id"], 1.0),
    ]
    assert memo["subtotal"] == 52.0  # the parent's price; the child row adds nothing
    assert magento.salable("MH01-S-Black", 1) == web_before
    assert _source(magento, "MH01-S-Black", "nj_warehouse") == warehouse_before


def test_without_the_module_a_variant_goes_in_alone_and_check_says_why(
    engine: Engine, magento: MagentoDouble
) -> None:
    staff = seed_till_shop(engine)
    _pull(engine, magento, full=True)
    _sell(engine, staff, "NYC1-000702", [("MH01-S-Black", Decimal(1))])
    export_all(engine, magento)
    [item] = _pos_order(magento, "NYC1-000702")["items"]
    assert (item["sku"], item["product_type"], item["product_id"]) == (
        "MH01-S-Black",
        "simple",
        magento.products["MH01-S-Black"]["id"],
    )

    async def go() -> list[str]:
        async with client_for(magento) as client:
            return (await check(engine, client)).warnings

    warnings = run(go())
    assert any("Till_Pos is not installed" in w and "variant alone" in w for w in warnings)
    magento.till_pos = True
    assert not any("Till_Pos" in w for w in run(go()))
