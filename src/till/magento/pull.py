"""Pull Magento's data into Till's model, and every change into Till's change feed.

Data sets, in the order they are pulled (later ones need the earlier ones' ids):
`stores`, `tax` (classes, rates, rules), `customer_groups`, `attributes` (EAV attributes and
attribute sets), `categories`, `products` (custom attributes, configurables and their
children, special and tier prices, image URL), `customers`, `inventory` (MSI sources, stocks,
stock-source links) and `stock` (source items and salable quantities).

A delta pull asks for `updated_at >= last seen - overlap` (Magento stores it in UTC), sorted
by `updated_at` then `entity_id`; the overlap re-reads rows committed late or stamped by a
skewed clock, and applying a row twice is harmless (upserts by key). A full pull reads
everything and also removes (disables) what Magento no longer has. Only what actually changed
goes into the change feed, so a delta that re-reads the overlap does not wake every till.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, and_, delete, func, insert, select, update

from till.domain.catalog import (
    Attribute,
    AttributeOption,
    BackendType,
    CatalogError,
    Product,
    ProductType,
    SpecialPrice,
    TierPrice,
)
from till.domain.inventory import Reservation
from till.domain.money import round_money, round_qty
from till.magento.client import Filter, MagentoClient, MagentoError, MagentoUnavailable
from till.magento.links import (
    all_pull_states,
    baselines,
    in_flight,
    links_of,
    pull_state,
    save_baseline,
    save_link,
    save_pull_state,
    till_id_for,
)
from till.magento.settings import MagentoSettings
from till.storage import tables as t
from till.storage.catalog_write import product_row, replace_tier_prices, replace_values
from till.storage.db import inserted_id
from till.storage.feed import record_changes, stamp_pending
from till.storage.stock import StockRepository

log = logging.getLogger("till.magento.pull")

DATASETS = (
    "stores",
    "tax",
    "customer_groups",
    "attributes",
    "categories",
    "products",
    "customers",
    "inventory",
    "stock",
)
#: Magento's "ALL GROUPS" customer group id in tier prices.
ALL_GROUPS_ID = 32000
#: Attributes that are columns of Till's product (or Magento bookkeeping), not EAV values.
FIXED_ATTRIBUTES = frozenset(
    {
        "sku",
        "name",
        "price",
        "status",
        "special_price",
        "special_from_date",
        "special_to_date",
        "tax_class_id",
        "category_ids",
        "tier_price",
        "media_gallery",
        "quantity_and_stock_status",
        "options_container",
        "has_options",
        "required_options",
        "image",
        "small_image",
        "thumbnail",
        "swatch_image",
        "url_path",
        "msrp_display_actual_price_type",
        "page_layout",
        "custom_layout_update_file",
    }
)
IMAGE_URL = Attribute(code="image_url", label="Image URL", backend_type="varchar", frontend_input="text")
MAGENTO_OFFSET = "magento"
Progress = Callable[[str, int, int], None]


@dataclass
class PullReport:
    """What a pull read and what it changed, per data set."""

    read: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)

    def add(self, dataset: str, read: int = 0, changed: int = 0, skipped: int = 0) -> None:
        self.read[dataset] = self.read.get(dataset, 0) + read
        self.changed[dataset] = self.changed.get(dataset, 0) + changed
        if skipped:
            self.skipped[dataset] = self.skipped.get(dataset, 0) + skipped


@dataclass
class _Context:
    """Ids Magento uses in one data set and names Till uses, gathered along the pull."""

    tax_classes: dict[int, str] = field(default_factory=dict)
    attribute_codes: dict[int, str] = field(default_factory=dict)
    attributes: dict[str, Attribute] = field(default_factory=dict)
    set_names: dict[int, str] = field(default_factory=dict)
    touched_skus: set[str] = field(default_factory=set)


def magento_time(moment: datetime) -> str:
    """A moment as Magento's `updated_at` (UTC, seconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _parse_time(value: str) -> datetime:
    return datetime.strptime(value[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def _dec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value)[:10]).date()
    except ValueError:
        return None


def _custom(item: dict[str, Any]) -> dict[str, Any]:
    return {a["attribute_code"]: a.get("value") for a in item.get("custom_attributes") or []}


def _upsert(conn: Connection, table: Table, keys: dict[str, Any], values: dict[str, Any]) -> bool:
    """Update the row with these keys, or insert it; True when something differed."""
    where = and_(*(table.c[k] == v for k, v in keys.items()))
    current = conn.execute(select(*(table.c[k] for k in values)).where(where)).first()
    if current is None:
        conn.execute(insert(table).values(**keys, **values))
        return True
    if all(_same(getattr(current, k), v) for k, v in values.items()):
        return False
    conn.execute(update(table).where(where).values(**values))
    return True


def _norm(value: Any) -> str:
    """A stored or pulled EAV value in one comparable form (4-place decimals, UTC moments)."""
    if isinstance(value, Decimal | float):
        return str(Decimal(str(value)).quantize(Decimal("0.0001")))
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _same(stored: Any, new: Any) -> bool:
    if isinstance(new, Decimal) and stored is not None:
        return Decimal(str(stored)).quantize(Decimal("0.0001")) == new.quantize(Decimal("0.0001"))
    if isinstance(new, datetime):
        return True  # timestamps of our own making never count as a change
    return bool(stored == new)


# --- the pull --------------------------------------------------------------------------------------


async def pull(
    engine: Engine,
    client: MagentoClient,
    *,
    full: bool = False,
    datasets: Sequence[str] = DATASETS,
    progress: Progress | None = None,
) -> PullReport:
    """Pull the data sets from Magento into Till; a delta unless `full`."""
    unknown = [d for d in datasets if d not in DATASETS]
    if unknown:
        raise ValueError(f"unknown data sets {unknown}; there are {', '.join(DATASETS)}")
    report = PullReport()
    ctx = _Context()
    settings = client.settings
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("stores", lambda: _pull_stores(engine, client, report)),
        ("tax", lambda: _pull_tax(engine, client, ctx, report)),
        ("customer_groups", lambda: _pull_groups(engine, client, ctx, report)),
        ("attributes", lambda: _pull_attributes(engine, client, ctx, report)),
        ("categories", lambda: _pull_categories(engine, client, full, report)),
        ("products", lambda: _pull_products(engine, client, ctx, full, report, progress)),
        ("customers", lambda: _pull_customers(engine, client, full, report, progress)),
        ("inventory", lambda: _pull_inventory(engine, client, settings, report)),
        ("stock", lambda: _pull_stock(engine, client, ctx, full, report, progress)),
    ]
    wanted = set(datasets)
    # Products need tax classes and attributes' ids even when only products are asked for.
    if "products" in wanted:
        wanted |= {"tax", "attributes"}
    for name, step in steps:
        if name not in wanted:
            continue
        if progress:
            progress(name, 0, 0)
        try:
            await step()
        except Exception as exc:
            with engine.begin() as conn:
                save_pull_state(conn, name, updated_since=None, items=0, full=full, error=str(exc)[:2000])
            raise
    stamp_pending(engine)
    return report


async def pull_deltas(engine: Engine, client: MagentoClient) -> PullReport:
    """What the scheduler runs every few seconds: every data set's changes since the last pull."""
    return await pull(engine, client, full=False)


def _since(engine: Engine, dataset: str, settings: MagentoSettings, full: bool) -> str | None:
    if full:
        return None
    with engine.connect() as conn:
        state = pull_state(conn, dataset)
    if state is None or not state["updated_since"]:
        return None
    start = _parse_time(state["updated_since"]) - timedelta(seconds=settings.overlap_seconds)
    return magento_time(start)


def _finish(engine: Engine, dataset: str, newest: str | None, items: int, full: bool) -> None:
    with engine.begin() as conn:
        previous = pull_state(conn, dataset)
        kept = newest or (previous["updated_since"] if previous else None)
        save_pull_state(conn, dataset, updated_since=kept, items=items, full=full)


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


def _finish_in(conn: Connection, dataset: str, items: int) -> None:
    save_pull_state(conn, dataset, updated_since=None, items=items, full=True)


def store_ids(engine: Engine) -> tuple[dict[str, int], dict[str, int]]:
    """Pulled store views and websites: code -> id."""
    with engine.connect() as conn:
        value = conn.execute(select(t.settings.c.value).where(t.settings.c.key == "magento_stores")).scalar()
    value = value or {}
    views = {str(v["code"]): int(v["id"]) for v in value.get("views") or []}
    sites = {str(w["code"]): int(w["id"]) for w in value.get("websites") or []}
    return views, sites


# --- tax ------------------------------------------------------------------------------------------------


async def _pull_tax(engine: Engine, client: MagentoClient, ctx: _Context, report: PullReport) -> None:
    classes, rates, rules = await asyncio.gather(
        client.search_all("/V1/taxClasses/search"),
        client.search_all("/V1/taxRates/search"),
        client.search_all("/V1/taxRules/search"),
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
    groups = await client.search_all("/V1/customerGroups/search")
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
    attributes, sets = await asyncio.gather(
        client.search_all("/V1/products/attributes"),
        client.search_all("/V1/products/attribute-sets/sets/list"),
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
    items = await client.search_all(
        "/V1/categories/list", filters, sort=[("updated_at", "ASC"), ("entity_id", "ASC")]
    )
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


# --- products ----------------------------------------------------------------------------------------------


def _product(item: dict[str, Any], ctx: _Context, settings: MagentoSettings) -> tuple[Product, list[int]]:
    """A Magento product as Till's, and (for a configurable) its children's Magento ids."""
    custom = _custom(item)
    ext = item.get("extension_attributes") or {}
    kind = str(item.get("type_id") or "simple")
    type_map: dict[str, ProductType] = {
        "simple": "simple",
        "virtual": "virtual",
        "downloadable": "virtual",
        "giftcard": "virtual",
        "configurable": "configurable",
    }
    if kind not in type_map:
        raise CatalogError(f"{item.get('sku')}: {kind} products are not sold at a till")
    price = round_money(_dec(item.get("price")) or Decimal(0))
    special = None
    special_price = _dec(custom.get("special_price"))
    if special_price is not None:
        special = SpecialPrice(
            round_money(special_price),
            _date(custom.get("special_from_date")),
            _date(custom.get("special_to_date")),
        )
    tiers: list[TierPrice] = []
    for tier in item.get("tier_prices") or []:
        value = _dec(tier.get("value"))
        percent = _dec((tier.get("extension_attributes") or {}).get("percentage_value"))
        if percent is not None:
            value = price * (100 - percent) / 100
        if value is None:
            continue
        group = int(tier.get("customer_group_id") or 0)
        tiers.append(
            TierPrice(
                round_qty(_dec(tier.get("qty")) or Decimal(1)),
                round_money(value),
                None if group == ALL_GROUPS_ID else group,
            )
        )
    attributes: dict[str, Any] = {}
    for code, raw in custom.items():
        attribute = ctx.attributes.get(code)
        if attribute is None or raw is None or raw == "" or isinstance(raw, list | dict):
            continue
        try:
            attributes[code] = attribute.coerce(raw)
        except CatalogError:
            log.debug("%s: skipped %s=%r", item.get("sku"), code, raw)
    images = item.get("media_gallery_entries") or []
    main = next((i for i in images if "image" in (i.get("types") or [])), images[0] if images else None)
    if main and main.get("file"):
        url = f"{settings.base_url.rstrip('/')}/media/catalog/product{main['file']}"
        if len(url) <= 255:
            attributes["image_url"] = url
    options = ext.get("configurable_product_options") or []
    config_codes = tuple(
        ctx.attribute_codes[int(o["attribute_id"])]
        for o in options
        if int(o["attribute_id"]) in ctx.attribute_codes
    )
    categories = {int(c["category_id"]) for c in ext.get("category_links") or []}
    categories |= {int(c) for c in custom.get("category_ids") or [] if str(c).isdigit()}
    barcode = custom.get(settings.barcode_attribute)
    product = Product(
        sku=str(item["sku"]),
        name=str(item.get("name") or item["sku"])[:255],
        type=type_map[kind],
        price=price,
        attribute_set=ctx.set_names.get(int(item.get("attribute_set_id") or 0), "Default")[:64],
        enabled=int(item.get("status") or 1) == 1,
        tax_class=ctx.tax_classes.get(int(custom.get("tax_class_id") or 0), "None"),
        barcode=str(barcode)[:64] if barcode else None,
        special_price=special,
        tier_prices=tuple(tiers),
        category_ids=tuple(sorted(categories)),
        attributes=attributes,
        configurable_attributes=config_codes,
    )
    children = [int(c) for c in ext.get("configurable_product_links") or []]
    return product, children


#: Product columns a pull does not write: Till's own id, the key, and the parent (set by the
#: parent in `_link_children`, so a child pulled alone keeps its parent).
_NOT_PULLED = ("id", "sku", "updated_at", "parent_sku")


def _save_products(
    conn: Connection, ctx: _Context, batch: Sequence[tuple[Product, int]], now: datetime
) -> list[str]:
    """Upsert a page of products with their EAV values and tier prices. What is stored is read
    in one query per table, and only what differs is written; returns the skus that changed."""
    if not batch:
        return []
    skus = [product.sku for product, _ in batch]
    known_sets = set(conn.execute(select(t.attribute_sets.c.name)).scalars())
    for name in sorted({product.attribute_set for product, _ in batch} - known_sets):
        conn.execute(insert(t.attribute_sets).values(name=name))
    stored = {row.sku: row for row in conn.execute(select(t.products).where(t.products.c.sku.in_(skus)))}
    ids = [int(row.id) for row in stored.values()]
    eav: dict[str, dict[int, dict[str, Any]]] = {backend: {} for backend in t.product_values}
    tiers: dict[int, list[tuple[str, str, str]]] = {}
    if ids:
        for backend, table in t.product_values.items():
            query = select(table.c.product_id, table.c.attribute_code, table.c.value).where(
                table.c.product_id.in_(ids)
            )
            for product_id, code, value in conn.execute(query):
                eav[backend].setdefault(int(product_id), {})[code] = value
        for r in conn.execute(select(t.tier_prices).where(t.tier_prices.c.product_id.in_(ids))):
            tiers.setdefault(int(r.product_id), []).append(
                (
                    str(r.customer_group_id),
                    str(r.qty),
                    str(r.price),
                )
            )
    linked = {
        sku: magento_id
        for sku, magento_id in conn.execute(
            select(t.magento_links.c.till_id, t.magento_links.c.magento_id).where(
                t.magento_links.c.kind == "product", t.magento_links.c.till_id.in_(skus)
            )
        )
    }
    changed: list[str] = []
    for product, magento_id in batch:
        values = {k: v for k, v in product_row(0, product, now).items() if k not in _NOT_PULLED}
        row = stored.get(product.sku)
        differs = row is None
        if row is None:
            result = conn.execute(insert(t.products).values(sku=product.sku, updated_at=now, **values))
            product_id = inserted_id(result)
        else:
            product_id = int(row.id)
            if not all(_same(getattr(row, k), v) for k, v in values.items()):
                conn.execute(
                    update(t.products).where(t.products.c.id == product_id).values(updated_at=now, **values)
                )
                differs = True
        for backend in t.product_values:
            wanted = {
                code: value
                for code, value in product.attributes.items()
                if code in ctx.attributes and ctx.attributes[code].backend_type == backend
            }
            have = eav[backend].get(product_id, {})
            if {k: _norm(v) for k, v in have.items()} != {k: _norm(v) for k, v in wanted.items()}:
                replace_values(conn, product_id, backend, wanted)
                differs = True
        wanted_tiers = sorted(
            (str(tp.customer_group_id), str(tp.qty), str(tp.price)) for tp in product.tier_prices
        )
        if wanted_tiers != sorted(tiers.get(product_id, [])):
            replace_tier_prices(conn, product_id, product.tier_prices)
            differs = True
        if linked.get(product.sku) != str(magento_id):
            save_link(conn, "product", product.sku, str(magento_id))
        if differs:
            changed.append(product.sku)
    return changed


async def _pull_products(
    engine: Engine,
    client: MagentoClient,
    ctx: _Context,
    full: bool,
    report: PullReport,
    progress: Progress | None,
) -> None:
    since = _since(engine, "products", client.settings, full)
    filters: list[list[Filter]] = [[("updated_at", since, "gteq")]] if since else []
    newest: str | None = None
    read = changed = skipped = 0
    seen: set[str] = set()
    parents: dict[str, list[int]] = {}
    now = datetime.now(UTC)
    async for items, total in client.search(
        "/V1/products", filters, sort=[("updated_at", "ASC"), ("entity_id", "ASC")]
    ):
        batch: list[tuple[Product, int]] = []
        for item in items:
            read += 1
            newest = max(newest or "", str(item.get("updated_at") or "")) or newest
            try:
                product, children = _product(item, ctx, client.settings)
            except (CatalogError, KeyError, ValueError) as exc:
                skipped += 1
                log.info("product %s not pulled: %s", item.get("sku"), exc)
                continue
            seen.add(product.sku)
            if children:
                parents[product.sku] = children
            batch.append((product, int(item["id"])))
        with engine.begin() as conn:
            changed_skus = _save_products(conn, ctx, batch, now)
            record_changes(conn, "products", changed_skus)
            record_changes(conn, "prices", changed_skus)
        changed += len(changed_skus)
        ctx.touched_skus.update(changed_skus)
        if progress:
            progress("products", read, total)
    changed += _link_children(engine, parents)
    if full:
        changed += _disable_missing(engine, seen)
    _finish(engine, "products", newest, read, full)
    report.add("products", read, changed, skipped)


def _link_children(engine: Engine, parents: dict[str, list[int]]) -> int:
    """Give each configurable's children their parent's sku (children may be pulled earlier)."""
    changed: list[str] = []
    with engine.begin() as conn:
        for parent_sku, child_ids in parents.items():
            for child_id in child_ids:
                sku = till_id_for(conn, "product", str(child_id))
                if sku is None:
                    continue
                moved = conn.execute(
                    update(t.products)
                    .where(
                        t.products.c.sku == sku,
                        (t.products.c.parent_sku != parent_sku) | t.products.c.parent_sku.is_(None),
                    )
                    .values(parent_sku=parent_sku)
                ).rowcount
                if moved:
                    changed.append(sku)
        record_changes(conn, "products", changed)
    return len(changed)


def _disable_missing(engine: Engine, seen: set[str]) -> int:
    """After a full pull: products linked to Magento that Magento no longer lists are disabled."""
    with engine.begin() as conn:
        linked = links_of(conn, "product")
        gone = sorted(sku for sku in linked if sku not in seen)
        if gone:
            conn.execute(update(t.products).where(t.products.c.sku.in_(gone)).values(enabled=False))
            record_changes(conn, "products", gone)
    return len(gone)


# --- customers ----------------------------------------------------------------------------------------------


async def _pull_customers(
    engine: Engine, client: MagentoClient, full: bool, report: PullReport, progress: Progress | None
) -> None:
    since = _since(engine, "customers", client.settings, full)
    filters: list[list[Filter]] = [[("updated_at", since, "gteq")]] if since else []
    newest: str | None = None
    read = changed = skipped = 0
    now = datetime.now(UTC)
    async for items, total in client.search(
        "/V1/customers/search", filters, sort=[("updated_at", "ASC"), ("entity_id", "ASC")]
    ):
        keys: list[str] = []
        with engine.begin() as conn:
            groups = set(conn.execute(select(t.customer_groups.c.id)).scalars())
            for item in items:
                read += 1
                newest = max(newest or "", str(item.get("updated_at") or "")) or newest
                group = int(item.get("group_id") or 1)
                email = str(item.get("email") or "").lower()
                if not email or group not in groups:
                    skipped += 1
                    continue
                phones = [a.get("telephone") for a in item.get("addresses") or [] if a.get("telephone")]
                values = {
                    "email": email,
                    "firstname": str(item.get("firstname") or "")[:128],
                    "lastname": str(item.get("lastname") or "")[:128],
                    "phone": str(phones[0])[:32] if phones else None,
                    "group_id": group,
                }
                till_id = till_id_for(conn, "customer", str(item["id"]))
                if till_id is None:
                    known = conn.execute(
                        select(t.customers.c.id).where(t.customers.c.email == email)
                    ).scalar()
                    till_id = None if known is None else str(known)
                if till_id is None:
                    result = conn.execute(
                        insert(t.customers).values(**values, created_at=now, updated_at=now)
                    )
                    key = result.inserted_primary_key
                    assert key is not None
                    till_id = str(key[0])
                    keys.append(till_id)
                elif _upsert(conn, t.customers, {"id": int(till_id)}, {**values, "updated_at": now}):
                    keys.append(till_id)
                save_link(conn, "customer", till_id, str(item["id"]))
            record_changes(conn, "customers", keys)
        changed += len(keys)
        if progress:
            progress("customers", read, total)
    _finish(engine, "customers", newest, read, full)
    report.add("customers", read, changed, skipped)


# --- MSI: sources, stocks, links ----------------------------------------------------------------------------


async def _pull_inventory(
    engine: Engine, client: MagentoClient, settings: MagentoSettings, report: PullReport
) -> None:
    sources, stocks, links = await asyncio.gather(
        client.search_all("/V1/inventory/sources"),
        client.search_all("/V1/inventory/stocks"),
        client.search_all("/V1/inventory/stock-source-links"),
    )
    changed = 0
    with engine.begin() as conn:
        for source in sources:
            values = {
                "name": str(source.get("name") or source["source_code"])[:128],
                "enabled": bool(source.get("enabled", True)),
            }
            changed += _upsert(conn, t.sources, {"code": str(source["source_code"])}, values)
        for stock in stocks:
            changed += _upsert(
                conn, t.stocks, {"id": int(stock["stock_id"])}, {"name": str(stock.get("name") or "")[:128]}
            )
        # Which stocks sell on a website: only those ever hold reservations (an order's stock is
        # its website's), so only those need Magento's salable quantity asked for.
        channels = {
            str(stock["stock_id"]): (stock.get("extension_attributes") or {}).get("sales_channels") or []
            for stock in stocks
        }
        _upsert(conn, t.settings, {"key": "magento_sales_channels"}, {"value": channels})
        wanted = {
            (int(link["stock_id"]), str(link["source_code"])): int(link.get("priority") or 0)
            for link in links
        }
        present = {(int(r.stock_id), str(r.source_code)) for r in conn.execute(select(t.stock_sources))}
        for (stock_id, source_code), priority in sorted(wanted.items()):
            changed += _upsert(
                conn,
                t.stock_sources,
                {"stock_id": stock_id, "source_code": source_code},
                {"priority": priority},
            )
        for stock_id, source_code in sorted(present - set(wanted)):
            conn.execute(
                delete(t.stock_sources).where(
                    t.stock_sources.c.stock_id == stock_id, t.stock_sources.c.source_code == source_code
                )
            )
            changed += 1
        # A Till location sells from the stock and hands over from the source it is mapped to.
        for code, mapping in settings.locations.items():
            changed += conn.execute(
                update(t.locations)
                .where(
                    t.locations.c.code == code,
                    (t.locations.c.source_code != mapping.source)
                    | (t.locations.c.stock_id != mapping.stock_id),
                )
                .values(source_code=mapping.source, stock_id=mapping.stock_id)
            ).rowcount
        _finish_in(conn, "inventory", len(sources) + len(stocks) + len(links))
    report.add("inventory", len(sources) + len(stocks) + len(links), changed)


# --- MSI: source items and salable quantities ------------------------------------------------


async def _pull_stock(
    engine: Engine,
    client: MagentoClient,
    ctx: _Context,
    full: bool,
    report: PullReport,
    progress: Progress | None,
    only_skus: Iterable[str] | None = None,
) -> None:
    """Source items carry no `updated_at` in MSI, so the sources tills sell from are read whole
    and compared with Magento's quantities as last seen (the baseline). Only what moved in
    Magento is added to Till's quantity: a Till sale still on its way to Magento is never undone
    by a pull. Salable quantities are asked for the skus that moved (all, on a full pull)."""
    with engine.connect() as conn:
        stock_ids = sorted({int(s) for s in conn.execute(select(t.locations.c.stock_id)).scalars()})
        source_codes = sorted(
            {
                str(s)
                for s in conn.execute(
                    select(t.stock_sources.c.source_code).where(t.stock_sources.c.stock_id.in_(stock_ids))
                ).scalars()
            }
        )
        sellable = set(
            conn.execute(select(t.products.c.sku).where(t.products.c.type != "configurable")).scalars()
        )
    if not source_codes:
        report.add("stock")
        return
    filters: list[list[Filter]] = [[("source_code", ",".join(source_codes), "in")]]
    wanted = sorted(set(only_skus)) if only_skus is not None else None
    if wanted is not None:
        if not wanted:
            return
        filters.append([("sku", ",".join(wanted), "in")])
    read = 0
    moved: set[str] = set()
    async for items, total in client.search("/V1/inventory/source-items", filters, sort=[("sku", "ASC")]):
        with engine.begin() as conn:
            busy = in_flight(conn)
            keys = [(str(i["sku"]), str(i["source_code"])) for i in items]
            seen = baselines(conn, keys)
            stock = StockRepository(conn)
            for item, key in zip(items, keys, strict=True):
                read += 1
                sku, source = key
                if sku not in sellable or key in busy:
                    continue  # not sold at a till, or Till's own write to it is still in flight
                quantity = round_qty(Decimal(str(item.get("quantity") or 0)))
                status = int(item.get("status") or 0)
                before = seen.get(key)
                if before is None:
                    # First sight: Magento's quantity is the truth.
                    _upsert(
                        conn,
                        t.source_items,
                        {"sku": sku, "source_code": source},
                        {"quantity": quantity, "in_stock": status == 1, "updated_at": datetime.now(UTC)},
                    )
                    moved.add(sku)
                elif before != (quantity, status):
                    if quantity != before[0]:
                        stock.change_source_quantity(sku, source, quantity - before[0])
                    if status != before[1]:
                        conn.execute(
                            update(t.source_items)
                            .where(t.source_items.c.sku == sku, t.source_items.c.source_code == source)
                            .values(in_stock=status == 1)
                        )
                    moved.add(sku)
                else:
                    continue
                save_baseline(conn, sku, source, quantity, status)
        if progress:
            progress("stock", read, total)
    if wanted is not None:
        asked = sorted(set(wanted) & sellable)
    elif full:
        asked = sorted(sellable)
    else:
        # Web orders change Magento's salable quantity without touching a product or a source
        # item, so a delta also sweeps a slice of every sku (the next `page_size`, wrapping).
        asked = sorted(
            moved
            | (ctx.touched_skus & sellable)
            | _sweep(engine, sorted(sellable), client.settings.page_size)
        )
    with engine.connect() as conn:
        channels = conn.execute(
            select(t.settings.c.value).where(t.settings.c.key == "magento_sales_channels")
        ).scalar()
    # A stock without a sales channel has no reservations: its salable quantity is its sources'.
    selling = [s for s in stock_ids if channels is None or channels.get(str(s), [None])]
    salable = await _salable(client, selling, asked, progress)
    if channels is not None:
        _drop_offsets(engine, [s for s in stock_ids if s not in selling])
    changed_keys = _apply_salable(engine, salable)
    with engine.begin() as conn:
        by_stock: dict[int, list[str]] = {}
        for sku, stock_id in sorted(changed_keys | {(sku, s) for sku in moved for s in stock_ids}):
            by_stock.setdefault(stock_id, []).append(f"{sku}@{stock_id}")
        for stock_id, stock_keys in by_stock.items():
            record_changes(conn, "stock", stock_keys, scope=str(stock_id))
        save_pull_state(conn, "stock", updated_since=None, items=read, full=full)
    report.add("stock", read, len(moved | {sku for sku, _ in changed_keys}))


async def _salable(
    client: MagentoClient, stock_ids: list[int], skus: list[str], progress: Progress | None
) -> dict[tuple[str, int], Decimal]:
    pairs = [(sku, stock_id) for sku in skus for stock_id in stock_ids]
    found: dict[tuple[str, int], Decimal] = {}
    done = 0

    async def one(sku: str, stock_id: int) -> None:
        nonlocal done
        try:
            value = await client.get(
                "/V1/inventory/get-product-salable-quantity/:sku/:stockId", sku=sku, stockId=stock_id
            )
        except MagentoError as exc:
            if isinstance(exc, MagentoUnavailable):
                raise
            # A sku the stock does not sell (not assigned, a type without stock): nothing to carry.
            log.info("no salable quantity of %s in stock %s: %s", sku, stock_id, exc)
        else:
            found[(sku, stock_id)] = round_qty(Decimal(str(value or 0)))
        done += 1
        if progress and (done % 50 == 0 or done == len(pairs)):
            progress("salable", done, len(pairs))

    # The client bounds the concurrency; gather in slices to keep memory flat on big catalogs.
    for start in range(0, len(pairs), 500):
        await asyncio.gather(*(one(sku, sid) for sku, sid in pairs[start : start + 500]))
    return found


def _apply_salable(engine: Engine, salable: dict[tuple[str, int], Decimal]) -> set[tuple[str, int]]:
    """Carry Magento's own reservations (web orders not shipped yet) into Till. They are not
    readable over REST, so Till keeps their sum as one `magento` offset reservation per sku and
    stock: offset = Magento's salable − what Magento's source items give (as last seen), which
    leaves Till's own movements (in its source quantities) untouched."""
    changed: set[tuple[str, int]] = set()
    with engine.begin() as conn:
        linked: dict[int, set[str]] = {}
        for row in conn.execute(
            select(t.stock_sources.c.stock_id, t.stock_sources.c.source_code)
            .join(t.sources, t.sources.c.code == t.stock_sources.c.source_code)
            .where(t.sources.c.enabled.is_(True))
        ):
            linked.setdefault(int(row.stock_id), set()).add(str(row.source_code))
        seen = baselines(conn, [(sku, source) for sku, sid in salable for source in linked.get(sid, ())])
        for (sku, stock_id), wanted in sorted(salable.items()):
            in_stock = [
                seen[(sku, s)][0] for s in linked.get(stock_id, ()) if seen.get((sku, s), (0, 0))[1] == 1
            ]
            offset = round_qty(wanted - sum(in_stock, Decimal(0))) if in_stock else Decimal(0)
            where = and_(
                t.reservations.c.stock_id == stock_id,
                t.reservations.c.sku == sku,
                t.reservations.c.object_type == MAGENTO_OFFSET,
            )
            old = round_qty(
                sum(
                    (
                        Decimal(str(q))
                        for q in conn.execute(select(t.reservations.c.quantity).where(where)).scalars()
                    ),
                    Decimal(0),
                )
            )
            if old == offset:
                continue
            # Appended as the difference, never rewritten: the ledger stays append-only and the
            # reservation totals (salable quantity) move with it in the same statement.
            StockRepository(conn).append_reservations(
                [Reservation(stock_id, sku, offset - old, "magento_salable", MAGENTO_OFFSET, "salable")]
            )
            changed.add((sku, stock_id))
    return changed


def _sweep(engine: Engine, skus: list[str], size: int) -> set[str]:
    """The next `size` skus after the last sweep's end, wrapping around to the start."""
    if not skus:
        return set()
    with engine.begin() as conn:
        last = conn.execute(
            select(t.settings.c.value).where(t.settings.c.key == "magento_salable_sweep")
        ).scalar()
        start = next((n for n, sku in enumerate(skus) if last is None or sku > str(last)), 0)
        chosen = (skus[start:] + skus[:start])[: min(size, len(skus))]
        _upsert(conn, t.settings, {"key": "magento_salable_sweep"}, {"value": chosen[-1]})
    return set(chosen)


def _drop_offsets(engine: Engine, stock_ids: list[int]) -> None:
    """Cancel the offsets of stocks no longer read from Magento (appending the opposite)."""
    if stock_ids:
        with engine.begin() as conn:
            held = conn.execute(
                select(t.reservations.c.stock_id, t.reservations.c.sku, func.sum(t.reservations.c.quantity))
                .where(
                    t.reservations.c.stock_id.in_(stock_ids), t.reservations.c.object_type == MAGENTO_OFFSET
                )
                .group_by(t.reservations.c.stock_id, t.reservations.c.sku)
            ).all()
            StockRepository(conn).append_reservations(
                [
                    Reservation(
                        int(stock_id),
                        sku,
                        -round_qty(Decimal(str(total))),
                        "magento_salable",
                        MAGENTO_OFFSET,
                        "salable",
                    )
                    for stock_id, sku, total in held
                    if round_qty(Decimal(str(total)))
                ]
            )


async def pull_skus(engine: Engine, client: MagentoClient, skus: Sequence[str]) -> PullReport:
    """Re-read a few products and their stock now (the webhook's fast path)."""
    report = PullReport()
    ctx = _Context()
    await _pull_tax(engine, client, ctx, report)
    await _pull_attributes(engine, client, ctx, report)
    now = datetime.now(UTC)
    changed: list[str] = []
    for sku in skus:
        item = await client.get("/V1/products/:sku", sku=sku)
        try:
            product, children = _product(item, ctx, client.settings)
        except (CatalogError, KeyError, ValueError):
            continue
        with engine.begin() as conn:
            saved = _save_products(conn, ctx, [(product, int(item["id"]))], now)
            record_changes(conn, "products", saved)
            record_changes(conn, "prices", saved)
        changed += saved
        if children:
            _link_children(engine, {product.sku: children})
    report.add("products", len(skus), len(changed))
    await _pull_stock(engine, client, ctx, False, report, None, only_skus=skus)
    stamp_pending(engine)
    return report


async def pull_customer_ids(engine: Engine, client: MagentoClient, ids: Sequence[int]) -> PullReport:
    """Re-read a few customers now (the webhook's fast path)."""
    report = PullReport()
    keys: list[str] = []
    now = datetime.now(UTC)
    for magento_id in ids:
        item = await client.get("/V1/customers/:customerId", customerId=magento_id)
        with engine.begin() as conn:
            till_id = till_id_for(conn, "customer", str(magento_id))
            values = {
                "email": str(item["email"]).lower(),
                "firstname": str(item.get("firstname") or "")[:128],
                "lastname": str(item.get("lastname") or "")[:128],
                "group_id": int(item.get("group_id") or 1),
            }
            if till_id is None:
                result = conn.execute(
                    insert(t.customers).values(**values, phone=None, created_at=now, updated_at=now)
                )
                key = result.inserted_primary_key
                assert key is not None
                till_id = str(key[0])
                save_link(conn, "customer", till_id, str(magento_id))
                keys.append(till_id)
            elif _upsert(conn, t.customers, {"id": int(till_id)}, {**values, "updated_at": now}):
                keys.append(till_id)
            record_changes(conn, "customers", keys[-1:] if keys and keys[-1] == till_id else [])
    report.add("customers", len(ids), len(keys))
    stamp_pending(engine)
    return report


async def salable_quantities(
    client: MagentoClient, stock_ids: list[int], skus: list[str]
) -> dict[tuple[str, int], Decimal]:
    """Magento's salable quantity per (sku, stock); pairs Magento does not sell are left out."""
    return await _salable(client, stock_ids, skus, None)


async def pull_stock_of(engine: Engine, client: MagentoClient, skus: Sequence[str]) -> PullReport:
    """Re-read the source items and salable quantities of a few skus (Till follows Magento)."""
    report = PullReport()
    await _pull_stock(engine, client, _Context(), False, report, None, only_skus=skus)
    stamp_pending(engine)
    return report


def pull_states(engine: Engine) -> list[dict[str, Any]]:
    """Every data set's pull state, for `till magento check` and monitoring."""
    with engine.connect() as conn:
        return all_pull_states(conn)
