"""Cart price rules and coupons (till.domain.promotions), beyond the shared vectors."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from till.domain.promotions import (
    CartRule,
    PromotionError,
    PromotionResult,
    cart_subtotal,
    select_discounts,
)
from till.domain.tax import AppliedRate
from till.domain.totals import CartInput, CartLine, TaxConfig

D = Decimal
TODAY = date(2025, 7, 15)
ALL_GROUPS = frozenset({0, 1, 2, 3})


def rule(rule_id: str = "R", **changes: object) -> CartRule:
    base = CartRule(
        rule_id=rule_id,
        name=f"rule {rule_id}",
        action="by_percent",
        amount=D("10"),
        customer_group_ids=ALL_GROUPS,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def select(rules: list[CartRule], coupon: str | None = None, **overrides: object) -> PromotionResult:
    arguments: dict[str, object] = {
        "coupon_code": coupon,
        "on": TODAY,
        "customer_group_id": 1,
        "subtotal": D("50.00"),
        "skus": {"TEE"},
    }
    arguments.update(overrides)
    return select_discounts(rules, **arguments)  # type: ignore[arg-type]


class TestRuleValidation:
    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"amount": D("-1")}, "negative"),
            ({"amount": D("101")}, "over 100%"),
            ({"customer_group_ids": frozenset()}, "no customer group"),
            ({"coupon_code": "  "}, "empty coupon"),
            ({"from_date": date(2025, 2, 1), "to_date": date(2025, 1, 1)}, "ends before"),
            ({"min_subtotal": D("-5")}, "minimum"),
            ({"action": "buy_x_get_y"}, "action"),
            ({"amount": 5.0}, "decimal"),
        ],
    )
    def test_refused(self, changes: dict[str, object], message: str) -> None:
        with pytest.raises(PromotionError, match=message):
            rule(**changes)

    def test_fixed_amounts_may_exceed_100(self) -> None:
        assert rule(action="cart_fixed", amount=D("250")).amount == D("250")

    def test_two_rules_cannot_share_a_coupon(self) -> None:
        rules = [rule("A", coupon_code="SAVE"), rule("B", coupon_code="save")]
        with pytest.raises(PromotionError, match="share the coupon"):
            select(rules, "SAVE")


class TestSelection:
    def test_runs_by_sort_order_then_given_order(self) -> None:
        rules = [rule("late", sort_order=9), rule("tie1", sort_order=1), rule("tie2", sort_order=1)]
        result = select(rules)
        assert result.rule_ids == ("tie1", "tie2", "late")

    def test_label_falls_back_to_coupon_then_name(self) -> None:
        rules = [
            rule("A", label="Summer sale"),
            rule("B", coupon_code="Code10"),
            rule("C"),
        ]
        result = select(rules, "CODE10")
        labels = [discount.label for discount in result.discounts]
        assert labels == ["Summer sale", "Code10", "rule C"]
        assert result.coupon_code == "Code10"

    def test_coupon_rules_need_their_coupon(self) -> None:
        result = select([rule("A", coupon_code="SAVE")])
        assert result.rule_ids == ()
        assert result.coupon_rejection is None

    @pytest.mark.parametrize("entered", [None, "", "   "])
    def test_blank_coupon_is_no_coupon(self, entered: str | None) -> None:
        result = select([rule("A")], entered)
        assert result.coupon_rejection is None
        assert result.rule_ids == ("A",)

    def test_coupon_is_trimmed_and_case_insensitive(self) -> None:
        result = select([rule("A", coupon_code="SAVE10")], "  save10 ")
        assert result.coupon_code == "SAVE10"

    def test_dates_are_inclusive(self) -> None:
        window = rule("A", from_date=TODAY, to_date=TODAY)
        assert select([window]).rule_ids == ("A",)

    def test_messages_say_what_is_wrong(self) -> None:
        expired = rule("A", coupon_code="OLD", to_date=date(2025, 1, 31))
        rejection = select([expired], "old").coupon_rejection
        assert rejection is not None
        assert rejection.reason == "expired"
        assert rejection.message == 'The coupon "old" expired on 2025-01-31.'
        minimum = rule("B", coupon_code="BIG", min_subtotal=D("80.00"))
        rejection = select([minimum], "BIG").coupon_rejection
        assert rejection.reason == "minimum_subtotal"
        assert rejection is not None
        assert "80.00" in rejection.message
        assert "30.00 more" in rejection.message
        unknown = select([], "NOPE").coupon_rejection
        assert unknown is not None
        assert unknown.reason == "unknown"
        assert "NOPE" in unknown.message

    def test_stop_rule_on_other_skus_does_not_override(self) -> None:
        stop = rule("S", skus=frozenset({"MUG"}), stop_further_rules=True, sort_order=0)
        coupon = rule("C", coupon_code="SAVE", sort_order=1)
        result = select([stop, coupon], "SAVE", skus={"MUG", "TEE"})
        assert result.coupon_code == "SAVE"
        assert result.rule_ids == ("S", "C")

    def test_later_stop_rule_does_not_override(self) -> None:
        coupon = rule("C", coupon_code="SAVE", sort_order=0)
        stop = rule("S", stop_further_rules=True, sort_order=1)
        result = select([coupon, stop], "SAVE")
        assert result.coupon_code == "SAVE"


class TestSubtotal:
    def test_subtotal_is_excl_tax_before_discounts(self) -> None:
        line = CartLine("l1", "TEE", D("2"), D("11.90"), (AppliedRate("DE", D("19")),))
        cart = CartInput((line,))
        assert cart_subtotal(cart, TaxConfig(prices_include_tax=True)) == D("20.00")
        assert cart_subtotal(cart, TaxConfig()) == D("23.80")
        assert cart_subtotal(CartInput(())) == D("0")


rules_strategy = st.lists(
    st.builds(
        lambda i, sort, coupon, groups, minimum, stop: rule(
            f"R{i}",
            sort_order=sort,
            coupon_code=f"C{i}" if coupon else None,
            customer_group_ids=groups,
            min_subtotal=minimum,
            stop_further_rules=stop,
        ),
        st.integers(0, 10_000),
        st.integers(0, 3),
        st.booleans(),
        st.frozensets(st.integers(0, 3), min_size=1),
        st.none() | st.decimals(min_value=0, max_value=100, places=2),
        st.booleans(),
    ),
    max_size=6,
    unique_by=lambda item: item.rule_id,
)


@given(rules_strategy, st.none() | st.sampled_from(["C1", "c2", "C3", "NOPE"]), st.integers(0, 3))
def test_selection_properties(rules: list[CartRule], coupon: str | None, group: int) -> None:
    result = select(rules, coupon, customer_group_id=group)
    chosen = {item.rule_id: item for item in rules}
    picked = [chosen[rule_id] for rule_id in result.rule_ids]
    # Only applicable rules, in sort order, and no coupon rule that was not entered.
    assert [item.sort_order for item in picked] == sorted(item.sort_order for item in picked)
    for item in picked:
        assert group in item.customer_group_ids
        assert item.min_subtotal is None or item.min_subtotal <= D("50.00")
        if item.coupon_code is not None:
            assert coupon is not None
            assert item.coupon_code.casefold() == coupon.casefold()
    accepted = result.coupon_code
    rejected = result.coupon_rejection
    if coupon is None:
        assert accepted is None
        assert rejected is None
    else:
        assert (accepted is not None) != (rejected is not None)
