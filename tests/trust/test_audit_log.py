"""The audit log (docs/trust.md §4): every sensitive action leaves one line saying who, when,
where and what; the database refuses to change or remove a line; admins read it over HTTP
with filters, keyset paging and CSV, and no one else does."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from tests.e2e.conftest import Live, live, priced, sale_payload
from tests.integration.helpers import sellable_skus
from till.bootstrap import ensure_default_jobs
from till.domain.staff import Role
from till.queue import store
from till.queue.messages import Message
from till.services.auth import add_staff
from till.services.pricing import PricingContext
from till.storage.events import Actor
from till.storage.tables import audit_log
from till.storage.uow import UnitOfWork

__all__ = ["live"]  # the e2e fixture: the demo store on each database, served over real HTTP

#: When `sale_payload` says its sales were made.
SALE_TIME = datetime(2026, 11, 25, 15, 4, 5, tzinfo=UTC)


def _key(prefix: str = "sale") -> str:
    return f"{prefix}-{uuid.uuid4()}"


def _lines(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(audit_log).order_by(audit_log.c.id))]


def _sale(live: Live, receipt: str, lines: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return priced(live, sale_payload(live, key=_key(), receipt=receipt, lines=lines, **extra))


def _catalog_line(live: Live, qty: str = "1") -> dict[str, Any]:
    """A line of the first sellable product at its catalog price on the day of `sale_payload`."""
    [sku] = sellable_skus(live.engine, 1)
    with UnitOfWork(live.engine) as uow:
        product = uow.catalog.products([sku])[sku]
        day = PricingContext.load(uow).location("NYC").business_day(SALE_TIME)
    return {"sku": sku, "qty": qty, "unit_price": str(product.final_price(day, 0, Decimal(qty)))}


# --- append-only -----------------------------------------------------------------------------


def test_the_database_refuses_to_change_or_remove_an_audit_line(engine: Engine) -> None:
    """On each database an UPDATE or DELETE of audit_log raises, from any connection, and the
    line reads as it was; PostgreSQL refuses TRUNCATE too."""
    with UnitOfWork(engine) as uow:
        uow.events.audit("cash.out", {"amount": "20.00", "reason": "window cleaner"}, Actor(1, "maya"))
        uow.commit()
    [before] = _lines(engine)
    attempts: list[Any] = [
        update(audit_log).values(detail={"amount": "2.00", "reason": "window cleaner"}),
        update(audit_log).where(audit_log.c.id == before["id"]).values(username="grace"),
        audit_log.delete(),
        audit_log.delete().where(audit_log.c.id == before["id"]),
        text("UPDATE audit_log SET action = 'cash.in'"),
    ]
    if engine.dialect.name == "postgresql":
        attempts.append(text("TRUNCATE audit_log"))
    for statement in attempts:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(statement)
    assert _lines(engine) == [before]
    # Adding lines still works.
    with engine.begin() as conn:
        conn.execute(insert(audit_log).values(at=datetime.now(UTC), action="signin", detail={}))
    assert len(_lines(engine)) == 2


# --- what is audited -------------------------------------------------------------------------


def _find(entries: list[dict[str, Any]], action: str, **detail: Any) -> dict[str, Any]:
    found = [
        e
        for e in entries
        if e["action"] == action and all(e["detail"].get(k) == v for k, v in detail.items())
    ]
    assert len(found) == 1, f"{action} {detail}: {len(found)} lines in {[e['action'] for e in entries]}"
    return found[0]


def _all_entries(admin: httpx.Client) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    before: int | None = None
    while True:
        params: dict[str, Any] = {"limit": 50} | ({"before_id": before} if before else {})
        page = admin.get("/api/admin/audit", params=params)
        assert page.status_code == 200, page.text
        entries += page.json()["entries"]
        before = page.json()["next_before_id"]
        if before is None:
            return entries


def test_every_sensitive_action_leaves_one_line_with_who_when_and_where(live: Live) -> None:
    """Sign-ins (and failures, a lock-out, a sign-out), a till registered and revoked, staff
    created, changed and deactivated, a shift opened, cash in and out, three sales placed, a sale over the
    cashier's discount limit (approved by a manager) and one with a typed price, a refund,
    stock received, moved, damaged and counted, a price change, webhook and report changes,
    a job change, a dead letter replayed and one discarded, the shift closed: each is one
    line, read back by an admin over HTTP."""
    started = datetime.now(UTC) - timedelta(seconds=1)
    grace = live.store.staff_member("grace")
    maya = live.store.staff_member("maya")
    with live.client() as anonymous:
        assert (
            anonymous.post("/api/auth/sign-in", json={"username": "ghost", "password": "x" * 8}).status_code
            == 401
        )
        for _ in range(6):
            anonymous.post("/api/auth/sign-in", json={"username": "omar", "password": "not-omars-password"})
        locked = anonymous.post("/api/auth/sign-in", json={"username": "omar", "password": "omar-demo"})
        assert locked.status_code == 423
    with live.sign_in("grace") as manager:
        device = manager.post("/api/devices", json={"name": "front iPad", "register_code": "NYC1"}).json()
    with live.client(device_token=device["device_token"]) as on_till:
        signed = on_till.post("/api/auth/pin", json={"username": "maya", "pin": maya.pin})
        assert signed.status_code == 200, signed.text
        # The manager approves the discount by PIN on the till; the server signs the approval.
        approval = on_till.post("/api/auth/approvals", json={"username": "grace", "pin": grace.pin})
        assert approval.status_code == 200, approval.text
    till = live.client(signed.json()["token"], device["device_token"])
    with till, live.sign_in("grace") as manager, live.sign_in("admin") as admin:
        assert till.post("/api/registers/NYC1/shift", json={"opening_float": "100.00"}).status_code == 201
        for kind, amount in (("in", "25.00"), ("out", "7.50")):
            moved = till.post(
                "/api/registers/NYC1/shift/cash",
                json={"kind": kind, "amount": amount, "reason": f"cash {kind}"},
            )
            assert moved.status_code == 204, moved.text
        line = _catalog_line(live, "2")
        over = _sale(
            live,
            "NYC1-000901",
            [{**line, "line_discount": {"kind": "percent", "value": "30"}}],
            approved_by=grace.id,
            approval=approval.json()["approval"],
            created_at=datetime.now(UTC).isoformat(),
        )
        typed = _sale(
            live, "NYC1-000902", [{**line, "qty": "1", "unit_price": "1.00", "price_override": True}]
        )
        plain = _sale(live, "NYC1-000903", [line])
        pushed = till.post("/api/sync/push", json={"sales": [over, typed, plain]}).json()["sales"]
        assert [s["status"] for s in pushed] == ["accepted"] * 3, pushed
        again = till.post("/api/sync/push", json={"sales": [over, typed]}).json()["sales"]
        assert [s["status"] for s in again] == ["duplicate"] * 2
        refund = manager.post(
            f"/api/orders/{pushed[2]['order_id']}/refunds",
            json={
                "idempotency_key": _key("refund"),
                "register_code": "NYC1",
                "lines": [{"line_no": 1, "qty": "1"}],
            },
        )
        assert refund.status_code == 201, refund.text
        nyc = live.store.locations[0].source_code
        wh = live.store.locations[1].source_code
        for body in (
            {"reason": "receive", "quantity": "5"},
            {"reason": "transfer", "quantity": "1", "to_source_code": wh},
            {"reason": "damage", "quantity": "1", "note": "torn strap"},
            {"reason": "count", "quantity": "9"},
        ):
            answer = manager.post(
                "/api/stock/adjustments", json={"sku": line["sku"], "source_code": nyc, **body}
            )
            assert answer.status_code == 204, answer.text
        assert manager.put(f"/api/admin/prices/{line['sku']}", json={"price": "31.00"}).status_code == 200
        made = admin.post(
            "/api/admin/staff",
            json={
                "username": "lena",
                "name": "Lena Park",
                "role": "cashier",
                "password": "lena-pass-1",
                "pin": "4826",
            },
        )
        assert made.status_code == 201, made.text
        assert (
            admin.patch("/api/admin/staff/lena", json={"role": "manager", "locations": ["WH"]}).status_code
            == 200
        )
        assert admin.patch("/api/admin/staff/lena", json={"active": False}).status_code == 200
        hook = admin.post(
            "/api/admin/webhooks",
            json={"name": "erp", "url": "http://erp.example.com:9/erp", "topics": ["*"]},
        )
        assert (
            admin.patch(f"/api/admin/webhooks/{hook.json()['id']}", json={"active": False}).status_code == 200
        )
        assert admin.delete(f"/api/admin/webhooks/{hook.json()['id']}").status_code == 204
        report = {
            "name": "big-sales",
            "title": "Big sales",
            "sql": "SELECT id FROM orders WHERE grand_total > 100",
        }
        assert admin.post("/api/reports", json=report).status_code == 201
        assert admin.delete("/api/reports/big-sales").status_code == 204
        ensure_default_jobs(live.engine)
        assert admin.patch("/api/admin/jobs/purge-outbox", json={"enabled": False}).status_code == 200
        for n in (1, 2):
            store.record_dead_letter(
                live.engine, Message(f"dead-{n}", "sale.placed", {"n": n}, "webhook.1", attempt=8), "HTTP 502"
            )
        letters = sorted(letter["id"] for letter in admin.get("/api/admin/dead-letters").json())
        assert admin.post(f"/api/admin/dead-letters/{letters[0]}/replay").status_code == 200
        assert admin.delete(f"/api/admin/dead-letters/{letters[1]}").status_code == 204
        assert manager.delete(f"/api/devices/{device['device_id']}").status_code == 204
        closed = manager.post("/api/registers/NYC1/shift/close", json={"counted_cash": "110.00"})
        assert closed.status_code == 200, closed.text
        assert manager.post("/api/auth/sign-out").status_code == 204
        entries = _all_entries(admin)

    omar = live.store.staff_member("omar")
    _find(entries, "signin.failed", reason="unknown username")
    assert len([e for e in entries if e["action"] == "signin.failed" and e["username"] == "omar"]) == 7
    lockout = _find(entries, "signin.locked_out")
    assert (lockout["staff_id"], lockout["username"]) == (omar.id, "omar")
    _find(entries, "signin.failed", reason="locked")
    pin = _find(entries, "signin", pin=True)
    assert (pin["username"], pin["device_id"], pin["register_code"], pin["location_code"]) == (
        "maya",
        device["device_id"],
        "NYC1",
        "NYC",
    )
    _find(entries, "device.registered", device_id=device["device_id"])
    _find(entries, "device.revoked", device_id=device["device_id"])
    opened = _find(entries, "shift.opened", float="100.00")
    assert (opened["username"], opened["device_id"], opened["location_code"]) == (
        "maya",
        device["device_id"],
        "NYC",
    )
    assert _find(entries, "cash.in", amount="25.00")["username"] == "maya"
    assert _find(entries, "cash.out", amount="7.50")["register_code"] == "NYC1"
    discount = _find(entries, "discount.over_limit", receipt_number="NYC1-000901")
    assert discount["detail"]["percent"] == "30.00" and discount["detail"]["limit"] == "10"
    assert discount["detail"]["approved_by"] == {"staff_id": grace.id, "username": "grace"}
    assert discount["detail"]["approved"] is True
    assert (discount["username"], discount["device_id"]) == ("maya", device["device_id"])
    override = _find(entries, "price.override", receipt_number="NYC1-000902")
    assert override["detail"]["lines"][line["sku"]]["charged"] == "1.00"
    assert override["detail"]["allowed"] is False
    refunded = _find(entries, "refund.created", order_id=pushed[2]["order_id"])
    assert refunded["username"] == "grace" and refunded["register_code"] == "NYC1"
    for reason in ("receive", "transfer", "damage", "count"):
        assert _find(entries, f"stock.{reason}", sku=line["sku"])["location_code"] == "NYC"
    _find(entries, "price.changed", sku=line["sku"], price="31.00")
    _find(entries, "staff.created", username="lena")
    assert _find(entries, "staff.changed", username="lena")["detail"]["changes"] == {
        "role": ["cashier", "manager"],
        "locations": [[], ["WH"]],
    }
    _find(entries, "staff.deactivated", username="lena")
    for action in ("webhook.created", "webhook.changed", "webhook.deleted"):
        assert "secret" not in str(_find(entries, action, name="erp")["detail"])
    _find(entries, "report.saved", name="big-sales")
    _find(entries, "report.deleted", name="big-sales")
    _find(entries, "job.changed", job="purge-outbox", enabled=False)
    _find(entries, "deadletter.replayed", id=letters[0], message_id="dead-1")
    _find(entries, "deadletter.discarded", id=letters[1], message_id="dead-2")
    assert _find(entries, "shift.closed", counted="110.00")["username"] == "grace"
    _find(entries, "signout")
    # The manager's approval by PIN on the till: her PIN checked, then the approval given.
    assert _find(entries, "approval.pin", pin=True)["device_id"] == device["device_id"]
    assert _find(entries, "approval.given")["username"] == "grace"
    # Every sale has a line naming its seller, the till and the session that sent it.
    placed = _find(entries, "sale.placed", receipt_number="NYC1-000903")
    assert placed["username"] == "maya" and placed["device_id"] == device["device_id"]
    assert placed["detail"]["sent_by"]["session_username"] == "maya"
    # 32 kinds of action, 44 lines: 4 sign-ins, 8 refused sign-ins, 3 sales placed, one line for
    # everything else.
    assert len(entries) == 44 and len({e["action"] for e in entries}) == 32
    # Who: an id and a name on every line a person made; when: the server's clock.
    assert all(e["username"] for e in entries)
    assert all(started <= datetime.fromisoformat(e["at"]) <= datetime.now(UTC) for e in entries)
    assert [e["id"] for e in entries] == sorted((e["id"] for e in entries), reverse=True)


def test_a_batch_of_sales_writes_its_audit_lines_with_one_statement(live: Live) -> None:
    """The sale path stays cheap: 40 sales over the cashier's limit or at a typed price in one
    push add 80 audit lines (each sale's `sale.placed` and its exception) with a single INSERT
    into audit_log (one executemany), in the sale's transaction; a replay of the batch adds none."""
    line = _catalog_line(live)
    sales = [
        _sale(
            live,
            f"NYC1-{1000 + n:06d}",
            [{**line, "line_discount": {"kind": "percent", "value": "20"}}]
            if n % 2
            else [{**line, "unit_price": "2.00", "price_override": True}],
        )
        for n in range(40)
    ]
    inserts: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_LOG"):
            inserts.append(statement)

    with live.sign_in("maya") as till:
        event.listen(live.engine, "before_cursor_execute", count)
        try:
            answer = till.post("/api/sync/push", json={"sales": sales})
            replay = till.post("/api/sync/push", json={"sales": sales})
        finally:
            event.remove(live.engine, "before_cursor_execute", count)
    assert [s["status"] for s in answer.json()["sales"]] == ["accepted"] * 40
    assert [s["status"] for s in replay.json()["sales"]] == ["duplicate"] * 40
    assert len(inserts) == 1, "one INSERT (executemany) for the batch, none for its replay"
    lines = [e for e in _lines(live.engine) if e["action"] in ("discount.over_limit", "price.override")]
    assert sorted(e["action"] for e in lines) == ["discount.over_limit"] * 20 + ["price.override"] * 20
    assert {e["username"] for e in lines} == {"maya"}
    assert len([e for e in _lines(live.engine) if e["action"] == "sale.placed"]) == 40
    receipts = {e["detail"]["receipt_number"] for e in lines}
    assert receipts == {s["receipt_number"] for s in sales}


# --- reading it --------------------------------------------------------------------------------


def test_admins_page_filter_and_export_the_audit_log_others_are_refused(live: Live) -> None:
    """Newest first, `before_id` pages without gaps or repeats, filters by time, staff, action
    family, location and register, CSV of the same lines; 401 signed out, 403 for a manager
    and a cashier."""
    maya = live.store.staff_member("maya")
    with live.sign_in("maya") as till, live.sign_in("grace") as manager:
        assert till.post("/api/registers/NYC1/shift", json={"opening_float": "50.00"}).status_code == 201
        assert manager.post("/api/registers/WH1/shift", json={"opening_float": "80.00"}).status_code == 201
        for n in range(7):
            body = {"kind": "in" if n % 2 else "out", "amount": f"{n + 1}.00", "reason": f"movement {n}"}
            assert till.post("/api/registers/NYC1/shift/cash", json=body).status_code == 204
        assert (
            manager.post(
                "/api/registers/WH1/shift/cash", json={"kind": "out", "amount": "3.00", "reason": "milk"}
            ).status_code
            == 204
        )
        assert till.get("/api/admin/audit").status_code == 403
        assert manager.get("/api/admin/audit").status_code == 403
        assert manager.get("/api/admin/audit.csv").status_code == 403
    with live.client() as anonymous:
        assert anonymous.get("/api/admin/audit").status_code == 401
    with live.sign_in("admin") as admin:
        everything = _all_entries(admin)
        pages = [admin.get("/api/admin/audit", params={"limit": 3}).json()]
        while pages[-1]["next_before_id"] is not None:
            pages.append(
                admin.get(
                    "/api/admin/audit", params={"limit": 3, "before_id": pages[-1]["next_before_id"]}
                ).json()
            )
        assert [e["id"] for p in pages for e in p["entries"]] == [e["id"] for e in everything]
        assert all(len(p["entries"]) == 3 for p in pages[:-1])

        def ids(**params: Any) -> list[int]:
            answer = admin.get("/api/admin/audit", params={"limit": 500, **params})
            assert answer.status_code == 200, answer.text
            return [e["id"] for e in answer.json()["entries"]]

        cash = [e for e in everything if e["action"].startswith("cash.")]
        moment = {e["id"]: datetime.fromisoformat(e["at"]) for e in cash}
        assert ids(action="cash") == [e["id"] for e in cash] and len(cash) == 8
        assert ids(action="cash.in") == [e["id"] for e in cash if e["action"] == "cash.in"]
        assert ids(action="cash", staff_id=maya.id) == [e["id"] for e in cash if e["username"] == "maya"]
        assert ids(location="WH") == [e["id"] for e in everything if e["location_code"] == "WH"]
        assert ids(register="NYC1", action="shift") == [
            e["id"] for e in everything if e["register_code"] == "NYC1" and e["action"].startswith("shift.")
        ]
        middle = moment[cash[4]["id"]]
        assert ids(action="cash", to=middle.isoformat()) == [
            e["id"] for e in cash if moment[e["id"]] < middle
        ]
        later = [e["id"] for e in cash if moment[e["id"]] >= middle]
        assert ids(action="cash", **{"from": middle.isoformat()}) == later and cash[4]["id"] in later
        assert ids(action="cash", **{"from": datetime.now(UTC).isoformat()}) == []
        assert (
            admin.get(
                "/api/admin/audit", params={"from": "2026-01-02T00:00:00", "action": "cash"}
            ).status_code
            == 422
        )
        backwards = admin.get(
            "/api/admin/audit", params={"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}
        )
        assert backwards.status_code == 422 and "after" in backwards.text

        exported = admin.get("/api/admin/audit.csv", params={"action": "cash"})
        assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert [int(r["id"]) for r in rows] == [e["id"] for e in cash]
        assert rows[-1]["username"] == "maya" and '"amount":"1.00"' in rows[-1]["detail"]
        # The export is itself a line of the log, by the admin.
        assert ids(action="audit.exported") == [max(ids())]


def test_a_sign_in_that_fails_for_each_reason_is_kept(live: Live) -> None:
    """A sign-in refused for a revoked till, a PIN without a till, a deactivated member or a
    till at another location leaves a line naming who tried, where and why."""
    omar = live.store.staff_member("omar")
    with live.sign_in("grace") as manager:
        device = manager.post("/api/devices", json={"name": "counter", "register_code": "NYC1"}).json()
    with live.client(device_token=device["device_token"]) as on_till, live.client() as anonymous:
        assert on_till.post("/api/auth/pin", json={"username": "omar", "pin": omar.pin}).status_code == 401
        assert anonymous.post("/api/auth/pin", json={"username": "maya", "pin": "1357"}).status_code == 401
    with live.sign_in("admin") as admin:
        assert admin.patch("/api/admin/staff/maya", json={"active": False}).status_code == 200
        with live.client() as anonymous:
            assert (
                anonymous.post(
                    "/api/auth/sign-in", json={"username": "maya", "password": "maya-demo"}
                ).status_code
                == 401
            )
        assert admin.delete(f"/api/devices/{device['device_id']}").status_code == 204
        with live.client(device_token=device["device_token"]) as on_till:
            assert (
                on_till.post("/api/auth/pin", json={"username": "grace", "pin": "369036"}).status_code == 401
            )
        failed = admin.get("/api/admin/audit", params={"action": "signin.failed"}).json()["entries"]
    reasons = {(e["username"], e["detail"]["reason"], e["register_code"]) for e in failed}
    assert reasons == {
        ("omar", "works elsewhere", "NYC1"),
        ("maya", "PIN without a registered till", None),
        ("maya", "deactivated", None),
        ("grace", "unknown device", None),
    }


def test_the_command_line_names_the_account_that_ran_it(engine: Engine) -> None:
    """A change made with `till …` on the server has no staff id: the line names the command
    and the operating-system account instead."""
    add_staff(
        engine,
        username="nadia",
        name="Nadia Ruiz",
        role=Role.CASHIER,
        password="nadia-pass-1",
        pin="2580",
        locations=[],
        by=Actor.command_line("till staff add"),
    )
    [line] = _lines(engine)
    assert line["action"] == "staff.created" and line["staff_id"] is None and line["username"] is None
    assert line["detail"]["via"].startswith("till staff add (as ")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(audit_log)).scalar_one() == 1
