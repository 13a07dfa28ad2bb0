"""POS sales and refunds recorded in Magento the way Magento records its own (issue 13, items
5-9): stock moved once by a credit memo, report rates and currencies, applied taxes, order items
and the in-store pickup, payment methods. Over the double, which does what Magento's source does."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.integration.helpers import make_sale
from tests.magento.conftest import client_for, run
from tests.magento.double import MagentoDouble
from tests.magento.store import seed_till_shop
from tests.magento.test_export import _outbox, _principal, _pull, _source, export_all
from till.domain.sales import Payment, RefundLineRequest
from till.magento.client import MagentoError
from till.magento.export import ExportError, MagentoExporter
from till.magento.monitoring import EXPORT_QUEUE
from till.magento.reconcile import reconcile
from till.magento.settings import LocationMapping
from till.queue import store
from till.queue.messages import Message
from till.services.refunds import refund
from till.services.sales import place_sales
from till.storage.uow import UnitOfWork


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


def _export(engine: Engine, magento: MagentoDouble, **settings: Any) -> None:
    """Every Magento-bound outbox message, with connector settings of the test's choosing."""

    async def go() -> None:
        async with client_for(magento, **settings) as client:
            exporter = MagentoExporter(engine, client)
            for message in _outbox(engine):
                if message["topic"] in exporter.topics:
                    await exporter.export(message["message_id"], message["topic"], message["payload"])

    run(go())


def _sell_paid(
    engine: Engine, staff: dict[str, int], receipt: str, lines: list[tuple[str, Decimal]], *tenders: Payment
) -> str:
    """A sale paid with the given tenders (the last one's amount becomes what is left to pay)."""
    pushed = make_sale(engine, key=f"sale-{receipt}", receipt=receipt, staff_id=staff["cashier"], lines=lines)
    assert pushed.sale is not None
    total = pushed.sale.client_totals.grand_total
    first = tenders[:-1]
    rest = total - sum((p.amount for p in first), Decimal(0))
    pushed.sale = dataclasses.replace(
        pushed.sale, payments=(*first, dataclasses.replace(tenders[-1], amount=rest))
    )
    [result] = place_sales(engine, [pushed])
    assert result.status == "accepted" and result.order_id
    return result.order_id


def test_a_card_sale_is_never_recorded_as_check_money_order(engine: Engine, magento: MagentoDouble) -> None:
    """Item 9. With no Magento method mapped for cards, a card sale is not exported at all (the
    message says what to set) rather than recorded as "Check / Money order"."""
    staff = seed_till_shop(engine)
    _pull(engine, magento, full=True)
    _sell_paid(
        engine, staff, "NYC1-000201", [("24-MB01", Decimal(1))], Payment("card", Decimal(1), "VISA 4242")
    )
    with pytest.raises(ExportError, match="no Magento payment method for the till's card tender"):
        _export(engine, magento, payment_methods={"cash": "cashondelivery"})
    assert not [o for o in magento.orders.values() if o.get("ext_order_id")]


def test_tenders_map_to_the_stores_methods_with_their_details(engine: Engine, magento: MagentoDouble) -> None:
    """Item 9. Each tender maps to a method the store declares; a split payment is recorded under
    its largest tender's method, every tender with its reference in the additional information."""
    magento.payment_methods.add("pos_card")  # declared by the store's POS payment module
    staff = seed_till_shop(engine)
    _pull(engine, magento, full=True)
    _sell_paid(
        engine,
        staff,
        "NYC1-000202",
        [("24-MB01", Decimal(2))],
        Payment("cash", Decimal("10.00")),
        Payment("card", Decimal(1), "VISA **** 4242 auth 0815"),
    )
    _export(engine, magento, payment_methods={"cash": "cashondelivery", "card": "pos_card"})
    order = _pos_order(magento, "NYC1-000202")
    assert order["payment"]["method"] == "pos_card"
    info = order["payment"]["additional_information"]
    assert "cash 10.00" in info
    assert any(i.startswith("card ") and "(VISA **** 4242 auth 0815)" in i for i in info)
    assert order["state"] == "complete" and len(magento.invoices) == 1


def test_magento_refuses_to_invoice_a_method_the_store_does_not_declare(
    engine: Engine, magento: MagentoDouble
) -> None:
    """The double as Magento: the repository stores any method code, invoicing then fails
    (`Payment/Helper/Data::getMethodInstance`), so a mapping to an undeclared code is caught."""
    staff = seed_till_shop(engine)
    _pull(engine, magento, full=True)
    _sell_paid(engine, staff, "NYC1-000203", [("24-MB01", Decimal(1))], Payment("card", Decimal(1)))
    with pytest.raises(MagentoError, match="500"):
        _export(engine, magento, payment_methods={"cash": "cashondelivery", "card": "pos_card"})
    assert _pos_order(magento, "NYC1-000203")["state"] == "new" and not magento.invoices


def test_pos_sales_count_in_magentos_sales_report(engine: Engine, magento: MagentoDouble) -> None:
    """Item 6. Magento's sales report multiplies each order's base total by its
    base_to_global_rate: a POS order carries the rates and the website's base currency."""
    staff = seed_till_shop(engine)
    _pull(engine, magento, full=True)
    order_id = _sell(engine, staff, "NYC1-000301", [("24-MB01", Decimal(2))])
    export_all(engine, magento)
    order = _pos_order(magento, "NYC1-000301")
    with UnitOfWork(engine) as uow:
        till_order = uow.sales.get(order_id)
    assert till_order is not None
    assert magento.sales_report() == till_order.grand_total
    assert (order["base_currency_code"], order["global_currency_code"], order["order_currency_code"]) == (
        "USD",
        "USD",
        "USD",
    )
    assert Decimal(order["base_to_order_rate"]) == Decimal(order["store_to_order_rate"]) == 1


def test_a_shop_in_another_currency_than_the_website_is_not_recorded_wrongly(
    engine: Engine, magento: MagentoDouble
) -> None:
    """Item 6. Base amounts are in the website's base currency (its store config), not the shop's:
    a shop selling in USD on a EUR website cannot be recorded without a rate, and is refused
    with a message rather than booked as EUR."""
    magento.store_configs[0]["base_currency_code"] = "EUR"
    staff = seed_till_shop(engine)
    _pull(engine, magento, full=True)
    _sell(engine, staff, "NYC1-000302", [("24-MB01", Decimal(1))])
    with pytest.raises(ExportError, match="USD is not the website's base currency EUR"):
        export_all(engine, magento)
    assert not [o for o in magento.orders.values() if o.get("ext_order_id")]


def test_pos_tax_reaches_magentos_tax_report(engine: Engine, magento: MagentoDouble) -> None:
    """Item 7. The applied taxes go with the order (`converting_from_quote`), so Magento writes
    its sales_order_tax rows and its tax report shows the POS tax, line by line."""
    staff = seed_till_shop(engine)
    _pull(engine, magento, full=True)
    order_id = _sell(engine, staff, "NYC1-000401", [("24-MB01", Decimal(2)), ("MH01-S-Black", Decimal(1))])
    export_all(engine, magento)
    with UnitOfWork(engine) as uow:
        till_order = uow.sales.get(order_id)
    assert till_order is not None and till_order.tax > 0
    assert magento.tax_report() == {("US-NY-*-Rate 1", Decimal("8.875")): till_order.tax}
    order = _pos_order(magento, "NYC1-000401")
    item_of = {i["item_id"]: i["sku"] for i in order["items"]}
    assert sorted((item_of[t["item_id"]], t["amount"]) for t in magento.order_tax_items) == sorted(
        (line.sku, line.tax) for line in till_order.lines
    )


def test_order_items_and_the_shop_as_magento_records_them(engine: Engine, magento: MagentoDouble) -> None:
    """Item 8. Items linked to Magento's products with their type, the billing address with its
    region, and a shop sale as Magento's in-store pickup from the shop's source."""
    staff = seed_till_shop(engine)
    _pull(engine, magento, full=True)
    _sell(engine, staff, "NYC1-000501", [("24-MB01", Decimal(1)), ("MH01-S-Black", Decimal(1))])
    _export(engine, magento, locations={"NYC": LocationMapping(source="nyc_store", stock_id=2, region_id=43)})
    order = _pos_order(magento, "NYC1-000501")
    ids = {sku: p["id"] for sku, p in magento.products.items()}
    assert [(i["sku"], i["product_id"], i["product_type"], i["is_virtual"]) for i in order["items"]] == [
        ("24-MB01", ids["24-MB01"], "simple", 0),
        ("MH01-S-Black", ids["MH01-S-Black"], "simple", 0),
    ]
    assert (order["billing_address"]["region"], order["billing_address"]["region_id"]) == ("NY", 43)
    assert order["shipping_method"] == "instore_pickup"
    assert order["shipping_address"]["city"] == "Manhattan Store"
    assert order["extension_attributes"]["pickup_location_code"] == "nyc_store"
    assert order["state"] == "complete"


def test_a_virtual_product_is_recorded_virtual_and_sold_once(engine: Engine, magento: MagentoDouble) -> None:
    """Item 8. A virtual product goes in as virtual (no pickup); MSI deducts virtual items itself
    at invoicing and compensates, so the web stock still moves by exactly the units sold."""
    staff = seed_till_shop(engine)
    _pull(engine, magento, full=True)
    before = magento.salable("GC-25", 1)
    order_id = _sell(engine, staff, "NYC1-000502", [("GC-25", Decimal(3))])
    export_all(engine, magento)
    export_all(engine, magento)
    order = _pos_order(magento, "NYC1-000502")
    assert [(i["product_type"], i["is_virtual"]) for i in order["items"]] == [("virtual", 1)]
    assert order["is_virtual"] == 1 and "shipping_method" not in order
    assert magento.salable("GC-25", 1) == before - 3
    # Refunds: MSI gives a virtual item's units back to the source its invoice took them from.
    for n, restock in enumerate((True, False)):
        refund(
            engine,
            _principal(engine, staff["manager"]),
            order_id=order_id,
            idempotency_key=f"refund-000050{n}",
            register_code="NYC1",
            method="cash",
            lines=[RefundLineRequest(1, Decimal(1), restock=restock)],
        )
    export_all(engine, magento)
    assert magento.salable("GC-25", 1) == before - 3 + 1


def test_after_a_restocked_refund_the_shop_keeps_its_shelf_and_reconciliation_shows_why(
    engine: Engine, magento: MagentoDouble
) -> None:
    """Item 5, what REST cannot make exact: Magento's shop source stays one below the shelf
    (MSI's +1 reservation carries the unit on the web stock). Till keeps the shelf, a pull does
    not lower it, and the reconciliation of the shop-only stock shows the unit as an open
    difference that the `pull` policy leaves alone."""
    staff = seed_till_shop(engine)
    _pull(engine, magento, full=True)
    order_id = _sell(engine, staff, "NYC1-000601", [("24-MB01", Decimal(2))])
    refund(
        engine,
        _principal(engine, staff["manager"]),
        order_id=order_id,
        idempotency_key="refund-0000601",
        register_code="NYC1",
        method="cash",
        lines=[RefundLineRequest(1, Decimal(1), restock=True)],
    )
    export_all(engine, magento)
    for row in _outbox(engine):  # as the queue's consumer records them: applied
        store.complete(
            engine, Message(row["message_id"], row["topic"], dict(row["payload"]), EXPORT_QUEUE), 5.0
        )
    _pull(engine, magento)

    async def go() -> Any:
        async with client_for(magento) as client:
            return await reconcile(engine, client, policy="pull", skus=["24-MB01"])

    report = run(go())
    with UnitOfWork(engine) as uow:
        assert uow.stock.levels("24-MB01")[0].quantity == Decimal(9)  # 10 − 2 + 1 on the shelf
    assert _source(magento, "24-MB01") == (Decimal(8), 1)
    assert magento.salable("24-MB01", 1) == Decimal(100 + 8 + 1)
    assert [(d.stock_id, d.till, d.magento, d.state) for d in report.differences] == [
        (2, Decimal(9), Decimal(8), "open")
    ]
