"""Catalogs the size of Magento's performance-toolkit profiles, for load and sync tests.

Sizes follow `setup/performance-toolkit/profiles/ce/{small,medium,large}.xml` (Magento 2.3/2.4):

| profile | simple | configurable | variants | categories (depth) | customers | attribute sets |
|---------|-------:|-------------:|---------:|-------------------:|----------:|---------------:|
| small   |    800 |           16 |      384 |             30 (3) |       200 | 10 (5 × 5)     |
| medium  | 24,000 |          640 |   15,360 |            300 (3) |     2,000 | 30 (10 × 8)    |
| large   | 300,000|        8,000 |  192,000 |          3,000 (5) |     5,000 | 50 (20 × 15)   |

How the toolkit counts, and so do we:

- `simple_products` counts standalone simple products only. Every configurable product has two
  configurable attributes, one with 3 options and one with 8 (the profiles' `<attributes>`
  block), hence 3 × 8 = 24 variant children, and the toolkit generates those children *in
  addition* to the simple products (`ConfigurableProductsFixture` asks for products ×
  variationCount more). Small is therefore 800 + 16 + 16 × 24 = 1,200 product rows and large
  300,000 + 8,000 + 192,000 = 500,000. Here the 3-option attribute is the demo's `color` (three
  colours per product) and the 8-option one its `size` (XXS to 3XL), with
  `configurable_attributes = ["size", "color"]`, so a till's variant picker works on profile
  products exactly as on the demo's.
- `product_attribute_sets` sets, each with `product_attribute_sets_attributes` select attributes
  of `product_attribute_sets_attributes_values` options (the "a × b" above). Every standalone
  simple product belongs to one of them (round robin) and has a value for each of its set's
  attributes, plus a description and a weight: large writes about 7.5 million EAV values,
  which is the point of a large profile. Configurable parents and variants use the sets too.
- Categories form a tree exactly `depth` levels deep (the smallest even fan-out that reaches
  the count); products are assigned round robin to the leaves.
- Websites, store views, orders and catalog/cart price rules of the profiles are not made.
  A few products get special prices (active, expired and future) and tier prices, so price
  sync has something to chew on.

Where a profile goes: it *adds* to the demo store, whose sources, customer groups, tax classes
and colour/size attributes it uses. On an empty database it seeds the demo store first; on a
database with data but without the demo's sources and groups it refuses with SeedError. SKUs,
barcodes, attribute codes, set names and customer e-mails carry a per-profile tag ("PS-",
"PM-", "PL-"), so the demo and all three profiles can share one database; the same profile
twice is refused.

Deterministic: content comes from `random.Random` seeded by the profile name, so two runs give
the same SKUs, names, prices, barcodes and stock. Row ids start after what is already there,
and special-price dates are relative to the day of seeding.

Speed: rows are plain dicts inserted with executemany, 5,000 rows per statement, one
transaction per batch of about 2,000 products (product, EAV values, tier prices, source items
and change-feed rows together); the batch's feed rows are stamped after each commit, so tills
can start pulling while the rest is written. A run that dies leaves its store_settings marker
(`profile:<name>`) at "running" and a later run refuses: start again from a fresh database.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, get_args

from sqlalchemy import Connection, Engine, insert, select, update

from till.demo.common import (
    GENERAL_GROUP,
    NYC_SOURCE,
    RETAILER_GROUP,
    WAREHOUSE_SOURCE,
    WHOLESALE_GROUP,
    SeedError,
    email_slug,
    seeded_random,
    stock_ids_of,
    store_today,
)
from till.demo.profile_catalog import (
    PROFILES,
    SHARED_MEMBERS,
    ProductMaker,
    ProfileCounts,
    ProfileName,
    ProfileSpec,
    ProgressCallback,
    attribute_sets_of,
    category_tree,
)
from till.demo.store import FIRST_NAMES, LAST_NAMES, MAIL_DOMAINS, is_empty, seed_demo
from till.storage import tables as t
from till.storage.catalog_write import advance_sequences, insert_chunked, next_id
from till.storage.feed import record_changes, stamp_pending

# --- the run -------------------------------------------------------------------------------------


def _marker_key(spec: ProfileSpec) -> str:
    return f"profile:{spec.name}"


def _check_base(conn: Connection, spec: ProfileSpec) -> dict[str, dict[str, int]]:
    """Refuse unless the demo base is there and this profile is not; the colour/size ids."""
    marker = conn.execute(select(t.settings.c.value).where(t.settings.c.key == _marker_key(spec))).scalar()
    if marker is not None:
        status = marker.get("status") if isinstance(marker, dict) else None
        if status == "done":
            raise SeedError(f"the {spec.name} profile is already in this database")
        raise SeedError(f"an earlier {spec.name} profile run did not finish; start from a fresh database")
    clash = conn.execute(
        select(t.products.c.sku).where(t.products.c.sku.like(f"{spec.sku_prefix}%")).limit(1)
    ).first()
    if clash is not None:
        raise SeedError(f"products with the {spec.sku_prefix} prefix already exist ({clash.sku})")
    sources = set(conn.execute(select(t.sources.c.code)).scalars())
    groups = set(conn.execute(select(t.customer_groups.c.id)).scalars())
    options = {
        row.code: {str(o["label"]): int(o["value"]) for o in row.options}
        for row in conn.execute(
            select(t.attributes.c.code, t.attributes.c.options).where(t.attributes.c.code.in_(SHARED_MEMBERS))
        )
    }
    missing = (
        [s for s in (NYC_SOURCE, WAREHOUSE_SOURCE) if s not in sources]
        + [f"customer group {g}" for g in (GENERAL_GROUP, WHOLESALE_GROUP, RETAILER_GROUP) if g not in groups]
        + [f"attribute {a}" for a in SHARED_MEMBERS if a not in options]
    )
    if missing:
        raise SeedError(
            "a profile adds to the demo store, but this database lacks "
            f"{', '.join(missing)}; run it on an empty database or after seeding the demo"
        )
    return options


def _silent(_phase: str, _done: int, _total: int) -> None:
    return None


def seed_profile(
    engine: Engine, profile: ProfileName, progress: ProgressCallback | None = None
) -> ProfileCounts:
    """Add a catalog of a toolkit profile's size to the demo store (seeding it if empty).

    Raises SeedError if the profile is unknown, already present, or the database is neither
    empty nor a demo store. See the module docstring for what is counted how.
    """
    if profile not in get_args(ProfileName):
        raise SeedError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    spec = PROFILES[profile]
    report = progress or _silent
    started = time.perf_counter()
    now = datetime.now(UTC)
    today = store_today()
    if is_empty(engine):
        seed_demo(engine)

    with engine.begin() as conn:
        option_ids = _check_base(conn, spec)
        conn.execute(
            insert(t.settings).values(
                key=_marker_key(spec), value={"status": "running", "started_at": now.isoformat()}
            )
        )
        stock_ids = stock_ids_of(conn, (NYC_SOURCE, WAREHOUSE_SOURCE))

    # Attribute sets and their select attributes.
    report("attributes", 0, spec.attribute_sets)
    sets, attribute_rows = attribute_sets_of(spec)
    with engine.begin() as conn:
        insert_chunked(conn, t.attributes, attribute_rows)
        insert_chunked(conn, t.attribute_sets, [{"name": s.name} for s in sets])
        insert_chunked(
            conn,
            t.attribute_set_members,
            [
                {"set_name": s.name, "attribute_code": code}
                for s in sets
                for code in (*SHARED_MEMBERS, *(a for a, _ in s.attributes))
            ],
        )
    report("attributes", spec.attribute_sets, spec.attribute_sets)

    # Categories.
    report("categories", 0, spec.categories)
    with engine.begin() as conn:
        tree = category_tree(
            spec, next_id(conn, t.categories.c.id), seeded_random(f"till-profile-{profile}-categories")
        )
        insert_chunked(conn, t.categories, tree.rows)
    report("categories", spec.categories, spec.categories)

    # Products, with their values, prices, stock and feed rows, batch by batch.
    with engine.connect() as conn:
        first_product = next_id(conn, t.products.c.id)
    maker = ProductMaker(spec, sets, tree.leaves, option_ids, first_product, today, now)
    total, done, values, source_items, change_rows = spec.total_products, 0, 0, 0, 0
    report("products", 0, total)
    for batch in maker.batches():
        skus = [row["sku"] for row in batch.products]
        stock_keys = [f"{sku}@{sid}" for sku in batch.sellable for sid in stock_ids]
        with engine.begin() as conn:
            insert_chunked(conn, t.products, batch.products)
            for backend, value_rows in batch.values.items():
                insert_chunked(conn, t.product_values[backend], value_rows)
            insert_chunked(conn, t.tier_prices, batch.tiers)
            insert_chunked(conn, t.source_items, batch.source_items)
            record_changes(conn, "products", skus)
            record_changes(conn, "prices", skus)
            for sid in stock_ids:
                record_changes(conn, "stock", [f"{sku}@{sid}" for sku in batch.sellable], scope=str(sid))
        stamp_pending(engine)
        done += len(batch.products)
        values += batch.value_count
        source_items += len(batch.source_items)
        change_rows += 2 * len(skus) + len(stock_keys)
        report("products", done, total)

    # Customers.
    report("customers", 0, spec.customers)
    rng = seeded_random(f"till-profile-{profile}-customers")
    with engine.connect() as conn:
        first_customer = next_id(conn, t.customers.c.id)
    for start in range(0, spec.customers, 5000):
        rows: list[dict[str, Any]] = []
        for n in range(start, min(start + 5000, spec.customers)):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            roll = rng.random()
            group = WHOLESALE_GROUP if roll < 0.05 else RETAILER_GROUP if roll < 0.15 else GENERAL_GROUP
            rows.append(
                {
                    "id": first_customer + n,
                    "email": f"{email_slug(first)}.{email_slug(last)}.{spec.tag}{n + 1}"
                    f"@{MAIL_DOMAINS[n % len(MAIL_DOMAINS)]}",
                    "firstname": first,
                    "lastname": last,
                    "phone": f"+1 {rng.choice(('212', '646', '718', '201', '973'))}-555-"
                    f"{rng.randint(100, 199):04d}",
                    "group_id": group,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        with engine.begin() as conn:
            insert_chunked(conn, t.customers, rows)
            record_changes(conn, "customers", [str(row["id"]) for row in rows])
        stamp_pending(engine)
        change_rows += len(rows)
        report("customers", start + len(rows), spec.customers)

    with engine.begin() as conn:
        advance_sequences(conn, (t.products, t.customers))
    counts = ProfileCounts(
        profile=spec.name,
        simple_products=spec.simple_products,
        configurable_products=spec.configurable_products,
        variant_products=spec.variant_products,
        categories=len(tree.rows),
        category_depth=spec.category_depth,
        attribute_sets=len(sets),
        attributes=len(attribute_rows),
        customers=spec.customers,
        attribute_values=values,
        source_items=source_items,
        change_rows=change_rows,
        seconds=round(time.perf_counter() - started, 3),
    )
    with engine.begin() as conn:
        conn.execute(
            update(t.settings)
            .where(t.settings.c.key == _marker_key(spec))
            .values(
                value={
                    "status": "done",
                    "finished_at": datetime.now(UTC).isoformat(),
                    "counts": asdict(counts),
                }
            )
        )
    return counts
