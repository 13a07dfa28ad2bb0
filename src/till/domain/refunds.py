"""Refund (credit memo) arithmetic and the change due on a cash sale.

A refund of some units of a line gives back the matching share of what the line was paid, as
Magento's credit memo collectors do (`Sales\\Model\\Order\\Creditmemo\\Item::calcRowTotal`,
`Creditmemo\\Total\\Discount`, `Creditmemo\\Total\\Tax`): each amount still refundable is shared
over the units still refundable, rounded to the cent, and the refund of the last units takes exactly
what is left. However the units are split, all refunds of a line add up to what it was paid, and no
refund ever gives back more than is left.

The lines are first brought down to what the sale took (`as_paid`): a sale kept with a totals
mismatch may have taken less than the server's figures for it (a 29.00 item paid 1.00), and a
refund gives back only money that came in, whatever the catalog or the server's totals say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from till.domain.errors import DomainError
from till.domain.money import ZERO, round_money, round_qty

__all__ = [
    "CASH",
    "NOTHING_REFUNDED",
    "LineRefund",
    "PaidAmounts",
    "PaidLine",
    "PaymentLike",
    "RefundError",
    "RefundedSoFar",
    "TenderError",
    "as_paid",
    "change_due",
    "refund_line",
]

#: The one payment method that may exceed what is due; the excess is handed back as change.
CASH = "cash"


class RefundError(DomainError):
    """A refund that cannot be made as asked; `code` is stable, the message says what to fix."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class TenderError(DomainError):
    """Payments that cannot settle a sale as given; `code` is stable, the message says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class PaidLine(Protocol):
    """What a refund needs of a sold line: a `till.domain.totals.LineTotals` or an order item."""

    @property
    def key(self) -> str: ...
    @property
    def sku(self) -> str: ...
    @property
    def qty(self) -> Decimal: ...
    @property
    def row_total(self) -> Decimal: ...
    @property
    def discount(self) -> Decimal: ...
    @property
    def tax(self) -> Decimal: ...
    @property
    def discount_tax_compensation(self) -> Decimal: ...


class PaymentLike(Protocol):
    """A payment as `change_due` reads it, e.g. `till.domain.sales.Payment`."""

    @property
    def method(self) -> str: ...
    @property
    def amount(self) -> Decimal: ...


@dataclass(frozen=True, slots=True)
class LineRefund:
    """What one refund gives back for one line; `total` is what the customer receives for it."""

    key: str
    sku: str
    qty: Decimal
    row_total: Decimal
    discount: Decimal
    tax: Decimal
    discount_tax_compensation: Decimal
    is_last: bool

    @property
    def total(self) -> Decimal:
        """Row total − discount + tax + discount tax compensation."""
        return self.row_total - self.discount + self.tax + self.discount_tax_compensation


@dataclass(frozen=True, slots=True)
class RefundedSoFar:
    """What earlier refunds of a line already gave back (Magento's `*_refunded` item fields)."""

    qty: Decimal = Decimal(0)
    row_total: Decimal = ZERO
    discount: Decimal = ZERO
    tax: Decimal = ZERO
    discount_tax_compensation: Decimal = ZERO

    def plus(self, refund: LineRefund) -> RefundedSoFar:
        """These figures after one more refund."""
        return RefundedSoFar(
            qty=self.qty + refund.qty,
            row_total=self.row_total + refund.row_total,
            discount=self.discount + refund.discount,
            tax=self.tax + refund.tax,
            discount_tax_compensation=self.discount_tax_compensation + refund.discount_tax_compensation,
        )


NOTHING_REFUNDED = RefundedSoFar()


@dataclass(frozen=True, slots=True)
class PaidAmounts:
    """A sold line at what it actually took: a `PaidLine` whose amounts a refund may give back."""

    key: str
    sku: str
    qty: Decimal
    row_total: Decimal
    discount: Decimal
    tax: Decimal
    discount_tax_compensation: Decimal

    @property
    def total(self) -> Decimal:
        """Row total − discount + tax + discount tax compensation."""
        return self.row_total - self.discount + self.tax + self.discount_tax_compensation


def _line_total(line: PaidLine) -> Decimal:
    return line.row_total - line.discount + line.tax + line.discount_tax_compensation


def as_paid(lines: Sequence[PaidLine], taken: Decimal) -> list[PaidAmounts]:
    """The lines of a sale brought down to `taken`, the money the sale took (payments − change).

    When the lines add up to no more than was taken they stand as they are. Otherwise each line
    keeps its share of `taken` (by its total, to the cent, the cents left over going to the lines
    with the largest remainders, never above the line's own total) and its tax, discount and
    compensation are scaled by the same factor, its row total taking the rounding: the lines'
    totals then add up to exactly `taken` and none is above what the server priced it at.
    """
    if not isinstance(taken, Decimal) or not taken.is_finite():
        raise RefundError("not_a_decimal", f"what a sale took must be a decimal, got {taken!r}")
    totals = [_line_total(line) for line in lines]
    whole = sum(totals, ZERO)
    taken = max(taken, ZERO)
    if whole <= taken or whole <= 0:
        return [
            PaidAmounts(
                line.key,
                line.sku,
                line.qty,
                line.row_total,
                line.discount,
                line.tax,
                line.discount_tax_compensation,
            )
            for line in lines
        ]
    cent = Decimal("0.01")
    factor = taken / whole
    # Largest remainder: each line's share floored to the cent, then the cents still owed go
    # one each to the lines that lost the most, never past a line's own total.
    exact = [max(total, ZERO) * factor for total in totals]
    shares = [(amount / cent).to_integral_value(rounding="ROUND_FLOOR") * cent for amount in exact]
    owed = int(((taken - sum(shares, ZERO)) / cent).to_integral_value())
    for n in sorted(range(len(lines)), key=lambda i: shares[i] - exact[i]):
        if owed <= 0:
            break
        if shares[n] + cent <= max(totals[n], ZERO):
            shares[n] += cent
            owed -= 1
    paid: list[PaidAmounts] = []
    for line, share in zip(lines, shares, strict=True):
        tax = round_money(line.tax * factor)
        discount = round_money(line.discount * factor)
        compensation = round_money(line.discount_tax_compensation * factor)
        paid.append(
            PaidAmounts(
                line.key,
                line.sku,
                line.qty,
                share + discount - tax - compensation,
                discount,
                tax,
                compensation,
            )
        )
    return paid


def _share(paid: Decimal, refunded: Decimal, name: str, qty: Decimal, left: Decimal) -> Decimal:
    remaining = paid - refunded
    # Discount tax compensation can be a negative cent (Magento's rounding delta), so "more than
    # paid" means past zero on the paid amount's side, whichever sign it has.
    if (remaining < 0 <= paid) or (paid < 0 < remaining):
        raise RefundError(
            "refunded_more_than_paid",
            f"{name}: {refunded} was already given back, more than the {paid} paid",
        )
    if qty == left:
        return remaining
    return round_money(remaining * qty / left)


def refund_line(
    line: PaidLine, qty: Decimal, already_refunded: RefundedSoFar = NOTHING_REFUNDED
) -> LineRefund:
    """Refund `qty` units of a line, given what earlier refunds of it gave back."""
    if not isinstance(qty, Decimal) or not qty.is_finite() or qty <= 0:
        raise RefundError("qty_not_positive", f"line {line.key!r}: refund a quantity above zero")
    if round_qty(qty) != qty:
        raise RefundError("qty_precision", f"line {line.key!r}: {qty} has more than 4 decimals")
    left = line.qty - already_refunded.qty
    if left <= 0:
        raise RefundError("fully_refunded", f"line {line.key!r} is already fully refunded")
    if qty > left:
        raise RefundError(
            "qty_exceeds_remaining",
            f"line {line.key!r}: {qty} cannot be refunded, only {left} of {line.qty} are left",
        )
    return LineRefund(
        key=line.key,
        sku=line.sku,
        qty=qty,
        row_total=_share(line.row_total, already_refunded.row_total, "row total", qty, left),
        discount=_share(line.discount, already_refunded.discount, "discount", qty, left),
        tax=_share(line.tax, already_refunded.tax, "tax", qty, left),
        discount_tax_compensation=_share(
            line.discount_tax_compensation,
            already_refunded.discount_tax_compensation,
            "discount tax compensation",
            qty,
            left,
        ),
        is_last=qty == left,
    )


def _cents(amount: object, what: str) -> Decimal:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise TenderError("not_a_decimal", f"{what} must be a decimal number, got {amount!r}")
    if round_money(amount) != amount:
        raise TenderError("sub_cent_amount", f"{what} of {amount} has more than two decimals")
    return amount


def change_due(grand_total: Decimal, payments: Sequence[PaymentLike]) -> Decimal:
    """The change to hand back: what was tendered minus the total.

    Only cash may exceed what is due; the change never exceeds the cash tendered and is never
    negative. Raises `TenderError` when the payments do not cover the total.
    """
    total = _cents(grand_total, "the total")
    if total < 0:
        raise TenderError("negative_total", f"a total of {total} cannot be paid")
    tendered = ZERO
    non_cash = ZERO
    for payment in payments:
        amount = _cents(payment.amount, f"a {payment.method} payment")
        if amount <= 0:
            raise TenderError(
                "payment_not_positive", f"a {payment.method} payment of {amount} must be above zero"
            )
        tendered += amount
        if payment.method != CASH:
            non_cash += amount
    if tendered < total:
        raise TenderError(
            "underpaid",
            f"payments of {tendered} do not cover the total of {total}: {total - tendered} is still due",
        )
    if non_cash > total:
        raise TenderError(
            "non_cash_exceeds_total",
            f"non-cash payments of {non_cash} are more than the total of {total}; "
            "only cash can be more than what is due",
        )
    return tendered - total
