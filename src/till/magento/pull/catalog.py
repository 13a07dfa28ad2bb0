"""Pull products: custom attributes, configurables and their children, special and tier prices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, select

from till.domain.catalog import (
    CatalogError,
    Product,
    ProductType,
    SpecialPrice,
    TierPrice,
)
from till.domain.money import round_money, round_qty
from till.magento.client import Filter, MagentoClient, criteria
from till.magento.pull.common import (
    ALL_GROUPS_ID,
    BY_UPDATE,
    Progress,
    PullReport,
    _Context,
    _custom,
    _date,
    _dec,
    _finish,
    _norm,
    _same,
    _since,
    _upsert,
    log,
)
from till.magento.settings import MagentoSettings
from till.storage import tables as t
from till.storage.catalog_write import (
    add_attribute_sets,
    disable_products,
    insert_product,
    product_row,
    replace_tier_prices,
    replace_values,
    set_parent,
    stored_products,
    update_product,
)
from till.storage.feed import record_changes
from till.storage.magento_links import (
    links_for,
    links_of,
    save_link,
    till_id_for,
)

#: Where the rotating re-read of products stopped (a Magento entity id).
SWEEP_KEY = "magento_product_sweep"

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
    add_attribute_sets(conn, {product.attribute_set for product, _ in batch})
    stored = stored_products(conn, skus)
    eav, tiers = stored.values, stored.tiers
    linked = links_for(conn, "product", skus)
    changed: list[str] = []
    for product, magento_id in batch:
        values = {k: v for k, v in product_row(0, product, now).items() if k not in _NOT_PULLED}
        row = stored.rows.get(product.sku)
        differs = row is None
        if row is None:
            product_id = insert_product(conn, product.sku, values, now)
        else:
            product_id = int(row.id)
            if not all(_same(getattr(row, k), v) for k, v in values.items()):
                update_product(conn, product_id, values, now)
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
    page = _Page(datetime.now(UTC))
    async for items, total in client.search_by_key("/V1/products", filters, keys=BY_UPDATE):
        page.save(engine, client, ctx, items)
        if progress:
            progress("products", page.read, total)
    if not full:
        await _sweep_products(engine, client, ctx, page)
    page.changed += _link_children(engine, page.parents)
    if full:
        page.changed += _disable_missing(engine, page.seen)
    _finish(engine, "products", page.newest, page.read, full)
    report.add("products", page.read, page.changed, page.skipped)


@dataclass
class _Page:
    """What a product pull read, saved and skipped so far."""

    now: datetime
    newest: str | None = None
    read: int = 0
    changed: int = 0
    skipped: int = 0
    seen: set[str] = field(default_factory=set)
    parents: dict[str, list[int]] = field(default_factory=dict)

    def save(self, engine: Engine, client: MagentoClient, ctx: _Context, items: list[dict[str, Any]]) -> None:
        batch: list[tuple[Product, int]] = []
        for item in items:
            self.read += 1
            self.newest = max(self.newest or "", str(item.get("updated_at") or "")) or self.newest
            try:
                product, children = _product(item, ctx, client.settings)
            except (CatalogError, KeyError, ValueError) as exc:
                self.skipped += 1
                log.info("product %s not pulled: %s", item.get("sku"), exc)
                continue
            self.seen.add(product.sku)
            if children:
                self.parents[product.sku] = children
            batch.append((product, int(item["id"])))
        with engine.begin() as conn:
            changed_skus = _save_products(conn, ctx, batch, self.now)
            record_changes(conn, "products", changed_skus)
            record_changes(conn, "prices", changed_skus)
        self.changed += len(changed_skus)
        ctx.touched_skus.update(changed_skus)


async def _sweep_products(engine: Engine, client: MagentoClient, ctx: _Context, page: _Page) -> None:
    """Magento does not stamp `updated_at` on every change (mass "Update attributes",
    `saveAttribute`, the price-storage APIs: magento2#37980), so a delta pull also re-reads the
    next `page_size` products by id, wrapping: every product is read again within
    ⌈products / page_size⌉ delta pulls, and only what differs reaches the feed."""
    with engine.connect() as conn:
        last = conn.execute(select(t.settings.c.value).where(t.settings.c.key == SWEEP_KEY)).scalar()
    size = client.settings.page_size
    query = criteria(
        [[("entity_id", int(last or 0), "gt")]], sort=[("entity_id", "ASC")], page_size=size, page=1
    )
    items = list((await client.get("/V1/products", query)).get("items") or [])
    newest = page.newest
    page.save(engine, client, ctx, items)
    page.newest = newest  # a re-read row says nothing about how far the delta got
    with engine.begin() as conn:
        _upsert(
            conn, t.settings, {"key": SWEEP_KEY}, {"value": int(items[-1]["id"]) if len(items) == size else 0}
        )


def _link_children(engine: Engine, parents: dict[str, list[int]]) -> int:
    """Give each configurable's children their parent's sku (children may be pulled earlier)."""
    changed: list[str] = []
    with engine.begin() as conn:
        for parent_sku, child_ids in parents.items():
            for child_id in child_ids:
                sku = till_id_for(conn, "product", str(child_id))
                if sku is None:
                    continue
                if set_parent(conn, sku, parent_sku):
                    changed.append(sku)
        record_changes(conn, "products", changed)
    return len(changed)


def _disable_missing(engine: Engine, seen: set[str]) -> int:
    """After a full pull: products linked to Magento that Magento no longer lists are disabled."""
    with engine.begin() as conn:
        linked = links_of(conn, "product")
        gone = sorted(sku for sku in linked if sku not in seen)
        if gone:
            disable_products(conn, gone)
            record_changes(conn, "products", gone)
    return len(gone)
