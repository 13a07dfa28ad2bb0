"""Catalog-size profiles: the toolkit's counts, added to the demo store, announced to tills."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select

from till.demo import PROFILES, ProfileCounts, SeedError, is_valid_ean13, seed_demo, seed_profile
from till.demo.profile_catalog import _level_sizes
from till.storage import tables as t
from till.storage.db import make_engine
from till.storage.migrate import upgrade

PREFIX = PROFILES["small"].sku_prefix


@dataclass(frozen=True)
class Seeded:
    engine: Engine
    counts: ProfileCounts
    progress: list[tuple[str, int, int]]


def _engine(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """The small profile on an empty SQLite file: it seeds the demo store, then adds itself."""
    engine = _engine(tmp_path_factory.mktemp("small") / "small.sqlite3")
    events: list[tuple[str, int, int]] = []
    counts = seed_profile(engine, "small", lambda phase, done, total: events.append((phase, done, total)))
    yield Seeded(engine, counts, events)
    engine.dispose()


def _rows(engine: Engine, query: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(query))


def _profile_products(engine: Engine) -> list[Any]:
    return _rows(
        engine, select(t.products).where(t.products.c.sku.like(f"{PREFIX}%")).order_by(t.products.c.sku)
    )


def test_small_profile_matches_the_toolkit(small: Seeded) -> None:
    products = _profile_products(small.engine)
    standalone = [p for p in products if p.type == "simple" and p.parent_sku is None]
    configurable = [p for p in products if p.type == "configurable"]
    variants = [p for p in products if p.parent_sku is not None]
    assert (len(standalone), len(configurable), len(variants)) == (800, 16, 16 * 24)
    c = small.counts
    assert (c.simple_products, c.configurable_products, c.variant_products) == (800, 16, 384)
    assert (c.categories, c.category_depth, c.customers, c.attribute_sets) == (30, 3, 200, 10)
    assert c.products == len(products) == 1200

    sets = [r.name for r in _rows(small.engine, select(t.attribute_sets)) if r.name.startswith("Small ")]
    assert len(sets) == 10
    attributes = [r for r in _rows(small.engine, select(t.attributes)) if r.code.startswith("ps_")]
    assert len(attributes) == 10 * 5
    assert all(len(a.options) == 5 and a.backend_type == "int" for a in attributes)

    customers = _rows(small.engine, select(t.customers.c.email).where(t.customers.c.email.like("%.ps%@%")))
    assert len(customers) == 200


def test_small_profile_categories_nest_three_deep(small: Seeded) -> None:
    categories = _rows(small.engine, select(t.categories))
    parent = {c.id: c.parent_id for c in categories}
    roots = {c.id for c in categories if c.parent_id is None and c.name.startswith("Small ")}

    def root_and_depth(category_id: int) -> tuple[int, int]:
        depth = 1
        while parent[category_id] is not None:
            category_id = parent[category_id]
            depth += 1
        return category_id, depth

    ours = {cid: root_and_depth(cid) for cid in parent if root_and_depth(cid)[0] in roots}
    assert len(ours) == 30
    assert max(depth for _, depth in ours.values()) == 3
    # Products hang on the profile's leaves, every leaf gets some.
    leaves = set(ours) - {p for p in parent.values() if p is not None}
    used = {cid for p in _profile_products(small.engine) for cid in p.category_ids}
    assert used == leaves


@pytest.mark.parametrize("name", list(PROFILES))
def test_every_profile_tree_has_its_count_and_depth(name: str) -> None:
    spec = PROFILES[name]
    sizes = _level_sizes(spec.categories, spec.category_depth)
    assert sum(sizes) == spec.categories
    assert len(sizes) == spec.category_depth
    assert min(sizes) >= 1


def test_profile_configurables_have_three_colours_by_eight_sizes(small: Seeded) -> None:
    values: dict[int, dict[str, int]] = defaultdict(dict)
    for row in _rows(small.engine, select(t.product_values["int"])):
        values[row.product_id][row.attribute_code] = row.value
    products = _profile_products(small.engine)
    children: dict[str, list[Any]] = defaultdict(list)
    for p in products:
        if p.parent_sku:
            children[p.parent_sku].append(p)
    for parent in (p for p in products if p.type == "configurable"):
        assert parent.configurable_attributes == ["size", "color"]
        kids = children[parent.sku]
        pairs = {(values[k.id]["size"], values[k.id]["color"]) for k in kids}
        assert len(kids) == len(pairs) == 24
        assert len({s for s, _ in pairs}) == 8
        assert len({c for _, c in pairs}) == 3


def test_profile_products_have_values_for_their_sets_attributes(small: Seeded) -> None:
    options = {
        r.code: {int(o["value"]) for o in r.options} for r in _rows(small.engine, select(t.attributes))
    }
    members: dict[str, set[str]] = defaultdict(set)
    for row in _rows(small.engine, select(t.attribute_set_members)):
        members[row.set_name].add(row.attribute_code)
    values: dict[int, dict[str, Any]] = defaultdict(dict)
    for table in t.product_values.values():
        for row in _rows(small.engine, select(table)):
            values[row.product_id][row.attribute_code] = row.value
    for p in _profile_products(small.engine):
        own = values[p.id]
        assert set(own) <= members[p.attribute_set], p.sku
        if p.type == "simple" and p.parent_sku is None:
            select_codes = {c for c in members[p.attribute_set] if c.startswith("ps_")}
            assert select_codes <= set(own), p.sku
            assert all(own[c] in options[c] for c in select_codes)
            assert isinstance(own["description"], str)
            assert own["description"].startswith(p.name)
            assert own["weight"] > 0


def test_profile_adds_to_the_demo_without_touching_it(small: Seeded) -> None:
    everything = _rows(small.engine, select(t.products))
    demo = [p for p in everything if not p.sku.startswith(PREFIX)]
    assert len(demo) > 100, "the empty database got the demo store first"
    barcodes = [p.barcode for p in everything if p.barcode]
    assert len(set(barcodes)) == len(barcodes)
    assert all(is_valid_ean13(b) for b in barcodes)
    sellable = {p.sku for p in _profile_products(small.engine) if p.type != "configurable"}
    assert all(p.barcode for p in _profile_products(small.engine) if p.sku in sellable)
    sources: dict[str, set[str]] = defaultdict(set)
    for row in _rows(small.engine, select(t.source_items).where(t.source_items.c.sku.like(f"{PREFIX}%"))):
        sources[row.sku].add(row.source_code)
        assert row.in_stock == (row.quantity > 0)
    assert set(sources) == sellable
    assert all(s == {"nyc_store", "nj_warehouse"} for s in sources.values())
    prices = [p.price for p in _profile_products(small.engine)]
    assert all(isinstance(price, Decimal) and price > 0 for price in prices)


def test_change_feed_has_a_row_for_every_profile_product(small: Seeded) -> None:
    feed: dict[str, set[str]] = defaultdict(set)
    for row in _rows(small.engine, select(t.change_log)):
        assert row.seq is not None
        feed[row.dataset].add(row.entity_key)
    products = _profile_products(small.engine)
    skus = {p.sku for p in products}
    assert skus <= feed["products"]
    assert skus <= feed["prices"]
    sellable = [p.sku for p in products if p.type != "configurable"]
    assert {f"{sku}@{stock}" for sku in sellable for stock in (1, 2, 3)} <= feed["stock"]
    customer_ids = {str(r.id) for r in _rows(small.engine, select(t.customers.c.id))}
    assert customer_ids == feed["customers"]


def test_progress_reports_each_phase_to_completion(small: Seeded) -> None:
    phases = list(dict.fromkeys(phase for phase, _, _ in small.progress))
    assert phases == ["attributes", "categories", "products", "customers"]
    for phase in phases:
        events = [(done, total) for p, done, total in small.progress if p == phase]
        dones = [done for done, _ in events]
        assert dones == sorted(dones)
        assert events[-1][0] == events[-1][1]
    assert max(total for p, _, total in small.progress if p == "products") == 1200


def test_running_a_profile_twice_is_refused(small: Seeded) -> None:
    with pytest.raises(SeedError, match="already"):
        seed_profile(small.engine, "small")


def test_unknown_profile_is_refused(small: Seeded) -> None:
    with pytest.raises(SeedError, match="unknown profile"):
        seed_profile(small.engine, "huge")  # type: ignore[arg-type]


def test_same_catalog_on_top_of_an_existing_demo(small: Seeded, tmp_path: Path) -> None:
    """Deterministic, and the path through an already-seeded demo gives the same result."""
    engine = _engine(tmp_path / "again.sqlite3")
    seed_demo(engine)
    seed_profile(engine, "small")

    def fingerprint(e: Engine) -> list[tuple[Any, ...]]:
        return [
            (p.sku, p.name, p.price, p.barcode, p.special_price, p.parent_sku, p.attribute_set)
            for p in _profile_products(e)
        ]

    assert fingerprint(engine) == fingerprint(small.engine)
    stock = select(t.source_items.c.sku, t.source_items.c.source_code, t.source_items.c.quantity).order_by(
        t.source_items.c.sku, t.source_items.c.source_code
    )
    assert _rows(engine, stock) == _rows(small.engine, stock)
    engine.dispose()


def test_a_database_that_is_not_a_demo_store_is_refused(tmp_path: Path) -> None:
    engine = _engine(tmp_path / "other.sqlite3")
    with engine.begin() as conn:
        conn.execute(insert(t.attribute_sets).values(name="Default"))
        conn.execute(
            insert(t.products).values(
                sku="THEIR-OWN",
                name="Someone else's product",
                type="simple",
                attribute_set="Default",
                price=Decimal("1.00"),
                tax_class="Taxable Goods",
                configurable_attributes=[],
                category_ids=[],
                updated_at=datetime.now(UTC),
            )
        )
    with pytest.raises(SeedError, match="demo"):
        seed_profile(engine, "small")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.products)).scalar_one() == 1
    engine.dispose()


@pytest.mark.db
def test_small_profile_on_every_backend(engine: Engine) -> None:
    counts = seed_profile(engine, "small")
    with engine.connect() as conn:
        rows = conn.execute(
            select(func.count()).select_from(t.products).where(t.products.c.sku.like(f"{PREFIX}%"))
        ).scalar_one()
    assert rows == counts.products == 1200
