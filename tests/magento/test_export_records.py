"""POS sales and refunds recorded in Magento the way Magento records its own (issue 13, items
5-9): stock moved once by a credit memo, report rates and currencies, applied taxes, order items
and the in-store pickup, payment methods. Over the double, which does what Magento's source does."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.integration.helpers import make_sale
from tests.magento.double import MagentoDouble
from tests.magento.store import seed_till_shop
from tests.magento.test_export import _principal, _pull, _source, export_all
from till.domain.sales import RefundLineRequest
from till.services.refunds import refund
from till.services.sales import place_sales


def _sell(engine: Engine, staff: dict[str, int], receipt: str, lines: list[tuple[str, Decimal]]) -> str:
    [result] = place_sales(
        engine,
        [make_sale(engine, key=f"sale-{receipt}", receipt=receipt, staff_id=staff["cashier"], lines=lines)],
    )
    assert result.status == "accepted" and result.order_id
    return result.order_id


def _pos_order(magento: MagentoDouble, receipt: str) -> dict[str, Any]:
    return next(o for o in magento.orders.values() if o["increment_id"] == receipt)


@pytest.mark.parametrize("auto_return", [False, True], ids=["auto-return-off", "auto-return-on"])
def test_a_refund_moves_magentos_stock_once(
    engine: Engine, magento: MagentoDouble, auto_return: bool
) -> None:
    """Item 5. A bag refunded and restocked is salable again on the web once; a hoodie refunded
    but not restocked (damaged) is not; no other source (the warehouse) moves. With MSI's
    refund plugins in the double, on either setting of "Automatically Return Credit Memo Item
    to Stock"."""
    magento.auto_return = auto_return
    staff = seed_till_shop(engine)
    _pull(engine, magento, full=True)
    order_id = _sell(engine, staff, "NYC1-000101", [("24-MB01", Decimal(2)), ("MH01-S-Black", Decimal(1))])
    export_all(engine, magento)
    web_before = {sku: magento.salable(sku, 1) for sku in ("24-MB01", "MH01-S-Black")}
    warehouse_before = {sku: _source(magento, sku, "nj_warehouse") for sku in web_before}

    refund(
        engine,
        _principal(engine, staff["manager"]),
        order_id=order_id,
        idempotency_key="refund-0000101",
        register_code="NYC1",
        method="cash",
        lines=[
            RefundLineRequest(1, Decimal(1), restock=True),
            RefundLineRequest(2, Decimal(1), restock=False),
        ],
    )
    export_all(engine, magento)
    export_all(engine, magento)  # a replay moves nothing

    assert magento.salable("24-MB01", 1) == web_before["24-MB01"] + 1
    assert magento.salable("MH01-S-Black", 1) == web_before["MH01-S-Black"]
    assert {sku: _source(magento, sku, "nj_warehouse") for sku in web_before} == warehouse_before
    assert len(magento.creditmemos) == 1
