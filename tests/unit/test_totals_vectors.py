"""Run every shared test vector in spec/vectors/totals against the Python engine.

The format is described in spec/vectors/README.md; a TypeScript runner implements the same reading.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from till.domain.promotions import CartRule, cart_subtotal, select_discounts
from till.domain.refunds import (
    RefundedSoFar,
    RefundError,
    TenderError,
    change_due,
    refund_line,
)
from till.domain.tax import (
    Address,
    AppliedRate,
    TaxRate,
    TaxRule,
    applicable_rates,
    combined_percent,
    group_rates,
)
from till.domain.totals import (
    CartDiscount,
    CartInput,
    CartLine,
    CartTotals,
    LineDiscount,
    LineTotals,
    TaxAmount,
    TaxConfig,
    TotalsError,
    compute_totals,
)

VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors" / "totals"
Case = dict[str, Any]


def _cases() -> Iterator[Any]:
    for path in sorted(VECTORS.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        assert document["format"] == "till-vectors/1", path.name
        for case in document["cases"]:
            yield pytest.param(case, id=f"{path.name}::{case['name']}")


def _no_json_numbers_for_amounts(value: Any, where: str) -> None:
    # Amounts, quantities and percents travel as strings; only ints (priorities, groups) may be numbers.
    if isinstance(value, float):
        raise AssertionError(f"{where}: {value!r} is a JSON number; write decimals as strings")
    if isinstance(value, dict):
        for key, item in value.items():
            _no_json_numbers_for_amounts(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _no_json_numbers_for_amounts(item, f"{where}[{index}]")


def _dec(value: str) -> Decimal:
    assert isinstance(value, str), f"{value!r} must be a decimal string"
    return Decimal(value)


# --- reading inputs -------------------------------------------------------------------------------


def _config(data: dict[str, Any] | None) -> TaxConfig:
    return TaxConfig(**(data or {}))


def _rate(data: dict[str, Any]) -> AppliedRate:
    return AppliedRate(
        code=data["code"],
        percent=_dec(data["percent"]),
        priority=data.get("priority", 0),
        calculate_subtotal=data.get("calculate_subtotal", False),
    )


def _line(data: dict[str, Any]) -> CartLine:
    store = data.get("store_rates")
    discount = data.get("line_discount")
    return CartLine(
        key=data["key"],
        sku=data["sku"],
        qty=_dec(data["qty"]),
        unit_price=_dec(data["unit_price"]),
        rates=tuple(_rate(rate) for rate in data.get("rates", [])),
        store_rates=None if store is None else tuple(_rate(rate) for rate in store),
        line_discount=None if discount is None else LineDiscount(discount["kind"], _dec(discount["value"])),
        original_price=None if data.get("original_price") is None else _dec(data["original_price"]),
    )


def _discount(data: dict[str, Any]) -> CartDiscount:
    skus = data.get("skus")
    return CartDiscount(
        kind=data["kind"],
        amount=_dec(data["amount"]),
        label=data["label"],
        skus=None if skus is None else frozenset(skus),
        stop_further=data.get("stop_further", False),
    )


def _cart(case: Case) -> CartInput:
    return CartInput(
        lines=tuple(_line(line) for line in case["lines"]),
        discounts=tuple(_discount(item) for item in case.get("discounts", [])),
    )


# --- checking outputs -----------------------------------------------------------------------------


def _check_taxes(actual: tuple[TaxAmount, ...], expected: list[dict[str, str]], where: str) -> None:
    got = [(tax.code, tax.percent, tax.amount) for tax in actual]
    want = [(tax["code"], _dec(tax["percent"]), _dec(tax["amount"])) for tax in expected]
    assert got == want, f"{where}.taxes"


LINE_FIELDS: dict[str, Callable[[LineTotals], Decimal]] = {
    "qty": lambda line: line.qty,
    "price": lambda line: line.price,
    "price_incl_tax": lambda line: line.price_incl_tax,
    "row_total": lambda line: line.row_total,
    "row_total_incl_tax": lambda line: line.row_total_incl_tax,
    "discount": lambda line: line.discount,
    "tax": lambda line: line.tax,
    "discount_tax_compensation": lambda line: line.discount_tax_compensation,
    "tax_percent": lambda line: line.tax_percent,
    "row_grand_total": lambda line: line.row_grand_total,
}
TOTAL_FIELDS: dict[str, Callable[[CartTotals], Decimal]] = {
    "subtotal": lambda totals: totals.subtotal,
    "subtotal_incl_tax": lambda totals: totals.subtotal_incl_tax,
    "discount": lambda totals: totals.discount,
    "tax": lambda totals: totals.tax,
    "discount_tax_compensation": lambda totals: totals.discount_tax_compensation,
    "grand_total": lambda totals: totals.grand_total,
}


def _check_totals(totals: CartTotals, expected: dict[str, Any]) -> None:
    assert set(expected) <= {*TOTAL_FIELDS, "taxes", "discounts", "lines"}, expected.keys()
    for name, read in TOTAL_FIELDS.items():
        if name in expected:
            assert read(totals) == _dec(expected[name]), name
    if "taxes" in expected:
        _check_taxes(totals.taxes, expected["taxes"], "cart")
    if "discounts" in expected:
        got = [(item.label, item.amount) for item in totals.discounts]
        want = [(item["label"], _dec(item["amount"])) for item in expected["discounts"]]
        assert got == want, "discounts"
    by_key = {line.key: line for line in totals.lines}
    for wanted in expected.get("lines", []):
        line = by_key[wanted["key"]]
        assert set(wanted) <= {"key", "taxes", *LINE_FIELDS}, wanted.keys()
        for name, read in LINE_FIELDS.items():
            if name in wanted:
                assert read(line) == _dec(wanted[name]), f"line {line.key}.{name}"
        if "taxes" in wanted:
            _check_taxes(line.taxes, wanted["taxes"], f"line {line.key}")
    if "lines" in expected and not expected["lines"]:
        assert totals.lines == ()
    # Whatever the case, the identities hold.
    assert totals.grand_total == (
        totals.subtotal - totals.discount + totals.tax + totals.discount_tax_compensation
    )
    assert totals.grand_total >= 0


# --- kinds ----------------------------------------------------------------------------------------


def _run_totals(case: Case) -> None:
    expected = case["expected"]
    if "error" in expected:
        with pytest.raises(TotalsError) as raised:
            compute_totals(_cart(case), _config(case.get("config")))
        assert raised.value.code == expected["error"], str(raised.value)
        return
    _check_totals(compute_totals(_cart(case), _config(case.get("config"))), expected)


def _run_tax_rates(case: Case) -> None:
    rates = [
        TaxRate(
            code=rate["code"],
            country=rate["country"],
            region=rate.get("region", "*"),
            postcode=rate.get("postcode", "*"),
            percent=_dec(rate["percent"]),
        )
        for rate in case["tax_rates"]
    ]
    rules = [
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
    ]
    address = Address(**case["address"])
    applied = applicable_rates(
        rules,
        rates,
        customer_class=case["customer_class"],
        product_class=case["product_class"],
        address=address,
    )
    expected = case["expected"]
    assert list(applied) == [_rate(rate) for rate in expected["rates"]]
    if "groups" in expected:
        got = [(group.id, group.percent) for group in group_rates(applied)]
        assert got == [(group["id"], _dec(group["percent"])) for group in expected["groups"]]
    if "combined_percent" in expected:
        assert combined_percent(applied) == _dec(expected["combined_percent"])


def _rule(data: dict[str, Any]) -> CartRule:
    def day(value: str | None) -> date | None:
        return None if value is None else date.fromisoformat(value)

    minimum = data.get("min_subtotal")
    skus = data.get("skus")
    return CartRule(
        rule_id=data["rule_id"],
        name=data["name"],
        action=data["action"],
        amount=_dec(data["amount"]),
        customer_group_ids=frozenset(data["customer_group_ids"]),
        coupon_code=data.get("coupon_code"),
        label=data.get("label", ""),
        active=data.get("active", True),
        from_date=day(data.get("from_date")),
        to_date=day(data.get("to_date")),
        min_subtotal=None if minimum is None else _dec(minimum),
        skus=None if skus is None else frozenset(skus),
        sort_order=data.get("sort_order", 0),
        stop_further_rules=data.get("stop_further_rules", False),
    )


def _run_promotions(case: Case) -> None:
    config = _config(case.get("config"))
    cart = _cart(case)
    result = select_discounts(
        [_rule(rule) for rule in case["rules"]],
        coupon_code=case.get("coupon_code"),
        on=date.fromisoformat(case["date"]),
        customer_group_id=case["customer_group_id"],
        subtotal=cart_subtotal(cart, config),
        skus={line.sku for line in cart.lines},
    )
    expected = case["expected"]
    coupon = expected["coupon"]
    assert result.coupon_code == coupon["accepted"]
    rejection = None if result.coupon_rejection is None else result.coupon_rejection.reason
    assert rejection == coupon["rejection"]
    assert list(result.rule_ids) == expected["rule_ids"]
    totals = compute_totals(CartInput(cart.lines, result.discounts), config)
    _check_totals(totals, expected["totals"])


@dataclass(frozen=True)
class _Paid:
    key: str
    sku: str
    qty: Decimal
    row_total: Decimal
    discount: Decimal
    tax: Decimal
    discount_tax_compensation: Decimal


def _run_refund(case: Case) -> None:
    data = case["line"]
    line = _Paid(
        key=data["key"],
        sku=data["sku"],
        qty=_dec(data["qty"]),
        row_total=_dec(data["row_total"]),
        discount=_dec(data["discount"]),
        tax=_dec(data["tax"]),
        discount_tax_compensation=_dec(data["discount_tax_compensation"]),
    )
    so_far = RefundedSoFar()
    for step in case["refunds"]:
        expected = step["expected"]
        if "error" in expected:
            with pytest.raises(RefundError) as raised:
                refund_line(line, _dec(step["qty"]), so_far)
            assert raised.value.code == expected["error"], str(raised.value)
            continue
        refund = refund_line(line, _dec(step["qty"]), so_far)
        got = {
            "row_total": refund.row_total,
            "discount": refund.discount,
            "tax": refund.tax,
            "discount_tax_compensation": refund.discount_tax_compensation,
            "total": refund.total,
        }
        assert got == {name: _dec(value) for name, value in expected.items()}
        so_far = so_far.plus(refund)


@dataclass(frozen=True)
class _Payment:
    method: str
    amount: Decimal


def _run_change(case: Case) -> None:
    payments = [_Payment(item["method"], _dec(item["amount"])) for item in case["payments"]]
    expected = case["expected"]
    if "error" in expected:
        with pytest.raises(TenderError) as raised:
            change_due(_dec(case["grand_total"]), payments)
        assert raised.value.code == expected["error"], str(raised.value)
        return
    assert change_due(_dec(case["grand_total"]), payments) == _dec(expected["change"])


RUNNERS: dict[str, Callable[[Case], None]] = {
    "totals": _run_totals,
    "tax_rates": _run_tax_rates,
    "promotions": _run_promotions,
    "refund": _run_refund,
    "change": _run_change,
}


@pytest.mark.parametrize("case", list(_cases()))
def test_vector(case: Case) -> None:
    _no_json_numbers_for_amounts(case, case["name"])
    assert case.get("source"), "every vector cites where its numbers come from"
    RUNNERS[case["kind"]](case)


def test_there_are_enough_vectors() -> None:
    assert len(list(_cases())) >= 45


# --- properties beyond the vectors ----------------------------------------------------------------

CENT = Decimal("0.01")
money = st.decimals(min_value=0, max_value=500, places=2)
percents = st.decimals(min_value=0, max_value=25, places=4)


@st.composite
def applied_rates(draw: st.DrawFn) -> tuple[AppliedRate, ...]:
    return tuple(
        AppliedRate(f"R{i}", draw(percents), draw(st.integers(0, 2)), draw(st.booleans()))
        for i in range(draw(st.integers(0, 3)))
    )


@st.composite
def carts(draw: st.DrawFn) -> CartInput:
    lines = []
    for index in range(draw(st.integers(1, 5))):
        qty = Decimal(draw(st.integers(1, 6)))
        if draw(st.booleans()):
            qty = Decimal(draw(st.integers(1, 9999))) / Decimal(1000)
        price = draw(money)
        rates = draw(applied_rates())
        store = draw(st.none() | applied_rates())
        line_discount = draw(
            st.none()
            | st.builds(LineDiscount, st.just("percent"), st.decimals(0, 100, places=2))
            | st.builds(
                LineDiscount,
                st.just("amount"),
                st.decimals(0, (qty * price / 2).quantize(CENT) or 0, places=2),
            )
        )
        lines.append(
            CartLine(
                f"l{index}", draw(st.sampled_from(["A", "B", "C"])), qty, price, rates, store, line_discount
            )
        )
    discounts = draw(
        st.lists(
            st.one_of(
                st.builds(CartDiscount, st.just("by_percent"), st.decimals(0, 100, places=2), st.just("pct")),
                st.builds(CartDiscount, st.just("by_fixed"), money, st.just("fixed")),
                st.builds(
                    CartDiscount,
                    st.just("cart_fixed"),
                    money,
                    st.just("cart"),
                    st.none() | st.frozensets(st.sampled_from(["A", "B", "C"])),
                ),
            ).map(
                lambda item: (
                    item
                    if not draw(st.booleans())
                    else CartDiscount(item.kind, item.amount, item.label, item.skus, stop_further=True)
                )
            ),
            max_size=3,
        )
    )
    return CartInput(tuple(lines), tuple(discounts))


configs = st.builds(
    TaxConfig,
    st.sampled_from(["UNIT", "ROW", "TOTAL"]),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)


@settings(max_examples=300)
@given(carts(), configs)
def test_totals_invariants(cart: CartInput, config: TaxConfig) -> None:
    try:
        totals = compute_totals(cart, config)
    except TotalsError as error:
        # A random amount can exceed a row whose discount price is excl. tax.
        assume(error.code != "line_discount_exceeds_row")
        raise
    assert totals.grand_total == (
        totals.subtotal - totals.discount + totals.tax + totals.discount_tax_compensation
    )
    assert totals.grand_total >= 0
    assert totals.grand_total == sum((line.row_grand_total for line in totals.lines), Decimal(0))
    for line in totals.lines:
        for amount in (
            line.row_total,
            line.row_total_incl_tax,
            line.discount,
            line.tax,
            line.discount_tax_compensation,
            line.price,
            line.price_incl_tax,
        ):
            assert amount == amount.quantize(CENT), line
        assert line.discount >= 0
        assert line.tax >= 0
        assert line.discount_tax_compensation >= 0
        assert line.row_grand_total >= 0
        assert line.tax == sum((tax.amount for tax in line.taxes), Decimal(0)) or (line.tax_percent == 0)
        assert line.discount == sum((part.amount for part in line.discounts), Decimal(0))
        if not config.prices_include_tax:
            assert line.discount_tax_compensation == 0
    assert totals.tax == sum((tax.amount for tax in totals.taxes), Decimal(0))
    assert totals.discount == sum((part.amount for part in totals.discounts), Decimal(0))


@given(
    st.lists(st.tuples(st.integers(1, 5), money), min_size=1, max_size=8),
    st.decimals(min_value=0, max_value=25, places=3),
)
def test_total_base_keeps_the_cart_within_half_a_cent(
    rows: list[tuple[int, Decimal]], percent: Decimal
) -> None:
    # TOTAL carries each remainder forward, so the cart's tax is the exact tax rounded once.
    lines = tuple(
        CartLine(f"l{i}", "S", Decimal(qty), price, (AppliedRate("T", percent),))
        for i, (qty, price) in enumerate(rows)
    )
    totals = compute_totals(CartInput(lines), TaxConfig(algorithm="TOTAL"))
    exact = sum((line.row_total * percent / 100 for line in totals.lines), Decimal(0))
    assert abs(totals.tax - exact) <= Decimal("0.005")


def test_callers_decimal_context_does_not_change_results() -> None:
    line = CartLine("l1", "S", Decimal("3"), Decimal("9.99"), (AppliedRate("T", Decimal("8.25")),))
    expected = compute_totals(CartInput((line,)))
    with localcontext() as context:
        context.prec = 4
        assert compute_totals(CartInput((line,))) == expected


def test_floats_are_refused() -> None:
    with pytest.raises(TotalsError) as raised:
        CartLine("l1", "S", Decimal("1"), 9.99)  # type: ignore[arg-type]
    assert raised.value.code == "not_a_decimal"


def test_messages_name_the_line_and_the_limit() -> None:
    line = CartLine(
        "tee", "TEE", Decimal("2"), Decimal("5.00"), line_discount=LineDiscount("amount", Decimal("10.01"))
    )
    with pytest.raises(TotalsError, match=r"line 'tee': a discount of 10\.01 is more than .*10\.00"):
        compute_totals(CartInput((line,)))
