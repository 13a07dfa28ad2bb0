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

The engine is four modules, each mirrored by a part of `web/src/domain/totals.ts` (one file there):
`totals_model` (the types and checks at its top), `tax_calculator` (`class Calculator`),
`discounts` (`Discounted` … `applyDiscounts`) and this one (`taxItems` … `computeTotals`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal, localcontext

from till.domain.discounts import Discounted, apply_discounts
from till.domain.money import ZERO
from till.domain.tax import combined_percent, group_rates
from till.domain.tax_calculator import Calculator, TaxItem
from till.domain.totals_model import (
    ALGORITHMS,
    APPLY_TAX_ON,
    DECIMAL_CONTEXT,
    DEFAULT_CONFIG,
    LINE_DISCOUNT_LABEL,
    Algorithm,
    ApplyTaxOn,
    CartDiscount,
    CartInput,
    CartLine,
    CartTotals,
    DiscountAction,
    DiscountAmount,
    LineDiscount,
    LineTotals,
    TaxAmount,
    TaxConfig,
    TotalsError,
)

__all__ = [
    "ALGORITHMS",
    "APPLY_TAX_ON",
    "DEFAULT_CONFIG",
    "LINE_DISCOUNT_LABEL",
    "Algorithm",
    "ApplyTaxOn",
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


def _tax_items(
    lines: Sequence[CartLine], config: TaxConfig, discounts: dict[str, Decimal] | None = None
) -> list[TaxItem]:
    items = []
    for line in lines:
        groups = group_rates(line.rates)
        rate = sum((group.percent for group in groups), Decimal(0))
        store_rate = rate if line.store_rates is None else combined_percent(line.store_rates)
        items.append(
            TaxItem(
                code=line.key,
                qty=line.qty,
                unit_price=line.unit_price,
                groups=groups,
                rate=rate,
                store_rate=store_rate,
                discount=ZERO if discounts is None else discounts[line.key],
                # `CommonTaxCollector::mapItem`: the original price under "Original price only".
                price_for_tax=line.original_price if config.apply_tax_on == "original" else None,
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


def _summarise_discounts(items: Iterable[Discounted]) -> tuple[DiscountAmount, ...]:
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
    with localcontext(DECIMAL_CONTEXT):
        before = Calculator(config)
        undiscounted = [before.calculate(item) for item in _tax_items(cart.lines, config)]
        discounted = [
            Discounted(
                line=line,
                price=tax.price_incl_tax if config.discount_on_prices_including_tax else tax.price,
                row_total=tax.row_total,
                row_total_incl_tax=tax.row_total_incl_tax,
            )
            for line, tax in zip(cart.lines, undiscounted, strict=True)
        ]
        apply_discounts(discounted, cart.discounts, config)
        amounts = {item.line.key: item.amount for item in discounted}
        after = Calculator(config)
        taxed = [after.calculate(item) for item in _tax_items(cart.lines, config, amounts)]
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
