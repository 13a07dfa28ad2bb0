"""Sales over HTTP on each database: idempotent pushes, flags, rejections, refunds."""

from __future__ import annotations

import uuid
from decimal import Decimal

from tests.e2e.conftest import Live, priced, sale_payload


def _key() -> str:
    return f"sale-{uuid.uuid4()}"


def _salable(live: Live, sku: str, location: str = "NYC") -> Decimal:
    with live.sign_in("admin") as admin:
        answer = admin.get(f"/api/stock/{sku}")
    assert answer.status_code == 200, answer.text
    return Decimal(answer.json()["salable_by_location"][location])


def _a_sku(live: Live) -> str:
    with live.sign_in("admin") as admin:
        found = admin.get("/api/products", params={"q": "a", "limit": 200}).json()
    return next(p["sku"] for p in found if p["type"] == "simple" and Decimal(p["price"]) > 0)


def test_health_answers(live: Live) -> None:
    with live.client() as client:
        answer = client.get("/api/health")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"
    assert answer.json()["database"] == live.engine.dialect.name


def test_the_same_sale_pushed_twice_exists_once(live: Live) -> None:
    sku = _a_sku(live)
    before = _salable(live, sku)
    payload = priced(
        live,
        sale_payload(
            live,
            key=_key(),
            receipt="NYC1-000001",
            lines=[{"sku": sku, "qty": "2", "unit_price": _price(live, sku)}],
        ),
    )
    with live.sign_in("maya") as till:
        first = till.post("/api/sync/push", json={"sales": [payload]})
        again = till.post("/api/sync/push", json={"sales": [payload, payload]})
        direct = till.post("/api/orders", json=payload)
        listed = till.get("/api/orders", params={"receipt_number": "NYC1-000001"}).json()

    assert first.status_code == 200, first.text
    [result] = first.json()["sales"]
    assert result["status"] == "accepted"
    assert [r["status"] for r in again.json()["sales"]] == ["duplicate", "duplicate"]
    assert {r["order_id"] for r in again.json()["sales"]} == {result["order_id"]}
    assert direct.status_code == 200 and direct.json()["order_id"] == result["order_id"]
    assert len(listed) == 1
    assert listed[0]["grand_total"] == payload["totals"]["grand_total"]
    assert _salable(live, sku) == before - 2


def _price(live: Live, sku: str) -> str:
    with live.sign_in("admin") as admin:
        product = admin.get(f"/api/products/{sku}").json()
    special = product["special_price"]
    return (
        special
        if special and Decimal(special) < Decimal(product["price"]) and product["special_from"] is None
        else product["price"]
    )


def test_an_oversell_is_accepted_and_flagged(live: Live) -> None:
    sku = _a_sku(live)
    salable = _salable(live, sku)
    qty = str(int(salable) + 1)
    payload = priced(
        live,
        sale_payload(
            live,
            key=_key(),
            receipt="NYC1-000002",
            lines=[{"sku": sku, "qty": qty, "unit_price": _price(live, sku)}],
        ),
    )
    with live.sign_in("maya") as till:
        [result] = till.post("/api/sync/push", json={"sales": [payload]}).json()["sales"]
    assert result["status"] == "accepted"
    assert _salable(live, sku) == Decimal(-1)
    with live.sign_in("grace") as manager:
        flags = manager.get("/api/admin/flags").json()
    assert any(f["flag"] == "oversold" and f["order_id"] == result["order_id"] for f in flags)


def test_malformed_and_impossible_sales_are_rejected_and_kept(live: Live) -> None:
    sku = _a_sku(live)
    good = priced(
        live,
        sale_payload(
            live,
            key=_key(),
            receipt="NYC1-000010",
            lines=[{"sku": sku, "qty": "1", "unit_price": _price(live, sku)}],
        ),
    )
    floaty = {
        **good,
        "idempotency_key": _key(),
        "receipt_number": "NYC1-000011",
        "lines": [{"sku": sku, "qty": 1.5, "unit_price": "1.00"}],
    }
    unknown = priced(live, {**good, "idempotency_key": _key(), "receipt_number": "NYC1-000012"})
    unknown["lines"] = [{"sku": "NO-SUCH-SKU", "qty": "1", "unit_price": "5.00"}]
    foreign = {**good, "idempotency_key": _key(), "receipt_number": "NYC2-000001"}
    with live.sign_in("maya") as till:
        answer = till.post("/api/sync/push", json={"sales": [floaty, unknown, foreign, good]})
        replay = till.post("/api/sync/push", json={"sales": [floaty, unknown, foreign, good]})
    assert answer.status_code == 200, answer.text
    results = answer.json()["sales"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "rejected", "accepted"]
    assert "decimal strings" in results[0]["reason"]
    assert "NO-SUCH-SKU" in results[1]["reason"]
    assert "NYC1" in results[2]["reason"]
    assert [r["status"] for r in replay.json()["sales"]] == ["rejected", "rejected", "rejected", "duplicate"]
    with live.sign_in("grace") as manager:
        kept = {r["idempotency_key"] for r in manager.get("/api/rejected-sales").json()}
    assert {floaty["idempotency_key"], unknown["idempotency_key"], foreign["idempotency_key"]} <= kept


def test_a_totals_mismatch_is_recorded_not_hidden(live: Live) -> None:
    sku = _a_sku(live)
    payload = priced(
        live,
        sale_payload(
            live,
            key=_key(),
            receipt="NYC1-000020",
            lines=[{"sku": sku, "qty": "1", "unit_price": _price(live, sku)}],
        ),
    )
    shown = Decimal(payload["totals"]["grand_total"]) + Decimal("1.00")
    payload["totals"]["grand_total"] = str(shown)
    payload["payments"] = [{"method": "cash", "amount": str(shown)}]
    with live.sign_in("maya") as till:
        [result] = till.post("/api/sync/push", json={"sales": [payload]}).json()["sales"]
    assert result["status"] == "accepted"
    assert "totals_mismatch" in result["flags"]


def test_two_lines_of_one_sku_at_their_own_tier_prices_are_not_a_price_difference(live: Live) -> None:
    # HOME-TEA-TOWELS costs less from 3 units: the till prices each line by its own quantity.
    sku = "HOME-TEA-TOWELS"
    with live.sign_in("admin") as admin:
        product = admin.get(f"/api/products/{sku}").json()
    [tier] = [t for t in product["tier_prices"] if t["customer_group_id"] is None]
    assert Decimal(tier["price"]) < Decimal(product["price"])
    lines = [
        {"sku": sku, "qty": str(Decimal(tier["qty"])), "unit_price": tier["price"]},
        {"sku": sku, "qty": "1", "unit_price": product["price"]},
    ]
    payload = priced(live, sale_payload(live, key=_key(), receipt="NYC1-000021", lines=lines))
    with live.sign_in("maya") as till:
        [result] = till.post("/api/sync/push", json={"sales": [payload]}).json()["sales"]
    assert result["status"] == "accepted", result
    assert "price_differs" not in result["flags"]
    assert "totals_mismatch" not in result["flags"]


def test_refunds_give_back_what_was_paid_and_restock(live: Live) -> None:
    sku = _a_sku(live)
    payload = priced(
        live,
        sale_payload(
            live,
            key=_key(),
            receipt="NYC1-000030",
            lines=[{"sku": sku, "qty": "3", "unit_price": _price(live, sku)}],
        ),
    )
    with live.sign_in("maya") as till:
        [sold] = till.post("/api/sync/push", json={"sales": [payload]}).json()["sales"]
        denied = till.post(
            f"/api/orders/{sold['order_id']}/refunds",
            json={"idempotency_key": _key(), "register_code": "NYC1", "lines": [{"line_no": 1, "qty": "1"}]},
        )
    assert denied.status_code == 403
    after_sale = _salable(live, sku)
    refunds = []
    with live.sign_in("grace") as manager:
        for qty in ("1", "1", "1"):
            body = {
                "idempotency_key": _key(),
                "register_code": "NYC1",
                "lines": [{"line_no": 1, "qty": qty, "restock": True}],
            }
            answer = manager.post(f"/api/orders/{sold['order_id']}/refunds", json=body)
            assert answer.status_code == 201, answer.text
            assert (
                manager.post(f"/api/orders/{sold['order_id']}/refunds", json=body).json()["id"]
                == answer.json()["id"]
            )
            refunds.append(Decimal(answer.json()["total"]))
        too_many = manager.post(
            f"/api/orders/{sold['order_id']}/refunds",
            json={"idempotency_key": _key(), "register_code": "NYC1", "lines": [{"line_no": 1, "qty": "1"}]},
        )
        order = manager.get(f"/api/orders/{sold['order_id']}").json()
    assert too_many.status_code == 422
    assert sum(refunds) == Decimal(payload["totals"]["grand_total"])
    assert order["state"] == "closed"
    assert Decimal(order["total_refunded"]) == Decimal(order["grand_total"])
    assert _salable(live, sku) == after_sale + 3
