"""Run every shared pricing vector in spec/vectors/pricing against `till.domain.pricing`.

The composition twin of `web/src/domain/cart.ts:priceCart` (run there by vectors.test.ts): the
catalog's final price, the location's tax rates, cart rules and coupon, the manual discounts.
Like the till, a line is charged the catalog's final price.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.unit.test_totals_vectors import _check_totals, _config, _dec, _no_json_numbers_for_amounts, _rule
from till.domain.catalog import Product, SpecialPrice, TierPrice
from till.domain.customers import CustomerGroup
from till.domain.pricing import PricingRules, price_sale
from till.domain.sales import SaleLine
from till.domain.tax import Address, TaxRate, TaxRule
from till.domain.totals import LineDiscount

VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors" / "pricing"
Case = dict[str, Any]


def _cases() -> list[Any]:
    found = []
    for path in sorted(VECTORS.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        assert document["format"] == "till-vectors/1", path.name
        found += [pytest.param(case, id=f"{path.name}::{case['name']}") for case in document["cases"]]
    return found


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _product(data: Case) -> Product:
    special = data.get("special_price")
    return Product(
        sku=data["sku"],
        name=data["sku"],
        price=_dec(data["price"]),
        tax_class=data["tax_class"],
        special_price=None
        if special is None
        else SpecialPrice(_dec(special), _day(data.get("special_from")), _day(data.get("special_to"))),
        tier_prices=tuple(
            TierPrice(_dec(tier["qty"]), _dec(tier["price"]), tier["customer_group_id"])
            for tier in data.get("tier_prices", [])
        ),
    )


def _rules(case: Case) -> PricingRules:
    return PricingRules(
        config=_config(case.get("config")),
        rates=[
            TaxRate(
                code=rate["code"],
                country=rate["country"],
                region=rate.get("region", "*"),
                postcode=rate.get("postcode", "*"),
                percent=_dec(rate["percent"]),
            )
            for rate in case["tax_rates"]
        ],
        rules=[
            TaxRule(
                code=rule["code"],
                customer_classes=frozenset(rule["customer_classes"]),
                product_classes=frozenset(rule["product_classes"]),
                rates=frozenset(rule["rates"]),
                priority=rule.get("priority", 0),
                position=rule.get("position", 0),
                calculate_subtotal=rule.get("calculate_subtotal", False),
            )
            for rule in case["tax_rules"]
        ],
        cart_rules=[_rule(rule) for rule in case["cart_rules"]],
        groups={g["id"]: CustomerGroup(g["id"], g["code"], g["tax_class"]) for g in case["customer_groups"]},
    )


@pytest.mark.parametrize("case", _cases())
def test_pricing_vector(case: Case) -> None:
    _no_json_numbers_for_amounts(case, case["name"])
    assert case["kind"] == "pricing" and case.get("source")
    products = {p["sku"]: _product(p) for p in case["products"]}
    day = date.fromisoformat(case["date"])
    group = case["customer_group_id"]
    lines = []
    for data in case["lines"]:
        qty = _dec(data["qty"])
        discount = data.get("line_discount")
        lines.append(
            SaleLine(
                sku=data["sku"],
                qty=qty,
                unit_price=products[data["sku"]].final_price(day, group, qty),
                line_discount=None
                if discount is None
                else LineDiscount(discount["kind"], _dec(discount["value"])),
            )
        )
    percent = case.get("cart_discount_percent")
    priced = price_sale(
        _rules(case),
        lines,
        products,
        Address(**case["address"]),
        group_id=group,
        day=day,
        coupon_code=case.get("coupon_code"),
        cart_discount_percent=None if percent is None else _dec(percent),
    )
    expected = case["expected"]
    assert list(priced.catalog_prices) == [_dec(p) for p in expected["unit_prices"]]
    assert list(priced.promotion.rule_ids) == expected["rule_ids"]
    assert priced.promotion.coupon_code == expected["coupon"]["accepted"]
    rejection = priced.promotion.coupon_rejection
    assert (None if rejection is None else rejection.reason) == expected["coupon"]["rejection"]
    _check_totals(priced.totals, expected["totals"])


def test_there_are_enough_pricing_vectors() -> None:
    assert len(_cases()) >= 10
