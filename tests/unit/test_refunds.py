"""Refund arithmetic and change due (till.domain.refunds), beyond the shared vectors."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from till.domain.refunds import (
    NOTHING_REFUNDED,
    RefundedSoFar,
    RefundError,
    TenderError,
    change_due,
    refund_line,
)
from till.domain.tax import AppliedRate
from till.domain.totals import CartDiscount, CartInput, CartLine, TaxConfig, compute_totals

D = Decimal
CENT = D("0.01")


@dataclass(frozen=True)
class Paid:
    key: str
    sku: str
    qty: Decimal
    row_total: Decimal
    discount: Decimal
    tax: Decimal
    discount_tax_compensation: Decimal


@dataclass(frozen=True)
class Payment:
    method: str
    amount: Decimal


def cents(low: str = "0", high: str = "1000") -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=D(low), max_value=D(high), places=2)


@st.composite
def paid_lines(draw: st.DrawFn) -> Paid:
    qty = D(draw(st.integers(1, 40)))
    if draw(st.booleans()):
        qty = D(draw(st.integers(1, 40_000))) / D(1000)
    row = draw(cents("0", "5000"))
    discount = draw(st.decimals(min_value=0, max_value=row, places=2))
    return Paid("l1", "SKU", qty, row, discount, draw(cents("0", "900")), draw(cents("0", "100")))


@st.composite
def chunks(draw: st.DrawFn, total: Decimal) -> list[Decimal]:
    """Split a quantity into positive parts with at most 4 decimals."""
    units = int(total * 10_000)
    cuts = sorted(draw(st.sets(st.integers(1, units - 1), max_size=8))) if units > 1 else []
    edges = [0, *cuts, units]
    return [D(b - a) / D(10_000) for a, b in pairwise(edges)]


@given(st.data())
def test_partial_refunds_add_up_to_what_was_paid(data: st.DataObject) -> None:
    line = data.draw(paid_lines())
    so_far = NOTHING_REFUNDED
    parts = data.draw(chunks(line.qty))
    for index, qty in enumerate(parts):
        refund = refund_line(line, qty, so_far)
        for amount in (refund.row_total, refund.discount, refund.tax):
            assert amount >= 0
            assert amount == amount.quantize(CENT)
        so_far = so_far.plus(refund)
        # Never more than paid, at any step.
        assert so_far.row_total <= line.row_total
        assert so_far.discount <= line.discount
        assert so_far.tax <= line.tax
        assert so_far.discount_tax_compensation <= line.discount_tax_compensation
        assert refund.is_last == (index == len(parts) - 1)
    assert so_far == RefundedSoFar(
        line.qty, line.row_total, line.discount, line.tax, line.discount_tax_compensation
    )


@given(
    st.lists(
        st.tuples(st.integers(1, 6), cents("0.01", "80"), st.sampled_from(["0", "8.25", "20"])),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from(["UNIT", "ROW", "TOTAL"]),
    st.booleans(),
    st.data(),
)
def test_refunding_every_unit_of_a_sale_gives_back_its_grand_total(
    spec: list[tuple[int, Decimal, str]],
    algorithm: str,
    incl: bool,
    data: st.DataObject,
) -> None:
    lines = tuple(
        CartLine(f"l{i}", f"S{i}", D(qty), price, (AppliedRate("T", D(pct)),))
        for i, (qty, price, pct) in enumerate(spec)
    )
    cart = CartInput(lines, (CartDiscount("by_percent", D("15"), "15%"),))
    totals = compute_totals(cart, TaxConfig(algorithm=algorithm, prices_include_tax=incl))  # type: ignore[arg-type]
    given_back = D(0)
    for line in totals.lines:
        so_far = NOTHING_REFUNDED
        for qty in data.draw(chunks(line.qty)):
            refund = refund_line(line, qty, so_far)
            so_far = so_far.plus(refund)
            given_back += refund.total
    assert given_back == totals.grand_total


def test_a_line_with_a_negative_cent_of_discount_tax_compensation_refunds_whole() -> None:
    """Found by the property above: Magento's rounding delta can leave -0.01 of compensation."""
    lines = tuple(
        CartLine(f"l{i}", f"S{i}", D(qty), D("0.01"), (AppliedRate("T", D(pct)),))
        for i, (qty, pct) in enumerate([(1, "0"), (3, "20"), (1, "20")])
    )
    cart = CartInput(lines, (CartDiscount("by_percent", D("15"), "15%"),))
    totals = compute_totals(cart, TaxConfig(algorithm="TOTAL", prices_include_tax=True))
    assert any(line.discount_tax_compensation < 0 for line in totals.lines)
    refunds = [refund_line(line, line.qty) for line in totals.lines]
    assert sum(r.total for r in refunds) == totals.grand_total
    negative = next(line for line in totals.lines if line.discount_tax_compensation < 0)
    with pytest.raises(RefundError):
        refund_line(negative, D(1), NOTHING_REFUNDED.plus(refund_line(negative, negative.qty)))


class TestRefundErrors:
    line = Paid("l1", "SKU", D("3"), D("30.00"), D("0.00"), D("3.00"), D("0.00"))

    @pytest.mark.parametrize(
        ("qty", "code"),
        [
            (D("0"), "qty_not_positive"),
            (D("-1"), "qty_not_positive"),
            (D("4"), "qty_exceeds_remaining"),
            (D("0.00001"), "qty_precision"),
        ],
    )
    def test_bad_quantities(self, qty: Decimal, code: str) -> None:
        with pytest.raises(RefundError) as raised:
            refund_line(self.line, qty)
        assert raised.value.code == code

    def test_fully_refunded(self) -> None:
        done = RefundedSoFar(D("3"), D("30.00"), D("0.00"), D("3.00"), D("0.00"))
        with pytest.raises(RefundError) as raised:
            refund_line(self.line, D("1"), done)
        assert raised.value.code == "fully_refunded"

    def test_records_that_gave_back_too_much(self) -> None:
        wrong = RefundedSoFar(D("1"), D("31.00"), D("0.00"), D("1.00"), D("0.00"))
        with pytest.raises(RefundError) as raised:
            refund_line(self.line, D("1"), wrong)
        assert raised.value.code == "refunded_more_than_paid"

    def test_message_says_how_many_are_left(self) -> None:
        with pytest.raises(RefundError, match="only 3 of 3 are left"):
            refund_line(self.line, D("5"))


class TestChange:
    def test_examples(self) -> None:
        assert change_due(D("20.08"), [Payment("cash", D("50.00"))]) == D("29.92")
        split = [Payment("card", D("20.00")), Payment("cash", D("30.00"))]
        assert change_due(D("41.58"), split) == D("8.42")
        assert change_due(D("0.00"), []) == D("0.00")

    @pytest.mark.parametrize(
        ("total", "payments", "code"),
        [
            (D("10.00"), [Payment("cash", D("9.99"))], "underpaid"),
            (D("10.00"), [Payment("card", D("10.01"))], "non_cash_exceeds_total"),
            (D("10.00"), [Payment("other", D("11")), Payment("cash", D("1"))], "non_cash_exceeds_total"),
            (D("-1.00"), [], "negative_total"),
            (D("10.001"), [], "sub_cent_amount"),
            (D("10.00"), [Payment("cash", D("-5"))], "payment_not_positive"),
            (D("10.00"), [Payment("cash", 10.0)], "not_a_decimal"),  # type: ignore[arg-type]
        ],
    )
    def test_refused(self, total: Decimal, payments: list[Payment], code: str) -> None:
        with pytest.raises(TenderError) as raised:
            change_due(total, payments)
        assert raised.value.code == code

    def test_underpaid_says_what_is_still_due(self) -> None:
        with pytest.raises(TenderError, match=r"0\.01 is still due"):
            change_due(D("10.00"), [Payment("card", D("4.00")), Payment("cash", D("5.99"))])

    @given(st.data(), cents("0", "500"))
    def test_change_properties(self, data: st.DataObject, total: Decimal) -> None:
        # Non-cash payments up to the total, then cash covering at least the rest.
        payments: list[Payment] = []
        left = total
        for _ in range(data.draw(st.integers(0, 3))):
            if left <= 0:
                break
            amount = data.draw(cents("0.01", str(left)))
            payments.append(Payment(data.draw(st.sampled_from(["card", "other"])), amount))
            left -= amount
        if left > 0 or data.draw(st.booleans()):
            for amount in data.draw(st.lists(cents("0.01", "200"), min_size=1, max_size=3)):
                payments.append(Payment("cash", amount))
        paid = sum((payment.amount for payment in payments), D(0))
        assume(paid >= total)
        cash = sum((payment.amount for payment in payments if payment.method == "cash"), D(0))
        change = change_due(total, data.draw(st.permutations(payments)))
        assert change == paid - total
        assert D(0) <= change <= cash
