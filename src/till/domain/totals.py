"""Cart totals (subtotal, discounts, tax, grand total) to the cent, the way Magento 2.4 does.

The steps follow Magento's quote collectors (`/work/shared/magento/tax-and-discount-rules.md`):

1. a tax pass **without** discounts (`Tax\\Model\\Sales\\Total\\Quote\\Subtotal`) gives each line
   its price, price incl. tax and row totals, and the price discounts are computed from;
2. POS line discounts, then cart-rule discounts (`SalesRule\\Model\\RulesApplier`, `Utility`,
   `Rule\\Action\\Discount\\*`), with Magento's rounding deltas;
3. a tax pass **with** the discounts (`Tax\\Model\\Sales\\Total\\Quote\\Tax`), all lines through one
   calculator so TOTAL-based rounding deltas carry from one line to the next;
4. grand total = subtotal − discount + tax + discount tax compensation.

There is no shipping at a till. The calculator keeps its rounding deltas across `calculate` calls,
so a shipping line can later be passed last through the same calculator, as Magento does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from typing import Literal

from till.domain.errors import DomainError
from till.domain.money import ZERO, round_money, round_qty
from till.domain.tax import AppliedRate, RateGroup, combined_percent, group_rates

__all__ = [
    "ALGORITHMS",
    "DEFAULT_CONFIG",
    "LINE_DISCOUNT_LABEL",
    "Algorithm",
    "CartDiscount",
    "CartInput",
    "CartLine",
    "CartTotals",
    "DiscountAction",
    "DiscountAmount",
    "LineDiscount",
    "LineTotals",
    "TaxAmount",
    "TaxConfig",
    "TotalsError",
    "compute_totals",
]

Algorithm = Literal["UNIT", "ROW", "TOTAL"]
ALGORITHMS: tuple[Algorithm, ...] = ("UNIT", "ROW", "TOTAL")
DiscountAction = Literal["by_percent", "by_fixed", "cart_fixed"]
LineDiscountKind = Literal["percent", "amount"]

#: Label of a POS line discount in the discount breakdown.
LINE_DISCOUNT_LABEL = "Line discount"

_HUNDRED = Decimal(100)
# `AbstractCalculator::deltaRound` and `DeltaPriceRound::round` start an empty bucket at 0.000001 so
# that an exact half always rounds up.
_FIRST_DELTA = Decimal("0.000001")
# Magento's `isSameRateAsStore` tolerance.
_SAME_RATE = Decimal("0.00001")
# Every division runs at 28 significant digits, whatever context the caller has set.
_CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN)


class TotalsError(DomainError):
    """A cart that cannot be totalled as given; `code` is stable, the message says what to fix."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _require_decimal(value: object, what: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise TotalsError("not_a_decimal", f"{what} must be a decimal number, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class TaxConfig:
    """The Magento tax settings that change the arithmetic (`tax/calculation/*`)."""

    algorithm: Algorithm = "TOTAL"
    prices_include_tax: bool = False
    apply_after_discount: bool = True
    discount_on_prices_including_tax: bool = False
    cross_border_trade: bool = False

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise TotalsError(
                "unknown_algorithm",
                f"tax calculation algorithm {self.algorithm!r} is not one of {', '.join(ALGORITHMS)}",
            )


DEFAULT_CONFIG = TaxConfig()


@dataclass(frozen=True, slots=True)
class LineDiscount:
    """A POS discount on one line, applied before cart rules as the line's existing discount.

    `percent` takes that share of the row; `amount` is for the whole line, not per unit. Both are
    measured on the price discounts use: excl. tax, or incl. tax when "discount on prices including
    tax" is set or prices include tax and that setting is on.
    """

    kind: LineDiscountKind
    value: Decimal

    def __post_init__(self) -> None:
        value = _require_decimal(self.value, "a line discount")
        if self.kind == "percent":
            if not ZERO <= value <= _HUNDRED:
                raise TotalsError(
                    "line_discount_percent_range",
                    f"a line discount of {value}% is outside 0–100%",
                )
        elif self.kind == "amount":
            if round_money(value) != value:
                raise TotalsError(
                    "line_discount_precision", f"a line discount of {value} has more than two decimals"
                )
            if value < 0:
                raise TotalsError("negative_line_discount", f"a line discount of {value} is negative")
        else:
            raise TotalsError(
                "unknown_line_discount",
                f"line discount kind {self.kind!r} is not percent or amount",
            )


@dataclass(frozen=True, slots=True)
class CartDiscount:
    """One cart price rule's action, as `till.domain.promotions` selects it.

    `by_percent` takes `amount`% of each eligible row, `by_fixed` takes `amount` per unit, and
    `cart_fixed` spreads `amount` over the eligible rows. `skus=None` makes every line eligible;
    `stop_further` stops later discounts on the lines this one applies to (Magento's
    "Discard subsequent rules").
    """

    kind: DiscountAction
    amount: Decimal
    label: str
    skus: frozenset[str] | None = None
    stop_further: bool = False

    def __post_init__(self) -> None:
        amount = _require_decimal(self.amount, f"discount {self.label!r}")
        if self.kind not in ("by_percent", "by_fixed", "cart_fixed"):
            raise TotalsError(
                "unknown_discount_action",
                f"discount {self.label!r}: action {self.kind!r} is not by_percent, by_fixed or cart_fixed",
            )
        if amount < 0:
            raise TotalsError("negative_discount", f"discount {self.label!r} of {amount} is negative")
        if self.kind == "by_percent" and amount > _HUNDRED:
            raise TotalsError("discount_percent_range", f"discount {self.label!r} of {amount}% is over 100%")

    def applies_to(self, sku: str) -> bool:
        """Whether a line with this SKU is eligible (the rule's action conditions)."""
        return self.skus is None or sku in self.skus


@dataclass(frozen=True, slots=True)
class CartLine:
    """One line of a cart: a product, its quantity and unit price, and the tax rates it bears.

    `unit_price` is incl. tax when the store's prices include tax. `store_rates` are the rates at
    the shop's origin, used to re-base tax-inclusive prices when the customer's rate differs and
    cross-border trade is off; `None` means the same as `rates`.
    """

    key: str
    sku: str
    qty: Decimal
    unit_price: Decimal
    rates: tuple[AppliedRate, ...] = ()
    store_rates: tuple[AppliedRate, ...] | None = None
    line_discount: LineDiscount | None = None

    def __post_init__(self) -> None:
        if not self.key:
            raise TotalsError("missing_line_key", "every cart line needs a key")
        qty = _require_decimal(self.qty, f"the quantity of line {self.key!r}")
        price = _require_decimal(self.unit_price, f"the price of line {self.key!r}")
        if qty <= 0:
            raise TotalsError(
                "qty_not_positive", f"line {self.key!r}: the quantity {qty} must be more than zero"
            )
        if round_qty(qty) != qty:
            raise TotalsError(
                "qty_precision", f"line {self.key!r}: the quantity {qty} has more than 4 decimals"
            )
        if price < 0:
            raise TotalsError("negative_price", f"line {self.key!r}: the price {price} is negative")
        for rate in (*self.rates, *(self.store_rates or ())):
            percent = _require_decimal(rate.percent, f"tax rate {rate.code!r}")
            if percent < 0:
                raise TotalsError(
                    "negative_rate",
                    f"line {self.key!r}: tax rate {rate.code!r} of {percent}% is negative",
                )


@dataclass(frozen=True, slots=True)
class CartInput:
    """What totals are computed from: the lines in cart order, the cart discounts in rule order."""

    lines: tuple[CartLine, ...]
    discounts: tuple[CartDiscount, ...] = ()


@dataclass(frozen=True, slots=True)
class TaxAmount:
    """Tax of one rate group; `code` is Magento's group id (its rate codes joined)."""

    code: str
    percent: Decimal
    amount: Decimal
    rates: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DiscountAmount:
    """How much one discount (by label) took."""

    label: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class LineTotals:
    """A line's computed figures, named as on Magento's quote and order items."""

    key: str
    sku: str
    qty: Decimal
    price: Decimal
    price_incl_tax: Decimal
    row_total: Decimal
    row_total_incl_tax: Decimal
    discount: Decimal
    tax: Decimal
    discount_tax_compensation: Decimal
    tax_percent: Decimal
    applied_rates: tuple[AppliedRate, ...]
    taxes: tuple[TaxAmount, ...] = ()
    discounts: tuple[DiscountAmount, ...] = ()

    @property
    def row_grand_total(self) -> Decimal:
        """What the customer pays for this line."""
        return self.row_total - self.discount + self.tax + self.discount_tax_compensation


@dataclass(frozen=True, slots=True)
class CartTotals:
    """The cart's totals; `grand_total = subtotal − discount + tax + discount_tax_compensation`."""

    lines: tuple[LineTotals, ...]
    subtotal: Decimal
    subtotal_incl_tax: Decimal
    discount: Decimal
    tax: Decimal
    discount_tax_compensation: Decimal
    grand_total: Decimal
    taxes: tuple[TaxAmount, ...] = ()
    discounts: tuple[DiscountAmount, ...] = ()


# --- tax calculator -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _TaxItem:
    """What the calculator needs of one line (Magento's `QuoteDetailsItem`)."""

    code: str
    qty: Decimal
    unit_price: Decimal
    groups: tuple[RateGroup, ...]
    rate: Decimal
    store_rate: Decimal
    discount: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class _ItemTax:
    price: Decimal
    price_incl_tax: Decimal
    row_total: Decimal
    row_total_incl_tax: Decimal
    row_tax: Decimal
    discount_tax_compensation: Decimal
    taxes: tuple[TaxAmount, ...]


def _tax_of(amount: Decimal, percent: Decimal) -> Decimal:
    return amount * percent / _HUNDRED


def _tax_in(amount: Decimal, percent: Decimal) -> Decimal:
    # Magento computes p·(1 − 1/(1+r)); p·r/(1+r) is the same number, exact whenever it terminates.
    return amount * percent / (_HUNDRED + percent)


def _percent_key(percent: Decimal) -> str:
    return f"{percent.normalize():f}"


class _Calculator:
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
        amount += self._deltas.get(key, _FIRST_DELTA)
        rounded = round_money(amount)
        self._deltas[key] = amount - rounded
        return rounded

    def _round_amount(
        self, amount: Decimal, rate_key: str, direction: str, kind: str, item: _TaxItem
    ) -> Decimal:
        scope = "" if self._config.algorithm == "TOTAL" else item.code
        return self._delta_round(amount, (kind + direction, scope, rate_key))

    def calculate(self, item: _TaxItem) -> _ItemTax:
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

    def _unit_excl(self, item: _TaxItem) -> _ItemTax:
        # `UnitBaseCalculator::calculateWithTaxNotInPrice`: each group taxed and rounded per unit.
        price = round_money(item.unit_price)
        row_total = round_money(price * item.qty)
        unit_before_total = ZERO
        row_before_total = ZERO
        taxes: list[TaxAmount] = []
        for group in item.groups:
            unit_before = self._round_amount(
                _tax_of(price, group.percent), group.id, "", self._before_kind(), item
            )
            unit_after = unit_before
            if self._config.apply_after_discount:
                taxable = max(price - item.discount / item.qty, ZERO)
                unit_after = self._round_amount(
                    _tax_of(taxable, group.percent), group.id, "", "regular", item
                )
            unit_before_total += unit_before
            # Rows are money: exact for whole quantities, rounded to cents for fractional ones.
            row_before_total += round_money(unit_before * item.qty)
            taxes.append(_group_amount(group, round_money(unit_after * item.qty)))
        return _ItemTax(
            price=price,
            price_incl_tax=price + unit_before_total,
            row_total=row_total,
            row_total_incl_tax=row_total + row_before_total,
            row_tax=sum((tax.amount for tax in taxes), ZERO),
            discount_tax_compensation=ZERO,
            taxes=tuple(taxes),
        )

    def _aggregate_excl(self, item: _TaxItem) -> _ItemTax:
        # `AbstractAggregateCalculator::calculateWithTaxNotInPrice` (ROW and TOTAL).
        price = round_money(item.unit_price)
        row_total = round_money(price * item.qty)
        before_total = ZERO
        taxes: list[TaxAmount] = []
        for group in item.groups:
            before = self._round_amount(
                _tax_of(row_total, group.percent), group.id, "", self._before_kind(), item
            )
            after = before
            if self._config.apply_after_discount:
                taxable = max(row_total - item.discount, ZERO)
                after = self._round_amount(_tax_of(taxable, group.percent), group.id, "", "regular", item)
            before_total += before
            taxes.append(_group_amount(group, after))
        row_incl = row_total + before_total
        return _ItemTax(
            price=price,
            price_incl_tax=round_money(row_incl / item.qty),
            row_total=row_total,
            row_total_incl_tax=row_incl,
            row_tax=sum((tax.amount for tax in taxes), ZERO),
            discount_tax_compensation=ZERO,
            taxes=tuple(taxes),
        )

    def _price_incl_tax(self, item: _TaxItem) -> Decimal:
        price_incl = round_money(item.unit_price)
        same = self._config.cross_border_trade or abs(item.rate - item.store_rate) < _SAME_RATE
        if not same:
            # `AbstractCalculator::calculatePriceInclTax`: take the store's tax out, add the customer's.
            excl = price_incl - _tax_in(price_incl, item.store_rate)
            price_incl = round_money(excl + _tax_of(excl, item.rate))
        return price_incl

    def _unit_incl(self, item: _TaxItem) -> _ItemTax:
        # `UnitBaseCalculator::calculateWithTaxInPrice`: one combined rate, plain rounding per unit.
        price_incl = self._price_incl_tax(item)
        unit_tax = round_money(_tax_in(price_incl, item.rate))
        row_incl = round_money(price_incl * item.qty)
        # Rows are money: exact for whole quantities, rounded to cents for fractional ones.
        row_tax_before = round_money(unit_tax * item.qty)
        row_tax = row_tax_before
        if item.discount and self._config.apply_after_discount:
            taxable = max(price_incl - item.discount / item.qty, ZERO)
            row_tax = round_money(round_money(_tax_in(taxable, item.rate)) * item.qty)
        return _ItemTax(
            price=price_incl - unit_tax,
            price_incl_tax=price_incl,
            row_total=row_incl - row_tax_before,
            row_total_incl_tax=row_incl,
            row_tax=row_tax,
            discount_tax_compensation=row_tax_before - row_tax,
            taxes=self._split_taxes(row_tax, item),
        )

    def _aggregate_incl(self, item: _TaxItem) -> _ItemTax:
        # `AbstractAggregateCalculator::calculateWithTaxInPrice`: buckets keyed by combined rate.
        price_incl = self._price_incl_tax(item)
        row_incl = round_money(price_incl * item.qty)
        key = _percent_key(item.rate)
        row_tax = self._round_amount(_tax_in(row_incl, item.rate), key, "1", self._before_kind(), item)
        row_total = row_incl - row_tax
        compensation = ZERO
        if self._config.apply_after_discount:
            taxable = max(row_incl - item.discount, ZERO)
            after = self._round_amount(_tax_in(taxable, item.rate), key, "1", "regular", item)
            compensation = row_tax - after
            row_tax = after
        return _ItemTax(
            price=round_money(row_total / item.qty),
            price_incl_tax=price_incl,
            row_total=row_total,
            row_total_incl_tax=row_incl,
            row_tax=row_tax,
            discount_tax_compensation=compensation,
            taxes=self._split_taxes(row_tax, item),
        )

    def _split_taxes(self, row_tax: Decimal, item: _TaxItem) -> tuple[TaxAmount, ...]:
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


# --- discounts ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Discounted:
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
        amount += self.cart_fixed.get(rule, _FIRST_DELTA)
        rounded = round_money(amount)
        self.cart_fixed[rule] = amount - rounded
        return rounded

    def reset_cart_fixed(self, rule: int) -> None:
        self.cart_fixed.pop(rule, None)


def _sort_by_priority(items: list[_Discounted], discounts: Sequence[CartDiscount]) -> list[_Discounted]:
    # `SalesRule\Model\Validator::sortItemsByPriority`: lines the first rule applies to come first.
    remaining = list(items)
    ordered: list[_Discounted] = []
    for discount in discounts:
        ordered.extend(item for item in remaining if discount.applies_to(item.line.sku))
        remaining = [item for item in remaining if not discount.applies_to(item.line.sku)]
    return ordered + remaining


def _rule_amount(
    discount: CartDiscount,
    index: int,
    item: _Discounted,
    fixed: dict[int, _CartFixedState],
    rounder: _DiscountRounder,
) -> Decimal:
    qty = item.line.qty
    if discount.kind == "by_percent":
        # `ByPercent::_calculate`: on what earlier discounts left of the row; not rounded here.
        item.percent = min(_HUNDRED, item.percent + discount.amount)
        return (item.base - item.amount) * discount.amount / _HUNDRED
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


def _apply_discounts(items: list[_Discounted], discounts: Sequence[CartDiscount], config: TaxConfig) -> None:
    for item in items:
        line_discount = item.line.line_discount
        if line_discount is None:
            continue
        if line_discount.kind == "percent":
            amount = round_money(item.base * line_discount.value / _HUNDRED)
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
                key = _percent_key(item.percent)
                amount += rounder.by_percent.get(key, ZERO)
                rounder.by_percent[key] = amount - round_money(amount)
            if item.percent == _HUNDRED and item.row_total_incl_tax - amount < 0:
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


# --- totals ---------------------------------------------------------------------------------------


def _tax_items(lines: Sequence[CartLine], discounts: dict[str, Decimal] | None = None) -> list[_TaxItem]:
    items = []
    for line in lines:
        groups = group_rates(line.rates)
        rate = sum((group.percent for group in groups), Decimal(0))
        store_rate = rate if line.store_rates is None else combined_percent(line.store_rates)
        items.append(
            _TaxItem(
                code=line.key,
                qty=line.qty,
                unit_price=line.unit_price,
                groups=groups,
                rate=rate,
                store_rate=store_rate,
                discount=ZERO if discounts is None else discounts[line.key],
            )
        )
    return items


def _summarise_taxes(per_line: Iterable[tuple[TaxAmount, ...]]) -> tuple[TaxAmount, ...]:
    # Magento keys the order's applied taxes by group id and keeps the first percent it sees.
    summary: dict[str, TaxAmount] = {}
    for taxes in per_line:
        for tax in taxes:
            seen = summary.get(tax.code)
            amount = tax.amount if seen is None else seen.amount + tax.amount
            first = tax if seen is None else seen
            summary[tax.code] = TaxAmount(first.code, first.percent, amount, first.rates)
    return tuple(summary.values())


def _summarise_discounts(items: Iterable[_Discounted]) -> tuple[DiscountAmount, ...]:
    summary: dict[str, Decimal] = {}
    for item in items:
        for label, amount in item.parts:
            summary[label] = summary.get(label, ZERO) + amount
    return tuple(DiscountAmount(label, amount) for label, amount in summary.items())


def compute_totals(cart: CartInput, config: TaxConfig = DEFAULT_CONFIG) -> CartTotals:
    """Compute a cart's totals to the cent, as Magento 2.4's quote collectors would."""
    keys = [line.key for line in cart.lines]
    if len(set(keys)) != len(keys):
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        raise TotalsError("duplicate_line_key", f"line keys must be unique: {', '.join(duplicates)}")
    with localcontext(_CONTEXT):
        before = _Calculator(config)
        undiscounted = [before.calculate(item) for item in _tax_items(cart.lines)]
        discounted = [
            _Discounted(
                line=line,
                price=tax.price_incl_tax if config.discount_on_prices_including_tax else tax.price,
                row_total=tax.row_total,
                row_total_incl_tax=tax.row_total_incl_tax,
            )
            for line, tax in zip(cart.lines, undiscounted, strict=True)
        ]
        _apply_discounts(discounted, cart.discounts, config)
        amounts = {item.line.key: item.amount for item in discounted}
        after = _Calculator(config)
        taxed = [after.calculate(item) for item in _tax_items(cart.lines, amounts)]
        lines = tuple(
            LineTotals(
                key=line.key,
                sku=line.sku,
                qty=line.qty,
                price=tax.price,
                price_incl_tax=tax.price_incl_tax,
                row_total=tax.row_total,
                row_total_incl_tax=tax.row_total_incl_tax,
                discount=item.amount,
                tax=tax.row_tax,
                discount_tax_compensation=tax.discount_tax_compensation,
                tax_percent=combined_percent(line.rates),
                applied_rates=line.rates,
                taxes=tax.taxes,
                discounts=tuple(DiscountAmount(label, amount) for label, amount in item.parts),
            )
            for line, tax, item in zip(cart.lines, taxed, discounted, strict=True)
        )
        subtotal = sum((line.row_total for line in lines), ZERO)
        discount = sum((line.discount for line in lines), ZERO)
        tax_total = sum((line.tax for line in lines), ZERO)
        compensation = sum((line.discount_tax_compensation for line in lines), ZERO)
        return CartTotals(
            lines=lines,
            subtotal=subtotal,
            subtotal_incl_tax=sum((line.row_total_incl_tax for line in lines), ZERO),
            discount=discount,
            tax=tax_total,
            discount_tax_compensation=compensation,
            grand_total=subtotal - discount + tax_total + compensation,
            taxes=_summarise_taxes(line.taxes for line in lines),
            discounts=_summarise_discounts(discounted),
        )
