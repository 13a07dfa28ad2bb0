"""Delta pulls that neither stop nor skip (issue 13 items 1 and 13): one failing data set does
not stop the others, lists are paged by key, and changes Magento does not stamp still arrive."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from tests.magento.conftest import client_for, run
from tests.magento.double import MagentoDouble
from tests.magento.store import seed_till_shop
from till.magento.client import MagentoUnavailable
from till.magento.pull import PullFailed, pull, pull_states
from till.magento.settings import LocationMapping
from till.storage import tables as t
from till.storage.uow import UnitOfWork


def _pull(engine: Engine, magento: MagentoDouble, *, full: bool = False, **settings: object) -> None:
    async def go() -> None:
        async with client_for(magento, **settings) as client:
            await pull(engine, client, full=full)

    run(go())


def _price(engine: Engine, sku: str) -> Decimal:
    with UnitOfWork(engine) as uow:
        return uow.catalog.products([sku])[sku].price


def test_one_failing_data_set_does_not_stop_the_others(engine: Engine, magento: MagentoDouble) -> None:
    seed_till_shop(engine)
    _pull(engine, magento, full=True)
    # Categories break in Magento (an extension's bug, a removed scope…); a price changes and
    # the shop counts its bags.
    magento.fail_before[("GET", "/V1/categories/list")] = [400] * 10
    magento.products["24-MB01"]["price"] = 39.0
    magento.products["24-MB01"]["updated_at"] = "2026-11-25 12:00:00"
    magento.source_items[("24-MB01", "nyc_store")]["quantity"] = 6.0

    with pytest.raises(PullFailed, match="categories") as failed:
        _pull(engine, magento)
    assert list(failed.value.report.failed) == ["categories"]
    assert _price(engine, "24-MB01") == Decimal("39.00")
    with UnitOfWork(engine) as uow:
        assert uow.stock.salable(2, ["24-MB01"])["24-MB01"] == Decimal("6.0000")
    states = {s["dataset"]: s for s in pull_states(engine)}
    assert states["categories"]["last_error"] and not states["products"]["last_error"]


def test_a_row_updated_while_a_pull_pages_pushes_no_other_row_off_the_page(
    sqlite_engine: Engine, magento: MagentoDouble
) -> None:
    """Item 13: sorted by updated_at, a product changed between two pages moves to the end; with
    offset paging the product behind it slides onto the page already read and is never seen."""
    seed_till_shop(sqlite_engine)
    first = min(magento.products.values(), key=lambda p: p["id"])
    pages = {"served": 0}

    def change_after_first_page(method: str, template: str) -> None:
        if (method, template) == ("GET", "/V1/products"):
            pages["served"] += 1
            if pages["served"] == 1:
                first["updated_at"] = "2026-11-25 12:00:00"

    magento.after_call.append(change_after_first_page)
    _pull(sqlite_engine, magento, full=True)
    with UnitOfWork(sqlite_engine) as uow:
        pulled = set(uow.catalog.products(list(magento.products)))
    sold = {sku for sku, p in magento.products.items() if p["type_id"] != "bundle"}
    assert pulled == sold


def test_every_source_item_arrives_although_skus_tie_across_sources(
    sqlite_engine: Engine, magento: MagentoDouble
) -> None:
    """Item 13: a till selling from the web stock reads both sources; sorted by sku alone, one
    sku's two rows tie and MySQL orders them differently on each page's query."""
    seed_till_shop(sqlite_engine)
    web_stock = {"NYC": LocationMapping(source="nyc_store", stock_id=1)}
    # Pages of 3: a page boundary falls between a sku's two rows.
    _pull(sqlite_engine, magento, full=True, locations=web_stock, page_size=3)
    items = t.source_items.c
    with sqlite_engine.connect() as conn:
        rows = conn.execute(select(items.sku, items.source_code, items.quantity))
        till = {(r.sku, r.source_code): Decimal(str(r.quantity)) for r in rows}
    sellable = {sku for sku, p in magento.products.items() if p["type_id"] not in ("bundle", "configurable")}
    wanted = {
        key: Decimal(str(i["quantity"])) for key, i in magento.source_items.items() if key[0] in sellable
    }
    assert {key: till.get(key) for key in wanted} == wanted


def test_changes_magento_does_not_stamp_arrive_within_a_few_delta_pulls(
    sqlite_engine: Engine, magento: MagentoDouble
) -> None:
    """Item 13: a mass "Update attributes" leaves updated_at alone (magento2#37980): the delta
    filter never sees it; a rotating re-read of `page_size` products per delta pull does."""
    seed_till_shop(sqlite_engine)
    _pull(sqlite_engine, magento, full=True)
    # Later, a product is edited: the delta's `updated_at >=` moves past the others' stamps.
    magento.products["24-MB01"]["updated_at"] = "2026-11-25 12:00:00"
    _pull(sqlite_engine, magento)
    magento.mass_update_attributes(["GC-25", "24-MB02"], {"price": 27.0})
    rounds = -(-len(magento.products) // 2) + 1  # page_size 2: every product within this many
    for _ in range(rounds):
        _pull(sqlite_engine, magento)
    assert _price(sqlite_engine, "GC-25") == Decimal("27.00")
    assert _price(sqlite_engine, "24-MB02") == Decimal("27.00")


def test_till_magento_pull_shows_what_was_pulled_and_what_failed(
    tmp_path: Path, magento: MagentoDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    from till.cli import app
    from till.magento.settings import get_magento_settings
    from till.settings import get_settings
    from till.storage.db import make_engine
    from till.storage.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'till.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    seed_till_shop(engine)
    env = {
        "TILL_DATABASE_URL": url,
        "TILL_MAGENTO_BASE_URL": magento.url,  # type: ignore[attr-defined]
        "TILL_MAGENTO_CONSUMER_KEY": magento.consumer_key,
        "TILL_MAGENTO_CONSUMER_SECRET": magento.consumer_secret,
        "TILL_MAGENTO_ACCESS_TOKEN": magento.access_token,
        "TILL_MAGENTO_ACCESS_TOKEN_SECRET": magento.access_token_secret,
        "TILL_MAGENTO_LOCATIONS": json.dumps({"NYC": {"source": "nyc_store", "stock_id": 2}}),
        "TILL_MAGENTO_MAX_ATTEMPTS": "1",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    get_magento_settings.cache_clear()
    magento.fail_before[("GET", "/V1/taxRates/search")] = [503] * 5
    try:
        pulled = CliRunner().invoke(app, ["magento", "pull", "--full"])
    finally:
        get_settings.cache_clear()
        get_magento_settings.cache_clear()
    assert pulled.exit_code == 1, pulled.output
    assert (
        "tax not pulled" in pulled.output
        and "products not pulled: waits for tax, which failed" in pulled.output
    )
    with UnitOfWork(engine) as uow:  # what does not need tax came in all the same
        assert uow.customers.id_for_email("roni_cost@example.com") is not None


def test_every_reference_row_arrives_from_lists_longer_than_a_page(
    sqlite_engine: Engine, magento: MagentoDouble
) -> None:
    """Issue 13: without ORDER BY, MySQL orders a list's rows differently from one page's query
    to the next, so offset pages repeat rows and skip others (a skipped source failed the stock
    links' foreign key; a skipped tax rate was deleted from Till). Every list here is longer
    than a page of 2."""
    assert magento.unsorted_order_varies
    seed_till_shop(sqlite_engine)
    magento.tax_classes.append({"class_id": 7, "class_name": "Reduced Goods", "class_type": "PRODUCT"})
    for n, region in enumerate(("TX", "FL", "WA"), start=3):
        magento.tax_rates.append(
            {
                "id": n,
                "code": f"US-{region}-*-Rate 1",
                "tax_country_id": "US",
                "tax_region_id": 50 + n,
                "region_name": region,
                "tax_postcode": "*",
                "rate": 6.25,
            }
        )
    for n in (2, 3):
        magento.tax_rules.append(
            {
                "id": n,
                "code": f"US reduced {n}",
                "priority": n,
                "position": 0,
                "calculate_subtotal": False,
                "customer_tax_class_ids": [3],
                "product_tax_class_ids": [7],
                "tax_rate_ids": [n + 1],
            }
        )
    magento.attribute_sets.append({"attribute_set_id": 12, "attribute_set_name": "Gear", "entity_type_id": 4})
    magento.set_members[12] = ["material", "price", "sku"]
    magento.sources["boston_store"] = {"source_code": "boston_store", "name": "Boston Store", "enabled": True}
    channels: dict[str, list[object]] = {"sales_channels": []}
    magento.stocks[3] = {"stock_id": 3, "name": "Boston Store", "extension_attributes": channels}
    magento.links += [
        {"stock_id": 3, "source_code": "boston_store", "priority": 1},
        {"stock_id": 3, "source_code": "nj_warehouse", "priority": 2},
    ]

    _pull(sqlite_engine, magento, full=True, page_size=2)

    def column(*columns: object) -> set[object]:
        with sqlite_engine.connect() as conn:
            rows = conn.execute(select(*columns))  # type: ignore[call-overload]
            return {tuple(r) if len(r) > 1 else r[0] for r in rows}

    assert column(t.sources.c.code) == set(magento.sources)
    assert column(t.stocks.c.id) == set(magento.stocks)
    assert column(t.stock_sources.c.stock_id, t.stock_sources.c.source_code) == {
        (link["stock_id"], link["source_code"]) for link in magento.links
    }
    assert column(t.tax_rates.c.code) == {r["code"] for r in magento.tax_rates}
    assert column(t.tax_rules.c.code) == {r["code"] for r in magento.tax_rules}
    with sqlite_engine.connect() as conn:
        rules = {r.code: r.product_classes for r in conn.execute(select(t.tax_rules))}
    assert rules["US reduced 2"] == ["Reduced Goods"]
    assert column(t.customer_groups.c.id) == {g["id"] for g in magento.customer_groups}
    assert column(t.attribute_sets.c.name) == {s["attribute_set_name"] for s in magento.attribute_sets}
    assert {"color", "size", "material", "barcode", "description"} <= column(t.attributes.c.code)


def test_magento_refuses_a_sort_by_a_field_its_repository_has_no_column_for(magento: MagentoDouble) -> None:
    """The tax rate's `id` is its column tax_calculation_rate_id and the rate SortingProcessor
    maps nothing (Tax/etc/di.xml): ORDER BY id is an SQL error, a 500 (the double as Magento)."""

    async def go() -> None:
        async with client_for(magento, max_attempts=1) as client:
            with pytest.raises(MagentoUnavailable):
                await client.search_all("/V1/taxRates/search", sort=[("id", "ASC")])
            rates = await client.search_all("/V1/taxRates/search", sort=[("tax_calculation_rate_id", "DESC")])
            assert [r["id"] for r in rates] == sorted((r["id"] for r in magento.tax_rates), reverse=True)

    run(go())
