"""Staff see and do only what their role and locations allow, end to end over HTTP on each
database: refunds, discounts, price overrides, stock, other locations' orders, shifts and
reports, a manager of one shop at another, device revocation, lockout, token expiry and
rotation, and reports that can never write.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, inspect, select, update

from tests.e2e.conftest import Live, priced, sale_payload
from tests.e2e.conftest import live as live  # the server fixture, shared with the e2e tests
from tests.trust.db_snapshot import changes, snapshot
from till.security import token_digest
from till.services.reports import ReportRefused, run_read_only
from till.settings import Settings
from till.storage.tables import auth_tokens, devices, saved_reports, signin_attempts

NINA = {"username": "nina", "password": "nina-wh-password", "pin": "482107"}


def _key(what: str) -> str:
    return f"{what}-{uuid.uuid4()}"


def _detail(answer: httpx.Response) -> str:
    return str(answer.json()["detail"])


def _product(live: Live) -> dict[str, Any]:
    with live.sign_in("admin") as admin:
        found = admin.get("/api/products", params={"q": "a", "limit": 200}).json()
    return next(
        p
        for p in found
        if p["type"] == "simple"
        and Decimal(p["price"]) > 5
        and not p["special_price"]
        and not p["tier_prices"]
    )


def _sale(live: Live, location: str, receipt: str, who: str, **extra: Any) -> dict[str, Any]:
    """A sale placed by `who` at the location's first register; answers its push result."""
    product = _product(live)
    register = receipt.split("-")[0]
    lines = extra.pop("lines", None) or [{"sku": product["sku"], "qty": "2", "unit_price": product["price"]}]
    payload = priced(
        live,
        sale_payload(
            live,
            key=_key("sale"),
            receipt=receipt,
            lines=lines,
            register=register,
            location=location,
            staff_username=who,
            **extra,
        ),
    )
    with live.sign_in(who) as till:
        answer = till.post("/api/sync/push", json={"sales": [payload]})
    assert answer.status_code == 200, answer.text
    [result] = answer.json()["sales"]
    assert result["status"] == "accepted", result
    return result


def _nina(live: Live) -> httpx.Client:
    """A manager of the warehouse shop (WH) only, made by the admin over the API."""
    with live.sign_in("admin") as admin:
        made = admin.post(
            "/api/admin/staff",
            json={**NINA, "name": "Nina Berg", "role": "manager", "locations": ["WH"]},
        )
    assert made.status_code == 201, made.text
    with live.client() as anonymous:
        signed = anonymous.post("/api/auth/sign-in", json={"username": "nina", "password": NINA["password"]})
    assert signed.status_code == 200, signed.text
    return live.client(signed.json()["token"])


def _source(live: Live, location: str) -> str:
    return next(loc.source_code for loc in live.store.locations if loc.code == location)


def _refund(client: httpx.Client, order_id: str, register: str, key: str | None = None) -> httpx.Response:
    return client.post(
        f"/api/orders/{order_id}/refunds",
        json={
            "idempotency_key": key or _key("refund"),
            "register_code": register,
            "lines": [{"line_no": 1, "qty": "1", "restock": True}],
        },
    )


# --- what a cashier may not do ---------------------------------------------------------------


def test_a_cashier_cannot_refund_nor_see_a_refund_by_replaying_its_key(live: Live) -> None:
    order = _sale(live, "NYC", "NYC1-000001", "maya")
    with live.sign_in("maya") as till:
        denied = _refund(till, order["order_id"], "NYC1")
    assert denied.status_code == 403
    assert "may not refund" in _detail(denied)
    with live.sign_in("grace") as manager:
        assert manager.get(f"/api/orders/{order['order_id']}/refunds").json() == []
        key = _key("refund")
        given = _refund(manager, order["order_id"], "NYC1", key)
    assert given.status_code == 201, given.text
    # The key of a refund that exists must not hand it to someone who may not refund.
    with live.sign_in("maya") as till:
        replayed = _refund(till, order["order_id"], "NYC1", key)
    assert replayed.status_code == 403
    assert "id" not in replayed.json()


def test_a_discount_past_the_members_limit_stands_flagged_for_a_manager(live: Live) -> None:
    # A sale made at a till (maybe offline) is a fact: never refused, flagged and audited.
    over = _sale(live, "NYC", "NYC1-000001", "maya", cart_discount_percent="20")
    within = _sale(live, "NYC", "NYC1-000002", "maya", cart_discount_percent="10")
    managed = _sale(live, "NYC", "NYC1-000003", "grace", cart_discount_percent="20")
    assert over["flags"] == ["over_limit"]
    assert within["flags"] == []
    assert managed["flags"] == []
    with live.sign_in("grace") as manager:
        flags = manager.get("/api/admin/flags").json()
    [flag] = [f for f in flags if f["flag"] == "over_limit"]
    assert flag["order_id"] == over["order_id"]
    assert flag["detail"] == {"percent": "20.00", "limit": "10"}


def test_a_cashiers_price_override_is_flagged_not_allowed_and_catalog_prices_are_not_theirs(
    live: Live,
) -> None:
    product = _product(live)
    lower = str(Decimal(product["price"]) - Decimal("5.00"))
    line = {"sku": product["sku"], "qty": "1", "unit_price": lower, "price_override": True}
    cashier = _sale(live, "NYC", "NYC1-000001", "maya", lines=[line])
    manager = _sale(live, "NYC", "NYC1-000002", "grace", lines=[line])
    assert cashier["flags"] == manager["flags"] == ["price_override"]
    with live.sign_in("grace") as office:
        overrides = {f["order_id"]: f["detail"] for f in office.get("/api/admin/flags").json()}
    assert overrides[cashier["order_id"]]["allowed"] is False
    assert overrides[manager["order_id"]]["allowed"] is True
    with live.sign_in("maya") as till:
        changed = till.put(f"/api/admin/prices/{product['sku']}", json={"price": "1.00"})
        planned = till.post(
            "/api/admin/price-schedules",
            json={"sku": product["sku"], "special_price": "1.00", "starts_at": "2030-01-01T00:00:00+00:00"},
        )
        now = till.get(f"/api/products/{product['sku']}").json()
    assert changed.status_code == planned.status_code == 403
    assert now["price"] == product["price"]


def test_a_cashier_cannot_adjust_stock(live: Live) -> None:
    product = _product(live)
    nyc = _source(live, "NYC")
    with live.sign_in("maya") as till:
        before = till.get(f"/api/stock/{product['sku']}").json()
        answers = [
            till.post(
                "/api/stock/adjustments",
                json={"sku": product["sku"], "source_code": nyc, "reason": reason, "quantity": qty},
            )
            for reason, qty in (("receive", "5"), ("count", "100"), ("damage", "1"), ("correction", "-1"))
        ]
        after = till.get(f"/api/stock/{product['sku']}").json()
    assert [a.status_code for a in answers] == [403] * 4
    assert "may not stock adjust" in _detail(answers[0])
    assert after == before


def test_a_cashier_reads_only_their_own_locations_orders_stock_shifts_and_reports(live: Live) -> None:
    wh_order = _sale(live, "WH", "WH1-000001", "omar")
    nyc_order = _sale(live, "NYC", "NYC1-000001", "maya")
    with live.sign_in("omar") as wh_till:
        assert wh_till.post("/api/registers/WH1/shift", json={"opening_float": "50.00"}).status_code == 201
    with live.sign_in("grace") as manager:
        closed = manager.post("/api/registers/WH1/shift/close", json={"counted_cash": "50.00"})
        assert closed.status_code == 200, closed.text
        [wh_shift] = manager.get("/api/reports/z-report", params={"register": "WH1"}).json()["rows"]
    with live.sign_in("maya") as till:
        answers = {
            "WH orders": till.get("/api/orders", params={"location_code": "WH"}),
            "a WH order": till.get(f"/api/orders/{wh_order['order_id']}"),
            "a WH order's refunds": till.get(f"/api/orders/{wh_order['order_id']}/refunds"),
            "the WH1 X report": till.get("/api/registers/WH1/shift"),
            "opening WH1": till.post("/api/registers/WH1/shift", json={"opening_float": "0.00"}),
            "cash into WH1": till.post(
                "/api/registers/WH1/shift/cash", json={"kind": "in", "amount": "5.00", "reason": "float"}
            ),
            "a WH Z report": till.get(f"/api/shifts/{wh_shift[0]}/z-report"),
            "WH stock changes": till.get("/api/sync/stock", params={"location": "WH"}),
            "WH staff": till.get("/api/sync/staff", params={"location": "WH"}),
            "WH live events": till.get("/api/sync/events", params={"location": "WH"}),
            "a sales report": till.get("/api/reports/sales-by-day"),
            "flags": till.get("/api/admin/flags"),
            "rejected sales": till.get("/api/rejected-sales"),
            "monitoring": till.get("/api/admin/monitoring"),
            "devices": till.get("/api/devices"),
        }
        mine = till.get("/api/orders").json()
        boot = till.get("/api/sync/bootstrap").json()
    expected = {what: 403 for what in answers} | {"a WH order": 404, "a WH order's refunds": 404}
    assert {what: a.status_code for what, a in answers.items()} == expected
    for answer in answers.values():
        assert _detail(answer)
    assert [o["id"] for o in mine] == [nyc_order["order_id"]]
    assert {loc["code"] for loc in boot["locations"]} == {"NYC"}
    assert {r["location_code"] for r in boot["registers"]} == {"NYC"}


# --- a manager of one location at another ------------------------------------------------------


def test_a_manager_of_one_location_cannot_act_at_another(live: Live) -> None:
    nyc_order = _sale(live, "NYC", "NYC1-000001", "maya")
    wh_order = _sale(live, "WH", "WH1-000001", "omar")
    product = _product(live)
    with live.sign_in("grace") as grace:
        nyc_device = grace.post("/api/devices", json={"name": "NYC till", "register_code": "NYC1"}).json()
        assert grace.post("/api/registers/NYC2/shift", json={"opening_float": "0.00"}).status_code == 201
        assert grace.post("/api/registers/NYC2/shift/close", json={"counted_cash": "0.00"}).status_code == 200
        [nyc_shift] = grace.get("/api/reports/z-report", params={"register": "NYC2"}).json()["rows"]
        assert grace.post("/api/registers/NYC1/shift", json={"opening_float": "0.00"}).status_code == 201
    with live.sign_in("admin") as admin:
        saved = admin.post(
            "/api/reports",
            json={
                "name": "all-orders",
                "title": "All orders",
                "sql": "SELECT id FROM orders",
                "roles": ["manager"],
            },
        )
        assert saved.status_code == 201, saved.text
    # An unknown register is refused and kept: whose is it? Only staff of every location see it.
    with live.sign_in("maya") as till:
        ghost = {
            **sale_payload(live, key=_key("ghost"), receipt="ZZ9-000001", lines=[]),
            "register_code": "ZZ9",
        }
        till.post("/api/sync/push", json={"sales": [ghost]})
    with _nina(live) as nina:
        answers = {
            "refund at NYC1": _refund(nina, nyc_order["order_id"], "NYC1"),
            "adjust NYC stock": nina.post(
                "/api/stock/adjustments",
                json={
                    "sku": product["sku"],
                    "source_code": _source(live, "NYC"),
                    "reason": "receive",
                    "quantity": "5",
                },
            ),
            "open NYC2": nina.post("/api/registers/NYC2/shift", json={"opening_float": "0.00"}),
            "close NYC1": nina.post("/api/registers/NYC1/shift/close", json={"counted_cash": "0.00"}),
            "the NYC1 X report": nina.get("/api/registers/NYC1/shift"),
            "a NYC Z report": nina.get(f"/api/shifts/{nyc_shift[0]}/z-report"),
            "register a NYC till": nina.post(
                "/api/devices", json={"name": "mine now", "register_code": "NYC2"}
            ),
            "revoke a NYC till": nina.delete(f"/api/devices/{nyc_device['device_id']}"),
            "NYC orders": nina.get("/api/orders", params={"location_code": "NYC"}),
            "NYC sales by day": nina.get("/api/reports/sales-by-day", params={"location": "NYC"}),
            "NYC1's X report (report)": nina.get("/api/reports/x-report", params={"register": "NYC1"}),
            "every Z report": nina.get("/api/reports/z-report"),
            "a saved report over every shop": nina.get("/api/reports/all-orders"),
            "NYC stock changes": nina.get("/api/sync/stock", params={"location": "NYC"}),
        }
        # What is hers she may do and read, and only that.
        own_sales = nina.get("/api/reports/sales-by-location").json()
        own_refund = _refund(nina, wh_order["order_id"], "WH1")
        own_device = nina.post("/api/devices", json={"name": "WH till", "register_code": "WH1"})
        devices = nina.get("/api/devices").json()
        rejected = nina.get("/api/rejected-sales").json()
    # A NYC order itself she may read, to take it back at WH (tests/trust/test_returns_elsewhere.py).
    expected = {what: 403 for what in answers}
    assert {what: a.status_code for what, a in answers.items()} == expected
    assert own_sales["rows"] and {row[0] for row in own_sales["rows"]} == {"WH"}
    assert own_refund.status_code == 201, own_refund.text
    assert own_device.status_code == 201
    assert {d["register_code"] for d in devices} == {"WH1"}
    assert ghost["idempotency_key"] not in {r["idempotency_key"] for r in rejected}
    with live.sign_in("grace") as grace:
        # The NYC till nina tried to revoke still works; grace sees the ghost sale.
        assert [
            d["revoked_at"] for d in grace.get("/api/devices").json() if d["id"] == nyc_device["device_id"]
        ] == [None]
        assert ghost["idempotency_key"] in {
            r["idempotency_key"] for r in grace.get("/api/rejected-sales").json()
        }


# --- devices, lockout, tokens ------------------------------------------------------------------


def test_a_revoked_devices_token_stops_working_on_the_very_next_request(live: Live) -> None:
    with live.sign_in("grace") as grace:
        device = grace.post("/api/devices", json={"name": "iPad", "register_code": "NYC1"}).json()
    maya = live.store.staff_member("maya")
    with live.client(device_token=device["device_token"]) as ipad:
        token = ipad.post("/api/auth/pin", json={"username": "maya", "pin": maya.pin}).json()["token"]
    with live.client(token) as till:
        assert till.get("/api/auth/me").status_code == 200
        refreshed = till.post("/api/auth/refresh").json()["token"]
    with live.client(refreshed) as till, live.sign_in("grace") as grace:
        assert till.get("/api/sync/bootstrap").status_code == 200
        assert grace.delete(f"/api/devices/{device['device_id']}").status_code == 204
        # The process that revoked it forgets its sessions at once: no grace period there.
        answers = [
            till.get("/api/sync/bootstrap"),
            till.get("/api/sync/products", params={"location": "NYC"}),
            till.post("/api/sync/push", json={"sales": []}),
            till.post("/api/auth/refresh"),
        ]
    assert [a.status_code for a in answers] == [401] * 4
    with live.client(device_token=device["device_token"]) as ipad:
        again = ipad.post("/api/auth/pin", json={"username": "maya", "pin": maya.pin})
    assert again.status_code == 401


def test_a_session_or_device_ended_by_another_process_stops_within_the_auth_cache_seconds(
    live: Live,
) -> None:
    """Each process remembers a session `TILL_AUTH_CACHE_SECONDS` (docs/trust.md): a sign-out or
    a revoked device in another process (here: straight in the database, which the server did
    not see) stops working here within that time, never later."""
    ttl = Settings().auth_cache_seconds
    assert 0 < ttl <= 10
    with live.sign_in("grace") as grace:
        device = grace.post("/api/devices", json={"name": "iPad", "register_code": "NYC1"}).json()
    maya = live.store.staff_member("maya")
    with live.client(device_token=device["device_token"]) as ipad:
        on_device = ipad.post("/api/auth/pin", json={"username": "maya", "pin": maya.pin}).json()["token"]
    signed_out = live.sign_in("maya")
    ask = {"cursors": {}}
    with live.client(on_device) as till, signed_out:
        for client in (till, signed_out):
            assert client.post("/api/sync/changes", json=ask).status_code == 200  # remembered now
        ended = datetime.now(UTC)
        with live.engine.begin() as conn:
            conn.execute(update(devices).where(devices.c.id == device["device_id"]).values(revoked_at=ended))
            conn.execute(
                update(auth_tokens)
                .where(auth_tokens.c.token_hash == token_digest(signed_out.headers["Authorization"][7:]))
                .values(revoked_at=ended)
            )
        started = time.monotonic()
        stopped: dict[str, float] = {}
        while len(stopped) < 2 and time.monotonic() - started < ttl + 3:
            for name, client in (("device", till), ("session", signed_out)):
                if name not in stopped and client.post("/api/sync/changes", json=ask).status_code == 401:
                    stopped[name] = time.monotonic() - started
            time.sleep(0.05)
    assert set(stopped) == {"device", "session"}, stopped
    assert max(stopped.values()) <= ttl + 0.5, stopped


def _locked_until(engine: Engine, username: str) -> datetime | None:
    """The member's lock from the test client's address (issue 12: a lock is per source)."""
    with engine.connect() as conn:
        value = conn.execute(
            select(signin_attempts.c.locked_until).where(
                signin_attempts.c.username == username, signin_attempts.c.source == "127.0.0.1"
            )
        ).scalar()
    return None if value is None else (value if value.tzinfo else value.replace(tzinfo=UTC))


def test_six_wrong_passwords_lock_for_thirty_minutes_even_against_the_right_password_and_pin(
    live: Live,
) -> None:
    settings = Settings()
    assert (settings.lockout_failures, settings.lockout_minutes) == (6, 30)  # Magento's defaults
    maya = live.store.staff_member("maya")
    with live.sign_in("grace") as grace:
        device = grace.post("/api/devices", json={"name": "iPad", "register_code": "NYC1"}).json()
    with live.client() as anonymous:
        statuses = [
            anonymous.post(
                "/api/auth/sign-in", json={"username": "maya", "password": f"guess-{n}"}
            ).status_code
            for n in range(6)
        ]
        right = anonymous.post("/api/auth/sign-in", json={"username": "maya", "password": maya.password})
    with live.client(device_token=device["device_token"]) as ipad:
        pin = ipad.post("/api/auth/pin", json={"username": "maya", "pin": maya.pin})
    assert statuses == [401] * 5 + [423]
    assert right.status_code == pin.status_code == 423
    assert "locked" in _detail(right)
    assert "token" not in right.json() and "token" not in pin.json()
    until = _locked_until(live.engine, "maya")
    assert until is not None
    assert timedelta(minutes=29) < until - datetime.now(UTC) <= timedelta(minutes=30)
    # Thirty minutes on (the lock moved into the past): the right password works again.
    with live.engine.begin() as conn:
        conn.execute(
            update(signin_attempts)
            .where(signin_attempts.c.username == "maya")
            .values(locked_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    with live.client() as anonymous:
        after = anonymous.post("/api/auth/sign-in", json={"username": "maya", "password": maya.password})
    assert after.status_code == 200, after.text


def test_six_wrong_pins_lock_the_pin_and_the_password(live: Live) -> None:
    maya = live.store.staff_member("maya")
    with live.sign_in("grace") as grace:
        device = grace.post("/api/devices", json={"name": "iPad", "register_code": "NYC1"}).json()
    wrong = "0000" if maya.pin != "0000" else "1111"
    with live.client(device_token=device["device_token"]) as ipad:
        statuses = [
            ipad.post("/api/auth/pin", json={"username": "maya", "pin": wrong}).status_code for _ in range(6)
        ]
        right_pin = ipad.post("/api/auth/pin", json={"username": "maya", "pin": maya.pin})
    with live.client() as anonymous:
        right_password = anonymous.post(
            "/api/auth/sign-in", json={"username": "maya", "password": maya.password}
        )
    assert statuses == [401] * 5 + [423]
    assert right_pin.status_code == right_password.status_code == 423


def _expire(engine: Engine, token: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(auth_tokens)
            .where(auth_tokens.c.token_hash == token_digest(token))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )


def test_a_token_lives_token_ttl_hours_and_not_a_moment_longer(live: Live) -> None:
    maya = live.store.staff_member("maya")
    with live.client() as anonymous:
        session = anonymous.post(
            "/api/auth/sign-in", json={"username": "maya", "password": maya.password}
        ).json()
    expires = datetime.fromisoformat(session["expires_at"])
    ttl = timedelta(hours=Settings().token_ttl_hours)
    assert ttl - timedelta(minutes=1) < expires - datetime.now(UTC) <= ttl
    with live.client(session["token"]) as till:
        assert till.get("/api/auth/me").status_code == 200
        _expire(live.engine, session["token"])  # as if token_ttl_hours had passed
        live.forget_sessions()  # and the server's few seconds of memory with them
        after = [till.get("/api/auth/me"), till.post("/api/auth/refresh")]
    assert [a.status_code for a in after] == [401, 401]
    assert "expired" in _detail(after[0])


def test_refresh_hands_out_a_new_token_and_ends_the_old_one_at_once(live: Live) -> None:
    maya = live.store.staff_member("maya")
    with live.client() as anonymous:
        first = anonymous.post(
            "/api/auth/sign-in", json={"username": "maya", "password": maya.password}
        ).json()
    with live.client(first["token"]) as old:
        answer = old.post("/api/auth/refresh")
        assert answer.status_code == 200, answer.text
        second = answer.json()
        old_after = [old.get("/api/auth/me"), old.post("/api/auth/refresh")]
    assert second["token"] != first["token"]
    assert second["expires_at"] >= first["expires_at"]
    assert second["staff"] == first["staff"]
    assert [a.status_code for a in old_after] == [401, 401]
    with live.client(second["token"]) as new:
        assert new.get("/api/auth/me").json()["username"] == "maya"
        assert new.post("/api/auth/sign-out").status_code == 204
        assert new.post("/api/auth/refresh").status_code == 401


def test_two_refreshes_racing_with_one_token_make_one_new_token(live: Live) -> None:
    maya = live.store.staff_member("maya")
    with live.client() as anonymous:
        token = anonymous.post(
            "/api/auth/sign-in", json={"username": "maya", "password": maya.password}
        ).json()["token"]
    start = threading.Barrier(4)
    answers: list[httpx.Response] = []

    def refresh() -> None:
        with live.client(token) as client:
            start.wait()
            answers.append(client.post("/api/auth/refresh"))

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 401, 401, 401]
    with live.engine.connect() as conn:
        live_tokens = conn.execute(
            select(auth_tokens.c.token_hash).where(
                auth_tokens.c.staff_id == maya.id, auth_tokens.c.revoked_at.is_(None)
            )
        ).all()
    assert len(live_tokens) == 1


# --- reports never write ---------------------------------------------------------------------

WRITES = [
    "INSERT INTO report_canary (id) VALUES (2)",
    "UPDATE report_canary SET id = 3",
    "DELETE FROM report_canary",
    "DROP TABLE report_canary",
    "CREATE TABLE report_canary_2 (id INTEGER)",
    "ALTER TABLE report_canary ADD COLUMN extra INTEGER",
    "SELECT id FROM report_canary FOR UPDATE",
    "SELECT id FROM report_canary; DELETE FROM report_canary",
    "WITH gone AS (DELETE FROM report_canary RETURNING id) SELECT count(*) FROM gone",
]
#: Refused by the text check only: to SQLite and PostgreSQL it is a comment, MariaDB runs it.
HIDDEN = [
    "SELECT id FROM report_canary /*!50000 FOR UPDATE */",
    "SELECT id FROM report_canary /*M! FOR UPDATE */",
]


@pytest.fixture
def canary(live: Live) -> Any:
    """A table of one row that a report must never change (made fresh for each test)."""
    with live.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS report_canary_2")
        conn.exec_driver_sql("DROP TABLE IF EXISTS report_canary")
        conn.exec_driver_sql("CREATE TABLE report_canary (id INTEGER PRIMARY KEY)")
        conn.exec_driver_sql("INSERT INTO report_canary (id) VALUES (1)")
    yield
    with live.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS report_canary_2")
        conn.exec_driver_sql("DROP TABLE IF EXISTS report_canary")


def _canary(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT * FROM report_canary").all()
        tables = {name.lower() for name in inspect(conn).get_table_names()}
    return [[tuple(r) for r in rows], "report_canary_2" in tables]


@pytest.mark.usefixtures("canary")
def test_a_report_that_would_write_is_refused_at_every_fence_and_changes_nothing(live: Live) -> None:
    before, state = snapshot(live.engine), _canary(live.engine)
    with live.sign_in("admin") as admin:
        saved = [
            admin.post("/api/reports", json={"name": f"sneaky-{n}", "title": "sneaky", "sql": sql})
            for n, sql in enumerate(WRITES + HIDDEN)
        ]
    # Past the save (a row written straight into the table): the run checks again.
    with live.engine.begin() as conn:
        for n, sql in enumerate(WRITES + HIDDEN):
            conn.execute(
                saved_reports.insert().values(
                    name=f"planted-{n}",
                    title="planted",
                    description="",
                    sql=sql,
                    params={},
                    roles=["admin"],
                    created_at=datetime.now(UTC),
                )
            )
    planted = snapshot(live.engine)
    with live.sign_in("admin") as admin:
        ran = [admin.get(f"/api/reports/planted-{n}") for n in range(len(WRITES + HIDDEN))]
    assert [a.status_code for a in saved] == [400] * len(WRITES + HIDDEN), [a.text for a in saved]
    assert [a.status_code for a in ran] == [400] * len(WRITES + HIDDEN), [a.text for a in ran]
    for answer in saved + ran:
        assert _detail(answer)
    changed = changes(before, planted)
    # the planting, the sign-ins (and their count per source address)
    assert set(changed) == {"saved_reports", "auth_tokens", "audit_log", "signin_attempts"}
    assert {r["name"] for r in changed["saved_reports"][0]} == {
        f"planted-{n}" for n in range(len(WRITES + HIDDEN))
    }
    assert _canary(live.engine) == state
    assert set(changes(planted, snapshot(live.engine))) <= {"auth_tokens", "audit_log", "signin_attempts"}


@pytest.mark.usefixtures("canary")
@pytest.mark.parametrize("sql", WRITES)
def test_past_the_text_check_the_database_itself_refuses_a_write(live: Live, sql: str) -> None:
    """The second fence: the read-only transaction (and on MariaDB the read-only session, which
    also stops DDL after its implicit commit). Each statement fails; nothing changed."""
    state = _canary(live.engine)
    with pytest.raises(ReportRefused):
        run_read_only(live.engine, sql, {}, timeout_ms=5000, limit=10)
    assert _canary(live.engine) == state
    # The connection goes back to the pool able to write: the next sale is not refused.
    with live.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO report_canary (id) VALUES (7)")
    assert _canary(live.engine)[0] == [*state[0], (7,)]
