"""`GET /api/rejected-sales` always answers, paged, with large bodies summarised (issue 12,
item 6)."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import Live
from till.storage.uow import UnitOfWork

pytestmark = pytest.mark.db


def _keep(live: Live, key: str, payload: dict[str, object]) -> None:
    with UnitOfWork(live.engine) as uow:
        register = uow.reference.registers()[0].code
        uow.sales.reject(key, register, "refused for the test", payload)
        uow.commit()


def test_a_lone_surrogate_in_a_refused_sale_does_not_stop_the_list(live: Live) -> None:
    if live.engine.dialect.name == "mysql":
        pytest.skip("MariaDB's JSON_VALID refuses a lone surrogate: such a body never gets stored")
    _keep(live, "surrogate-1", {"note": "half a pair: \ud800", "lines": []})
    with live.sign_in("admin") as admin:
        answer = admin.get("/api/rejected-sales")
        assert answer.status_code == 200, answer.text
        [kept] = [r for r in json.loads(answer.text) if r["idempotency_key"] == "surrogate-1"]
        assert kept["payload"]["note"] == "half a pair: \ud800"
        one = admin.get("/api/rejected-sales/surrogate-1")
        assert one.status_code == 200 and one.json()["payload"]["note"].endswith("\ud800")


def test_large_refused_sales_are_summarised_and_the_list_is_paged(live: Live) -> None:
    big = "x" * (1024 * 1024)
    for n in range(3):
        _keep(live, f"big-{n}", {"note": big, "n": n})
    for n in range(7):
        _keep(live, f"small-{n}", {"n": n})
    with live.sign_in("admin") as admin:
        answer = admin.get("/api/rejected-sales")
        assert answer.status_code == 200
        assert len(answer.content) < 200_000, "three 1 MiB bodies are summarised, not sent whole"
        bigs = [r for r in answer.json() if r["idempotency_key"].startswith("big-")]
        assert len(bigs) == 3
        for r in bigs:
            assert r["payload"] is None and r["payload_bytes"] > 1024 * 1024
            assert len(r["payload_preview"]) <= 4096
        whole = admin.get("/api/rejected-sales/big-1").json()
        assert whole["payload"]["note"] == big

        seen: list[str] = []
        params: dict[str, str | int] = {"limit": 4}
        for _ in range(10):
            page = admin.get("/api/rejected-sales", params=params)
            assert page.status_code == 200 and len(page.json()) <= 4
            seen += [r["idempotency_key"] for r in page.json()]
            after = page.headers.get("X-Next-Before")
            if not after:
                break
            params = {"limit": 4, "before": after}
        assert sorted(seen) == sorted([f"big-{n}" for n in range(3)] + [f"small-{n}" for n in range(7)])
        assert admin.get("/api/rejected-sales/no-such-key").status_code == 404
