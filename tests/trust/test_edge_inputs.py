"""Values at the calendar's and the integers' edges answer 422 (or a per-sale rejection inside a
batch), never 500 (issue 12 item 5). One sale can never fail its batch: the good sales of the
batch are accepted and the bad one is kept for a manager among the rejected sales.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.e2e.conftest import Live
from tests.trust.tills import make_sales

FIRST_SECOND = "0001-01-01T00:00:00+14:00"
LAST_SECOND = "9999-12-31T23:59:59-14:00"


def _key() -> str:
    return f"edge-{uuid.uuid4()}"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("created_at", FIRST_SECOND),
        ("created_at", "0001-01-01T00:00:00+00:00"),
        ("created_at", LAST_SECOND),
        ("approved_by", 2**63),
        ("approved_by", 2**31),
        ("staff_id", 2**64),
        ("customer_id", -(2**63) - 1),
    ],
)
def test_one_sale_at_an_edge_is_rejected_alone_and_its_batch_is_taken(
    live: Live, field: str, value: Any
) -> None:
    good, bad = make_sales(live, 2, tag=f"edge-{uuid.uuid4().hex[:8]}")
    bad = {**bad, field: value}
    with live.sign_in("maya") as till:
        answer = till.post("/api/sync/push", json={"sales": [good, bad]})
        assert answer.status_code == 200, answer.text
        first, second = answer.json()["sales"]
        assert first["status"] == "accepted", first
        assert second["status"] == "rejected", second
        assert field in (second["reason"] or "")
    with live.sign_in("grace") as manager:
        kept = manager.get(f"/api/rejected-sales/{bad['idempotency_key']}")
    assert kept.status_code == 200, kept.text


@pytest.mark.parametrize("sent_at", [LAST_SECOND, "9999-12-31T00:00:00+00:00", FIRST_SECOND])
def test_a_till_clock_at_an_edge_does_not_fail_the_batch(live: Live, sent_at: str) -> None:
    [sale] = make_sales(live, 1, tag=f"edge-{uuid.uuid4().hex[:8]}")
    sale = {**sale, "created_at": datetime.now(UTC).isoformat()}
    with live.sign_in("maya") as till:
        answer = till.post("/api/sync/push", json={"sales": [sale], "sent_at": sent_at})
    assert answer.status_code == 200, answer.text
    [result] = answer.json()["sales"]
    assert result["status"] == "accepted", result


@pytest.mark.parametrize("created_at", [FIRST_SECOND, LAST_SECOND, "1969-12-31T23:59:59+00:00"])
def test_an_order_posted_at_an_edge_is_422(live: Live, created_at: str) -> None:
    [sale] = make_sales(live, 1, tag=f"edge-{uuid.uuid4().hex[:8]}")
    with live.sign_in("maya") as till:
        answer = till.post("/api/orders", json={**sale, "created_at": created_at})
    assert answer.status_code == 422, answer.text
    assert "created_at" in answer.text


def test_edges_of_audit_schedules_and_reports_are_refused_with_a_message(live: Live) -> None:
    with live.sign_in("admin") as admin:
        answers = {
            "audit from": admin.get("/api/admin/audit", params={"from": FIRST_SECOND}),
            "audit to": admin.get("/api/admin/audit", params={"to": LAST_SECOND}),
            "audit csv": admin.get("/api/admin/audit.csv", params={"from": FIRST_SECOND, "to": LAST_SECOND}),
            "schedule": admin.post(
                "/api/admin/price-schedules",
                json={"sku": "anything", "special_price": "1.00", "starts_at": LAST_SECOND},
            ),
        }
        saved = admin.post(
            "/api/reports",
            json={
                "name": f"edge-{uuid.uuid4().hex[:8]}",
                "title": "edge",
                "sql": "SELECT :n AS n, :d AS d",
                "params": {"n": "int", "d": "decimal"},
                "roles": ["admin"],
            },
        )
        assert saved.status_code == 201, saved.text
        name = saved.json()["name"]
        answers["report int"] = admin.get(f"/api/reports/{name}", params={"n": str(2**64)})
        answers["report decimal"] = admin.get(f"/api/reports/{name}", params={"d": "1e999999"})
        answers["report nan"] = admin.get(f"/api/reports/{name}", params={"d": "NaN"})
        fine = admin.get(f"/api/reports/{name}", params={"n": str(2**63 - 1), "d": "12.50"})
    assert fine.status_code == 200, fine.text
    for what, answer in answers.items():
        assert answer.status_code in (400, 422), (what, answer.status_code, answer.text)
        assert answer.json().get("detail"), (what, answer.text)
