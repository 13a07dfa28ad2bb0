"""The connector against Magento's route table, `till magento check`, the CLI, the webhook, and
the migration."""

from __future__ import annotations

import json
import re
import time
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from tests.integration.helpers import make_sale
from tests.magento.conftest import client_for, connector_settings, run
from tests.magento.double import TILL_POS_PREFIX, MagentoDouble, route_table, till_pos_route_table
from tests.magento.store import seed_till_shop
from till.api.app import create_app
from till.domain.customers import Customer
from till.magento.check import PROBES, check
from till.magento.client import MagentoClient
from till.magento.export import MagentoExporter
from till.magento.pull import pull, pull_customer_ids, pull_skus
from till.magento.settings import get_magento_settings
from till.magento.webhook import signature
from till.services.customers import create_customer
from till.settings import Settings, get_settings
from till.storage import tables as t
from till.storage.uow import UnitOfWork

SRC = Path(__file__).resolve().parents[2] / "src" / "till" / "magento"


def _exercise(engine: Engine, magento: MagentoDouble) -> set[tuple[str, str]]:
    """Everything the connector does: full pull, a sale and its refund exported, a check."""
    from till.domain.sales import RefundLineRequest
    from till.services.auth import Principal
    from till.services.refunds import refund
    from till.services.sales import place_sales

    staff = seed_till_shop(engine)
    magento.add_sales_rule(1, coupon_code="LUMA5")  # the sale below uses it: the coupon is counted

    async def first() -> set[tuple[str, str]]:
        async with client_for(magento) as client:
            await pull(engine, client, full=True)
            return client.stats.routes

    routes = run(first())
    [sale] = place_sales(
        engine,
        [
            make_sale(
                engine,
                key="sale-contract-1",
                receipt="NYC1-000001",
                staff_id=staff["cashier"],
                lines=[("24-MB01", Decimal(1))],
                coupon_code="LUMA5",
            )
        ],
    )
    with UnitOfWork(engine) as uow:
        manager = uow.staff.by_id(staff["manager"])
    assert manager is not None

    async def export_sale_alone() -> None:
        # A store that does not keep `ext_order_item_id`: the refund finds the items by position.
        async with client_for(magento) as client:
            await MagentoExporter(engine, client).export_sale(sale.order_id or "")
        for order in magento.orders.values():
            for item in order["items"]:
                item.pop("ext_order_item_id", None)
        with engine.begin() as conn:
            conn.execute(t.magento_links.update().values(detail={"invoice_id": 1, "stock_done": True}))

    run(export_sale_alone())
    refund(
        engine,
        Principal(staff=manager),
        order_id=sale.order_id or "",
        idempotency_key="refund-contract-1",
        register_code="NYC1",
        method="cash",
        lines=[RefundLineRequest(1, Decimal(1), restock=True)],
    )

    async def second() -> set[tuple[str, str]]:
        async with client_for(magento) as client:
            exporter = MagentoExporter(engine, client)
            with engine.connect() as conn:
                messages = conn.execute(select(t.outbox)).all()
            for m in messages:
                if m.topic in exporter.topics:  # as the queue routes them
                    await exporter.export(m.message_id, m.topic, m.payload)
            new_id, _ = create_customer(
                engine, Customer("new@example.com", "New", "Customer"), "cust-contract"
            )
            await exporter.export_customer(new_id)
            await check(engine, client)
            await pull_skus(engine, client, ["24-MB01"])
            await pull_customer_ids(engine, client, [min(magento.customers)])
            return client.stats.routes

    async def admin(totp_secret: str) -> set[tuple[str, str]]:
        settings = connector_settings(
            magento,
            consumer_key="",
            access_token="",
            admin_username="till-admin",
            admin_password="magento-secret-1",
            admin_totp_secret=totp_secret,
        )
        async with MagentoClient(settings) as client:
            await client.get("/V1/store/websites")
            return client.stats.routes

    async def with_till_pos() -> set[tuple[str, str]]:
        # A store with the companion module: a hoodie sale goes through its routes.
        magento.till_pos = True
        [hoodie] = place_sales(
            engine,
            [
                make_sale(
                    engine,
                    key="sale-contract-2",
                    receipt="NYC1-000002",
                    staff_id=staff["cashier"],
                    lines=[("MH01-S-Black", Decimal(1))],
                )
            ],
        )
        async with client_for(magento) as client:
            await MagentoExporter(engine, client).export_sale(hoodie.order_id or "")
            return client.stats.routes

    routes |= run(second()) | run(admin(magento.admin_totp_secret)) | run(with_till_pos())
    magento.till_pos = False
    magento.two_factor = False  # a store that turned Magento_TwoFactorAuth off
    return routes | run(admin(""))


def test_every_route_the_connector_calls_is_in_magentos_route_table(
    sqlite_engine: Engine, magento: MagentoDouble
) -> None:
    # Magento's routes, and the optional companion module's (its own etc/webapi.xml).
    declared = route_table() | till_pos_route_table()
    called = _exercise(sqlite_engine, magento)
    undeclared = sorted(r for r in called if r not in declared)
    assert not undeclared, f"not Magento routes (method, path): {undeclared}"
    # And no route in the connector's source escapes the exercise above.
    literals = set()
    for path in SRC.glob("*.py"):
        literals |= set(re.findall(r'"(/V1/[^"]*)"', path.read_text()))
    assert literals <= {route for _, route in called}, sorted(literals - {route for _, route in called})
    assert len(magento.creditmemos) == 1
    # `till magento check` probes exactly the ACL resources of the routes the connector calls.
    # (Not the module's: it is optional, and its capabilities call tells whether it is usable.)
    needed = {declared[r] for r in called if not r[1].startswith(TILL_POS_PREFIX)} - {"anonymous"}
    # ... and the resource an anonymous route checks itself (AccountManagementApi: `group_id`).
    assert {acl for acl, *_ in PROBES} == needed | {"Magento_Customer::manage"}
    assert {
        ("POST", "/V1/orders/"),
        ("POST", "/V1/order/:orderId/invoice"),
        ("POST", "/V1/order/:orderId/refund"),
        ("POST", "/V1/inventory/source-items"),
    } <= called


def test_check_names_missing_scopes_and_counts(sqlite_engine: Engine, magento: MagentoDouble) -> None:
    seed_till_shop(sqlite_engine)
    magento.granted = set(route_table().values()) - {
        "Magento_Sales::create",
        "Magento_InventoryApi::stock_source_item_assign",
    }

    async def go() -> object:
        async with client_for(magento) as client:
            return await check(sqlite_engine, client)

    report = run(go())
    assert report.reachable and not report.ok  # type: ignore[attr-defined]
    assert report.missing == [  # type: ignore[attr-defined]
        ("Magento_Sales::create", "creating orders"),
        ("Magento_InventoryApi::stock_source_item_assign", "updating source items"),
    ]
    assert report.counts["products"] == 8 and report.counts["customers"] == 2  # type: ignore[attr-defined]
    assert report.counts["sources"] == 3 and report.problems == []  # type: ignore[attr-defined]
    assert not magento.orders  # probing changed nothing


def test_check_says_when_the_credentials_are_wrong(sqlite_engine: Engine, magento: MagentoDouble) -> None:
    async def go() -> object:
        async with MagentoClient(connector_settings(magento, access_token_secret="wrong")) as client:
            return await check(sqlite_engine, client)

    report = run(go())
    assert "credentials do not work" in (report.error or "")  # type: ignore[attr-defined]


def test_cli_check_and_pull(tmp_path: Path, magento: MagentoDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    from till.cli import app
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
        "TILL_MAGENTO_PAYMENT_METHODS": json.dumps(
            {
                "cash": "cashondelivery",
                "card": "purchaseorder",
                "other": "checkmo",
                "gift_card": "checkmo",
                "store_credit": "checkmo",
                "on_account": "purchaseorder",
            }
        ),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    get_magento_settings.cache_clear()
    try:
        runner = CliRunner()
        checked = runner.invoke(app, ["magento", "check"])
        assert checked.exit_code == 0, checked.output
        assert "credentials accepted" in checked.output and "all 21 API scopes granted" in checked.output
        magento.add_sales_rule(5, name="Buy 2 get 1", simple_action="buy_x_get_y", discount_amount=1)
        pulled = runner.invoke(app, ["magento", "pull", "--full"])
        assert pulled.exit_code == 0, pulled.output
        assert "products" in pulled.output
        assert "cart price rule 5 is not offered at the tills: action buy_x_get_y" in pulled.output
        with UnitOfWork(engine) as uow:
            assert "24-MB01" in uow.catalog.products(["24-MB01"])
        monkeypatch.setenv("TILL_MAGENTO_BASE_URL", "")
        get_magento_settings.cache_clear()
        standalone = runner.invoke(app, ["magento", "pull"])
        assert standalone.exit_code == 1 and "standalone" in standalone.output
    finally:
        get_settings.cache_clear()
        get_magento_settings.cache_clear()


def test_signed_webhook_refreshes_a_product_and_its_stock_at_once(
    sqlite_engine: Engine, magento: MagentoDouble
) -> None:
    seed_till_shop(sqlite_engine)

    async def first() -> None:
        async with client_for(magento) as client:
            await pull(sqlite_engine, client, full=True)

    run(first())
    app = create_app(
        Settings(database_url=str(sqlite_engine.url), web_dist=Path("/nonexistent")), sqlite_engine
    )
    app.state.magento_settings = connector_settings(magento, webhook_secret="hook-secret")
    magento.products["24-MB01"]["price"] = 31.0
    magento.source_items[("24-MB01", "nyc_store")]["quantity"] = 4.0
    body = json.dumps(
        {"events": [{"entity": "product", "sku": "24-MB01"}, {"entity": "stock", "sku": "24-MB01"}]}
    ).encode()
    with TestClient(app) as api:
        unsigned = api.post("/api/magento/webhook", content=body)
        assert unsigned.status_code == 401
        forged = api.post(
            "/api/magento/webhook",
            content=body,
            headers={"X-Till-Signature": signature("not-the-secret", int(time.time()), body)},
        )
        assert forged.status_code == 401 and "does not match" in forged.json()["detail"]
        stale = api.post(
            "/api/magento/webhook",
            content=body,
            headers={"X-Till-Signature": signature("hook-secret", int(time.time()) - 3600, body)},
        )
        assert stale.status_code == 401
        bad = b'{"events": [{"entity": "order", "id": 1}]}'
        refused = api.post(
            "/api/magento/webhook",
            content=bad,
            headers={"X-Till-Signature": signature("hook-secret", int(time.time()), bad)},
        )
        assert refused.status_code == 422
        with UnitOfWork(sqlite_engine) as uow:
            assert uow.catalog.products(["24-MB01"])["24-MB01"].price == Decimal("34.00")
        good = api.post(
            "/api/magento/webhook",
            content=body,
            headers={"X-Till-Signature": signature("hook-secret", int(time.time()), body)},
        )
        assert good.status_code == 202, good.text
    with UnitOfWork(sqlite_engine) as uow:
        assert uow.catalog.products(["24-MB01"])["24-MB01"].price == Decimal("31.00")
        assert uow.stock.salable(2, ["24-MB01"])["24-MB01"] == Decimal("4.0000")


def test_webhook_is_off_without_a_secret(sqlite_engine: Engine, magento: MagentoDouble) -> None:
    app = create_app(
        Settings(database_url=str(sqlite_engine.url), web_dist=Path("/nonexistent")), sqlite_engine
    )
    app.state.magento_settings = connector_settings(magento)
    with TestClient(app) as api:
        assert api.post("/api/magento/webhook", content=b"{}").status_code == 404


def test_the_migration_makes_the_connectors_tables(sqlite_engine: Engine) -> None:
    from sqlalchemy import inspect

    names = set(inspect(sqlite_engine).get_table_names())
    assert {"magento_links", "magento_pull_state", "magento_stock_pushes"} <= names
    for table in (t.magento_links, t.magento_pull_state, t.magento_stock_pushes):
        columns = {c["name"] for c in inspect(sqlite_engine).get_columns(table.name)}
        assert columns == {c.name for c in table.columns}
