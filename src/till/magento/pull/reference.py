"""Pull the reference data: stores, tax, customer groups, attributes and categories."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import cast

from sqlalchemy import Engine, delete, insert, select

from till.domain.catalog import (
    Attribute,
    AttributeOption,
    BackendType,
)
from till.magento.client import Filter, MagentoClient
from till.magento.pull.common import (
    BY_UPDATE,
    FIXED_ATTRIBUTES,
    IMAGE_URL,
    PullReport,
    _Context,
    _finish,
    _finish_in,
    _since,
    _upsert,
)
from till.storage import tables as t
from till.storage.feed import record_changes

# --- stores -------------------------------------------------------------------------------------------


async def _pull_stores(engine: Engine, client: MagentoClient, report: PullReport) -> None:
    websites, groups, views, configs = await asyncio.gather(
        client.get("/V1/store/websites"),
        client.get("/V1/store/storeGroups"),
        client.get("/V1/store/storeViews"),
        client.get("/V1/store/storeConfigs"),
    )
    value = {"websites": websites, "groups": groups, "views": views, "configs": configs}
    with engine.begin() as conn:
        changed = _upsert(conn, t.settings, {"key": "magento_stores"}, {"value": value})
        _finish_in(conn, "stores", len(views))
    report.add("stores", len(views), int(changed))


def store_ids(engine: Engine) -> tuple[dict[str, int], dict[str, int]]:
    """Pulled store views and websites: code -> id."""
    with engine.connect() as conn:
        value = conn.execute(select(t.settings.c.value).where(t.settings.c.key == "magento_stores")).scalar()
    value = value or {}
    views = {str(v["code"]): int(v["id"]) for v in value.get("views") or []}
    sites = {str(w["code"]): int(w["id"]) for w in value.get("websites") or []}
    return views, sites


def base_currency(engine: Engine, store_code: str) -> str | None:
    """The base currency of a pulled store view's website (`/V1/store/storeConfigs`)."""
    with engine.connect() as conn:
        value = conn.execute(select(t.settings.c.value).where(t.settings.c.key == "magento_stores")).scalar()
    for config in (value or {}).get("configs") or []:
        if str(config.get("code")) == store_code and config.get("base_currency_code"):
            return str(config["base_currency_code"])
    return None


# --- tax ------------------------------------------------------------------------------------------------


async def _pull_tax(engine: Engine, client: MagentoClient, ctx: _Context, report: PullReport) -> None:
    # Offset pages of a list without ORDER BY repeat and skip rows, so each list is sorted by
    # its unique key as its getList names it: Tax/Model/TaxClass/Repository.php (the column
    # class_id); Tax/Model/Calculation/RateRepository.php, whose SortingProcessor (Tax/etc/di.xml)
    # maps no field, so the rate's `id` is asked as its column tax_calculation_rate_id;
    # Tax/Model/TaxRuleRepository.php, whose SortingProcessor maps `id`.
    classes, rates, rules = await asyncio.gather(
        client.search_all("/V1/taxClasses/search", sort=[("class_id", "ASC")]),
        client.search_all("/V1/taxRates/search", sort=[("tax_calculation_rate_id", "ASC")]),
        client.search_all("/V1/taxRules/search", sort=[("id", "ASC")]),
    )
    ctx.tax_classes = {int(c["class_id"]): str(c["class_name"]) for c in classes}
    ctx.tax_classes.setdefault(0, "None")
    rate_codes = {int(r["id"]): str(r["code"]) for r in rates}
    changed: list[str] = []
    deleted: list[str] = []
    with engine.begin() as conn:
        _upsert(
            conn,
            t.settings,
            {"key": "magento_tax_classes"},
            {"value": {str(k): v for k, v in ctx.tax_classes.items()}},
        )
        for rate in rates:
            postcode = str(rate.get("tax_postcode") or "*")
            if rate.get("zip_is_range") and rate.get("zip_from") is not None:
                postcode = f"{rate['zip_from']}-{rate['zip_to']}"
            region = "*" if not rate.get("tax_region_id") else str(rate.get("region_name") or "*")
            values = {
                "country": str(rate["tax_country_id"]),
                "region": region,
                "postcode": postcode,
                "percent": Decimal(str(rate["rate"])),
            }
            if _upsert(conn, t.tax_rates, {"code": str(rate["code"])}, values):
                changed.append(f"rate:{rate['code']}")
        for rule in rules:
            values = {
                "customer_classes": sorted(
                    ctx.tax_classes.get(int(i), str(i)) for i in rule.get("customer_tax_class_ids") or []
                ),
                "product_classes": sorted(
                    ctx.tax_classes.get(int(i), str(i)) for i in rule.get("product_tax_class_ids") or []
                ),
                "rates": sorted(
                    rate_codes[int(i)] for i in rule.get("tax_rate_ids") or [] if int(i) in rate_codes
                ),
                "priority": int(rule.get("priority") or 0),
                "position": int(rule.get("position") or 0),
                "calculate_subtotal": bool(rule.get("calculate_subtotal")),
            }
            if _upsert(conn, t.tax_rules, {"code": str(rule["code"])}, values):
                changed.append(f"rule:{rule['code']}")
        # Rates and rules are read whole every time, so what Magento no longer has goes.
        gone_rules = [
            code
            for code in conn.execute(select(t.tax_rules.c.code)).scalars()
            if code not in {str(r["code"]) for r in rules}
        ]
        gone_rates = [
            code
            for code in conn.execute(select(t.tax_rates.c.code)).scalars()
            if code not in {str(r["code"]) for r in rates}
        ]
        if rules or rates:
            conn.execute(delete(t.tax_rules).where(t.tax_rules.c.code.in_(gone_rules)))
            conn.execute(delete(t.tax_rates).where(t.tax_rates.c.code.in_(gone_rates)))
            deleted = [f"rule:{c}" for c in gone_rules] + [f"rate:{c}" for c in gone_rates]
        record_changes(conn, "tax", changed)
        record_changes(conn, "tax", deleted, op="delete")
        _finish_in(conn, "tax", len(rates) + len(rules))
    report.add("tax", len(classes) + len(rates) + len(rules), len(changed) + len(deleted))


# --- customer groups -------------------------------------------------------------------------------------


async def _pull_groups(engine: Engine, client: MagentoClient, ctx: _Context, report: PullReport) -> None:
    # Customer/Model/ResourceModel/GroupRepository.php: GroupSortingProcessor maps `id` (and
    # sorts by it when asked nothing; asked all the same, as every list here is).
    groups = await client.search_all("/V1/customerGroups/search", sort=[("id", "ASC")])
    changed = 0
    with engine.begin() as conn:
        classes = ctx.tax_classes or {
            int(k): v
            for k, v in (
                conn.execute(
                    select(t.settings.c.value).where(t.settings.c.key == "magento_tax_classes")
                ).scalar()
                or {}
            ).items()
        }
        for group in groups:
            tax_class = str(
                group.get("tax_class_name") or classes.get(int(group.get("tax_class_id") or 0), "None")
            )
            values = {"code": str(group["code"]), "tax_class": tax_class}
            changed += _upsert(conn, t.customer_groups, {"id": int(group["id"])}, values)
        _finish_in(conn, "customer_groups", len(groups))
    report.add("customer_groups", len(groups), changed)


# --- attributes and attribute sets ---------------------------------------------------------------------


async def _pull_attributes(engine: Engine, client: MagentoClient, ctx: _Context, report: PullReport) -> None:
    # Sorted by their primary keys, columns of the tables Eav/Model/AttributeRepository.php and
    # Eav/Model/AttributeSetRepository.php list (framework SortingProcessor, no field mapping).
    attributes, sets = await asyncio.gather(
        client.search_all("/V1/products/attributes", sort=[("attribute_id", "ASC")]),
        client.search_all("/V1/products/attribute-sets/sets/list", sort=[("attribute_set_id", "ASC")]),
    )
    members = await asyncio.gather(
        *(
            client.get(
                "/V1/products/attribute-sets/:attributeSetId/attributes", attributeSetId=s["attribute_set_id"]
            )
            for s in sets
        )
    )
    ctx.attribute_codes = {int(a["attribute_id"]): str(a["attribute_code"]) for a in attributes}
    ctx.set_names = {int(s["attribute_set_id"]): str(s["attribute_set_name"]) for s in sets}
    changed = 0
    with engine.begin() as conn:
        kept: list[Attribute] = [IMAGE_URL]
        for raw in attributes:
            code = str(raw["attribute_code"])
            backend = str(raw.get("backend_type") or "static")
            if code in FIXED_ATTRIBUTES or backend not in ("varchar", "int", "decimal", "text", "datetime"):
                continue
            options = tuple(
                AttributeOption(str(o["value"]), str(o.get("label") or o["value"]).strip())
                for o in raw.get("options") or []
                if str(o.get("value", "")).strip() != ""
            )
            kept.append(
                Attribute(
                    code=code[:64],
                    label=str(raw.get("default_frontend_label") or code)[:128],
                    backend_type=cast(BackendType, backend),
                    frontend_input=str(raw.get("frontend_input") or "text")[:16],
                    options=options if raw.get("frontend_input") in ("select", "boolean") else (),
                    is_required=bool(raw.get("is_required")),
                )
            )
        for attribute in kept:
            ctx.attributes[attribute.code] = attribute
            values = {
                "label": attribute.label,
                "backend_type": attribute.backend_type,
                "frontend_input": attribute.frontend_input,
                "options": [{"value": o.value, "label": o.label} for o in attribute.options],
                "is_required": attribute.is_required,
            }
            changed += _upsert(conn, t.attributes, {"code": attribute.code}, values)
        for attribute_set, listed in zip(sets, members, strict=True):
            name = str(attribute_set["attribute_set_name"])[:64]
            if (
                conn.execute(select(t.attribute_sets.c.name).where(t.attribute_sets.c.name == name)).first()
                is None
            ):
                conn.execute(insert(t.attribute_sets).values(name=name))
                changed += 1
            codes = {str(a["attribute_code"]) for a in listed or []} & set(ctx.attributes)
            present = set(
                conn.execute(
                    select(t.attribute_set_members.c.attribute_code).where(
                        t.attribute_set_members.c.set_name == name
                    )
                ).scalars()
            )
            if codes - present:
                conn.execute(
                    insert(t.attribute_set_members),
                    [{"set_name": name, "attribute_code": c} for c in sorted(codes - present)],
                )
            if present - codes:
                conn.execute(
                    delete(t.attribute_set_members).where(
                        t.attribute_set_members.c.set_name == name,
                        t.attribute_set_members.c.attribute_code.in_(sorted(present - codes)),
                    )
                )
        _finish_in(conn, "attributes", len(attributes) + len(sets))
    report.add("attributes", len(attributes) + len(sets), changed)


# --- categories --------------------------------------------------------------------------------------------


async def _pull_categories(engine: Engine, client: MagentoClient, full: bool, report: PullReport) -> None:
    since = _since(engine, "categories", client.settings, full)
    filters: list[list[Filter]] = [[("updated_at", since, "gteq")]] if since else []
    items = await client.search_all("/V1/categories/list", filters, keys=BY_UPDATE)
    changed = 0
    newest: str | None = None
    with engine.begin() as conn:
        for item in items:
            parent = int(item.get("parent_id") or 0)
            values = {
                "name": str(item.get("name") or f"Category {item['id']}")[:128],
                "parent_id": parent or None,
                "position": int(item.get("position") or 0),
            }
            changed += _upsert(conn, t.categories, {"id": int(item["id"])}, values)
            newest = max(newest or "", str(item.get("updated_at") or "")) or newest
    _finish(engine, "categories", newest, len(items), full)
    report.add("categories", len(items), changed)
