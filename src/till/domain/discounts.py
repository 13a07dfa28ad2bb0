"""Discounts in the totals engine: POS line discounts, then cart-rule actions (by_percent,
by_fixed, cart_fixed) with Magento's rounding deltas (`SalesRule\\Model\\RulesApplier`, `Utility`).

Part of `till.domain.totals`; mirrored by `Discounted` … `applyDiscounts` in
`web/src/domain/totals.ts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from till.domain.money import ZERO, round_money
from till.domain.tax_calculator import percent_key
from till.domain.totals_model import (
    FIRST_DELTA,
    HUNDRED,
    LINE_DISCOUNT_LABEL,
    CartDiscount,
    CartLine,
    TaxConfig,
    TotalsError,
)


@dataclass(slots=True)
class Discounted:
    """A line while discounts are applied (Magento's quote item during the discount collector)."""

    line: CartLine
    price: Decimal  # the discount calculation price
    row_total: Decimal
    row_total_incl_tax: Decimal
    amount: Decimal = ZERO
    percent: Decimal = ZERO  # Magento's item discount_percent, summed over by_percent rules
    parts: list[tuple[str, Decimal]] = field(default_factory=list)

    @property
    def base(self) -> Decimal:
        # The row at the discount price; Till rounds rows to cents even for fractional quantities.
        return round_money(self.line.qty * self.price)

    def take(self, label: str, cumulative: Decimal) -> None:
        if cumulative != self.amount:
            self.parts.append((label, cumulative - self.amount))
        self.amount = cumulative


@dataclass(slots=True)
class _CartFixedState:
    items_price: Decimal
    items_count: int
    available: Decimal


class _DiscountRounder:
    """The two delta stores of the discount collector.

    `SalesRule\\Model\\Utility::deltaRoundingFix` keys its deltas by the item's discount percent and
    starts them at 0; `SalesRule\\Model\\DeltaPriceRound` keys them by cart-fixed rule and starts at
    0.000001.
    """

    def __init__(self) -> None:
        self.by_percent: dict[str, Decimal] = {}
        self.cart_fixed: dict[int, Decimal] = {}

    def round_cart_fixed(self, amount: Decimal, rule: int) -> Decimal:
        if amount == 0:
            return amount
        amount += self.cart_fixed.get(rule, FIRST_DELTA)
        rounded = round_money(amount)
        self.cart_fixed[rule] = amount - rounded
        return rounded

    def reset_cart_fixed(self, rule: int) -> None:
        self.cart_fixed.pop(rule, None)


def _sort_by_priority(items: list[Discounted], discounts: Sequence[CartDiscount]) -> list[Discounted]:
    # `SalesRule\Model\Validator::sortItemsByPriority`: lines the first rule applies to come first.
    remaining = list(items)
    ordered: list[Discounted] = []
    for discount in discounts:
        ordered.extend(item for item in remaining if discount.applies_to(item.line.sku))
        remaining = [item for item in remaining if not discount.applies_to(item.line.sku)]
    return ordered + remaining


def _rule_amount(
    discount: CartDiscount,
    index: int,
    item: Discounted,
    fixed: dict[int, _CartFixedState],
    rounder: _DiscountRounder,
) -> Decimal:
    qty = item.line.qty
    if discount.kind == "by_percent":
        # `ByPercent::_calculate`: on what earlier discounts left of the row; not rounded here.
        item.percent = min(HUNDRED, item.percent + discount.amount)
        return (item.base - item.amount) * discount.amount / HUNDRED
    if discount.kind == "by_fixed":
        return qty * discount.amount  # `ByFixed::calculate`
    # `CartFixed::calculate`: a share by row price; the last eligible line takes what is left.
    state = fixed[index]
    if state.available <= 0:
        return ZERO
    if state.items_count <= 1:
        amount = min(item.base, state.available)
        rounder.reset_cart_fixed(index)
    else:
        if state.items_price == 0:
            return ZERO
        share = rounder.round_cart_fixed(discount.amount * item.base / state.items_price, index)
        amount = min(item.base, share)
        state.items_count -= 1
    amount = round_money(amount)
    state.available -= amount
    if state.available <= 0:
        rounder.reset_cart_fixed(index)
    return amount


def apply_discounts(items: list[Discounted], discounts: Sequence[CartDiscount], config: TaxConfig) -> None:
    for item in items:
        line_discount = item.line.line_discount
        if line_discount is None:
            continue
        if line_discount.kind == "percent":
            amount = round_money(item.base * line_discount.value / HUNDRED)
        else:
            amount = round_money(line_discount.value)
            if amount > item.base:
                raise TotalsError(
                    "line_discount_exceeds_row",
                    f"line {item.line.key!r}: a discount of {amount} is more than the line's {item.base}",
                )
        item.take(LINE_DISCOUNT_LABEL, amount)

    fixed = {
        index: _CartFixedState(
            items_price=sum((item.base for item in items if discount.applies_to(item.line.sku)), ZERO),
            items_count=sum(1 for item in items if discount.applies_to(item.line.sku)),
            available=discount.amount,
        )
        for index, discount in enumerate(discounts)
        if discount.kind == "cart_fixed"
    }
    rounder = _DiscountRounder()
    for item in _sort_by_priority(items, discounts):
        for index, discount in enumerate(discounts):
            if not discount.applies_to(item.line.sku):
                continue
            amount = _rule_amount(discount, index, item, fixed, rounder)
            # `Utility::deltaRoundingFix`: carry the remainder between lines of the same percent.
            if item.percent and item.row_total > 0:
                key = percent_key(item.percent)
                amount += rounder.by_percent.get(key, ZERO)
                rounder.by_percent[key] = amount - round_money(amount)
            if item.percent == HUNDRED and item.row_total_incl_tax - amount < 0:
                amount = item.row_total_incl_tax
            amount = round_money(amount)
            # `Utility::minFix`: a line's discounts never exceed its row.
            item.take(discount.label, min(item.amount + amount, item.base))
            if discount.stop_further:
                break

    for item in items:
        # Till's own guard, beyond Magento: no discount may push a line below zero. Magento can
        # (discount on prices incl. tax, tax after discount: a negative row); a till cannot.
        excl_row = not config.prices_include_tax and config.apply_after_discount
        cap = item.row_total if excl_row else item.row_total_incl_tax
        if item.amount > cap:
            excess = item.amount - cap
            while excess > 0 and item.parts:
                label, part = item.parts.pop()
                kept = max(part - excess, ZERO)
                excess -= part - kept
                if kept:
                    item.parts.append((label, kept))
            item.amount = cap
