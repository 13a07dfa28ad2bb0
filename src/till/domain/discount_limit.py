"""The discount limit: how much of a line's price a seller took off by hand (docs/trust.md §6).

Judged by `till.domain.sales.assess`; mirrored before the sale by `combinedDiscountPercent` in
`web/src/domain/cart.ts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from till.domain.staff import discount_percent
from till.domain.totals import CartTotals, LineDiscount

if TYPE_CHECKING:
    from till.domain.sales import Sale


def largest_discount_percent(
    sale: Sale, totals: CartTotals, catalog_prices: Sequence[Decimal] | None = None
) -> Decimal:
    """The largest manual discount a line gets, as a percent of its row at the catalog's price:
    a price under the catalog's that was not typed as an override (what the customer did not
    pay is a discount, whether the till's price was stale or lowered on purpose), its own
    discount and the cart discount together (docs/trust.md §6: the limit holds per line, all
    manual discounts counted). Each takes its percent of what the one before left, so two
    together take `a + b − a × b / 100`; a cart rule applied between them leaves the cart
    percent less to take, so this never counts less than the cashier gave. A typed override is
    judged by `price_override` instead."""
    cart = sale.cart_discount_percent or Decimal("0")
    prices: Sequence[Decimal | None] = (
        catalog_prices if catalog_prices is not None else [None] * len(sale.lines)
    )
    worst = cart
    for line_totals, line, catalog in zip(totals.lines, sale.lines, prices, strict=True):
        own = Decimal("0")
        if catalog is not None and catalog > 0 and not line.price_override and line.unit_price < catalog:
            own = min((catalog - line.unit_price) * 100 / catalog, Decimal(100))
        if line.line_discount is not None:
            row = line_totals.row_total
            given = min(discount_percent(row, line_discount_amount(line.line_discount, row)), Decimal(100))
            own = combined_discount_percent(own, given)
        worst = max(worst, combined_discount_percent(own, cart))
    return worst


def combined_discount_percent(line: Decimal, cart: Decimal) -> Decimal:
    """A line discount and a cart discount (percents) together, as a percent of the row."""
    return line + cart - line * cart / 100


def line_discount_amount(discount: LineDiscount, row_total: Decimal) -> Decimal:
    """The amount a line discount takes off its row (unrounded: for the limit check)."""
    if discount.kind == "percent":
        return row_total * discount.value / 100
    return discount.value
