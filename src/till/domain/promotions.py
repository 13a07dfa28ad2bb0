"""Simple cart price rules (Magento "Cart Price Rules") and coupon codes.

Selecting which rules apply to a cart follows `SalesRule\\Model\\Validator` and
`Utility::canProcessRule`: a rule must be active, within its from/to dates (both days included),
for the customer's group, and its conditions must hold; a rule with a coupon applies only when that
coupon was entered (compared case-insensitively, as Magento's coupon lookup does). The amounts
themselves are computed by `till.domain.totals`, which applies the selected `CartDiscount`s line
by line in sort order, honouring "discard subsequent rules" per line as `RulesApplier` does.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Literal

from till.domain.errors import DomainError
from till.domain.money import ZERO
from till.domain.totals import (
    DEFAULT_CONFIG,
    CartDiscount,
    CartInput,
    DiscountAction,
    TaxConfig,
    compute_totals,
)

__all__ = [
    "CartRule",
    "CouponRejection",
    "PromotionError",
    "PromotionResult",
    "RejectionReason",
    "cart_subtotal",
    "select_discounts",
]

RejectionReason = Literal[
    "unknown",
    "inactive",
    "not_yet_valid",
    "expired",
    "customer_group",
    "minimum_subtotal",
    "no_matching_items",
    "overridden",
]


class PromotionError(DomainError):
    """A cart rule that cannot be used as given (a negative amount, no customer group...)."""

    code = "promotion_invalid"


@dataclass(frozen=True, slots=True)
class CartRule:
    """A simple Magento cart price rule.

    `customer_group_ids` must name at least one group, as in Magento (0 is "NOT LOGGED IN").
    `min_subtotal` is the condition "Subtotal (Excl. Tax) equals or greater than".
    `skus`, when set, limits the action to those SKUs (Magento's action condition on SKU).
    """

    rule_id: str
    name: str
    action: DiscountAction
    amount: Decimal
    customer_group_ids: frozenset[int]
    coupon_code: str | None = None
    label: str = ""
    active: bool = True
    from_date: date | None = None
    to_date: date | None = None
    min_subtotal: Decimal | None = None
    skus: frozenset[str] | None = None
    sort_order: int = 0
    stop_further_rules: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite():
            raise PromotionError(f"cart rule {self.name!r}: the amount must be a decimal number")
        if self.action not in ("by_percent", "by_fixed", "cart_fixed"):
            raise PromotionError(
                f"cart rule {self.name!r}: action {self.action!r} is not by_percent, by_fixed or cart_fixed"
            )
        if self.amount < 0:
            raise PromotionError(f"cart rule {self.name!r}: the amount {self.amount} is negative")
        if self.action == "by_percent" and self.amount > 100:
            raise PromotionError(f"cart rule {self.name!r}: {self.amount}% is over 100%")
        if not self.customer_group_ids:
            raise PromotionError(f"cart rule {self.name!r} names no customer group")
        if self.coupon_code is not None and not self.coupon_code.strip():
            raise PromotionError(f"cart rule {self.name!r} has an empty coupon code")
        if self.from_date and self.to_date and self.from_date > self.to_date:
            raise PromotionError(f"cart rule {self.name!r} ends before it starts")
        if self.min_subtotal is not None and self.min_subtotal < 0:
            raise PromotionError(f"cart rule {self.name!r}: the minimum subtotal is negative")

    def discount(self) -> CartDiscount:
        """This rule's action as the totals engine takes it."""
        label = self.label or (self.coupon_code or self.name)
        return CartDiscount(self.action, self.amount, label, self.skus, self.stop_further_rules)


@dataclass(frozen=True, slots=True)
class CouponRejection:
    """Why an entered coupon gives no discount, in words a cashier can repeat to the customer."""

    coupon: str
    reason: RejectionReason
    message: str


@dataclass(frozen=True, slots=True)
class PromotionResult:
    """The discounts for a cart, in the order they apply, and the coupon's fate."""

    discounts: tuple[CartDiscount, ...]
    rule_ids: tuple[str, ...]
    coupon_code: str | None = None
    coupon_rejection: CouponRejection | None = None


def _normalise(code: str) -> str:
    return code.strip().casefold()


def _failure(
    rule: CartRule, on: date, customer_group_id: int, subtotal: Decimal, skus: Collection[str]
) -> tuple[RejectionReason, str] | None:
    """Why this rule cannot apply to the cart, or None if it can (`Utility::canProcessRule`)."""
    if not rule.active:
        return "inactive", "is not active"
    if rule.from_date is not None and on < rule.from_date:
        return "not_yet_valid", f"is valid from {rule.from_date.isoformat()}"
    if rule.to_date is not None and on > rule.to_date:
        return "expired", f"expired on {rule.to_date.isoformat()}"
    if customer_group_id not in rule.customer_group_ids:
        return "customer_group", "is not for this customer's group"
    if rule.min_subtotal is not None and subtotal < rule.min_subtotal:
        short = rule.min_subtotal - subtotal
        return (
            "minimum_subtotal",
            f"needs a subtotal of at least {rule.min_subtotal} ({short} more)",
        )
    if rule.skus is not None and not any(sku in rule.skus for sku in skus):
        return "no_matching_items", "applies to none of the items in the cart"
    return None


def select_discounts(
    rules: Sequence[CartRule],
    *,
    coupon_code: str | None,
    on: date,
    customer_group_id: int,
    subtotal: Decimal,
    skus: Collection[str],
) -> PromotionResult:
    """The cart rules that apply to a cart, as discounts for `compute_totals`; the coupon's fate.

    `subtotal` is the cart's subtotal excl. tax before discounts (see `cart_subtotal`) and `skus`
    the SKUs in the cart. Rules run by `sort_order`, ties in the given order.
    """
    by_code: dict[str, CartRule] = {}
    for rule in rules:
        if rule.coupon_code is not None:
            key = _normalise(rule.coupon_code)
            if key in by_code:
                raise PromotionError(
                    f"cart rules {by_code[key].name!r} and {rule.name!r} share the coupon "
                    f"{rule.coupon_code!r}"
                )
            by_code[key] = rule
    entered = _normalise(coupon_code) if coupon_code and coupon_code.strip() else None
    coupon_rule = by_code.get(entered) if entered is not None else None

    ordered = sorted(enumerate(rules), key=lambda pair: (pair[1].sort_order, pair[0]))
    chosen: list[CartRule] = []
    for _, rule in ordered:
        if rule.coupon_code is not None and rule is not coupon_rule:
            continue
        if _failure(rule, on, customer_group_id, subtotal, skus) is None:
            chosen.append(rule)

    rejection: CouponRejection | None = None
    accepted: str | None = None
    if entered is not None:
        shown = (coupon_code or "").strip()
        if coupon_rule is None:
            rejection = CouponRejection(shown, "unknown", f'The coupon "{shown}" does not exist.')
        else:
            failure = _failure(coupon_rule, on, customer_group_id, subtotal, skus)
            if failure is None and _overridden(coupon_rule, chosen, skus):
                failure = ("overridden", "is replaced by another promotion on every item")
                chosen.remove(coupon_rule)
            if failure is not None:
                reason, why = failure
                rejection = CouponRejection(shown, reason, f'The coupon "{shown}" {why}.')
            else:
                accepted = coupon_rule.coupon_code
    return PromotionResult(
        discounts=tuple(rule.discount() for rule in chosen),
        rule_ids=tuple(rule.rule_id for rule in chosen),
        coupon_code=accepted,
        coupon_rejection=rejection,
    )


def _overridden(coupon_rule: CartRule, chosen: Sequence[CartRule], skus: Collection[str]) -> bool:
    """Whether earlier "discard subsequent rules" rules keep the coupon off every eligible item.

    Magento only keeps a coupon on the cart when its rule was applied to at least one item.
    """
    earlier = chosen[: chosen.index(coupon_rule)]
    for sku in skus:
        if coupon_rule.skus is not None and sku not in coupon_rule.skus:
            continue
        stopped = any(rule.stop_further_rules and (rule.skus is None or sku in rule.skus) for rule in earlier)
        if not stopped:
            return False
    return True


def cart_subtotal(cart: CartInput, config: TaxConfig = DEFAULT_CONFIG) -> Decimal:
    """The cart's subtotal excl. tax before cart discounts: what rule conditions compare against."""
    if not cart.lines:
        return ZERO
    return compute_totals(replace(cart, discounts=()), config).subtotal
