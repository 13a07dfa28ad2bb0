"""The tax calculator of the totals engine: Magento's UNIT, ROW and TOTAL algorithms with their
rounding deltas (`Tax\\Model\\Calculation\\*Calculator`).

Part of `till.domain.totals`; mirrored by `class Calculator` in `web/src/domain/totals.ts`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from till.domain.money import ZERO, round_money
from till.domain.tax import RateGroup
from till.domain.totals_model import FIRST_DELTA, HUNDRED, SAME_RATE, TaxAmount, TaxConfig


@dataclass(frozen=True, slots=True)
class TaxItem:
    """What the calculator needs of one line (Magento's `QuoteDetailsItem`)."""

    code: str
    qty: Decimal
    unit_price: Decimal
    groups: tuple[RateGroup, ...]
    rate: Decimal
    store_rate: Decimal
    discount: Decimal = ZERO
    #: Magento's `price_for_tax_calculation`: the price taxed when it is not the unit price.
    price_for_tax: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ItemTax:
    price: Decimal
    price_incl_tax: Decimal
    row_total: Decimal
    row_total_incl_tax: Decimal
    row_tax: Decimal
    discount_tax_compensation: Decimal
    taxes: tuple[TaxAmount, ...]


def _tax_of(amount: Decimal, percent: Decimal) -> Decimal:
    return amount * percent / HUNDRED


def _tax_in(amount: Decimal, percent: Decimal) -> Decimal:
    # Magento computes p·(1 − 1/(1+r)); p·r/(1+r) is the same number, exact whenever it terminates.
    return amount * percent / (HUNDRED + percent)


def percent_key(percent: Decimal) -> str:
    return f"{percent.normalize():f}"


class Calculator:
    """One Magento tax calculator (`Tax\\Model\\Calculation\\*BaseCalculator`) and its deltas.

    Deltas live as long as the calculator: Magento runs every item (and shipping, last) of one pass
    through one instance. UNIT and ROW add the item code to the bucket key, so remainders stay in
    the item; TOTAL does not, so they carry to the next item.
    """

    def __init__(self, config: TaxConfig) -> None:
        self._config = config
        self._deltas: dict[tuple[str, ...], Decimal] = {}

    def _delta_round(self, amount: Decimal, key: tuple[str, ...]) -> Decimal:
        # `AbstractCalculator::deltaRound`: a zero amount leaves the bucket untouched.
        if amount == 0:
            return ZERO
        amount += self._deltas.get(key, FIRST_DELTA)
        rounded = round_money(amount)
        self._deltas[key] = amount - rounded
        return rounded

    def _round_amount(
        self, amount: Decimal, rate_key: str, direction: str, kind: str, item: TaxItem
    ) -> Decimal:
        scope = "" if self._config.algorithm == "TOTAL" else item.code
        return self._delta_round(amount, (kind + direction, scope, rate_key))

    def calculate(self, item: TaxItem) -> ItemTax:
        """Tax one item; call in cart order (a shipping line, if ever, goes last)."""
        if self._config.prices_include_tax:
            if self._config.algorithm == "UNIT":
                return self._unit_incl(item)
            return self._aggregate_incl(item)
        if self._config.algorithm == "UNIT":
            return self._unit_excl(item)
        return self._aggregate_excl(item)

    def _before_kind(self) -> str:
        return "tax_before_discount" if self._config.apply_after_discount else "regular"

    def _unit_excl(self, item: TaxItem) -> ItemTax:
        # `UnitBaseCalculator::calculateWithTaxNotInPrice`: each group taxed and rounded per unit.
        price = round_money(item.unit_price)
        taxed = self._price_for_tax(item, price)
        row_total = round_money(price * item.qty)
        unit_before_total = ZERO
        row_before_total = ZERO
        taxes: list[TaxAmount] = []
        for group in item.groups:
            unit_before = self._round_amount(
                _tax_of(taxed, group.percent), group.id, "", self._before_kind(), item
            )
            unit_after = unit_before
            if self._config.apply_after_discount:
                taxable = max(taxed - item.discount / item.qty, ZERO)
                unit_after = self._round_amount(
                    _tax_of(taxable, group.percent), group.id, "", "regular", item
                )
            unit_before_total += unit_before
            # Rows are money: exact for whole quantities, rounded to cents for fractional ones.
            row_before_total += round_money(unit_before * item.qty)
            taxes.append(_group_amount(group, round_money(unit_after * item.qty)))
        return ItemTax(
            price=price,
            price_incl_tax=price + unit_before_total,
            row_total=row_total,
            row_total_incl_tax=row_total + row_before_total,
            row_tax=sum((tax.amount for tax in taxes), ZERO),
            discount_tax_compensation=ZERO,
            taxes=tuple(taxes),
        )

    def _aggregate_excl(self, item: TaxItem) -> ItemTax:
        # `AbstractAggregateCalculator::calculateWithTaxNotInPrice` (ROW and TOTAL).
        price = round_money(item.unit_price)
        row_total = round_money(price * item.qty)
        row_taxed = round_money(self._price_for_tax(item, price) * item.qty)
        before_total = ZERO
        taxes: list[TaxAmount] = []
        for group in item.groups:
            before = self._round_amount(
                _tax_of(row_taxed, group.percent), group.id, "", self._before_kind(), item
            )
            after = before
            if self._config.apply_after_discount:
                taxable = max(row_taxed - item.discount, ZERO)
                after = self._round_amount(_tax_of(taxable, group.percent), group.id, "", "regular", item)
            before_total += before
            taxes.append(_group_amount(group, after))
        row_incl = row_total + before_total
        return ItemTax(
            price=price,
            price_incl_tax=round_money(row_incl / item.qty),
            row_total=row_total,
            row_total_incl_tax=row_incl,
            row_tax=sum((tax.amount for tax in taxes), ZERO),
            discount_tax_compensation=ZERO,
            taxes=tuple(taxes),
        )

    @staticmethod
    def _price_for_tax(item: TaxItem, price: Decimal) -> Decimal:
        # `AbstractCalculator::getPriceForTaxCalculation`: the price `CommonTaxCollector::mapItem`
        # chose (the original price under "Apply Tax On: Original price only", magento2#14469),
        # rounded; a zero or missing one falls back to the unit price. Magento's tax-inclusive
        # paths do not read it.
        if item.price_for_tax:
            return round_money(item.price_for_tax)
        return price

    def _price_incl_tax(self, item: TaxItem) -> Decimal:
        price_incl = round_money(item.unit_price)
        same = self._config.cross_border_trade or abs(item.rate - item.store_rate) < SAME_RATE
        if not same:
            # `AbstractCalculator::calculatePriceInclTax`: take the store's tax out, add the customer's.
            excl = price_incl - _tax_in(price_incl, item.store_rate)
            price_incl = round_money(excl + _tax_of(excl, item.rate))
        return price_incl

    def _unit_incl(self, item: TaxItem) -> ItemTax:
        # `UnitBaseCalculator::calculateWithTaxInPrice`: one combined rate; each unit's tax goes
        # through the item's delta buckets, before and after discount, like the other algorithms.
        price_incl = self._price_incl_tax(item)
        key = percent_key(item.rate)
        unit_tax = self._round_amount(_tax_in(price_incl, item.rate), key, "1", self._before_kind(), item)
        row_incl = round_money(price_incl * item.qty)
        # Rows are money: exact for whole quantities, rounded to cents for fractional ones.
        row_tax_before = round_money(unit_tax * item.qty)
        row_tax = row_tax_before
        if self._config.apply_after_discount:
            taxable = max(price_incl - item.discount / item.qty, ZERO)
            unit_after = self._round_amount(_tax_in(taxable, item.rate), key, "1", "regular", item)
            row_tax = round_money(unit_after * item.qty)
        return ItemTax(
            price=price_incl - unit_tax,
            price_incl_tax=price_incl,
            row_total=row_incl - row_tax_before,
            row_total_incl_tax=row_incl,
            row_tax=row_tax,
            discount_tax_compensation=row_tax_before - row_tax,
            taxes=self._split_taxes(row_tax, item),
        )

    def _aggregate_incl(self, item: TaxItem) -> ItemTax:
        # `AbstractAggregateCalculator::calculateWithTaxInPrice`: buckets keyed by combined rate.
        price_incl = self._price_incl_tax(item)
        row_incl = round_money(price_incl * item.qty)
        key = percent_key(item.rate)
        row_tax = self._round_amount(_tax_in(row_incl, item.rate), key, "1", self._before_kind(), item)
        row_total = row_incl - row_tax
        compensation = ZERO
        if self._config.apply_after_discount:
            taxable = max(row_incl - item.discount, ZERO)
            after = self._round_amount(_tax_in(taxable, item.rate), key, "1", "regular", item)
            compensation = row_tax - after
            row_tax = after
        return ItemTax(
            price=round_money(row_total / item.qty),
            price_incl_tax=price_incl,
            row_total=row_total,
            row_total_incl_tax=row_incl,
            row_tax=row_tax,
            discount_tax_compensation=compensation,
            taxes=self._split_taxes(row_tax, item),
        )

    def _split_taxes(self, row_tax: Decimal, item: TaxItem) -> tuple[TaxAmount, ...]:
        # `AbstractCalculator::getAppliedTaxes`: a tax-inclusive row tax is shared out over the
        # groups by percent, with a delta carried across items whatever the algorithm.
        taxes: list[TaxAmount] = []
        applied = ZERO
        for group in item.groups:
            if group.percent == 0:
                continue
            amount = self._delta_round(
                row_tax / item.rate * group.percent, ("applied_tax_amount1", "", group.id)
            )
            if applied + amount > row_tax:
                amount = row_tax - applied
            applied += amount
            taxes.append(_group_amount(group, amount))
        if taxes and applied < row_tax:
            # Till's own fix: Magento only trims an overshoot, so its split can fall a cent short
            # of the row tax; the last group takes the rest so per-rate reports add up.
            last = taxes[-1]
            taxes[-1] = replace(last, amount=last.amount + row_tax - applied)
        return tuple(taxes)


def _group_amount(group: RateGroup, amount: Decimal) -> TaxAmount:
    return TaxAmount(group.id, group.percent, amount, tuple(rate.code for rate in group.rates))
