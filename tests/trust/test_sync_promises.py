"""What docs/sync.md promises a till, checked the way a load generator written from it found it
broken (issue 12 item 14): every order listed when many share a second, orders found by their
idempotency key, no sale stored in the future, the OpenAPI carrying the receipt-number pattern
and the batch limit, money only as decimal strings, and a reused key for another sale answered
as a conflict and kept for a manager.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e.conftest import Live
from tests.trust.tills import make_sales
from till.api.app import create_app
from till.settings import Settings


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def test_orders_sharing_a_second_are_all_listed_page_by_page(live: Live) -> None:
    sales = make_sales(live, 50, tag=_tag())
    # Tills that stamp whole seconds: ten sales a second.
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    for n, sale in enumerate(sales):
        sale["created_at"] = (start + timedelta(seconds=n // 10)).isoformat()
    with live.sign_in("maya") as till:
        answer = till.post("/api/sync/push", json={"sales": sales})
        assert answer.status_code == 200, answer.text
        placed = {r["order_id"] for r in answer.json()["sales"]}
        assert len(placed) == 50
        seen: list[str] = []
        params: dict[str, Any] = {"register_code": "NYC1", "limit": 7}
        for _ in range(40):
            page = till.get("/api/orders", params=params)
            assert page.status_code == 200, page.text
            seen += [o["id"] for o in page.json()]
            cursor = page.headers.get("X-Next-Cursor")
            if cursor is None:
                assert len(page.json()) < 7, "a full page must carry X-Next-Cursor"
                break
            params = {**params, "cursor": cursor}
    assert len(seen) == len(set(seen)), "an order was listed twice"
    assert placed <= set(seen), f"{len(placed - set(seen))} of 50 orders were never listed"


def test_an_order_is_found_by_its_idempotency_key(live: Live) -> None:
    sales = make_sales(live, 3, tag=_tag())
    with live.sign_in("maya") as till:
        results = till.post("/api/sync/push", json={"sales": sales}).json()["sales"]
        found = till.get("/api/orders", params={"idempotency_key": sales[1]["idempotency_key"]})
    assert found.status_code == 200, found.text
    assert [o["id"] for o in found.json()] == [results[1]["order_id"]]


def test_a_sale_from_the_near_future_is_placed_at_its_arrival_and_flagged(live: Live) -> None:
    [sale] = make_sales(live, 1, tag=_tag())
    now = datetime.now(UTC)
    sale["created_at"] = (now + timedelta(seconds=100)).isoformat()
    with live.sign_in("maya") as till:
        [result] = till.post("/api/sync/push", json={"sales": [sale], "sent_at": now.isoformat()}).json()[
            "sales"
        ]
        assert result["status"] == "accepted", result
        order = till.get(f"/api/orders/{result['order_id']}").json()
    assert "clock_skew" in result["flags"]
    stored = datetime.fromisoformat(order["created_at"]).astimezone(UTC)
    assert stored <= datetime.now(UTC) + timedelta(seconds=1), stored


def test_the_openapi_states_the_receipt_number_and_the_batch_limit() -> None:
    settings = Settings(database_url="sqlite://", web_dist="/nonexistent")
    schemas = create_app(settings).openapi()["components"]["schemas"]
    receipt = schemas["SaleIn"]["properties"]["receipt_number"]
    assert receipt["pattern"], receipt
    assert schemas["PushIn"]["properties"]["sales"]["maxItems"] == settings.max_batch_sales == 200
    statuses = schemas["SaleResultOut"]["properties"]["status"]
    assert "conflict" in str(statuses)


def _numbers(node: Any, where: str, found: list[str], schemas: dict[str, Any]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            if name in schemas:
                _numbers(schemas.pop(name), f"{where}<{name}>", found, schemas)
            return
        if node.get("type") == "number":
            found.append(where)
        for key, value in node.items():
            _numbers(value, f"{where}.{key}", found, schemas)
    elif isinstance(node, list):
        for n, value in enumerate(node):
            _numbers(value, f"{where}[{n}]", found, schemas)


def test_no_request_takes_a_json_number() -> None:
    """Walks every route's parameters and body: a decimal is a string on the wire, always."""
    spec = create_app(Settings(database_url="sqlite://", web_dist="/nonexistent")).openapi()
    found: list[str] = []
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            schemas = dict(spec["components"]["schemas"])
            _numbers(operation.get("requestBody", {}), f"{method.upper()} {path} body", found, schemas)
            for parameter in operation.get("parameters", []):
                _numbers(
                    parameter.get("schema", {}),
                    f"{method.upper()} {path} ?{parameter['name']}",
                    found,
                    schemas,
                )
    assert not found, found


def test_json_numbers_for_money_and_quantities_are_refused(live: Live) -> None:
    sales = make_sales(live, 4, tag=_tag())
    sales[0]["lines"][0]["unit_price"] = int(float(sales[0]["lines"][0]["unit_price"]))
    sales[1]["lines"][0]["qty"] = 1
    sales[2]["payments"][0]["amount"] = int(float(sales[2]["payments"][0]["amount"]) + 1)
    with live.sign_in("maya") as till:
        results = till.post("/api/sync/push", json={"sales": sales}).json()["sales"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "rejected", "accepted"], results
    assert all("decimal string" in r["reason"] for r in results[:3]), results
    with live.sign_in("admin") as admin:
        answers = {
            "shift float": admin.post("/api/registers/WH1/shift", json={"opening_float": 100}),
            "staff limit": admin.patch("/api/admin/staff/maya", json={"discount_limit_percent": 10}),
        }
    for what, answer in answers.items():
        assert answer.status_code == 422, (what, answer.text)
        assert "decimal string" in answer.text, (what, answer.text)


def test_a_reused_key_for_another_sale_is_a_conflict_kept_for_a_manager(live: Live) -> None:
    first, other = make_sales(live, 2, tag=_tag())
    other = {**other, "idempotency_key": first["idempotency_key"]}
    with live.sign_in("maya") as till:
        [accepted] = till.post("/api/sync/push", json={"sales": [first]}).json()["sales"]
        answer = till.post("/api/sync/push", json={"sales": [other, first]}).json()["sales"]
        again = till.post("/api/sync/push", json={"sales": [other]}).json()["sales"]
        direct = till.post("/api/orders", json=other)
    assert accepted["status"] == "accepted"
    assert [r["status"] for r in answer] == ["conflict", "duplicate"], answer
    assert answer[1]["order_id"] == accepted["order_id"]
    assert first["receipt_number"] in answer[0]["reason"]
    assert again[0]["status"] == "conflict"
    assert direct.status_code == 409, direct.text
    with live.sign_in("grace") as manager:
        kept = manager.get(f"/api/rejected-sales/{first['idempotency_key']}")
    assert kept.status_code == 200, kept.text
    assert kept.json()["payload"]["receipt_number"] == other["receipt_number"]
