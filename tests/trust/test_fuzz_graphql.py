"""GraphQL fuzzed (issue 12 item 5's remainder): every argument of every field, drawn from the
schema's own introspection, with edge values (integers past 32 and 64 bits, times at the
calendar's edges and not times at all, strings with NUL, lone surrogates, control and
far-plane characters, long runs), sent as variables and as literals, signed in as a manager.

Every answer must be 200 (GraphQL reports errors in the body) or a 4xx with a reason, never a
5xx, and no error may be an internal one (code INTERNAL: a database error or a bug reached the
resolver) or carry SQL or a traceback. The REST fuzzing is tests/trust/test_fuzz_api.py.

On SQLite and PostgreSQL. `TILL_FUZZ_GRAPHQL_EXAMPLES` sets the examples per field (default 40).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from tests.conftest import _engine_for, reset
from tests.e2e.conftest import Live, _server_for
from till.demo.store import seed_demo

EXAMPLES = int(os.environ.get("TILL_FUZZ_GRAPHQL_EXAMPLES", "40"))
LEAKS = re.compile(r"\bSELECT\b|\bINSERT\b|sqlalchemy|psycopg|pymysql|sqlite3|Traceback|\bWHERE\b")

_TYPE = "type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"
INTROSPECTION = f"{{ __schema {{ queryType {{ fields {{ name args {{ name {_TYPE} }} {_TYPE} }} }} }} }}"

EDGE_INTS = [
    0,
    -1,
    1,
    200,
    201,
    2**31 - 1,
    2**31,
    -(2**31),
    -(2**31) - 1,
    2**63 - 1,
    2**63,
    2**64,
    -(2**63) - 1,
]
EDGE_TIMES = [
    "0001-01-01T00:00:00+00:00",
    "9999-12-31T23:59:59-14:00",
    "1970-01-01T00:00:00Z",
    "2999-12-31T23:59:59+14:00",
    "2026-11-25T15:04:05",  # no zone
    "not a time",
    "",
    "2026-02-30T00:00:00+00:00",
]
EDGE_TEXT = [
    "",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\u202e",
    "\U0001f600",
    "'; DROP TABLE orders; --",
    "%",
    "_",
]


def _named(kind: dict[str, Any]) -> str:
    while kind.get("ofType"):
        kind = kind["ofType"]
    return str(kind["name"])


def _value(type_name: str) -> st.SearchStrategy[Any]:
    if type_name == "Int":
        return st.one_of(st.sampled_from(EDGE_INTS), st.integers())
    if type_name == "DateTime":
        return st.one_of(st.sampled_from(EDGE_TIMES), st.text(max_size=40))
    if type_name in ("Float", "Decimal"):
        return st.one_of(st.sampled_from(["1e400", "NaN", "-0", "9" * 60]), st.floats())
    return st.one_of(st.sampled_from(EDGE_TEXT), st.text(max_size=300), st.text(min_size=2000, max_size=5000))


def _fields(live: Live, token: str) -> list[dict[str, Any]]:
    answer = httpx.post(
        f"{live.url}/graphql", json={"query": INTROSPECTION}, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json()["data"]["__schema"]["queryType"]["fields"])


def _selection(field: dict[str, Any], types: dict[str, list[str]]) -> str:
    scalars = types.get(_named(field["type"]), [])
    return "{ " + " ".join(scalars) + " }" if scalars else ""


@pytest.fixture(params=["sqlite", "postgresql"])
def graph(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The demo on SQLite and on PostgreSQL (where a NUL or a lone surrogate cannot be stored)."""
    if request.param == "sqlite":
        engine: Engine = request.getfixturevalue("sqlite_engine")
    else:
        engine = _engine_for("postgresql", request.getfixturevalue("database_urls"))
        reset(engine)
    live = Live(_server_for(engine), engine, seed_demo(engine))
    member = live.store.staff_member("grace")
    signed = httpx.post(
        f"{live.url}/api/auth/sign-in", json={"username": "grace", "password": member.password}
    ).json()
    token = signed["token"]
    types_query = (
        "{ __schema { types { name kind fields { name type { kind name ofType { kind name } } } } } }"
    )
    answer = httpx.post(
        f"{live.url}/graphql", json={"query": types_query}, headers={"Authorization": f"Bearer {token}"}
    ).json()
    scalars = {
        t["name"]: [f["name"] for f in t["fields"] if _named(f["type"]) in ("String", "Int", "Boolean", "ID")]
        for t in answer["data"]["__schema"]["types"]
        if t["kind"] == "OBJECT" and not t["name"].startswith("__") and t["fields"]
    }
    return {"live": live, "token": token, "fields": _fields(live, token), "scalars": scalars}


def _literal(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, int | float) or isinstance(value, bool) else repr(value)


def _probe(graph: dict[str, Any], field: dict[str, Any], wrong: list[str], sent: list[int]) -> Any:
    """A hypothesis test of one field: its arguments drawn by type, sent as variables or literals."""
    live: Live = graph["live"]
    args = {a["name"]: _named(a["type"]) for a in field["args"]}
    selection = _selection(field, graph["scalars"])

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(
        values=st.fixed_dictionaries({}, optional={n: _value(t) for n, t in args.items()}),
        inline=st.booleans(),
    )
    def probe(values: dict[str, Any], inline: bool) -> None:
        name = field["name"]
        if inline:
            given_args = ", ".join(f"{n}: {_literal(v)}" for n, v in values.items())
            body: dict[str, Any] = {
                "query": f"{{ {name}{f'({given_args})' if given_args else ''} {selection} }}"
            }
        else:
            declared = ", ".join(f"${n}: {args[n]}" for n in values)
            passed = ", ".join(f"{n}: ${n}" for n in values)
            head = f"query Q({declared})" if declared else "query Q"
            query = f"{head} {{ {name}{f'({passed})' if passed else ''} {selection} }}"
            body = {"query": query, "variables": values}
        answer = httpx.post(
            f"{live.url}/graphql",
            content=json.dumps(body, allow_nan=True),
            headers={"Authorization": f"Bearer {graph['token']}", "Content-Type": "application/json"},
            timeout=30,
        )
        sent[0] += 1
        seen = f"{name} {json.dumps(values)[:160]}"
        if answer.status_code >= 500:
            wrong.append(f"{seen}: {answer.status_code}")
        elif answer.status_code == 200:  # else a 4xx with its reason (a NUL: 422 before GraphQL runs)
            for error in answer.json().get("errors") or []:
                if (error.get("extensions") or {}).get("code") == "INTERNAL" or LEAKS.search(
                    error["message"]
                ):
                    wrong.append(f"{seen}: {error['message'][:200]}")

    return probe


def test_fuzzed_graphql_arguments_never_answer_500_nor_leak_internals(graph: dict[str, Any]) -> None:
    wrong: list[str] = []
    sent = [0]
    for field in graph["fields"]:
        _probe(graph, field, wrong, sent)()
    assert not wrong, "\n".join(sorted(set(wrong))[:40])
    assert sent[0] >= EXAMPLES * len(graph["fields"]) * 0.8, sent


#: Times at the calendar's edges and without a zone: REST answers each with 422 (`Time`).
EDGE_TIMES = ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "2026-11-25T15:04:05"]


def test_every_time_argument_refuses_the_calendars_edges_in_words(graph: dict[str, Any]) -> None:
    """Each edge, on every DateTime argument, as a variable: refused with a message a caller can
    act on, never an internal error (the fuzzer found `orders(before: 9999-12-31T23:59:59-14:00)`
    answered as one: the time had no UTC form)."""
    live: Live = graph["live"]
    timed = [
        (field, arg["name"])
        for field in graph["fields"]
        for arg in field["args"]
        if _named(arg["type"]) == "DateTime"
    ]
    assert timed, "the schema has time arguments"
    for field, arg in timed:
        for edge in EDGE_TIMES:
            selection = _selection(field, graph["scalars"])
            query = f"query Q($t: DateTime) {{ {field['name']}({arg}: $t) {selection} }}"
            answer = httpx.post(
                f"{live.url}/graphql",
                json={"query": query, "variables": {"t": edge}},
                headers={"Authorization": f"Bearer {graph['token']}"},
                timeout=30,
            ).json()
            [error] = answer["errors"]
            assert (error.get("extensions") or {}).get("code") != "INTERNAL", (field["name"], edge, error)
            assert "time" in error["message"], (field["name"], edge, error["message"])


def test_a_lone_surrogate_in_any_string_argument_is_refused_in_words(graph: dict[str, Any]) -> None:
    """Half a surrogate pair (`"\\ud800"`), passed as a variable to every String argument: 422
    with the reason, never an internal error (the fuzzer found `orders(register: "\\ud800")`
    answered as one: no database can compare such text)."""
    live: Live = graph["live"]
    texts = [
        (field, arg["name"], _named(arg["type"]))
        for field in graph["fields"]
        for arg in field["args"]
        if _named(arg["type"]) == "String"
    ]
    assert texts, "the schema has text arguments"
    for field, arg, kind in texts:
        query = f"query Q($t: {kind}!) {{ {field['name']}({arg}: $t) {_selection(field, graph['scalars'])} }}"
        answer = httpx.post(
            f"{live.url}/graphql",
            content=json.dumps({"query": query, "variables": {"t": "shop \ud800"}}),
            headers={"Authorization": f"Bearer {graph['token']}", "Content-Type": "application/json"},
            timeout=30,
        )
        assert answer.status_code == 422, (field["name"], arg, answer.status_code, answer.text[:200])
        assert "surrogate" in answer.json()["detail"]
