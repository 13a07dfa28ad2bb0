"""One dialect for numbers (issue 18 item 3): money in the currency's two places, quantities
and rates in plain decimal notation, never an exponent, never a JSON float, in every answer.

Two walks, neither with a list of routes: every response schema of the OpenAPI (each decimal
field declares one of the two dialects), and every GET the demo store can answer, called after
sales, a refund and a closed shift exist, each decimal string checked against its field's
dialect (and, where an answer has no schema, against plain notation). Report totals follow the
dialect too: on SQLite they were the binary float's `1805.9499999999998`.
"""

from __future__ import annotations

import json
import re
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from tests.conftest import _engine_for, reset
from tests.e2e.conftest import Live, _server_for, priced, sale_payload
from till.api.schemas.common import MONEY_PATTERN, PLAIN_PATTERN
from till.demo.store import seed_demo

DIALECTS = {MONEY_PATTERN: "money", PLAIN_PATTERN: "plain"}
#: Measurements, not amounts: monitoring's durations are JSON numbers (docs/sync.md).
MEASURES = ("_seconds", "_ms", "_ms_5m", "_ms_total")
#: A number written as text with an exponent (2E+1) or a float's tail.
EXPONENT = re.compile(r"^-?\d+(\.\d+)?[eE][-+]?\d+$")


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _decimal_fields(
    document: dict[str, Any], schema: dict[str, Any], where: str, seen: set[str]
) -> list[str]:
    """Every decimal field under a schema that does not declare one of the dialects."""
    if "$ref" in schema:
        name = schema["$ref"]
        if name in seen:
            return []
        seen = seen | {name}
    schema = _resolve(document, schema)
    wrong = []
    if schema.get("type") == "number":
        wrong.append(f"{where}: a JSON number")
    if schema.get("format") == "decimal" and schema.get("pattern") not in DIALECTS:
        wrong.append(f"{where}: pattern {schema.get('pattern')} is neither money nor plain")
    for key, sub in schema.get("properties", {}).items():
        wrong += _decimal_fields(document, sub, f"{where}.{key}", seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            wrong += _decimal_fields(document, schema[key], f"{where}[]", seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            wrong += _decimal_fields(document, sub, where, seen)
    return wrong


def _answers(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            for status, answer in op.get("responses", {}).items():
                schema = answer.get("content", {}).get("application/json", {}).get("schema")
                if schema:
                    found.append((f"{method.upper()} {path} {status}", schema))
    return found


def test_every_decimal_in_the_openapis_answers_is_money_or_plain(sqlite_engine: Engine) -> None:
    live = Live(_server_for(sqlite_engine), sqlite_engine, seed_demo(sqlite_engine))
    document = httpx.get(f"{live.url}/openapi.json").json()
    answers = _answers(document)
    assert len(answers) > 300
    wrong = [w for where, schema in answers for w in _decimal_fields(document, schema, where, set())]
    assert not wrong, "\n".join(wrong)


def _check(document: dict[str, Any], schema: dict[str, Any] | None, value: Any, where: str) -> list[str]:
    """The value against its schema's dialect; with no schema, plain notation at least."""
    schema = None if schema is None else _resolve(document, schema)
    measured = where.endswith(MEASURES)  # durations are measurements, JSON numbers by design
    if isinstance(value, float) and not value.is_integer() and not measured:
        return [f"{where}: the JSON float {value!r}"]
    if isinstance(value, str):
        if EXPONENT.match(value):
            return [f"{where}: {value!r} has an exponent"]
        pattern = None if schema is None else schema.get("pattern")
        if schema is not None and schema.get("format") == "decimal" and not re.match(str(pattern), value):
            return [f"{where}: {value!r} is not {DIALECTS.get(str(pattern), pattern)}"]
        return []
    wrong: list[str] = []
    options = [] if schema is None else [_resolve(document, s) for s in schema.get("anyOf", [])]
    schema = next((s for s in options if s.get("type") in ("object", "array", "string")), schema)
    if isinstance(value, dict):
        properties = {} if schema is None else schema.get("properties", {})
        extra = None if schema is None else schema.get("additionalProperties")
        for key, sub in value.items():
            inner = properties.get(key, extra if isinstance(extra, dict) else None)
            wrong += _check(document, inner, sub, f"{where}.{key}")
    elif isinstance(value, list):
        items = None if schema is None else schema.get("items")
        for sub in value:
            wrong += _check(document, items, sub, f"{where}[]")
    return wrong


def _sell(live: Live, admin: httpx.Client, count: int) -> list[dict[str, Any]]:
    """`count` sales at NYC1 of assorted products and quantities, each priced as a till prices it."""
    found = admin.get("/api/products", params={"q": "a", "limit": 200}).json()
    products = [p for p in found if p["type"] == "simple" and Decimal(p["price"]) > 1]
    placed = []
    for n in range(count):
        product = products[n % len(products)]
        sale = priced(
            live,
            sale_payload(
                live,
                key=f"sale-{uuid.uuid4()}",
                receipt=f"NYC1-{n + 1:06d}",
                lines=[{"sku": product["sku"], "qty": str(1 + n % 3), "unit_price": product["price"]}],
                staff_username="admin",  # the admin's session sells as the admin
            ),
        )
        [result] = admin.post("/api/sync/push", json={"sales": [sale]}).json()["sales"]
        assert result["status"] == "accepted", result
        placed.append(result)
    return placed


@pytest.fixture(params=["sqlite", "postgresql"])
def demo_live(request: pytest.FixtureRequest) -> Live:
    """The demo served on SQLite (sums in binary floats) and PostgreSQL (sums at four places)."""
    if request.param == "sqlite":
        engine: Engine = request.getfixturevalue("sqlite_engine")
    else:
        engine = _engine_for("postgresql", request.getfixturevalue("database_urls"))
        reset(engine)
    return Live(_server_for(engine), engine, seed_demo(engine))


def test_every_get_the_demo_answers_speaks_one_dialect(demo_live: Live) -> None:
    live = demo_live
    with live.sign_in("admin") as admin:
        opened = admin.post("/api/registers/NYC1/shift", json={"opening_float": "100.00"}).json()
        placed = _sell(live, admin, 24)
        refunded = admin.post(
            f"/api/orders/{placed[0]['order_id']}/refunds",
            json={
                "idempotency_key": f"refund-{uuid.uuid4()}",
                "register_code": "NYC1",
                "lines": [{"line_no": 1, "qty": "1", "restock": True}],
            },
        )
        assert refunded.status_code == 201, refunded.text
        assert (
            admin.post("/api/registers/NYC1/shift/close", json={"counted_cash": "1234.56"}).status_code == 200
        )
        product = admin.get("/api/products", params={"q": "a", "limit": 1}).json()[0]
        values = {
            "order_id": placed[0]["order_id"],
            "shift_id": opened["shift_id"],
            "register_code": "NYC1",
            "location": "NYC",
            "sku": product["sku"],
            "barcode": product["barcode"],
            "customer_id": admin.get("/api/customers", params={"q": "a"}).json()[0]["id"],
            "username": "maya",
            "q": "a",
        }
        document = admin.get("/openapi.json").json()
        wrong: list[str] = []
        called = 0
        for path, ops in document["paths"].items():
            op = ops.get("get")
            if op is None or "text/event-stream" in json.dumps(op.get("responses", {})):
                continue
            url, query = path, {}
            for param in op.get("parameters", []):
                if param["name"] in values and param["in"] == "path":
                    url = url.replace("{" + param["name"] + "}", str(values[param["name"]]))
                elif param["name"] in values and param["in"] == "query":
                    query[param["name"]] = values[param["name"]]
            names = [url]
            if path == "/api/reports/{name}":  # every report the demo has, by the list it offers
                names = [f"/api/reports/{r['name']}" for r in admin.get("/api/reports").json()]
            for name in names:
                if "{" in name:
                    continue  # nothing of that kind in the demo (a dead letter, a job's runs)
                answer = admin.get(name, params=query)
                if answer.status_code != 200 or "json" not in answer.headers.get("content-type", ""):
                    continue
                called += 1
                schema = op["responses"]["200"].get("content", {}).get("application/json", {}).get("schema")
                wrong += _check(document, schema or None, answer.json(), f"GET {name}")
        totals = admin.get("/api/reports/sales-by-day").json()
    assert called >= 40, called
    assert not wrong, "\n".join(sorted(set(wrong))[:60])
    # The report's total is the orders' own sum, in cents, whatever SQLite summed it in.
    with live.sign_in("admin") as admin:
        orders = admin.get("/api/orders", params={"limit": 200}).json()
    [row] = totals["rows"]
    total = row[totals["columns"].index("total")]
    assert total == str(sum(Decimal(o["grand_total"]) for o in orders)), total
    assert re.match(MONEY_PATTERN, total)
