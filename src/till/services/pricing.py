"""Pricing a sale on the server with the same engine the till runs: tax rates from the
store's rules at the location, cart rules and coupons, the cashier's manual discounts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from till.domain.catalog import Product
from till.domain.customers import CustomerGroup
from till.domain.locations import Location
from till.domain.money import round_money
from till.domain.promotions import CartRule, PromotionResult, select_discounts
from till.domain.sales import OrderError, Sale
from till.domain.tax import TaxRate, TaxRule, applicable_rates
from till.domain.totals import CartDiscount, CartInput, CartLine, CartTotals, TaxConfig, compute_totals
from till.storage.uow import UnitOfWork

#: The tax class of a customer who is not signed in (Magento's default for group 0).
DEFAULT_CUSTOMER_CLASS = "Retail Customer"
MANUAL_DISCOUNT_LABEL = "Manual discount"


@dataclass(slots=True)
class PricingContext:
    """The store's tax and promotion rules, read once per batch."""

    config: TaxConfig
    rates: list[TaxRate]
    rules: list[TaxRule]
    cart_rules: list[CartRule]
    groups: dict[int, CustomerGroup]
    uow: UnitOfWork
    #: The batch's products by sku, read once by the caller.
    products: dict[str, Product] = field(default_factory=dict)
    _locations: dict[str, Location] = field(default_factory=dict)

    @classmethod
    def load(cls, uow: UnitOfWork) -> PricingContext:
        """Read the rules in the unit of work's transaction."""
        return cls(
            config=uow.reference.tax_config(),
            rates=uow.reference.tax_rates(),
            rules=uow.reference.tax_rules(),
            cart_rules=[cart_rule(row) for row in uow.reference.cart_rule_rows()],
            groups=uow.reference.customer_groups(),
            uow=uow,
        )

    def location(self, code: str) -> Location:
        """A location (cached for the batch), or OrderError."""
        if code not in self._locations:
            found = self.uow.reference.location(code)
            if found is None:
                raise OrderError(f"unknown location {code}")
            self._locations[code] = found
        return self._locations[code]

    def customer_class(self, group_id: int) -> str:
        """The tax class customers of a group pay."""
        group = self.groups.get(group_id)
        return DEFAULT_CUSTOMER_CLASS if group is None else group.tax_class


@dataclass(frozen=True, slots=True)
class PricedSale:
    """The server's totals for a sale, the catalog's prices and what the cart rules did."""

    totals: CartTotals
    catalog_prices: dict[str, Decimal]
    promotion: PromotionResult


def cart_rule(row: dict[str, Any]) -> CartRule:
    """A stored cart rule as the domain has it."""
    skus = row.get("skus")
    minimum = row.get("min_subtotal")
    return CartRule(
        rule_id=str(row["id"]),
        name=row["name"],
        action=row["action"],
        amount=round_money(Decimal(row["amount"])),
        customer_group_ids=frozenset(int(g) for g in row["customer_groups"]),
        coupon_code=row.get("coupon_code"),
        label=row["name"],
        active=bool(row["active"]),
        from_date=row.get("from_date"),
        to_date=row.get("to_date"),
        min_subtotal=None if minimum is None else round_money(Decimal(minimum)),
        skus=None if skus is None else frozenset(skus),
        sort_order=int(row.get("sort_order") or 0),
        stop_further_rules=bool(row.get("stop_further_rules")),
    )


def price_sale(
    context: PricingContext,
    sale: Sale,
    products: dict[str, Product],
    location: Location,
    group_id: int,
    day: date,
) -> PricedSale:
    """Totals of a sale at the prices the till charged, with the server's rules."""
    unknown = sorted({line.sku for line in sale.lines} - set(products))
    if unknown:
        raise OrderError(f"unknown sku {', '.join(unknown)}; the catalog has no such product")
    customer_class = context.customer_class(group_id)
    lines = []
    catalog_prices: dict[str, Decimal] = {}
    for n, line in enumerate(sale.lines, start=1):
        product = products[line.sku]
        if product.type == "configurable":
            raise OrderError(f"{line.sku} is a configurable product; sell one of its variants")
        catalog_prices[line.sku] = product.final_price(day, group_id, line.qty)
        rates = applicable_rates(
            context.rules,
            context.rates,
            customer_class=customer_class,
            product_class=product.tax_class,
            address=location.address,
        )
        lines.append(
            CartLine(
                key=str(n),
                sku=line.sku,
                qty=line.qty,
                unit_price=line.unit_price,
                rates=rates,
                line_discount=line.line_discount,
            )
        )
    cart = CartInput(tuple(lines))
    # The totals before cart discounts give the subtotal rule conditions compare against, and
    # are the answer itself for the many sales no cart discount applies to.
    undiscounted = compute_totals(cart, context.config)
    promotion = select_discounts(
        context.cart_rules,
        coupon_code=sale.coupon_code,
        on=day,
        customer_group_id=group_id,
        subtotal=undiscounted.subtotal,
        skus=[line.sku for line in sale.lines],
    )
    discounts = list(promotion.discounts)
    if sale.cart_discount_percent is not None:
        discounts.append(CartDiscount("by_percent", sale.cart_discount_percent, MANUAL_DISCOUNT_LABEL))
    totals = (
        compute_totals(CartInput(cart.lines, tuple(discounts)), context.config) if discounts else undiscounted
    )
    return PricedSale(totals, catalog_prices, promotion)
