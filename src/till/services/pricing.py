"""The store's pricing rules read for a batch of sales; the pricing itself is the domain's
(`till.domain.pricing.price_sale`, the twin of the till's `web/src/domain/cart.ts`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from till.domain.catalog import Product
from till.domain.locations import Location
from till.domain.pricing import PricedSale, PricingRules, price_sale
from till.domain.promotions import CartRule
from till.domain.sales import OrderError, Sale
from till.storage.uow import UnitOfWork


@dataclass(slots=True)
class PricingContext:
    """The store's tax and promotion rules, read once per batch, and its locations as asked for."""

    rules: PricingRules
    uow: UnitOfWork
    #: The batch's products by sku, read once by the caller.
    products: dict[str, Product] = field(default_factory=dict)
    _locations: dict[str, Location] = field(default_factory=dict)

    @classmethod
    def load(cls, uow: UnitOfWork) -> PricingContext:
        """Read the rules in the unit of work's transaction."""
        rules = PricingRules(
            config=uow.reference.tax_config(),
            rates=uow.reference.tax_rates(),
            rules=uow.reference.tax_rules(),
            cart_rules=[cart_rule(row) for row in uow.reference.cart_rule_rows()],
            groups=uow.reference.customer_groups(),
        )
        return cls(rules, uow)

    def location(self, code: str) -> Location:
        """A location (cached for the batch), or OrderError."""
        if code not in self._locations:
            found = self.uow.reference.location(code)
            if found is None:
                raise OrderError(f"unknown location {code}")
            self._locations[code] = found
        return self._locations[code]

    def price(
        self, sale: Sale, products: dict[str, Product], location: Location, group_id: int, day: date
    ) -> PricedSale:
        """A sale priced with these rules at the location, for a caller that drafts one (the
        load test, test helpers); placing a sale prices it in `till.domain.sales.accept_sale`."""
        return price_sale(
            self.rules,
            sale.lines,
            products,
            location.address,
            group_id=group_id,
            day=day,
            coupon_code=sale.coupon_code,
            cart_discount_percent=sale.cart_discount_percent,
        )


def cart_rule(row: dict[str, Any]) -> CartRule:
    """A stored cart rule as the domain has it."""
    skus = row.get("skus")
    minimum = row.get("min_subtotal")
    return CartRule(
        rule_id=str(row["id"]),
        name=row["name"],
        action=row["action"],
        amount=row["amount"],
        customer_group_ids=frozenset(int(g) for g in row["customer_groups"]),
        coupon_code=row.get("coupon_code"),
        label=row["name"],
        active=bool(row["active"]),
        from_date=row.get("from_date"),
        to_date=row.get("to_date"),
        min_subtotal=minimum,
        skus=None if skus is None else frozenset(skus),
        sort_order=int(row.get("sort_order") or 0),
        stop_further_rules=bool(row.get("stop_further_rules")),
    )
