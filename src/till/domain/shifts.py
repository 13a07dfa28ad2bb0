"""Shifts: a register's day of cash, from the opening float to the counted close.

Expected cash = float + cash taken − change given − cash refunded + cash in − cash out.
Cash taken includes cash for gift cards sold and for payments on account: the drawer holds it.
A gift card sold is a liability, in its own row, never in sales; spending one is a tender.
The X report is the running picture of an open shift; the Z report is the same figures
frozen when the shift closes, with the counted cash and the difference.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from till.domain.cash_count import CashCount
from till.domain.errors import DomainError
from till.domain.money import ZERO, round_money

CashMovementKind = Literal["in", "out"]


class ShiftError(DomainError):
    """A shift operation that cannot be done in the shift's state."""

    code = "shift_invalid"


@dataclass(frozen=True, slots=True)
class CashMovement:
    """Cash put into or taken out of the drawer outside a sale, with the reason."""

    kind: CashMovementKind
    amount: Decimal
    reason: str

    def __post_init__(self) -> None:
        if self.kind not in ("in", "out"):
            raise ShiftError("a cash movement is 'in' or 'out'")
        if self.amount <= 0 or round_money(self.amount) != self.amount:
            raise ShiftError("a cash movement is a positive amount in cents")
        if not self.reason.strip():
            raise ShiftError("say why cash goes in or out")

    @property
    def signed(self) -> Decimal:
        """The amount as it changes the drawer."""
        return self.amount if self.kind == "in" else -self.amount


@dataclass(frozen=True, slots=True)
class ShiftSale:
    """What one sale or refund did to a shift's figures (refunds carry negative amounts)."""

    grand_total: Decimal
    tax: Decimal
    discount: Decimal
    payments: tuple[tuple[str, Decimal], ...]
    change_given: Decimal = ZERO
    is_refund: bool = False
    #: Gift cards sold with the sale: paid with it, but a liability, not a sale.
    gift_cards_sold: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class ShiftReport:
    """An X (open) or Z (closed) report of one shift."""

    kind: Literal["X", "Z"]
    register_code: str
    opened_at: datetime
    closed_at: datetime | None
    opening_float: Decimal
    sales_count: int
    refunds_count: int
    gross_sales: Decimal
    refunds: Decimal
    net_sales: Decimal
    tax: Decimal
    discounts: Decimal
    payments_by_method: dict[str, Decimal]
    cash_in: Decimal
    cash_out: Decimal
    #: None on an X report under a blind count: the counter must not see it before counting.
    expected_cash: Decimal | None
    counted_cash: Decimal | None
    difference: Decimal | None
    #: The count by note and coin (face value to quantity), when the drawer was counted so.
    counted_by_denomination: dict[str, int] | None = None
    #: Why the count differs from the expected cash, in the closer's words.
    note: str = ""
    #: Gift cards sold or topped up in the shift: money taken that the shop owes (not sales).
    gift_cards_sold: Decimal = ZERO
    #: Payments taken against customers' accounts in the shift (in payments_by_method too).
    account_payments: Decimal = ZERO


def check_opening_float(amount: Decimal) -> None:
    """A float is zero or more, in cents."""
    if amount < 0 or round_money(amount) != amount:
        raise ShiftError("the opening float is an amount of zero or more, in cents")


def shift_report(
    *,
    register_code: str,
    opened_at: datetime,
    opening_float: Decimal,
    sales: Iterable[ShiftSale],
    movements: Iterable[CashMovement],
    closed_at: datetime | None = None,
    counted_cash: Decimal | None = None,
    cash_count: CashCount | None = None,
    note: str = "",
    account_payments: Iterable[tuple[str, Decimal]] = (),
) -> ShiftReport:
    """Figures of a shift; a Z report when it has a closing time and a count. `account_payments`
    are (method, amount) of payments taken against customers' accounts in the shift."""
    sales_count = refunds_count = 0
    gross = refunds = tax = discounts = change = cards = on_account = ZERO
    by_method: dict[str, Decimal] = {}
    for sale in sales:
        if sale.is_refund:
            refunds_count += 1
            refunds += -sale.grand_total
        else:
            sales_count += 1
            gross += sale.grand_total
        tax += sale.tax
        discounts += sale.discount
        change += sale.change_given
        cards += sale.gift_cards_sold
        for method, amount in sale.payments:
            by_method[method] = by_method.get(method, ZERO) + amount
    for method, amount in account_payments:
        on_account += amount
        by_method[method] = by_method.get(method, ZERO) + amount
    if "cash" in by_method:
        by_method["cash"] -= change
    moves = list(movements)
    cash_in = sum((m.amount for m in moves if m.kind == "in"), ZERO)
    cash_out = sum((m.amount for m in moves if m.kind == "out"), ZERO)
    expected = opening_float + by_method.get("cash", ZERO) + cash_in - cash_out
    closed = closed_at is not None
    if closed and counted_cash is None:
        raise ShiftError("closing a shift needs the counted cash")
    if cash_count is not None and (counted_cash is None or cash_count.total != round_money(counted_cash)):
        raise ShiftError("the counted cash is not the total of the notes and coins counted")
    difference = None if counted_cash is None else counted_cash - expected
    # Amounts arrive as stored (four places, as Magento keeps them); a report shows cents.
    return ShiftReport(
        kind="Z" if closed else "X",
        register_code=register_code,
        opened_at=opened_at,
        closed_at=closed_at,
        opening_float=round_money(opening_float),
        sales_count=sales_count,
        refunds_count=refunds_count,
        gross_sales=round_money(gross),
        refunds=round_money(refunds),
        net_sales=round_money(gross - refunds),
        tax=round_money(tax),
        discounts=round_money(discounts),
        payments_by_method={method: round_money(amount) for method, amount in sorted(by_method.items())},
        cash_in=round_money(cash_in),
        cash_out=round_money(cash_out),
        expected_cash=round_money(expected),
        counted_cash=None if counted_cash is None else round_money(counted_cash),
        difference=None if difference is None else round_money(difference),
        counted_by_denomination=None if cash_count is None else cash_count.wire(),
        note=note.strip(),
        gift_cards_sold=round_money(cards),
        account_payments=round_money(on_account),
    )
