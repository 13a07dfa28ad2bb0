"""GraphQL has limits, answers errors without internals, and follows REST's input rules
(issue 12, item 8)."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from tests.e2e.conftest import Live

pytestmark = pytest.mark.db


def _many_aliases(count: int) -> str:
    fields = " ".join(
        f'a{i}: products(search: "e", limit: 200) {{ sku name price barcode }}' for i in range(count)
    )
    return "{ " + fields + " }"


def test_the_issues_300_alias_query_is_refused_at_once_and_health_answers(live: Live) -> None:
    query = _many_aliases(300)
    assert len(query) > 19_000
    health: list[float] = []

    def probe() -> None:
        with httpx.Client(base_url=live.url, timeout=30) as client:
            for _ in range(5):
                started = time.monotonic()
                assert client.get("/api/health").status_code in (200, 503)
                health.append(time.monotonic() - started)

    with live.sign_in("maya") as cashier:
        prober = threading.Thread(target=probe)
        started = time.monotonic()
        prober.start()
        answer = cashier.post("/graphql", json={"query": query})
        took = time.monotonic() - started
        prober.join()
    assert answer.status_code in (200, 400)
    errors = answer.json()["errors"]
    assert errors and answer.json().get("data") is None
    assert any(w in e["message"] for e in errors for w in ("bytes", "aliases", "tokens")), errors
    assert took < 1.0, f"refused in {took:.2f} s"
    assert len(answer.content) < 10_000
    assert max(health) < 1.0, health


@pytest.mark.parametrize(
    ("query", "says"),
    [
        (_many_aliases(11), "aliases"),
        ("{ " + " ".join(f'p{i}: product(sku: "x") {{ sku }}' for i in range(5)) + " }", None),
        (
            '{ a: products(search: "e", limit: 200) { sku } b: orders(limit: 200) { id } '
            'c: customers(search: "a", limit: 200) { id } }',
            "rows",
        ),
        ('{ products(search: "e") { sku } orders { id lines { sku } } }', None),
    ],
)
def test_aliases_and_rows_asked_for_are_limited(live: Live, query: str, says: str | None) -> None:
    with live.sign_in("admin") as admin:
        answer = admin.post("/graphql", json={"query": query}).json()
    if says is None:
        assert "errors" not in answer, answer
    else:
        assert any(says in e["message"] for e in answer["errors"]), answer


def test_a_nul_in_a_graphql_string_is_refused_and_no_error_carries_sql(live: Live) -> None:
    """A GraphQL escape (`\\u0000` inside the query text) got past the REST guard; on
    PostgreSQL the database's error came back with the SQL and its parameters."""
    with live.sign_in("admin") as admin:
        answer = admin.post("/graphql", json={"query": '{ products(search: "\\u0000") { sku } }'})
    body = answer.text
    assert "NUL" in body, body
    assert "SELECT" not in body and "[SQL" not in body and "parameters" not in body


def test_an_internal_error_is_masked(live: Live) -> None:
    from graphql import GraphQLError
    from sqlalchemy.exc import DBAPIError

    from till.api.graphql import _shown

    internal = GraphQLError("x", original_error=DBAPIError("SELECT secret", {}, Exception("boom")))
    assert not _shown(internal)
    assert _shown(GraphQLError("Syntax Error"))
