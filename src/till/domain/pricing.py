"""Pricing a sale with the same engine the till runs: the catalog's final price, the tax rates
the store's rules give at the location, cart rules and coupon, the cashier's manual discounts.

Pure: the rules are read by `till.services.pricing.PricingContext.load`. The TypeScript twin is
`web/src/domain/cart.ts` (`priceCart`, `finalPrice`); both run `spec/vectors/pricing/*.json`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Protocol

from till.domain.catalog import Product
from till.domain.customers import CustomerGroup
from till.domain.errors import DomainError
from till.domain.promotions import CartRule, PromotionResult, select_discounts
from till.domain.tax import Address, TaxRate, TaxRule, applicable_rates
from till.domain.totals import (
    CartDiscount,
    CartInput,
    CartLine,
    CartTotals,
    LineDiscount,
    TaxConfig,
    compute_totals,
)

#: The tax class of a customer who is not signed in (Magento's default for group 0).
DEFAULT_CUSTOMER_CLASS = "Retail Customer"
MANUAL_DISCOUNT_LABEL = "Manual discount"


class PricingError(DomainError):
    """A sale that cannot be priced: a sku the catalog lacks, or a product that is not sold."""

    code = "sale_unpriceable"


class PricedLine(Protocol):
    """A line as pricing reads it (`till.domain.sales.SaleLine` is one)."""

    @property
    def sku(self) -> str: ...
    @property
    def qty(self) -> Decimal: ...
    @property
    def unit_price(self) -> Decimal: ...
    @property
    def line_discount(self) -> LineDiscount | None: ...
    @property
    def price_override(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class PricingRules:
    """The store's tax and promotion rules, as of one moment."""

    config: TaxConfig
    rates: Sequence[TaxRate]
    rules: Sequence[TaxRule]
    cart_rules: Sequence[CartRule]
    groups: Mapping[int, CustomerGroup] = field(default_factory=dict)

    def customer_class(self, group_id: int) -> str:
        """The tax class customers of a group pay."""
        group = self.groups.get(group_id)
        return DEFAULT_CUSTOMER_CLASS if group is None else group.tax_class


@dataclass(frozen=True, slots=True)
class PricedSale:
    """The server's totals for a sale, the catalog's prices and what the cart rules did."""

    totals: CartTotals
    #: The catalog's final price of each line, in line order (two lines of one sku may differ
    #: by their quantity's tier): `priceCart`'s `unitPrices`.
    catalog_prices: tuple[Decimal, ...]
    promotion: PromotionResult


def price_sale(
    rules: PricingRules,
    lines: Sequence[PricedLine],
    products: Mapping[str, Product],
    address: Address,
    *,
    group_id: int,
    day: date,
    coupon_code: str | None = None,
    cart_discount_percent: Decimal | None = None,
) -> PricedSale:
    """Totals of a sale at the prices the till charged, with the store's rules.

    Lines are keyed 1…n in sale order. The catalog's final price of each line (for `day`, the
    customer's group and the line's quantity) is returned beside the totals, so a caller can
    see a charged price that differs from it; the totals use the charged price.
    """
    unknown = sorted({line.sku for line in lines} - set(products))
    if unknown:
        raise PricingError(f"unknown sku {', '.join(unknown)}; the catalog has no such product")
    customer_class = rules.customer_class(group_id)
    cart_lines = []
    catalog_prices: list[Decimal] = []
    for n, line in enumerate(lines, start=1):
        product = products[line.sku]
        if product.type == "configurable":
            raise PricingError(f"{line.sku} is a configurable product; sell one of its variants")
        catalog_price = product.final_price(day, group_id, line.qty)
        catalog_prices.append(catalog_price)
        rates = applicable_rates(
            rules.rules,
            rules.rates,
            customer_class=customer_class,
            product_class=product.tax_class,
            address=address,
        )
        cart_lines.append(
            CartLine(
                key=str(n),
                sku=line.sku,
                qty=line.qty,
                unit_price=line.unit_price,
                rates=rates,
                line_discount=line.line_discount,
                # A typed price is Magento's custom price; the catalog's is its original price.
                original_price=catalog_price if line.price_override else None,
            )
        )
    cart = CartInput(tuple(cart_lines))
    # The totals before cart discounts give the subtotal rule conditions compare against, and
    # are the answer itself for the many sales no cart discount applies to.
    undiscounted = compute_totals(cart, rules.config)
    promotion = select_discounts(
        rules.cart_rules,
        coupon_code=coupon_code,
        on=day,
        customer_group_id=group_id,
        subtotal=undiscounted.subtotal,
        skus=[line.sku for line in lines],
    )
    discounts = list(promotion.discounts)
    if cart_discount_percent is not None:
        discounts.append(CartDiscount("by_percent", cart_discount_percent, MANUAL_DISCOUNT_LABEL))
    totals = (
        compute_totals(CartInput(cart.lines, tuple(discounts)), rules.config) if discounts else undiscounted
    )
    return PricedSale(totals, tuple(catalog_prices), promotion)
