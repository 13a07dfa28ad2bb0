"""How gift cards and store credit appear in Magento (docs/ledgers.md): a tender under a method
the store declares, the card masked in the payment's additional information; a card sold is no
item of the order (not revenue), and a sale of gift cards only is no Magento order at all."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

from sqlalchemy import Engine

from tests.integration.helpers import make_sale
from tests.magento.double import MagentoDouble
from tests.magento.store import seed_till_shop
from tests.magento.test_export import _pull
from tests.magento.test_export_records import _export, _pos_order
from till.domain.gift_cards import GiftCardSold
from till.domain.sales import ClientTotals, Payment
from till.services.gift_cards import new_card_number
from till.services.sales import place_sales

METHODS = {"cash": "cashondelivery", "gift_card": "pos_gift_card"}


def test_a_gift_card_sold_and_spent_appears_in_magento_as_a_tender_never_as_revenue(
    engine: Engine, magento: MagentoDouble
) -> None:
    magento.payment_methods.add("pos_gift_card")  # declared by the store's POS payment module
    staff = seed_till_shop(engine)
    _pull(engine, magento, full=True)
    number = new_card_number()
    # Goods and a 30.00 card on one sale, all in cash.
    pushed = make_sale(
        engine,
        key="sale-card-1",
        receipt="NYC1-000401",
        staff_id=staff["cashier"],
        lines=[("24-MB01", Decimal(1))],
    )
    assert pushed.sale is not None
    goods = pushed.sale.client_totals.grand_total
    pushed.sale = dataclasses.replace(
        pushed.sale,
        gift_cards=(GiftCardSold(number, Decimal("30.00"), "e_card"),),
        payments=(Payment("cash", goods + 30),),
    )
    # Cards only: no goods.
    only = make_sale(
        engine,
        key="sale-card-2",
        receipt="NYC1-000402",
        staff_id=staff["cashier"],
        lines=[("24-MB01", Decimal(1))],
    )
    assert only.sale is not None
    only.sale = dataclasses.replace(
        only.sale,
        lines=(),
        client_totals=ClientTotals(Decimal(0), Decimal(0), Decimal(0), Decimal(0)),
        gift_cards=(GiftCardSold(new_card_number(), Decimal("20.00")),),
        payments=(Payment("cash", Decimal("20.00")),),
    )
    # The card spent partly on the next sale, the rest in cash.
    spend = make_sale(
        engine,
        key="sale-card-3",
        receipt="NYC1-000403",
        staff_id=staff["cashier"],
        lines=[("24-MB01", Decimal(1))],
    )
    assert spend.sale is not None
    spend.sale = dataclasses.replace(
        spend.sale,
        payments=(
            Payment("gift_card", Decimal("25.00"), card_number=number),
            Payment("cash", spend.sale.client_totals.grand_total - 25),
        ),
    )
    results = place_sales(engine, [pushed, only, spend])
    assert [r.status for r in results] == ["accepted"] * 3, results
    _export(engine, magento, payment_methods=METHODS)

    sold = _pos_order(magento, "NYC1-000401")
    assert [item["sku"] for item in sold["items"]] == ["24-MB01"]
    assert Decimal(sold["grand_total"]) == goods
    assert magento.sales_report() == goods * 2  # the two orders with goods; no card is revenue
    info = sold["payment"]["additional_information"]
    assert f"gift card sold 30.00 (**** {number[-4:]})" in info
    assert json.loads(info[-1])["gift_cards_sold"] == [{"card": f"**** {number[-4:]}", "amount": "30.00"}]

    assert all(o["increment_id"] != "NYC1-000402" for o in magento.orders.values())

    spent = _pos_order(magento, "NYC1-000403")
    info = spent["payment"]["additional_information"]
    assert f"gift_card 25.00 (**** {number[-4:]})" in info
    tenders = json.loads(info[-1])["till_payments"]
    assert {
        "tender": "gift_card",
        "method": "pos_gift_card",
        "amount": "25.00",
        "reference": f"**** {number[-4:]}",
    } in tenders
    assert all(number not in line for line in info)
    assert spent["state"] == "complete"
