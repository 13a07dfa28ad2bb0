"""Malformed sync batches over real HTTP on each database: every bad batch gets a clear 4xx and
every bad sale in a good batch a recorded rejection, and NOTHING else changes: no order, no
stock move, no outbox event, no change-feed row beyond what the good sales of the batch caused.

"Nothing else" is checked on the whole database: every table is read before and after, and the
difference must be exactly the good sales' rows (and the rejected sales kept for a manager).
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Live, priced, sale_payload
from tests.e2e.conftest import live as live  # the server fixture, shared with the e2e tests
from tests.trust.db_snapshot import changes, snapshot
from till.api.app import MAX_BODY_BYTES


def _key(what: str) -> str:
    return f"{what}-{uuid.uuid4()}"


def _sku_and_price(live: Live) -> tuple[str, str]:
    with live.sign_in("admin") as admin:
        found = admin.get("/api/products", params={"q": "a", "limit": 200}).json()
    product = next(
        p
        for p in found
        if p["type"] == "simple"
        and Decimal(p["price"]) > 0
        and not p["special_price"]
        and not p["tier_prices"]
    )
    return product["sku"], product["price"]


def _good_sale(
    live: Live, receipt: str, sku: str, price: str, qty: str = "1", **extra: Any
) -> dict[str, Any]:
    lines = [{"sku": sku, "qty": qty, "unit_price": price}]
    return priced(live, sale_payload(live, key=_key("sale"), receipt=receipt, lines=lines, **extra))


@pytest.fixture
def till(live: Live) -> Iterator[httpx.Client]:
    """Maya (a NYC cashier) signed in, before anything is snapshotted."""
    with live.sign_in("maya") as client:
        yield client


def test_batches_that_are_not_batches_are_4xx_and_change_nothing(live: Live, till: httpx.Client) -> None:
    sku, price = _sku_and_price(live)
    good = _good_sale(live, "NYC1-000001", sku, price)
    many = [{**good, "idempotency_key": _key("many"), "receipt_number": f"NYC1-1{n:05d}"} for n in range(201)]
    before = snapshot(live.engine)
    answers = {
        "not JSON": till.post(
            "/api/sync/push", content=b"{sales: [", headers={"Content-Type": "application/json"}
        ),
        "not UTF-8": till.post(
            "/api/sync/push", content=b'{"sales": ["\xff\xfe"]}', headers={"Content-Type": "application/json"}
        ),
        "a list, not an object": till.post("/api/sync/push", json=[good]),
        "sales not a list": till.post("/api/sync/push", json={"sales": {"0": good}}),
        "an unknown field": till.post("/api/sync/push", json={"sales": [good], "refunds": []}),
        "a customer without an e-mail": till.post(
            "/api/sync/push",
            json={
                "customers": [{"client_key": _key("cust"), "firstname": "A", "lastname": "B"}],
                "sales": [good],
            },
        ),
        "a NUL character in a sale": till.post(
            "/api/sync/push", json={"sales": [{**good, "lines": [{**good["lines"][0], "name": "a\u0000b"}]}]}
        ),
        "201 sales, over max_batch_sales (200)": till.post("/api/sync/push", json={"sales": many}),
        "501 sales, over the schema's 500": till.post(
            "/api/sync/push", json={"sales": [*many, *many, *many][:501]}
        ),
        "no token": httpx.post(f"{live.url}/api/sync/push", json={"sales": [good]}),
    }
    after = snapshot(live.engine)
    expected = {
        "not JSON": 422,
        "not UTF-8": 400,
        "a list, not an object": 422,
        "sales not a list": 422,
        "an unknown field": 422,
        "a customer without an e-mail": 422,
        "a NUL character in a sale": 422,
        "201 sales, over max_batch_sales (200)": 422,
        "501 sales, over the schema's 500": 422,
        "no token": 401,
    }
    assert {what: a.status_code for what, a in answers.items()} == expected
    for what, answer in answers.items():
        assert answer.json()["detail"], what
    assert "at most 200" in answers["201 sales, over max_batch_sales (200)"].json()["detail"]
    assert "refunds" in str(answers["an unknown field"].json()["detail"])
    assert "NUL" in answers["a NUL character in a sale"].json()["detail"]
    # Not one row anywhere: the good sale riding in each refused batch was not stored either.
    assert changes(before, after) == {}


def _chunks(body: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def test_a_body_over_the_limit_is_413_with_or_without_a_content_length(
    live: Live, till: httpx.Client
) -> None:
    sku, price = _sku_and_price(live)
    good = _good_sale(live, "NYC1-000001", sku, price)
    # Valid JSON, a valid batch holding one good sale, padded past 5 MiB with whitespace.
    padded = b'{"sales": [' + json.dumps(good).encode() + b" " * MAX_BODY_BYTES + b"]}"
    before = snapshot(live.engine)
    declared = till.post("/api/sync/push", content=padded, headers={"Content-Type": "application/json"})
    # A generator body goes chunked, with no Content-Length for the limit to read.
    chunked = till.post(
        "/api/sync/push", content=_chunks(padded), headers={"Content-Type": "application/json"}
    )
    after = snapshot(live.engine)
    assert declared.status_code == 413, declared.text
    assert chunked.status_code == 413, chunked.text
    assert "smaller batches" in chunked.json()["detail"]
    assert chunked.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in chunked.request.headers
    assert changes(before, after) == {}
    # A body of exactly the limit, chunked, goes through: the limit is the size, not the content.
    sale = b'{"sales": [' + json.dumps(good).encode()
    at_limit = sale + b" " * (MAX_BODY_BYTES - len(sale) - 2) + b"]}"
    assert len(at_limit) == MAX_BODY_BYTES
    fits = till.post(
        "/api/sync/push", content=_chunks(at_limit), headers={"Content-Type": "application/json"}
    )
    assert fits.status_code == 200, fits.text
    assert [r["status"] for r in fits.json()["sales"]] == ["accepted"]


def _malformed(live: Live, good: dict[str, Any], sku: str) -> dict[str, dict[str, Any]]:
    """Sales that cannot be sales, each with a fresh key, by what is wrong with them."""
    line = good["lines"][0]
    omar = live.store.staff_member("omar")

    def sale(receipt: str, **changes: Any) -> dict[str, Any]:
        return {**good, "idempotency_key": _key("bad"), "receipt_number": receipt, **changes}

    no_key = sale("NYC1-000109")
    del no_key["idempotency_key"]
    total = good["totals"]["grand_total"]
    return {
        "qty as a JSON number": sale("NYC1-000101", lines=[{**line, "qty": 1.5}]),
        "qty zero": sale("NYC1-000102", lines=[{**line, "qty": "0"}]),
        "qty negative": sale("NYC1-000103", lines=[{**line, "qty": "-2"}]),
        "price negative": sale("NYC1-000104", lines=[{**line, "unit_price": "-5.00"}]),
        "lines not a list": sale("NYC1-000105", lines={"sku": sku}),
        "no lines": sale("NYC1-000106", lines=[]),
        "an unknown sku": sale("NYC1-000107", lines=[{**line, "sku": "NO-SUCH-SKU"}]),
        "a time without its zone": sale("NYC1-000108", created_at="2026-11-25T15:04:05"),
        "no idempotency key": no_key,
        "payments short of the total": sale("NYC1-000110", payments=[{"method": "cash", "amount": "0.01"}]),
        "a card paying more than the total": sale(
            "NYC1-000111", payments=[{"method": "card", "amount": str(Decimal(total) + 10)}]
        ),
        "a payment of zero": sale(
            "NYC1-000112", payments=[{"method": "cash", "amount": "0"}, *good["payments"]]
        ),
        "an unknown payment method": sale("NYC1-000113", payments=[{"method": "cheque", "amount": total}]),
        "an unknown register": sale("NOPE1-000001", register_code="NOPE1"),
        "a register code longer than any register's": sale(
            "NYC1-NEXT-DOOR-1", register_code="NYC1-NEXT-DOOR"
        ),
        "a register of another location": sale("WH1-000114", register_code="WH1"),
        "a receipt number of another register": sale("NYC2-000115"),
        "an unknown member of staff": sale("NYC1-000116", staff_id=9999),
        "a member who does not work here": sale("NYC1-000117", staff_id=omar.id),
        "a customer never pushed": sale("NYC1-000118", customer_key=_key("ghost")),
        "an unknown customer": sale("NYC1-000119", customer_id=99999),
        "money with three decimals": sale("NYC1-000120", totals={**good["totals"], "grand_total": "1.005"}),
        "a cart discount over 100%": sale("NYC1-000121", cart_discount_percent="150"),
    }


def test_each_malformed_sale_is_rejected_and_kept_and_nothing_else_changes(
    live: Live, till: httpx.Client
) -> None:
    sku, price = _sku_and_price(live)
    good = _good_sale(live, "NYC1-000001", sku, price, qty="2")
    # A price other than the catalog's is a sale as the customer paid it: stored and flagged.
    repriced = _good_sale(live, "NYC1-000002", sku, str(Decimal(price) - Decimal("1.00")))
    taken = {**_good_sale(live, "NYC1-000001", sku, price), "idempotency_key": _key("taken")}
    bad = _malformed(live, good, sku)
    bad["a receipt number already used in this batch"] = taken
    client_key = _key("cust")
    customer = {
        "client_key": client_key,
        "email": f"{client_key}@example.com",
        "firstname": "Ana",
        "lastname": "Lee",
    }
    batch = {
        # The same customer twice: one customer.
        "customers": [customer, customer],
        # The good sale twice (a till's retry inside one batch): one order.
        "sales": [good, *bad.values(), good, repriced],
    }
    before = snapshot(live.engine)
    answer = till.post("/api/sync/push", json=batch)
    after = snapshot(live.engine)
    assert answer.status_code == 200, answer.text
    results = answer.json()["sales"]
    assert len(results) == len(batch["sales"])
    first, *refused, again, flagged = results
    assert first["status"] == "accepted"
    assert again == {**first, "status": "duplicate"}
    assert flagged["status"] == "accepted" and flagged["flags"] == ["price_differs"]
    for what, result in zip(bad, refused, strict=True):
        assert result["status"] == "rejected", (what, result)
        assert result["reason"] and result["order_id"] is None, what
    customers = answer.json()["customers"]
    assert customers[0]["created"] and customers[1]["customer_id"] == customers[0]["customer_id"]
    assert not customers[1]["created"]

    good_orders = {first["order_id"], flagged["order_id"]}
    changed = changes(before, after)
    _only_the_good_sales_changed(changed, good_orders, sku, {r["idempotency_key"] for r in refused})
    # The stock moved by the good sales alone: 2 + 1 units of the sku at NYC's source.
    added, removed = changed["source_items"]
    [(was, now)] = [
        (old, new)
        for old in removed
        for new in added
        if (new["sku"], new["source_code"]) == (old["sku"], old["source_code"])
    ]
    assert Decimal(str(was["quantity"])) - Decimal(str(now["quantity"])) == 3

    # Every rejected sale is kept whole for a manager, with its reason.
    with live.sign_in("grace") as manager:
        kept = {r["idempotency_key"]: r for r in manager.get("/api/rejected-sales").json()}
    for result in refused:
        assert kept[result["idempotency_key"]]["reason"] == result["reason"]

    # The same batch again (the till never heard the answer): the same answers, not one row more.
    settled = snapshot(live.engine)
    replay = till.post("/api/sync/push", json=batch)
    assert replay.status_code == 200
    statuses = [r["status"] for r in replay.json()["sales"]]
    assert statuses == ["duplicate"] + [r["status"] for r in refused] + ["duplicate", "duplicate"]
    assert [r["reason"] for r in replay.json()["sales"][1:-2]] == [r["reason"] for r in refused]
    assert changes(settled, snapshot(live.engine)) == {}


def _only_the_good_sales_changed(
    changed: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]],
    good_orders: set[str],
    sku: str,
    rejected_keys: set[str],
) -> None:
    """Each table's change is the good sales' own rows, the rejected sales kept, or nothing."""
    allowed = {
        "orders",
        "order_lines",
        "order_payments",
        "order_flags",
        "reservations",
        "source_items",
        "outbox",
        "change_log",
        "feed_sequencer",
        "rejected_sales",
        "customers",
        "customer_keys",
        "audit_log",
    }
    assert set(changed) <= allowed, f"unexpected changes in {set(changed) - allowed}"
    added = {name: rows for name, (rows, _) in changed.items()}
    removed = {name: rows for name, (_, rows) in changed.items()}
    for name in ("orders", "order_lines", "order_payments", "order_flags", "reservations", "rejected_sales"):
        assert not removed.get(name), name
    assert {r["id"] for r in added["orders"]} == good_orders
    for name in ("order_lines", "order_payments", "order_flags"):
        assert {r["order_id"] for r in added.get(name, [])} <= good_orders, name
    assert {r["object_id"] for r in added["reservations"]} == good_orders
    assert {r["sku"] for r in added["reservations"]} == {sku}
    # Reservation totals are not in `allowed`: a sale handed over at once nets its hold to zero.
    assert {r["sku"] for r in added["source_items"] + removed["source_items"]} == {sku}
    sales_events = [r for r in added["outbox"] if not r["topic"].startswith("customer.")]
    assert Counter(r["topic"] for r in sales_events) == {"sale.placed": 2, "order.fulfilled": 2}
    assert {r["payload"]["order_id"] for r in sales_events} == good_orders
    [customer] = added["customers"]
    feed = {
        (r["dataset"], r["entity_key"]) for r in added.get("change_log", []) + removed.get("change_log", [])
    }
    assert {dataset for dataset, _ in feed} <= {"stock", "customers"}
    assert {key.split("@")[0] for dataset, key in feed if dataset == "stock"} == {sku}
    assert {key for dataset, key in feed if dataset == "customers"} == {str(customer["id"])}
    assert {r["idempotency_key"] for r in added["rejected_sales"]} == rejected_keys
    for row in added.get("audit_log", []):
        assert row["detail"].get("order_id") in good_orders or row["action"].startswith("customer"), row
