"""Counting a POS sale's coupon in Magento, as far as Magento's REST API allows.

Magento counts a coupon when an order is *placed*: `SalesRule\\Model\\Coupon\\Quote\\
UpdateCouponUsages` (a plugin on quote submission, 2.4) hands the applied rules, the coupon and
the customer to `SalesRule\\Model\\Coupon\\Usage\\Processor`, which raises the coupon's
`times_used`, the rule's `times_used`, and the per-customer counts (`salesrule_customer`,
`salesrule_coupon_usage`). A POS order is saved through `OrderRepositoryInterface::save`,
which places nothing, so none of that happens (docs/magento.md, "Coupons").

What REST can do: `PUT /V1/coupons/:couponId` (`CouponRepositoryInterface::save`) merges the
given fields into the stored coupon, so Till sets `times_used` to what it read plus one. That is
the count `Utility::canProcessRule` checks against the coupon's usage limit. It is an absolute
write: a web order counted between Till's read and write is overwritten (one use lost), and a
crash after the write but before Till records it counts the sale twice on the retry. No route
writes the per-customer tables, which is why rules with a per-customer limit are not offered at
the till (`till.magento.pull.rules`). The rule's own `times_used` is left alone: its only route
(`PUT /V1/salesRules/:ruleId`) saves the whole rule.
"""

from __future__ import annotations

from typing import Any

from till.magento.client import MagentoClient


async def count_coupon_use(client: MagentoClient, code: str) -> dict[str, Any] | None:
    """Add one use to the coupon `code` in Magento; the coupon as saved, or None when Magento
    no longer has it (the rule was deleted since the sale)."""
    found = await client.search_all("/V1/coupons/search", [[("code", code, "eq")]])
    coupon = next((c for c in found if str(c.get("code", "")).casefold() == code.casefold()), None)
    if coupon is None:
        return None
    body = {
        "coupon_id": int(coupon["coupon_id"]),
        "rule_id": int(coupon["rule_id"]),
        "code": coupon["code"],
        "type": int(coupon.get("type") or 0),
        "times_used": int(coupon.get("times_used") or 0) + 1,
    }
    saved: dict[str, Any] = await client.put(
        "/V1/coupons/:couponId", {"coupon": body}, couponId=body["coupon_id"]
    )
    return saved
