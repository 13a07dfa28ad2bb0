"""What the totals engine takes and gives: tax settings, cart lines and discounts, totals.

Part of the totals engine (`till.domain.totals`, which re-exports these names); mirrored by the
types and checks at the top of `web/src/domain/totals.ts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import Literal

from till.domain.errors import DomainError
from till.domain.money import ZERO, round_money, round_qty
from till.domain.tax import AppliedRate

Algorithm = Literal["UNIT", "ROW", "TOTAL"]
ALGORITHMS: tuple[Algorithm, ...] = ("UNIT", "ROW", "TOTAL")
#: `tax/calculation/apply_tax_on`: 0 "Custom price if available" (Magento's default), 1 "Original price only".
ApplyTaxOn = Literal["custom", "original"]
APPLY_TAX_ON: tuple[ApplyTaxOn, ...] = ("custom", "original")
DiscountAction = Literal["by_percent", "by_fixed", "cart_fixed"]
LineDiscountKind = Literal["percent", "amount"]

#: Label of a POS line discount in the discount breakdown.
LINE_DISCOUNT_LABEL = "Line discount"

HUNDRED = Decimal(100)
# `AbstractCalculator::deltaRound` and `DeltaPriceRound::round` start an empty bucket at 0.000001 so
# that an exact half always rounds up.
FIRST_DELTA = Decimal("0.000001")
# Magento's `isSameRateAsStore` tolerance.
SAME_RATE = Decimal("0.00001")
# Every division runs at 28 significant digits, whatever context the caller has set.
DECIMAL_CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN)


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
    apply_tax_on: ApplyTaxOn = "custom"

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise TotalsError(
                "unknown_algorithm",
                f"tax calculation algorithm {self.algorithm!r} is not one of {', '.join(ALGORITHMS)}",
            )
        if self.apply_tax_on not in APPLY_TAX_ON:
            raise TotalsError(
                "unknown_apply_tax_on",
                f"apply tax on {self.apply_tax_on!r} is not one of {', '.join(APPLY_TAX_ON)}",
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
            if not ZERO <= value <= HUNDRED:
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
        if self.kind == "by_percent" and amount > HUNDRED:
            raise TotalsError("discount_percent_range", f"discount {self.label!r} of {amount}% is over 100%")

    def applies_to(self, sku: str) -> bool:
        """Whether a line with this SKU is eligible (the rule's action conditions)."""
        return self.skus is None or sku in self.skus


@dataclass(frozen=True, slots=True)
class CartLine:
    """One line of a cart: a product, its quantity and unit price, and the tax rates it bears.

    `unit_price` is incl. tax when the store's prices include tax. `store_rates` are the rates at
    the shop's origin, used to re-base tax-inclusive prices when the customer's rate differs and
    cross-border trade is off; `None` means the same as `rates`. `original_price` is the
    catalog's price of a line whose price the cashier overrode (Magento's custom price), taxed
    instead of `unit_price` when the store applies tax on the original price; `None` for a line
    sold at the catalog's price.
    """

    key: str
    sku: str
    qty: Decimal
    unit_price: Decimal
    rates: tuple[AppliedRate, ...] = ()
    store_rates: tuple[AppliedRate, ...] | None = None
    line_discount: LineDiscount | None = None
    original_price: Decimal | None = None

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
        if self.original_price is not None:
            original = _require_decimal(self.original_price, f"the original price of line {self.key!r}")
            if original < 0:
                raise TotalsError(
                    "negative_price", f"line {self.key!r}: the original price {original} is negative"
                )
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
