"""Magento's cart price rules and coupons pulled into Till's promotions (every database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from tests.magento.conftest import client_for, run
from tests.magento.double import MagentoDouble
from tests.magento.store import seed_till_shop
from till.domain.promotions import select_discounts
from till.magento.pull import not_supported_rules, pull
from till.services.pricing import cart_rule
from till.services.sync import pull as feed_pull
from till.storage.uow import UnitOfWork

ADDRESS = "Magento\\SalesRule\\Model\\Rule\\Condition\\Address"
COMBINE = "Magento\\SalesRule\\Model\\Rule\\Condition\\Combine"
PRODUCT = "Magento\\SalesRule\\Model\\Rule\\Condition\\Product"
PRODUCT_COMBINE = "Magento\\SalesRule\\Model\\Rule\\Condition\\Product\\Combine"


def _pull(engine: Engine, magento: MagentoDouble, *, full: bool = False) -> dict[str, int]:
    async def go() -> dict[str, int]:
        async with client_for(magento) as client:
            return (await pull(engine, client, full=full)).changed

    return run(go())


def _when(*conditions: dict[str, Any], combine: str = COMBINE, aggregator: str = "all") -> dict[str, Any]:
    return {
        "condition_type": combine,
        "conditions": list(conditions),
        "aggregator_type": aggregator,
        "value": "1",
    }


def _subtotal_at_least(amount: str) -> dict[str, Any]:
    return {"condition_type": ADDRESS, "attribute_name": "base_subtotal", "operator": ">=", "value": amount}


def _sku_is_one_of(skus: str) -> dict[str, Any]:
    return {"condition_type": PRODUCT, "attribute_name": "sku", "operator": "()", "value": skus}


def _seed_rules(magento: MagentoDouble) -> None:
    magento.add_sales_rule(
        11,
        name="Autumn: 10% off 50",
        store_labels=[{"store_id": 0, "store_label": "Autumn 10%"}],
        customer_group_ids=[0, 1],
        condition=_when(_subtotal_at_least("50")),
        sort_order=2,
    )
    magento.add_sales_rule(
        12,
        coupon_code="LUMA5",
        name="$5 off bags",
        simple_action="cart_fixed",
        discount_amount=5,
        action_condition=_when(_sku_is_one_of("24-MB01, 24-MB02"), combine=PRODUCT_COMBINE),
        stop_rules_processing=True,
        uses_per_coupon=100,
    )
    magento.add_sales_rule(
        13, name="Buy 2 get 1", simple_action="buy_x_get_y", discount_amount=1, discount_step=2
    )
    magento.add_sales_rule(
        14,
        name="3 or more items",
        condition=_when(
            {"condition_type": ADDRESS, "attribute_name": "total_qty", "operator": ">=", "value": "3"}
        ),
    )
    magento.add_sales_rule(15, name="Newsletter codes", coupon_type="AUTO", use_auto_generation=True)
    magento.add_sales_rule(16, coupon_code="ONCE", name="Once per customer", uses_per_customer=1)
    magento.add_sales_rule(17, name="Other website", website_ids=[2])


def test_a_pull_offers_the_rules_the_till_can_express_and_reports_the_rest_by_id(
    engine: Engine, magento: MagentoDouble
) -> None:
    seed_till_shop(engine)
    _seed_rules(magento)
    _pull(engine, magento, full=True)

    page = feed_pull(engine, "promotions", 0, 500, "NYC")
    rules = {item["id"]: item for item in page.items}
    assert sorted(rules) == [11, 12]
    autumn, bags = rules[11], rules[12]
    assert (autumn["name"], autumn["action"], autumn["amount"], autumn["coupon_code"]) == (
        "Autumn 10%",
        "by_percent",
        "10.00",
        None,
    )
    assert (autumn["min_subtotal"], autumn["customer_groups"], autumn["sort_order"]) == ("50.00", [0, 1], 2)
    assert (bags["coupon_code"], bags["action"], bags["amount"], bags["skus"]) == (
        "LUMA5",
        "cart_fixed",
        "5.00",
        ["24-MB01", "24-MB02"],
    )
    assert bags["stop_further_rules"] is True and bags["active"] is True
    reasons = not_supported_rules(engine)
    assert sorted(reasons) == ["13", "14", "15", "16"]
    assert "buy_x_get_y" in reasons["13"] and "total_qty" in reasons["14"]
    assert "auto-generated" in reasons["15"] and "per customer" in reasons["16"]

    # The server prices with the pulled rules: the web store's coupon works at the till.
    with UnitOfWork(engine) as uow:
        pulled = [cart_rule(row) for row in uow.reference.cart_rule_rows()]
    chosen = select_discounts(
        pulled,
        coupon_code="luma5",
        on=date(2026, 12, 7),
        customer_group_id=0,
        subtotal=Decimal("68.00"),
        skus=["24-MB01"],
    )
    assert chosen.coupon_code == "LUMA5" and chosen.coupon_rejection is None
    assert chosen.rule_ids == ("12", "11")  # sort order 0 before 2
    assert [d.label for d in chosen.discounts] == ["$5 off bags", "Autumn 10%"]


def test_delta_pulls_keep_the_rules_current(engine: Engine, magento: MagentoDouble) -> None:
    seed_till_shop(engine)
    _seed_rules(magento)
    _pull(engine, magento, full=True)
    cursor = feed_pull(engine, "promotions", 0, 500, "NYC").cursor

    # Nothing changed: the delta re-reads the rules (Magento keeps no updated_at) and changes nothing.
    assert _pull(engine, magento)["promotions"] == 0
    assert feed_pull(engine, "promotions", cursor, 500, "NYC").items == []

    # The web shop's admin raises a rule, deletes one, fixes one Till could not take, and a
    # coupon is used up on the web.
    magento.add_sales_rule(
        11, name="Autumn: 15% off 50", discount_amount=15, condition=_when(_subtotal_at_least("50"))
    )
    magento.delete_sales_rule(16)
    magento.add_sales_rule(13, name="$3 off each", simple_action="by_fixed", discount_amount=3)
    bags = next(c for c in magento.coupons.values() if c["code"] == "LUMA5")
    bags["times_used"] = bags["usage_limit"]
    assert _pull(engine, magento)["promotions"] == 3

    page = feed_pull(engine, "promotions", cursor, 500, "NYC")
    rules = {item["id"]: item for item in page.items}
    assert sorted(rules) == [11, 12, 13]
    assert (rules[11]["name"], rules[11]["amount"]) == ("Autumn: 15% off 50", "15.00")
    assert (rules[13]["action"], rules[13]["amount"]) == ("by_fixed", "3.00")
    assert rules[12]["active"] is False  # used up: Magento's coupon would be refused too
    assert sorted(not_supported_rules(engine)) == ["14", "15"]

    # A rule deleted in Magento leaves the tills.
    magento.delete_sales_rule(13)
    _pull(engine, magento)
    page = feed_pull(engine, "promotions", page.cursor, 500, "NYC")
    assert page.items == [] and page.deleted == ["13"]

    # Codes move between rules in one go (each code is unique, in Magento as in Till).
    magento.add_sales_rule(12, coupon_code="BAGS5", simple_action="cart_fixed", discount_amount=5)
    magento.add_sales_rule(11, coupon_code="LUMA5", name="Autumn, now with a code")
    _pull(engine, magento)
    page = feed_pull(engine, "promotions", page.cursor, 500, "NYC")
    assert sorted((item["id"], item["coupon_code"]) for item in page.items) == [(11, "LUMA5"), (12, "BAGS5")]
