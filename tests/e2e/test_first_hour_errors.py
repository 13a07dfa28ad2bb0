"""Errors that name the real cause, and who reads stock-adjustment history (issue 18 item 6)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.e2e.conftest import Live, live
from till.api.app import create_app
from till.domain.staff import Role
from till.magento.settings import MagentoSettings
from till.services.auth import add_staff
from till.settings import Settings
from till.storage.events import Actor

__all__ = ["live"]


def test_the_magento_webhook_names_the_setting_that_is_missing(sqlite_engine: Engine) -> None:
    app = create_app(
        Settings(database_url=str(sqlite_engine.url), web_dist=Path("/nonexistent")), sqlite_engine
    )
    with TestClient(app) as api:
        app.state.magento_settings = MagentoSettings(webhook_secret="hook-secret")
        only_secret = api.post("/api/magento/webhook", content=b"{}")
        app.state.magento_settings = MagentoSettings(base_url="https://shop.example.com")
        only_url = api.post("/api/magento/webhook", content=b"{}")
        app.state.magento_settings = MagentoSettings()
        neither = api.post("/api/magento/webhook", content=b"{}")
    assert only_secret.status_code == 404
    assert "TILL_MAGENTO_BASE_URL" in only_secret.json()["detail"]
    assert "set TILL_MAGENTO_WEBHOOK_SECRET" not in only_secret.json()["detail"]
    assert only_url.status_code == 404 and "TILL_MAGENTO_WEBHOOK_SECRET" in only_url.json()["detail"]
    assert "TILL_MAGENTO_BASE_URL" not in only_url.json()["detail"]
    detail = neither.json()["detail"]
    assert "TILL_MAGENTO_BASE_URL" in detail and "TILL_MAGENTO_WEBHOOK_SECRET" in detail


def test_managers_read_their_locations_stock_and_cash_history_admins_read_all(live: Live) -> None:
    """Only an admin reads the whole audit log (and is named as the one who may); a manager
    reads the stock adjustments and cash movements of the locations they work at."""
    add_staff(
        live.engine,
        username="nico",
        name="Nico Park",
        role=Role.MANAGER,
        password="nico-manager",
        pin="482604",
        locations=["WH"],
        by=Actor.command_line("test"),
    )
    sources = {loc.code: loc.source_code for loc in live.store.locations}
    with live.sign_in("grace") as grace:
        sku = next(
            p["sku"]
            for p in grace.get("/api/products", params={"q": "a", "limit": 50}).json()
            if p["type"] == "simple"
        )
        for code in ("NYC", "WH"):
            adjusted = grace.post(
                "/api/stock/adjustments",
                json={"sku": sku, "source_code": sources[code], "reason": "receive", "quantity": "3"},
            )
            assert adjusted.status_code in (200, 201, 204), adjusted.text

        whole = grace.get("/api/admin/audit")
        assert whole.status_code == 403
        assert "only an admin may read the audit log" in whole.json()["detail"]
        assert "ask a manager" not in whole.json()["detail"]
        assert grace.get("/api/admin/audit", params={"action": "refund"}).status_code == 403

        stock = grace.get("/api/admin/audit", params={"action": "stock"})
        assert stock.status_code == 200, stock.text
        assert {e["location_code"] for e in stock.json()["entries"]} == {"NYC", "WH"}
        assert all(e["action"].startswith("stock.") for e in stock.json()["entries"])
        assert grace.get("/api/admin/audit", params={"action": "cash", "location": "NYC"}).status_code == 200
        assert grace.get("/api/admin/audit.csv", params={"action": "stock.receive"}).status_code == 200

    with live.client() as anonymous:
        token = anonymous.post(
            "/api/auth/sign-in", json={"username": "nico", "password": "nico-manager"}
        ).json()["token"]
    with live.client(token) as nico:
        mine = nico.get("/api/admin/audit", params={"action": "stock"})
        assert mine.status_code == 200, mine.text
        entries = mine.json()["entries"]
        assert entries and {e["location_code"] for e in entries} == {"WH"}, "only his location's"
        assert Decimal(entries[0]["detail"]["quantity"]) == 3
        elsewhere = nico.get("/api/admin/audit", params={"action": "stock", "location": "NYC"})
        assert elsewhere.status_code == 403 and "NYC" in elsewhere.json()["detail"]

    with live.sign_in("admin") as admin:
        assert admin.get("/api/admin/audit").status_code == 200
