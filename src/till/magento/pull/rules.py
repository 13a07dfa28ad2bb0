"""Pull Magento's cart price rules and their coupons into Till's promotions.

Magento's `salesrule` table has no `updated_at`, so every pull (delta or full) reads the rules
whole, as the tax data set does, and what changed goes into the `promotions` feed; a rule
Magento no longer has (or that no longer fits Till) leaves the tills. The shapes read are
Magento's `SalesRule\\Api\\Data\\RuleInterface`, `ConditionInterface`, `RuleLabelInterface` and
`CouponInterface`, as `SalesRule\\Model\\Converter\\ToDataModel` fills them.

Till's engine expresses a rule whose action is by_percent, by_fixed or cart_fixed, whose
conditions are at most "Subtotal (Excl. Tax) equals or greater than" and whose action
conditions are at most "SKU is / is one of", with no coupon or one specific coupon. Every other
rule is reported as not supported, by rule id, with the reason (`NOT_SUPPORTED_KEY` setting, the
pull report's `skipped`, and the log) and is not offered at the till.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, delete, select, update

from till.domain.money import round_money
from till.domain.promotions import CartRule, PromotionError
from till.magento.client import MagentoClient
from till.magento.pull.common import PullReport, _date, _dec, _finish_in, _upsert
from till.magento.pull.reference import store_ids
from till.storage import tables as t
from till.storage.feed import record_changes

log = logging.getLogger("till.magento.pull")

#: The setting that lists the rules Till does not offer: {rule id: reason}.
NOT_SUPPORTED_KEY = "magento_cart_rules_not_supported"
ACTIONS = ("by_percent", "by_fixed", "cart_fixed")
# `SalesRule\Model\Rule\Condition\*`: the condition classes Till reads.
COMBINE = "Magento\\SalesRule\\Model\\Rule\\Condition\\Combine"
ADDRESS = "Magento\\SalesRule\\Model\\Rule\\Condition\\Address"
PRODUCT_COMBINE = "Magento\\SalesRule\\Model\\Rule\\Condition\\Product\\Combine"
PRODUCT = "Magento\\SalesRule\\Model\\Rule\\Condition\\Product"
NAME_LENGTH = 128  # cart_rules.name
CODE_LENGTH = 64  # cart_rules.coupon_code


class NotSupported(Exception):
    """A rule Till's engine cannot express; the message says what in it."""


@dataclass(frozen=True, slots=True)
class _Coupon:
    code: str
    usage_limit: int
    times_used: int


def _children(condition: dict[str, Any] | None, combine: str, where: str) -> list[dict[str, Any]]:
    """The conditions of an "all of these are true" combination (None: no conditions)."""
    if not condition:
        return []
    if condition.get("condition_type") != combine:
        raise NotSupported(f"{where}: {condition.get('condition_type')} at the top")
    children = list(condition.get("conditions") or [])
    if children and (
        str(condition.get("aggregator_type") or "all") != "all"
        or str(condition.get("value") if condition.get("value") is not None else "1") not in ("1", "true")
    ):
        raise NotSupported(f"{where}: only 'if ALL of these conditions are TRUE' is supported")
    return children


def _min_subtotal(condition: dict[str, Any] | None) -> Decimal | None:
    minimum: Decimal | None = None
    for child in _children(condition, COMBINE, "conditions"):
        attribute, operator = child.get("attribute_name"), child.get("operator")
        value = _dec(child.get("value"))
        if (
            child.get("condition_type") != ADDRESS
            or attribute != "base_subtotal"
            or operator != ">="
            or value is None
            or minimum is not None
        ):
            raise NotSupported(
                f"condition {child.get('condition_type')} {attribute} {operator} {child.get('value')}"
            )
        minimum = value
    return minimum


def _skus(condition: dict[str, Any] | None) -> list[str] | None:
    skus: list[str] | None = None
    for child in _children(condition, PRODUCT_COMBINE, "action conditions"):
        attribute, operator = child.get("attribute_name"), child.get("operator")
        if child.get("condition_type") != PRODUCT or attribute != "sku" or operator not in ("==", "()"):
            raise NotSupported(
                f"action condition {child.get('condition_type')} {attribute} {operator} {child.get('value')}"
            )
        if skus is not None:
            raise NotSupported("more than one SKU action condition")
        # `Rule\Condition\Product::getValueParsed`: "is one of" splits on commas and trims.
        skus = sorted({s.strip() for s in str(child.get("value") or "").split(",") if s.strip()})
    return skus


def _label(rule: dict[str, Any], store_id: int | None) -> str:
    labels = {
        int(x.get("store_id") or 0): str(x.get("store_label") or "") for x in rule.get("store_labels") or []
    }
    return (labels.get(store_id or 0) or labels.get(0) or "").strip()


def _row(rule: dict[str, Any], coupons: dict[int, _Coupon], store_id: int | None) -> dict[str, Any]:
    """Till's cart_rules row for a Magento rule, or NotSupported."""
    rule_id = int(rule["rule_id"])
    action = str(rule.get("simple_action") or "")
    if action not in ACTIONS:
        raise NotSupported(f"action {action or 'none'}")
    amount = _dec(rule.get("discount_amount")) or Decimal(0)
    if round_money(amount) != amount:
        raise NotSupported(f"discount amount {amount} has more than two decimals")
    if (_dec(rule.get("discount_qty")) or 0) > 0:
        raise NotSupported("a maximum quantity the discount applies to")
    if int(rule.get("discount_step") or 0) > 0:
        raise NotSupported("a discount quantity step")
    if int(rule.get("uses_per_customer") or 0) > 0:
        raise NotSupported("uses per customer (a till cannot count them offline)")
    coupon_type = str(rule.get("coupon_type") or "NO_COUPON")
    code: str | None = None
    active = bool(rule.get("is_active"))
    if coupon_type == "SPECIFIC_COUPON" and not rule.get("use_auto_generation"):
        coupon = coupons.get(rule_id)
        if coupon is None:
            raise NotSupported("a specific coupon Magento did not list")
        if len(coupon.code) > CODE_LENGTH:
            raise NotSupported(f"a coupon code longer than {CODE_LENGTH} characters")
        code = coupon.code
        # `Utility::canProcessRule`: a used-up coupon gives no discount. The count is Magento's
        # as of this pull; sales made since, on the web or at tills, are not in it.
        if coupon.usage_limit and coupon.times_used >= coupon.usage_limit:
            active = False
    elif coupon_type != "NO_COUPON":
        raise NotSupported("auto-generated coupons")
    groups = sorted({int(g) for g in rule.get("customer_group_ids") or []})
    values: dict[str, Any] = {
        "name": (_label(rule, store_id) or str(rule.get("name") or f"Rule {rule_id}"))[:NAME_LENGTH],
        "coupon_code": code,
        "action": action,
        "amount": amount,
        "active": active,
        "from_date": _date(rule.get("from_date")),
        "to_date": _date(rule.get("to_date")),
        "customer_groups": groups,
        "min_subtotal": _min_subtotal(rule.get("condition")),
        "skus": _skus(rule.get("action_condition")),
        "sort_order": int(rule.get("sort_order") or 0),
        "stop_further_rules": bool(rule.get("stop_rules_processing")),
    }
    try:
        CartRule(
            rule_id=str(rule_id),
            name=values["name"],
            action=action,  # type: ignore[arg-type]
            amount=amount,
            customer_group_ids=frozenset(groups),
            coupon_code=code,
            from_date=values["from_date"],
            to_date=values["to_date"],
            min_subtotal=values["min_subtotal"],
        )
    except PromotionError as exc:
        raise NotSupported(str(exc)) from exc
    return values


async def _pull_promotions(engine: Engine, client: MagentoClient, report: PullReport) -> None:
    rules = await client.search_all("/V1/salesRules/search", sort=[("rule_id", "ASC")])
    specific = [
        int(r["rule_id"])
        for r in rules
        if r.get("coupon_type") == "SPECIFIC_COUPON" and not r.get("use_auto_generation")
    ]
    coupons: dict[int, _Coupon] = {}
    if specific:
        found = await client.search_all(
            "/V1/coupons/search",
            [[("rule_id", ",".join(str(i) for i in specific), "in")]],
            sort=[("coupon_id", "ASC")],
        )
        # A specific coupon is the rule's primary coupon (`salesrule_coupon.is_primary`).
        for coupon in (c for c in found if c.get("is_primary")):
            coupons[int(coupon["rule_id"])] = _Coupon(
                code=str(coupon["code"]),
                usage_limit=int(coupon.get("usage_limit") or 0),
                times_used=int(coupon.get("times_used") or 0),
            )
    views, _ = store_ids(engine)
    store_id = views.get(client.settings.store_code)
    website_id = _website_of(engine, store_id)
    not_supported: dict[str, str] = {}
    kept: dict[int, dict[str, Any]] = {}
    for rule in rules:
        rule_id = int(rule["rule_id"])
        if website_id is not None and website_id not in {int(w) for w in rule.get("website_ids") or []}:
            continue  # a rule of another website is not this store's
        try:
            kept[rule_id] = _row(rule, coupons, store_id)
        except NotSupported as exc:
            not_supported[str(rule_id)] = str(exc)
            log.warning("Magento cart rule %s is not supported at the till: %s", rule_id, exc)
    changed: list[str] = []
    with engine.begin() as conn:
        codes: dict[int, str | None] = {
            row.id: row.coupon_code
            for row in conn.execute(select(t.cart_rules.c.id, t.cart_rules.c.coupon_code))
        }
        gone = sorted(set(codes) - set(kept))
        # Coupon codes are unique: free the codes of leaving rules and of rules whose code
        # changes before any rule takes one (codes can move between rules in one pull).
        conn.execute(delete(t.cart_rules).where(t.cart_rules.c.id.in_(gone)))
        moving = [
            i for i in kept if i in codes and codes[i] is not None and codes[i] != kept[i]["coupon_code"]
        ]
        conn.execute(update(t.cart_rules).where(t.cart_rules.c.id.in_(moving)).values(coupon_code=None))
        for rule_id in sorted(kept):
            if _upsert(conn, t.cart_rules, {"id": rule_id}, kept[rule_id]) or rule_id in moving:
                changed.append(str(rule_id))
        _upsert(conn, t.settings, {"key": NOT_SUPPORTED_KEY}, {"value": not_supported})
        record_changes(conn, "promotions", changed)
        record_changes(conn, "promotions", [str(i) for i in gone], op="delete")
        _finish_in(conn, "promotions", len(rules))
    report.add("promotions", len(rules), len(changed) + len(gone), skipped=len(not_supported))


def _website_of(engine: Engine, store_id: int | None) -> int | None:
    if store_id is None:
        return None
    with engine.connect() as conn:
        value = conn.execute(select(t.settings.c.value).where(t.settings.c.key == "magento_stores")).scalar()
    for view in (value or {}).get("views") or []:
        if int(view["id"]) == store_id:
            return int(view["website_id"])
    return None


def not_supported_rules(engine: Engine) -> dict[str, str]:
    """The Magento cart rules the last pull could not offer at the till: {rule id: reason}."""
    with engine.connect() as conn:
        value = conn.execute(select(t.settings.c.value).where(t.settings.c.key == NOT_SUPPORTED_KEY)).scalar()
    return dict(value or {})
