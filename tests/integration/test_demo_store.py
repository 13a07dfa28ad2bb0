"""The demo store: what a person signing in, selling and syncing would notice."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select

from till.demo import DemoStore, SeedError, is_valid_ean13, seed_demo
from till.domain.catalog import (
    Attribute,
    AttributeOption,
    Product,
    SpecialPrice,
    TierPrice,
    variant_for,
)
from till.domain.customers import Customer
from till.domain.staff import Role, StaffMember, check_pin
from till.security import check_offline_pin, verify_secret
from till.storage import tables as t
from till.storage.db import make_engine
from till.storage.migrate import upgrade

TODAY = date(2025, 6, 16)


@dataclass(frozen=True)
class Seeded:
    engine: Engine
    store: DemoStore


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """One demo store in a SQLite file, shared by the read-only checks of this module."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite3'}")
    upgrade(engine)
    yield Seeded(engine, seed_demo(engine, today=TODAY))
    engine.dispose()


def _rows(engine: Engine, query: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(query))


def _attributes(engine: Engine) -> dict[str, Attribute]:
    return {
        row.code: Attribute(
            row.code,
            row.label,
            row.backend_type,
            row.frontend_input,
            tuple(AttributeOption(o["value"], o["label"]) for o in row.options),
        )
        for row in _rows(engine, select(t.attributes))
    }


def _products(engine: Engine) -> dict[str, Product]:
    """Every product as the domain sees it, EAV values and tier prices included."""
    values: dict[int, dict[str, Any]] = defaultdict(dict)
    for table in t.product_values.values():
        for row in _rows(engine, select(table)):
            values[row.product_id][row.attribute_code] = row.value
    tiers: dict[int, list[TierPrice]] = defaultdict(list)
    for row in _rows(engine, select(t.tier_prices)):
        tiers[row.product_id].append(TierPrice(row.qty, row.price, row.customer_group_id))
    products = {}
    for row in _rows(engine, select(t.products)):
        special = (
            SpecialPrice(row.special_price, row.special_from, row.special_to)
            if row.special_price is not None
            else None
        )
        products[row.sku] = Product(
            sku=row.sku,
            name=row.name,
            type=row.type,
            price=row.price,
            attribute_set=row.attribute_set,
            tax_class=row.tax_class,
            barcode=row.barcode,
            special_price=special,
            tier_prices=tuple(tiers[row.id]),
            category_ids=tuple(row.category_ids),
            attributes=values[row.id],
            configurable_attributes=tuple(row.configurable_attributes),
            parent_sku=row.parent_sku,
        )
    return products


# --- signing in ---------------------------------------------------------------------------------


def test_every_printed_password_and_pin_signs_in(demo: Seeded) -> None:
    rows = {row.username: row for row in _rows(demo.engine, select(t.staff))}
    assert set(rows) == {member.username for member in demo.store.staff}
    for member in demo.store.staff:
        row = rows[member.username]
        assert verify_secret(row.pin_hash, member.pin), member.username
        assert verify_secret(row.password_hash, member.password), member.username
        assert check_offline_pin(row.pin_offline, member.pin), member.username
        assert not verify_secret(row.pin_hash, "0000")
        assert row.role == member.role.value
        assert row.active
    pins = [member.pin for member in demo.store.staff]
    assert len(set(pins)) == len(pins)
    for member in demo.store.staff:  # a manager's and an admin's have 6 digits (issue 12, item 2)
        check_pin(member.role, member.pin)


def test_staff_cover_every_role_and_shop(demo: Seeded) -> None:
    staff = [
        StaffMember(row.id, row.username, row.name, Role(row.role), frozenset(row.locations))
        for row in _rows(demo.engine, select(t.staff))
    ]
    cashiers = [s for s in staff if s.role is Role.CASHIER]
    assert sorted(tuple(sorted(s.locations)) for s in cashiers) == [("NYC",), ("WH",)]
    (manager,) = [s for s in staff if s.role is Role.MANAGER]
    assert manager.works_at("NYC")
    assert manager.works_at("WH")
    (admin,) = [s for s in staff if s.role is Role.ADMIN]
    assert admin.locations == frozenset()
    # The cashier of one shop cannot act in the other.
    nyc_cashier = next(s for s in cashiers if "NYC" in s.locations)
    assert not nyc_cashier.works_at("WH")


def test_registers_sit_in_shops_that_sell_from_their_own_stock(demo: Seeded) -> None:
    registers = {row.code: row.location_code for row in _rows(demo.engine, select(t.registers))}
    assert registers == {"NYC1": "NYC", "NYC2": "NYC", "WH1": "WH"}
    assert {r.code for r in demo.store.registers} == set(registers)
    locations = {row.code: row for row in _rows(demo.engine, select(t.locations))}
    assert (locations["NYC"].source_code, locations["NYC"].stock_id) == ("nyc_store", 2)
    assert (locations["WH"].source_code, locations["WH"].stock_id) == ("nj_warehouse", 3)
    assert (locations["NYC"].region, locations["NYC"].postcode) == ("NY", "10001")
    assert (locations["WH"].region, locations["WH"].postcode) == ("NJ", "07102")
    assert all(loc.timezone == "America/New_York" and loc.currency == "USD" for loc in locations.values())
    links: dict[int, set[str]] = defaultdict(set)
    for row in _rows(demo.engine, select(t.stock_sources)):
        links[row.stock_id].add(row.source_code)
    assert links == {1: {"nyc_store", "nj_warehouse"}, 2: {"nyc_store"}, 3: {"nj_warehouse"}}
    stocks = {row.id: row.name for row in _rows(demo.engine, select(t.stocks))}
    assert stocks[1] == "Default Stock"


# --- the catalog --------------------------------------------------------------------------------


def test_catalog_has_the_promised_shape(demo: Seeded) -> None:
    products = _products(demo.engine)
    kinds = Counter("variant" if p.parent_sku else p.type for p in products.values())
    assert kinds["configurable"] >= 8
    assert kinds["simple"] + kinds["virtual"] >= 60
    assert kinds["variant"] >= kinds["configurable"] * 2
    assert demo.store.products == len(products)
    categories = _rows(demo.engine, select(t.categories))
    roots = {c.id for c in categories if c.parent_id is None}
    assert 10 <= len(categories) <= 16
    assert all(c.parent_id is None or c.parent_id in roots for c in categories)
    known = {c.id for c in categories}
    assert all(set(p.category_ids) <= known and p.category_ids for p in products.values())
    sets = _rows(demo.engine, select(t.attribute_sets))
    assert len(sets) >= 3


def test_each_configurable_offers_every_size_and_colour(demo: Seeded) -> None:
    products = _products(demo.engine)
    attributes = _attributes(demo.engine)
    size_label = {o.value: o.label for o in attributes["size"].options}
    colour_label = {o.value: o.label for o in attributes["color"].options}
    parents = [p for p in products.values() if p.type == "configurable"]
    for parent in parents:
        assert parent.configurable_attributes == ("size", "color")
        assert parent.barcode is None
        assert not parent.is_sellable
        children = [p for p in products.values() if p.parent_sku == parent.sku]
        sizes = {str(c.attributes["size"]) for c in children}
        colours = {str(c.attributes["color"]) for c in children}
        pairs = {(str(c.attributes["size"]), str(c.attributes["color"])) for c in children}
        assert len(children) == len(sizes) * len(colours) == len(pairs), parent.sku
        assert len(sizes) >= 2, parent.sku
        assert len(colours) >= 2, parent.sku
        for child in children:
            assert child.type == "simple"
            assert child.is_sellable
            assert size_label[str(child.attributes["size"])] in child.name
            assert colour_label[str(child.attributes["color"])] in child.name
        # A cashier picking a size and a colour gets exactly that child.
        size, colour = sorted(pairs)[-1]
        chosen = variant_for(parent, children, {"size": size, "color": colour})
        assert (str(chosen.attributes["size"]), str(chosen.attributes["color"])) == (size, colour)


def test_eav_values_live_in_the_table_of_their_type(demo: Seeded) -> None:
    attributes = _attributes(demo.engine)
    assert {"color", "size", "material", "description", "weight", "launch_date", "care_code"} <= set(
        attributes
    )
    expected = {
        "color": "int",
        "size": "int",
        "material": "varchar",
        "description": "text",
        "weight": "decimal",
        "launch_date": "datetime",
        "care_code": "int",
    }
    assert {code: attributes[code].backend_type for code in expected} == expected
    assert attributes["color"].frontend_input == "select"
    assert len(attributes["color"].options) >= 8
    assert attributes["size"].frontend_input == "select"
    assert len(attributes["size"].options) >= 8
    for backend, table in t.product_values.items():
        codes = {row.attribute_code for row in _rows(demo.engine, select(table.c.attribute_code))}
        assert codes, f"nothing stored as {backend}"
        assert {attributes[c].backend_type for c in codes} == {backend}
        for row in _rows(demo.engine, select(table)):
            # Every value is one the attribute accepts: select values are known option ids.
            attributes[row.attribute_code].coerce(row.value)


def test_products_only_hold_attributes_of_their_set(demo: Seeded) -> None:
    members: dict[str, set[str]] = defaultdict(set)
    for row in _rows(demo.engine, select(t.attribute_set_members)):
        members[row.set_name].add(row.attribute_code)
    for product in _products(demo.engine).values():
        assert set(product.attributes) <= members[product.attribute_set], product.sku


def test_barcodes_are_unique_valid_ean13(demo: Seeded) -> None:
    products = _products(demo.engine)
    barcodes = [p.barcode for p in products.values() if p.is_sellable]
    assert all(barcodes)
    assert all(is_valid_ean13(b) for b in barcodes if b)
    assert len(set(barcodes)) == len(barcodes)


def test_every_sellable_product_has_stock_at_both_shops(demo: Seeded) -> None:
    products = _products(demo.engine)
    sellable = {sku for sku, p in products.items() if p.is_sellable}
    items: dict[str, dict[str, Any]] = defaultdict(dict)
    for row in _rows(demo.engine, select(t.source_items)):
        items[row.sku][row.source_code] = row
    assert set(items) == sellable
    assert all(set(sources) == {"nyc_store", "nj_warehouse"} for sources in items.values())
    for sources in items.values():
        for item in sources.values():
            assert item.in_stock == (item.quantity > 0)
    salable_nyc = [sku for sku in sellable if items[sku]["nyc_store"].quantity > 0]
    assert len(salable_nyc) > 0.8 * len(sellable)
    # The story the demo tells: sold out everywhere, only at the warehouse.
    assert items["HOME-SKILLET"]["nyc_store"].quantity == items["HOME-SKILLET"]["nj_warehouse"].quantity == 0
    assert items["HOME-RUG-JUTE"]["nyc_store"].quantity == 0
    assert items["HOME-RUG-JUTE"]["nj_warehouse"].quantity > 0


def test_special_prices_are_active_expired_and_future(demo: Seeded) -> None:
    products = _products(demo.engine)
    throw, weekender, mug = (
        products["HOME-THROW-WOOL"],
        products["ACC-WEEKENDER-LTH"],
        products["HOME-MUG-STONE"],
    )
    assert throw.special_price
    assert throw.special_price.is_active(TODAY)
    assert throw.final_price(TODAY, 1) == Decimal("99.00")
    assert weekender.special_price
    assert not weekender.special_price.is_active(TODAY)
    assert weekender.special_price.ends
    assert weekender.special_price.ends < TODAY
    assert weekender.final_price(TODAY, 1) == Decimal("245.00")
    assert mug.special_price
    assert mug.special_price.starts
    assert mug.special_price.starts > TODAY


def test_tier_prices_reward_quantity_and_the_wholesale_group(demo: Seeded) -> None:
    mug = _products(demo.engine)["HOME-MUG-STONE"]
    assert mug.final_price(TODAY, 1) == Decimal("18.00")
    assert mug.final_price(TODAY, 1, Decimal("4")) == Decimal("16.00")
    assert mug.final_price(TODAY, 2) == Decimal("11.00")
    assert mug.final_price(TODAY, 2, Decimal("24")) == Decimal("9.50")
    socks = [p for p in _products(demo.engine).values() if p.parent_sku == "ACC-CREW-SOCKS"]
    assert all(s.final_price(TODAY, 0, Decimal("3")) == Decimal("12.00") for s in socks)


# --- customers, tax, cart rules -----------------------------------------------------------------


def test_customers_are_plausible_and_in_magento_groups(demo: Seeded) -> None:
    groups = {row.id: row for row in _rows(demo.engine, select(t.customer_groups))}
    assert {g: (groups[g].code, groups[g].tax_class) for g in groups} == {
        0: ("NOT LOGGED IN", "Retail Customer"),
        1: ("General", "Retail Customer"),
        2: ("Wholesale", "Wholesale Customer"),
        3: ("Retailer", "Retail Customer"),
    }
    rows = _rows(demo.engine, select(t.customers))
    assert 35 <= len(rows) <= 45
    assert len(rows) == demo.store.customers
    customers = [Customer(r.email, r.firstname, r.lastname, r.group_id, r.phone) for r in rows]
    assert len({c.email for c in customers}) == len(customers)
    assert len({c.name for c in customers}) == len(customers)
    assert set(Counter(c.group_id for c in customers)) == {1, 2, 3}


def test_tax_follows_magento_defaults_and_exempts_by_having_no_rule(demo: Seeded) -> None:
    settings = {row.key: row.value for row in _rows(demo.engine, select(t.settings))}
    assert settings["tax_config"] == {
        "algorithm": "TOTAL",
        "prices_include_tax": False,
        "apply_after_discount": True,
        "discount_on_prices_including_tax": False,
        "cross_border_trade": False,
    }
    assert settings["store"]["currency"] == "USD"
    assert settings["store"]["locale"] == "en-US"
    rates = {row.code: row for row in _rows(demo.engine, select(t.tax_rates))}
    by_place: dict[tuple[str, str], set[Decimal]] = defaultdict(set)
    for r in rates.values():
        if r.postcode == "*":
            by_place[(r.country, r.region)].add(r.percent)
    assert by_place[("US", "NY")] == {Decimal("8.875")}
    assert by_place[("US", "NJ")] == {Decimal("6.625")}
    assert by_place[("GB", "*")] == {Decimal("20")}
    assert Decimal("20") in by_place[("FR", "*")]
    assert by_place[("DE", "*")] == {Decimal("19"), Decimal("7")}
    assert any("-" in r.postcode for r in rates.values()), "no postcode-range rate"
    rules = _rows(demo.engine, select(t.tax_rules))
    customer_classes = {c for r in rules for c in r.customer_classes}
    product_classes = {c for r in rules for c in r.product_classes}
    assert "Wholesale Customer" not in customer_classes
    assert "Gift Card" not in product_classes
    assert {"Taxable Goods", "Clothing"} <= product_classes
    assert all(set(r.rates) <= set(rates) for r in rules)
    # New Jersey exempts clothing, New York taxes it: the rule for clothing says so.
    clothing_regions = {
        rates[code].region for r in rules if "Clothing" in r.product_classes for code in r.rates
    }
    assert "NY" in clothing_regions
    assert "NJ" not in clothing_regions
    gift_cards = [p for p in _products(demo.engine).values() if p.tax_class == "Gift Card"]
    assert gift_cards
    assert all(p.type == "virtual" for p in gift_cards)


def test_cart_rules_offer_coupons_an_expired_one_and_an_automatic_one(demo: Seeded) -> None:
    rules = {row.coupon_code: row for row in _rows(demo.engine, select(t.cart_rules))}
    welcome, save5 = rules["WELCOME10"], rules["SAVE5"]
    assert (welcome.action, welcome.amount) == ("by_percent", Decimal("10"))
    assert (save5.action, save5.amount, save5.min_subtotal) == (
        "cart_fixed",
        Decimal("5.00"),
        Decimal("25.00"),
    )
    expired = [r for r in rules.values() if r.to_date is not None and r.to_date < TODAY]
    assert expired
    assert all(r.coupon_code for r in expired)
    automatic = rules[None]
    assert automatic.customer_groups == [2]
    assert automatic.action == "by_percent"
    assert set(demo.store.coupons) == {code for code in rules if code}


# --- sync and re-seeding ------------------------------------------------------------------------


def test_change_feed_announces_every_synced_entity(demo: Seeded) -> None:
    feed: dict[str, set[str]] = defaultdict(set)
    for row in _rows(demo.engine, select(t.change_log)):
        assert row.seq is not None, "feed rows are stamped so tills can pull at once"
        feed[row.dataset].add(row.entity_key)
    products = _products(demo.engine)
    assert feed["products"] == set(products)
    assert feed["prices"] == set(products)
    sellable = [sku for sku, p in products.items() if p.is_sellable]
    assert feed["stock"] == {f"{sku}@{stock}" for sku in sellable for stock in (1, 2, 3)}
    assert feed["customers"] == {str(r.id) for r in _rows(demo.engine, select(t.customers.c.id))}
    assert feed["staff"] == {str(r.id) for r in _rows(demo.engine, select(t.staff.c.id))}
    tax_codes = {f"rate:{r.code}" for r in _rows(demo.engine, select(t.tax_rates.c.code))}
    tax_codes |= {f"rule:{r.code}" for r in _rows(demo.engine, select(t.tax_rules.c.code))}
    assert feed["tax"] == tax_codes | {"config"}
    assert feed["promotions"] == {str(r.id) for r in _rows(demo.engine, select(t.cart_rules.c.id))}


def test_seeding_twice_is_refused_and_changes_nothing(demo: Seeded) -> None:
    def count() -> int:
        with demo.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t.products)).scalar_one())

    before = count()
    with pytest.raises(SeedError, match="empty database"):
        seed_demo(demo.engine)
    assert count() == before


@pytest.mark.db
def test_demo_seeds_on_every_backend(engine: Engine) -> None:
    """The same demo on SQLite, PostgreSQL and MariaDB, and ids keep counting after it."""
    store = seed_demo(engine)
    with engine.connect() as conn:
        products = conn.execute(select(func.count()).select_from(t.products)).scalar_one()
        pin_hash = conn.execute(select(t.staff.c.pin_hash).where(t.staff.c.username == "maya")).scalar_one()
        total = conn.execute(select(func.sum(t.source_items.c.quantity))).scalar_one()
    assert products == store.products
    assert verify_secret(pin_hash, store.staff_member("maya").pin)
    assert total > 0
    # Explicit ids were written; a customer created afterwards must still get a fresh one.
    with engine.begin() as conn:
        conn.execute(
            insert(t.customers).values(
                email="walk.in@example.com",
                firstname="Walk",
                lastname="In",
                group_id=1,
                created_at=func.now(),
                updated_at=func.now(),
            )
        )
    with pytest.raises(SeedError):
        seed_demo(engine)
