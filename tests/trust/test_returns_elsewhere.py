"""Returns at another store (issue 12 item 7), over HTTP on SQLite, PostgreSQL and MariaDB.

Decision: a customer may bring back a sale made at another location, as most retailers allow.
A member whose role has `return_elsewhere` (managers, admins) finds that sale by its receipt
number, reads it and its refunds, and refunds it at a register of their own location; the goods
go back on the shelf of the store that takes them (its source), never the selling store's.
A member without it (a cashier) does not see other locations' sales at all.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import Engine, select

from tests.e2e.conftest import Live, priced, sale_payload
from tests.e2e.conftest import live as live  # the server fixture
from till.storage.tables import source_items

NINA = {"username": "nina", "password": "nina-wh-password", "pin": "482193"}


def _nina(live: Live) -> httpx.Client:
    """A manager of the warehouse shop (WH) only."""
    with live.sign_in("admin") as admin:
        made = admin.post(
            "/api/admin/staff", json={**NINA, "name": "Nina Berg", "role": "manager", "locations": ["WH"]}
        )
    assert made.status_code == 201, made.text
    with live.client() as anonymous:
        signed = anonymous.post("/api/auth/sign-in", json={"username": "nina", "password": NINA["password"]})
    assert signed.status_code == 200, signed.text
    return live.client(signed.json()["token"])


def _on_hand(engine: Engine, sku: str, source: str) -> Decimal:
    with engine.connect() as conn:
        found = conn.execute(
            select(source_items.c.quantity).where(
                (source_items.c.sku == sku) & (source_items.c.source_code == source)
            )
        ).scalar_one()
    return Decimal(found)


def _nyc_sale(live: Live) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two units sold by Maya at NYC1; answers the product and the push result."""
    with live.sign_in("admin") as admin:
        found = admin.get("/api/products", params={"q": "a", "limit": 200}).json()
    product = next(
        p for p in found if p["type"] == "simple" and Decimal(p["price"]) > 5 and not p["special_price"]
    )
    payload = priced(
        live,
        sale_payload(
            live,
            key=f"sale-{uuid.uuid4()}",
            receipt="NYC1-000001",
            lines=[{"sku": product["sku"], "qty": "2", "unit_price": product["price"]}],
            staff_username="maya",
        ),
    )
    with live.sign_in("maya") as till:
        answer = till.post("/api/sync/push", json={"sales": [payload]})
    [result] = answer.json()["sales"]
    assert result["status"] == "accepted", result
    return product, result


def test_a_manager_takes_back_another_stores_sale_and_restocks_their_own_shelf(live: Live) -> None:
    product, sale = _nyc_sale(live)
    sources = {loc.code: loc.source_code for loc in live.store.locations}
    nyc_before = _on_hand(live.engine, product["sku"], sources["NYC"])
    wh_before = _on_hand(live.engine, product["sku"], sources["WH"])
    with _nina(live) as nina:
        # Found by the receipt number on the customer's slip, though it is not her store's.
        found = nina.get("/api/orders", params={"receipt_number": "NYC1-000001"})
        assert found.status_code == 200, found.text
        assert [o["id"] for o in found.json()] == [sale["order_id"]]
        order = nina.get(f"/api/orders/{sale['order_id']}")
        assert order.status_code == 200, order.text
        assert order.json()["location_code"] == "NYC"
        refunded = nina.post(
            f"/api/orders/{sale['order_id']}/refunds",
            json={
                "idempotency_key": f"refund-{uuid.uuid4()}",
                "register_code": "WH1",
                "lines": [{"line_no": 1, "qty": "1", "restock": True}],
            },
        )
        assert refunded.status_code == 201, refunded.text
        listed = nina.get(f"/api/orders/{sale['order_id']}/refunds")
        assert [r["id"] for r in listed.json()] == [refunded.json()["id"]]
        # Her own register only: a refund "at" NYC1 is still not hers to give.
        abroad = nina.post(
            f"/api/orders/{sale['order_id']}/refunds",
            json={
                "idempotency_key": f"refund-{uuid.uuid4()}",
                "register_code": "NYC1",
                "lines": [{"line_no": 1, "qty": "1", "restock": True}],
            },
        )
        assert abroad.status_code == 403, abroad.text
    # The unit is on the warehouse's shelf now, where it was handed in; NYC's is as the sale left it.
    assert _on_hand(live.engine, product["sku"], sources["WH"]) == wh_before + 1
    assert _on_hand(live.engine, product["sku"], sources["NYC"]) == nyc_before


def test_a_cashier_does_not_see_another_stores_sales(live: Live) -> None:
    _, sale = _nyc_sale(live)
    with live.sign_in("omar") as till:  # a cashier at WH
        assert till.get("/api/orders", params={"receipt_number": "NYC1-000001"}).json() == []
        assert till.get(f"/api/orders/{sale['order_id']}").status_code == 404
        assert till.get(f"/api/orders/{sale['order_id']}/refunds").status_code == 404
