"""Schemathesis against Till's own OpenAPI, in process, signed in as the demo admin.

Every operation of `/openapi.json` gets generated requests: valid ones (positive; half of them
with path and location values that exist in the demo store, so they reach past the 404) and
ones that break the schema (negative). Each answer must be no 5xx, a status code the OpenAPI
documents, the documented content type and headers, and a body matching the documented schema;
a request that breaks the schema must be refused with a 4xx (a push answers a malformed sale
per item instead: each must come back `rejected`). Failures are collected per operation and
reported together, so one run shows everything that is wrong.

Edges are in every generated value (issue 12 item 5): each `date-time` field is drawn now and then
from the calendar's edges (year 1, 9999-12-31T23:59:59-14:00, the epoch, zones of ±14 h), each
`date` from year 1 and 9999, each decimal string (`format: decimal`) from 0, the largest digits the
pattern allows and long runs of digits; every integer a request takes must have both bounds in the
OpenAPI (`test_every_integer_a_request_takes_is_bounded`), so the generator reaches 2**63 where a
field allows it. Found with these: a push failed whole on one sale's year-1 time or 2**63
approver, and audit, schedule and report parameters answered 500.

`TILL_FUZZ_EXAMPLES` sets the examples per operation and mode (default 25). The test counts
the requests it really sent and asserts they reach `TILL_FUZZ_TARGET` (default 2,000 at the
default examples), so the figure in docs/trust.md is one that ran. The run's seed is printed;
`TILL_FUZZ_SEED` replays it.
"""

from __future__ import annotations

import os
import random
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from pydantic import ValidationError
from schemathesis import APIOperation, BaseSchema, Case, GenerationMode, Response
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine, select

from tests.e2e.conftest import Live, priced, sale_payload
from till.api.app import create_app
from till.api.schemas import SaleIn
from till.demo.store import DemoStore, seed_demo
from till.settings import Settings
from till.storage.tables import products

_EDGE_TIMES = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00+00:00",
    "1969-12-31T23:59:59-14:00",
    "1970-01-01T00:00:00+00:00",
    "2999-12-31T23:59:59+00:00",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59.999999+00:00",
]
_EDGE_DATES = ["0001-01-01", "1969-12-31", "2999-12-31", "9999-12-31"]


def _edge_decimals() -> st.SearchStrategy[str]:
    digits = st.integers(1, 80).map(lambda n: "9" * n)
    return st.one_of(
        st.sampled_from(["0", "0.0001", "-0.0001", "999999999999", "-999999999999"]),
        digits,
        st.tuples(digits, st.integers(1, 4)).map(lambda d: f"{d[0]}.{'9' * d[1]}"),
    )


# Registered for every field of these formats in the OpenAPI: mostly ordinary values, often an edge.
schemathesis.openapi.format(
    "date-time",
    st.one_of(
        st.datetimes(timezones=st.timezones()).map(lambda t: t.isoformat()), st.sampled_from(_EDGE_TIMES)
    ),
)
schemathesis.openapi.format(
    "date", st.one_of(st.dates().map(lambda d: d.isoformat()), st.sampled_from(_EDGE_DATES))
)
schemathesis.openapi.format(
    "decimal",
    st.one_of(st.from_regex(r"\A\d{1,6}(\.\d{1,2})?\Z"), _edge_decimals()),
)

EXAMPLES = int(os.environ.get("TILL_FUZZ_EXAMPLES", "25"))
#: Requests the run must have sent. Hypothesis stops early on small input spaces (an operation
#: without parameters has few distinct requests; a path of free text cannot be made invalid),
#: so about 92 requests are sent per example, not 67 operations × 2 modes.
TARGET = int(os.environ.get("TILL_FUZZ_TARGET", str(EXAMPLES * 80)))
SEED = int(os.environ.get("TILL_FUZZ_SEED") or random.randrange(2**64))
PUSH = "POST /api/sync/push"
#: Operations that end or replace the token they are sent with: each case gets a fresh one.
SPENDS_ITS_TOKEN = {"POST /api/auth/sign-out", "POST /api/auth/refresh"}
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@dataclass
class Tally:
    """What the run did: requests sent per operation and mode, statuses seen, failures."""

    sent: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: dict[str, list[str]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.sent.values())

    @property
    def operations(self) -> set[str]:
        return {key.rsplit(" ", 1)[0] for key in self.sent}

    def fail(self, label: str, message: str) -> None:
        found = self.failures.setdefault(label, [])
        if len(found) < 3:
            found.append(message[:3000])


@dataclass
class Fuzzed:
    """The app on a demo store with a sale, a closed shift, a device and a webhook in it."""

    app: FastAPI
    store: DemoStore
    schema: BaseSchema
    admin: dict[str, str]
    #: Values that exist, by path or query parameter name.
    known: dict[str, list[Any]]


def _token(schema: BaseSchema, store: DemoStore, username: str = "admin") -> str:
    """Sign in over the API, as a till does."""
    member = store.staff_member(username)
    sign_in = schema["/api/auth/sign-in"]["POST"]
    answer = sign_in.Case(body={"username": username, "password": member.password}).call()
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


def _call(schema: BaseSchema, admin: dict[str, str], method: str, path: str, **kwargs: Any) -> Any:
    answer = schema[path][method].Case(**kwargs).call(headers=admin)
    assert answer.status_code < 300, answer.text
    return answer.json() if answer.content else None


@pytest.fixture
def fuzzed(engine: Engine) -> Iterator[Fuzzed]:
    store = seed_demo(engine)
    # Sign-in, PIN and approval operations are all fuzzed from one source: their rate limit (its
    # own test in test_sign_in_abuse.py) would otherwise answer the walk's own sign-ins 429.
    settings = Settings(
        database_url=str(engine.url), web_dist="/nonexistent", signin_attempts_per_minute=100_000
    )
    app = create_app(settings, engine)
    # The token is the test's to send; generated Authorization values would only be 401s. An
    # event stream is read up to its first event.
    config = schemathesis.Config.from_dict(
        {"max-stream-events": 1, "generation": {"with-security-parameters": False}}
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    admin = {"Authorization": f"Bearer {_token(schema, store)}"}
    with engine.connect() as conn:
        rows = conn.execute(select(products.c.sku, products.c.barcode).limit(20)).all()
    live = Live("", engine, store)
    sku = next(r.sku for r in rows if r.barcode)
    sale = priced(
        live,
        sale_payload(
            live,
            key=f"fuzz-{uuid.uuid4()}",
            receipt="NYC1-900001",
            lines=[
                {
                    "sku": sku,
                    "qty": "1",
                    "unit_price": _call(
                        schema, admin, "GET", "/api/products/{sku}", path_parameters={"sku": sku}
                    )["price"],
                }
            ],
        ),
    )
    [placed] = _call(schema, admin, "POST", "/api/sync/push", body={"sales": [sale]})["sales"]
    shift = _call(
        schema,
        admin,
        "POST",
        "/api/registers/{register_code}/shift",
        path_parameters={"register_code": "WH1"},
        body={"opening_float": "100.00"},
    )
    _call(
        schema,
        admin,
        "POST",
        "/api/registers/{register_code}/shift/close",
        path_parameters={"register_code": "WH1"},
        body={"counted_cash": "100.00"},
    )
    device = _call(
        schema, admin, "POST", "/api/devices", body={"name": "fuzzed till", "register_code": "NYC2"}
    )
    hook = _call(
        schema,
        admin,
        "POST",
        "/api/admin/webhooks",
        body={"name": "erp", "url": "http://erp.example.com:9/hook", "topics": ["*"]},
    )
    jobs = _call(schema, admin, "GET", "/api/admin/jobs")
    known: dict[str, list[Any]] = {
        "sku": [r.sku for r in rows],
        "barcode": [r.barcode for r in rows if r.barcode],
        "customer_id": [1, 2, 3],
        "order_id": [placed["order_id"]],
        "register_code": ["NYC1", "NYC2", "WH1"],
        "shift_id": [shift["shift_id"]],
        "device_id": [device["device_id"]],
        "endpoint_id": [hook["id"]],
        "job": [j["name"] for j in jobs],
        "report": ["sales-by-day", "top-products", "z-report"],
        "location": ["NYC", "WH"],
    }
    yield Fuzzed(app, store, schema, admin, known)
    shutdown_lifespans()


def _existing(fuzzed: Fuzzed, operation: APIOperation) -> st.SearchStrategy[Case]:
    """Cases whose path parameters (and `location` query) name things that exist."""
    names = re.findall(r"{(\w+)}", operation.path)
    choices: dict[str, list[Any]] = {}
    for name in names:
        key = name
        if name == "name":
            key = "job" if "/jobs/" in operation.path else "report"
        choices[name] = fuzzed.known.get(key, [])
    raw = fuzzed.schema.raw_schema["paths"][operation.path][operation.method.lower()]
    query = {p["name"] for p in raw.get("parameters", []) if p["in"] == "query"}
    fixed_query = st.fixed_dictionaries(
        {name: st.sampled_from(fuzzed.known["location"]) for name in ("location",) if name in query}
    )
    if any(not values for values in choices.values()):
        return operation.as_strategy()
    paths = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in choices.items()})
    return st.tuples(paths, fixed_query).flatmap(
        lambda pq: operation.as_strategy(path_parameters=pq[0] or None, query=pq[1] or None)
    )


def _each_malformed_sale_is_rejected(case: Case, response: Response) -> None:
    """A push answers a malformed sale per item (docs/sync.md), not with a 422 for the batch:
    every sale that is not a SaleIn must come back `rejected` with the reason, in its place."""
    sent = case.body["sales"] if isinstance(case.body, dict) and "sales" in case.body else []
    answered = response.json()["sales"]
    assert len(answered) == len(sent), f"{len(sent)} sales sent, {len(answered)} answered"
    for item, result in zip(sent, answered, strict=True):
        try:
            SaleIn.model_validate(item)
        except ValidationError:
            assert result["status"] == "rejected" and result["reason"], result


def _fuzz_operation(fuzzed: Fuzzed, operation: APIOperation, mode: GenerationMode, tally: Tally) -> None:
    label = f"{operation.method.upper()} {operation.path}"
    checks = list(CONFORMANCE)
    if mode is GenerationMode.NEGATIVE and label != PUSH:
        checks.append(negative_data_rejection)
    strategy = operation.as_strategy(generation_mode=mode)
    if mode is GenerationMode.POSITIVE:
        strategy = st.one_of(strategy, _existing(fuzzed, operation))

    @seed(SEED)
    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Case) -> None:
        headers = fuzzed.admin
        if label in SPENDS_ITS_TOKEN:
            headers = {"Authorization": f"Bearer {_token(fuzzed.schema, fuzzed.store)}"}
        tally.sent[f"{label} {mode.value}"] += 1
        try:
            response = case.call(headers=headers)
        except Exception as exc:  # the app raised: a 500 for the caller
            tally.statuses[500] += 1
            tally.fail(label, f"[{mode.value}] raised {exc!r}\n{case.as_curl_command(headers)}")
            return
        tally.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=checks, headers=headers)
            if label == PUSH and response.status_code == 200:
                _each_malformed_sale_is_rejected(case, response)
        except (FailureGroup, AssertionError) as exc:
            tally.fail(label, f"[{mode.value}] {exc}")

    try:
        run()
    except Unsatisfiable:
        # Nothing to break: the operation takes no parameters and no body (GET /api/health).
        assert mode is GenerationMode.NEGATIVE, label


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"], indirect=True)
def test_every_operation_answers_as_documented_and_never_5xx(fuzzed: Fuzzed) -> None:
    print(f"\nschemathesis: seed {SEED} (TILL_FUZZ_SEED={SEED} replays this run)")
    tally = Tally()
    for result in fuzzed.schema.get_all_operations():
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz_operation(fuzzed, result.ok(), mode, tally)
    print(
        f"schemathesis: {tally.total} requests over {len(tally.operations)} operations; "
        f"statuses {dict(sorted(tally.statuses.items()))}"
    )
    assert not tally.failures, "\n\n".join(
        f"== {label}\n" + "\n".join(found) for label, found in sorted(tally.failures.items())
    )
    assert not [status for status in tally.statuses if status >= 500]
    documented = sum(len(methods) for methods in fuzzed.schema.raw_schema["paths"].values())
    assert len(tally.operations) == documented
    assert tally.total >= TARGET, f"only {tally.total} requests were sent; the target is {TARGET}"


def _integers(node: Any, where: str, found: list[str], schemas: dict[str, Any]) -> None:
    """Every integer schema under `node`, by where it is; refs followed once."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            if name in schemas:
                _integers(schemas.pop(name), f"{where}<{name}>", found, schemas)
            return
        if node.get("type") == "integer" and ("maximum" not in node or "minimum" not in node):
            found.append(where)
        for key, value in node.items():
            _integers(value, f"{where}.{key}", found, schemas)
    elif isinstance(node, list):
        for n, value in enumerate(node):
            _integers(value, f"{where}[{n}]", found, schemas)


def test_every_integer_a_request_takes_is_bounded() -> None:
    """Walks the OpenAPI's request side (parameters and bodies of every route): an unbounded
    integer reaches the database as 2**63 and fails there (a 500), so each has its bounds."""
    app = create_app(Settings(database_url="sqlite://", web_dist="/nonexistent"))
    spec = app.openapi()
    unbounded: list[str] = []
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            schemas = dict(spec.get("components", {}).get("schemas", {}))
            label = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                _integers(parameter.get("schema", {}), f"{label} ?{parameter['name']}", unbounded, schemas)
            _integers(operation.get("requestBody", {}), f"{label} body", unbounded, schemas)
    assert not unbounded, "integers without both bounds:\n" + "\n".join(unbounded)
