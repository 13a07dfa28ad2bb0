"""Pulling Magento into Till's model (every database), and every change into the change feed."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine, func, select

from tests.magento.conftest import client_for, run
from tests.magento.double import MagentoDouble
from tests.magento.store import STAMP, seed_till_shop
from till.magento.pull import pull
from till.services.sync import pull as feed_pull
from till.storage import tables as t
from till.storage.uow import UnitOfWork


def _pull(engine: Engine, magento: MagentoDouble, *, full: bool = False) -> dict[str, int]:
    async def go() -> dict[str, int]:
        async with client_for(magento) as client:
            return (await pull(engine, client, full=full)).changed

    return run(go())


def _feed(engine: Engine, dataset: str, cursor: int = 0) -> tuple[list[dict[str, object]], int]:
    page = feed_pull(engine, dataset, cursor, 500, "NYC")
    return page.items, page.cursor


def test_full_pull_brings_catalog_customers_tax_and_stock_into_the_feed(
    engine: Engine, magento: MagentoDouble
) -> None:
    seed_till_shop(engine)
    _pull(engine, magento, full=True)

    products, _ = _feed(engine, "products")
    by_sku = {p["sku"]: p for p in products}
    # Bundles are not sold at a till; everything else arrives.
    assert sorted(by_sku) == [
        "24-MB01",
        "24-MB02",
        "GC-25",
        "MH01",
        "MH01-L-Red",
        "MH01-M-Black",
        "MH01-S-Black",
    ]
    bag = by_sku["24-MB01"]
    assert (
        bag["price"] == "34.00" and bag["tax_class"] == "Taxable Goods" and bag["barcode"] == "0614141000012"
    )
    assert bag["attributes"] == {
        "barcode": "0614141000012",
        "description": "<p>A roomy bag.</p>",
        "image_url": f"{magento.url}/media/catalog/product/m/b/mb01-blue-0.jpg",  # type: ignore[attr-defined]
        "material": "Nylon",
        "weight": "1.5000",
    }
    assert bag["category_ids"] == [5] and bag["attribute_set"] == "Default"
    pack = by_sku["24-MB02"]
    assert (pack["special_price"], pack["special_from"], pack["special_to"]) == ("49.00", "2020-01-01", None)
    assert pack["tier_prices"] == [
        {"qty": "1.0000", "price": "40.00", "customer_group_id": 2},
        {"qty": "3.0000", "price": "45.00", "customer_group_id": None},
    ]
    hoodie = by_sku["MH01"]
    assert hoodie["type"] == "configurable" and hoodie["configurable_attributes"] == ["color", "size"]
    child = by_sku["MH01-M-Black"]
    assert (
        child["parent_sku"] == "MH01"
        and child["attributes"]["color"] == 49
        and child["attribute_set"] == "Top"
    )
    assert by_sku["GC-25"]["type"] == "virtual" and by_sku["GC-25"]["tax_class"] == "None"

    customers, _ = _feed(engine, "customers")
    assert sorted((c["email"], c["group_id"]) for c in customers) == [
        ("buyer@wholesale.example.com", 2),
        ("roni_cost@example.com", 1),
    ]
    tax, _ = _feed(engine, "tax")
    rates = {item["code"]: item for item in tax if item["kind"] == "rate"}
    assert rates["US-NY-*-Rate 1"]["percent"] == "8.875" and rates["US-NY-*-Rate 1"]["region"] == "NY"
    rule = next(item for item in tax if item["kind"] == "rule")
    assert rule["customer_classes"] == ["Retail Customer", "Wholesale Customer"]
    assert rule["product_classes"] == ["Taxable Goods"] and rule["rates"] == [
        "US-CA-*-Rate 1",
        "US-NY-*-Rate 1",
    ]

    stock, _ = _feed(engine, "stock")
    salable = {s["sku"]: s["salable"] for s in stock}
    assert (
        salable["24-MB01"] == "10.0000"
        and salable["MH01-M-Black"] == "1.0000"
        and salable["MH01-L-Red"] == "0.0000"
    )

    with engine.connect() as conn:
        groups = dict(conn.execute(select(t.customer_groups.c.id, t.customer_groups.c.code)).all())
        sets = set(conn.execute(select(t.attribute_sets.c.name)).scalars())
        categories = conn.execute(select(func.count()).select_from(t.categories)).scalar_one()
        states = {r.dataset: r.last_success_at for r in conn.execute(select(t.magento_pull_state))}
    assert groups == {0: "NOT LOGGED IN", 1: "General", 2: "Wholesale", 3: "Retailer"}
    assert {"Default", "Top"} <= sets and categories == 5
    assert all(states.get(d) for d in ("products", "customers", "tax", "stock", "inventory", "stores"))


def test_delta_pull_takes_only_what_changed_since_with_an_overlap(
    engine: Engine, magento: MagentoDouble
) -> None:
    seed_till_shop(engine)
    _pull(engine, magento, full=True)
    _, cursor = _feed(engine, "products")

    # Nothing changed in Magento: a delta re-reads the overlap window but changes nothing.
    changed = _pull(engine, magento)
    assert changed["products"] == 0 and changed["customers"] == 0
    assert _feed(engine, "products", cursor)[0] == []

    # A price change in Magento (its updated_at moves on) reaches the tills' feed.
    magento.products["24-MB01"]["price"] = 36.5
    magento.products["24-MB01"]["updated_at"] = "2026-11-25 12:00:00"
    changed = _pull(engine, magento)
    assert changed["products"] == 1
    items, _ = _feed(engine, "prices", 0)
    assert next(i for i in items if i["sku"] == "24-MB01")["price"] == "36.50"

    # A row stamped a little before the last one seen (a late commit) is still caught by the overlap.
    magento.products["24-MB02"]["name"] = "Fusion Backpack 2"
    magento.products["24-MB02"]["updated_at"] = "2026-11-25 11:58:00"
    assert _pull(engine, magento)["products"] == 1
    assert STAMP < "2026-11-25 11:58:00"

    # A variant changed alone (its parent not in the delta) keeps its parent.
    magento.products["MH01-S-Black"]["price"] = 55.0
    magento.products["MH01-S-Black"]["updated_at"] = "2026-11-25 12:05:00"
    assert _pull(engine, magento)["products"] == 1
    with UnitOfWork(engine) as uow:
        variant = uow.catalog.products(["MH01-S-Black"])["MH01-S-Black"]
    assert variant.parent_sku == "MH01" and variant.price == Decimal("55.00")


def test_full_pull_disables_products_magento_no_longer_has(engine: Engine, magento: MagentoDouble) -> None:
    seed_till_shop(engine)
    _pull(engine, magento, full=True)
    del magento.products["GC-25"]
    _pull(engine, magento, full=True)
    with UnitOfWork(engine) as uow:
        assert uow.catalog.products(["GC-25"])["GC-25"].enabled is False


def test_stock_pull_mirrors_source_items_and_magentos_salable_quantity(
    engine: Engine, magento: MagentoDouble
) -> None:
    seed_till_shop(engine)
    _pull(engine, magento, full=True)
    _, cursor = _feed(engine, "stock")
    # A web order of 3 bags reserves 3 in Magento's stock 1 — not the shop's stock 2; then
    # the warehouse receives 5 of the hoodie and the shop counts 7 bags.
    magento.place_web_order([("24-MB01", Decimal(3))])
    magento.source_items[("24-MB01", "nyc_store")]["quantity"] = 7.0
    _pull(engine, magento)
    items, _ = _feed(engine, "stock", cursor)
    assert [(i["sku"], i["salable"]) for i in items] == [("24-MB01", "7.0000")]
    with UnitOfWork(engine) as uow:
        assert uow.stock.salable(2, ["24-MB01"])["24-MB01"] == Decimal("7.0000")


def test_a_till_selling_from_the_web_stock_sees_magentos_reservations(
    engine: Engine, magento: MagentoDouble
) -> None:
    """A merchant with one stock for everything: the till's location sells from the website's
    stock, so web orders not shipped yet (reservations, not readable over REST) must show."""
    from till.magento.settings import LocationMapping

    seed_till_shop(engine)
    mapping = {"NYC": LocationMapping(source="nyc_store", stock_id=1)}

    async def go(full: bool) -> None:
        async with client_for(magento, locations=mapping) as client:
            await pull(engine, client, full=full)

    run(go(True))
    with UnitOfWork(engine) as uow:
        assert uow.reference.location("NYC").stock_id == 1  # type: ignore[union-attr]
        assert uow.stock.salable(1, ["24-MB01"])["24-MB01"] == Decimal("110.0000")
    magento.place_web_order([("24-MB01", Decimal(3))])
    run(go(False))  # no product or source item moved: the salable sweep finds it
    with UnitOfWork(engine) as uow:
        assert (
            uow.stock.salable(1, ["24-MB01"])["24-MB01"]
            == Decimal("107.0000")
            == magento.salable("24-MB01", 1)
        )
    # The web order ships from the warehouse: source −3, reservation +3; Till follows.
    web = next(iter(magento.orders))
    magento.ship(
        {"orderId": str(web)}, {}, {"arguments": {"extension_attributes": {"source_code": "nj_warehouse"}}}
    )
    run(go(False))
    with UnitOfWork(engine) as uow:
        assert uow.stock.salable(1, ["24-MB01"])["24-MB01"] == Decimal("107.0000")
        levels = {level.source_code: level.quantity for level in uow.stock.levels("24-MB01")}
    assert levels == {"nj_warehouse": Decimal("97.0000"), "nyc_store": Decimal("10.0000")}


def test_salable_sweep_walks_every_sku_a_slice_at_a_time(sqlite_engine: Engine) -> None:
    from till.magento.pull import _sweep

    skus = ["a", "b", "c", "d", "e"]
    slices = [sorted(_sweep(sqlite_engine, skus, 2)) for _ in range(3)]
    assert slices == [["a", "b"], ["c", "d"], ["a", "e"]]
