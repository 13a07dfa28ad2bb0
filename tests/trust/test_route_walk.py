"""The net under access control (issue 12): every route of the OpenAPI and every GraphQL field,
walked over real HTTP for every kind of caller, each answer checked against who the route
itself says may call it.

Nothing here lists routes. Each operation's `x-till-access` is set by the app from the
dependency that enforces it (`till.api.deps.staff` / `public`); each GraphQL field's from its
`Needs` extension. An operation or field without one fails the walk, so a route added later is
walked (and must say who may call it) without anyone remembering this test. What the walk
needs is a value for each *kind* of input (a register code, an order id, …), of the caller's
own location and of another; an input it has no value for fails the walk by name.

Expected answers, from the declaration alone:
- signed out, a made-up token, a till's device token sent as a bearer token: 401 on every
  route not declared `anyone`;
- a member whose role lacks the declared permission (or who is not an admin, for `admin`):
  403, before the body is read (on an `acting` route, a till's queued step judged by who did
  it on the till, by the service: the walk's bodies name no one else, so it is the caller);
- a member whose role has it, with their own location's ids: never 401 or 403;
- the same member with another location's ids, on a `scoped` route: 403 or 404, and a list
  answered to them names no register of the other location; unless the route declares that
  a permission of their role reaches elsewhere (`elsewhere`: a return at another store).

One database (SQLite): access is decided in Python, the same on every database.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy import Engine, insert

from tests.e2e.conftest import Live, _server_for, priced, sale_payload
from till.api.app import create_app
from till.api.deps import PrincipalDep
from till.api.graphql import Needs, schema
from till.demo.store import seed_demo
from till.domain.staff import ROLE_PERMISSIONS, Permission, Role
from till.settings import Settings
from till.storage import tables as t

WALKED_ROLES = ("cashier", "manager", "admin")


@dataclass
class Place:
    """The ids of one location, as a walker of that location (or another) uses them."""

    location: str
    register: str
    source: str
    order_id: str
    shift_id: int
    device_id: str
    rejected_key: str
    printer_id: int
    transfer_id: int
    delivery_id: int
    count_id: int


@dataclass
class Caller:
    name: str
    role: str | None  # None: not signed in as anyone
    headers: dict[str, str]
    home: str | None = None  # the one location they work at


def _key(what: str) -> str:
    return f"{what}-{uuid.uuid4()}"


def _ok(answer: httpx.Response, *codes: int) -> dict[str, Any]:
    assert answer.status_code in (codes or (200, 201)), answer.text
    return answer.json() if answer.content else {}


def _product(admin: httpx.Client) -> dict[str, Any]:
    found = admin.get("/api/products", params={"q": "a", "limit": 200}).json()
    return next(
        p for p in found if p["type"] == "simple" and Decimal(p["price"]) > 5 and not p["special_price"]
    )


def _place(live: Live, admin: httpx.Client, location: str, register: str, seller: str) -> Place:
    """A sale, a closed shift, a registered till and a refused sale at one location."""
    product = _product(admin)
    line = {"sku": product["sku"], "qty": "2", "unit_price": product["price"]}
    sale = priced(
        live,
        sale_payload(
            live,
            key=_key("sale"),
            receipt=f"{register}-000001",
            lines=[line],
            register=register,
            location=location,
            staff_username=seller,
        ),
    )
    [placed] = _ok(admin.post("/api/sync/push", json={"sales": [sale]}))["sales"]
    assert placed["status"] == "accepted", placed
    refused = {**sale, "idempotency_key": _key("refused"), "receipt_number": f"{register}-000002"}
    refused["lines"] = [{**line, "sku": "NO-SUCH-SKU"}]
    [rejected] = _ok(admin.post("/api/sync/push", json={"sales": [refused]}))["sales"]
    assert rejected["status"] == "rejected", rejected
    shift = _ok(admin.post(f"/api/registers/{register}/shift", json={"opening_float": "100.00"}), 201)
    _ok(admin.post(f"/api/registers/{register}/shift/close", json={"counted_cash": "100.00"}))
    device = _ok(
        admin.post("/api/devices", json={"name": f"walk {register}", "register_code": register}), 201
    )
    source = next(loc.source_code for loc in live.store.locations if loc.code == location)
    # Nothing listens there: the walk never prints (its bodies are {} or another place's ids).
    printer = _ok(
        admin.post(
            "/api/printers",
            json={"register_code": register, "name": "walk", "host": "127.0.0.1", "port": 9},
        ),
        201,
    )
    # A transfer to a shop no walker works at: a member of the other location sees neither end.
    transfer = _ok(
        admin.post(
            "/api/transfers",
            json={
                "from_location": location,
                "to_location": THIRD,
                "lines": [{"sku": product["sku"], "quantity": "1"}],
            },
        ),
        201,
    )
    delivery = _ok(admin.post("/api/deliveries", json={"location_code": location}), 201)
    count = _ok(
        admin.post(
            "/api/stock-counts", json={"location_code": location, "kind": "cycle", "skus": [product["sku"]]}
        ),
        201,
    )
    return Place(
        location,
        register,
        source,
        placed["order_id"],
        shift["shift_id"],
        device["device_id"],
        refused["idempotency_key"],
        printer["id"],
        transfer["id"],
        delivery["id"],
        count["id"],
    )


#: A third shop, only for the far end of the walk's transfers.
THIRD = "WALK3"


def _third_shop(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(t.sources).values(code="walk3_store", name="Walk third store", enabled=True))
        conn.execute(insert(t.stocks).values(id=93, name="Walk third stock"))
        conn.execute(insert(t.stock_sources).values(stock_id=93, source_code="walk3_store", priority=1))
        conn.execute(
            insert(t.locations).values(
                code=THIRD,
                name="Walk third store",
                source_code="walk3_store",
                stock_id=93,
                timezone="America/New_York",
                country="US",
            )
        )


@pytest.fixture
def walk(sqlite_engine: Engine) -> dict[str, Any]:
    """The demo store on SQLite over HTTP, a place at each location, and every kind of caller."""
    live = Live(_server_for(sqlite_engine), sqlite_engine, seed_demo(sqlite_engine))
    _third_shop(sqlite_engine)
    with live.sign_in("admin") as admin:
        # The admin's session sells as the admin (a session on no till sells only as its member).
        nyc = _place(live, admin, "NYC", "NYC1", "admin")
        wh = _place(live, admin, "WH", "WH1", "admin")
        nina = {"username": "nina", "password": "nina-wh-password", "pin": "482193"}
        _ok(
            admin.post(
                "/api/admin/staff", json={**nina, "name": "Nina Berg", "role": "manager", "locations": ["WH"]}
            ),
            201,
        )
        hook = _ok(
            admin.post(
                "/api/admin/webhooks",
                json={"name": "walk", "url": "https://erp.example.com/till", "topics": ["sale.placed"]},
            ),
            201,
        )
        saved = _ok(
            admin.post(
                "/api/reports", json={"name": "walk-report", "title": "Walk", "sql": "SELECT 1 AS one"}
            ),
            201,
        )
        customer = admin.get("/api/customers", params={"q": "a", "limit": 1}).json()[0]
        product = _product(admin)
        jobs = admin.get("/api/admin/jobs").json()
        job = jobs[0]["name"] if jobs else "special-prices"
        device_token = admin.post("/api/devices", json={"name": "walk till", "register_code": "NYC2"}).json()[
            "device_token"
        ]
    with live.client() as anonymous:
        nina_token = _ok(
            anonymous.post("/api/auth/sign-in", json={"username": "nina", "password": nina["password"]})
        )["token"]

    def token(username: str) -> str:
        member = live.store.staff_member(username)
        with live.client() as anonymous:
            return str(
                _ok(
                    anonymous.post(
                        "/api/auth/sign-in", json={"username": username, "password": member.password}
                    )
                )["token"]
            )

    def fresh(caller: Caller) -> Caller:
        """The caller with a new token of their own (for a route that ends the one it is sent)."""
        if caller.role is None:
            return caller
        username = {"cashier": "maya", "admin": "admin"}.get(caller.role)
        if username is None:
            with live.client() as anonymous:
                signed = anonymous.post(
                    "/api/auth/sign-in", json={"username": "nina", "password": nina["password"]}
                )
            return Caller(
                caller.name, caller.role, {"Authorization": f"Bearer {_ok(signed)['token']}"}, caller.home
            )
        return Caller(caller.name, caller.role, {"Authorization": f"Bearer {token(username)}"}, caller.home)

    callers = [
        Caller("signed out", None, {}),
        Caller("a made-up token", None, {"Authorization": "Bearer not-a-token"}),
        Caller("a till's device token as a bearer token", None, {"Authorization": f"Bearer {device_token}"}),
        Caller("maya (cashier at NYC)", "cashier", {"Authorization": f"Bearer {token('maya')}"}, "NYC"),
        Caller("nina (manager at WH)", "manager", {"Authorization": f"Bearer {nina_token}"}, "WH"),
        Caller("admin", "admin", {"Authorization": f"Bearer {token('admin')}"}),
    ]
    common = {
        "sku": product["sku"],
        "barcode": product.get("barcode") or "0000000000000",
        "customer_id": customer["id"],
        "username": "omar",
        "endpoint_id": hook["id"],
        "letter_id": 1,
        "name": job,
        "q": "a",
        "action": "stock",  # the audit lines a manager reads (an admin reads any)
    }
    offered: dict[str, list[str]] = {}
    for caller in callers[3:]:
        with httpx.Client(base_url=live.url, headers=caller.headers, timeout=30) as client:
            assert caller.role is not None
            offered[caller.role] = [
                r["name"] for r in _ok(client.get("/api/reports")) if r["name"] != saved["name"]
            ]
    return {
        "live": live,
        "places": {"NYC": nyc, "WH": wh},
        "callers": callers,
        "common": common,
        "report": saved["name"],
        "fresh": fresh,
        "reports": offered,
    }


#: Path and query parameters that name something of a location, by the place they come from.
PLACED = {
    "register_code": lambda p: p.register,
    "register": lambda p: p.register,
    "location_code": lambda p: p.location,
    "location": lambda p: p.location,
    "order_id": lambda p: p.order_id,
    "shift_id": lambda p: p.shift_id,
    "device_id": lambda p: p.device_id,
    "key": lambda p: p.rejected_key,
    "printer_id": lambda p: p.printer_id,
    "transfer_id": lambda p: p.transfer_id,
    "delivery_id": lambda p: p.delivery_id,
    "count_id": lambda p: p.count_id,
}


def _bodies(place: Place, sku: str) -> dict[str, dict[str, Any]]:
    """A valid body for each request schema that names a location's things, at `place`."""
    sale = {
        "idempotency_key": _key("walk"),
        "register_code": place.register,
        "receipt_number": f"{place.register}-000090",
        "location_code": place.location,
        "staff_id": 1,
        "created_at": "2026-11-25T15:04:05+00:00",
        "lines": [{"sku": sku, "qty": "1", "unit_price": "10.00"}],
        "payments": [{"method": "card", "amount": "10.00"}],
        "totals": {"subtotal": "10.00", "discount": "0.00", "tax": "0.00", "grand_total": "10.00"},
    }
    return {
        "SaleIn": sale,
        "PushIn": {"sales": [sale]},
        "RefundIn": {
            "idempotency_key": _key("refund"),
            "register_code": place.register,
            "lines": [{"line_no": 1, "qty": "1", "restock": True}],
        },
        "DeviceIn": {"name": "walk", "register_code": place.register},
        "StockAdjustmentIn": {"sku": sku, "source_code": place.source, "reason": "receive", "quantity": "1"},
        "OpenShiftIn": {"opening_float": "10.00"},
        "CashMovementIn": {"kind": "in", "amount": "1.00", "reason": "walk"},
        "CloseShiftIn": {"counted_cash": "10.00"},
        "ReceiptMailIn": {"request_key": _key("mail"), "to": "walk@example.com"},
        "PrinterIn": {"register_code": place.register, "name": _key("walk"), "host": "127.0.0.1", "port": 9},
        "PrinterChangeIn": {"name": _key("walk")},
        "PrintIn": {"order_id": place.order_id},
        "TransferIn": {
            "from_location": place.location,
            "to_location": THIRD,
            "lines": [{"sku": sku, "quantity": "1"}],
        },
        "DeliveryIn": {"location_code": place.location},
        "CountIn": {"location_code": place.location, "kind": "full"},
        "ReceiptIn": {"scanned": [{"sku": sku, "quantity": "1"}]},
        "CountedIn": {"counted": "1"},
    }


def _operations(live: Live) -> list[tuple[str, str, dict[str, Any]]]:
    document = httpx.get(f"{live.url}/openapi.json").json()
    return [
        (method.upper(), path, op) for path, ops in document["paths"].items() for method, op in ops.items()
    ]


def _request(
    live: Live, caller: Caller, method: str, path: str, op: dict[str, Any], values: dict[str, Any], body: Any
) -> httpx.Response:
    url = path
    query: dict[str, Any] = {}
    for param in op.get("parameters", []):
        name, where = param["name"], param["in"]
        if where == "header":
            continue
        if name not in values:
            if where == "path" or param.get("required"):
                raise AssertionError(f"{method} {path}: the walk has no value for {where} parameter `{name}`")
            continue
        if where == "path":
            url = url.replace("{" + name + "}", str(values[name]))
        else:
            query[name] = values[name]
    with httpx.Client(base_url=live.url, headers=caller.headers, timeout=30) as client:
        kwargs: dict[str, Any] = {"params": query}
        if "requestBody" in op:
            kwargs["json"] = body
        with client.stream(method, url, **kwargs) as answer:
            if not answer.headers.get("content-type", "").startswith("text/event-stream"):
                answer.read()
            return answer


def _schema_name(op: dict[str, Any]) -> str | None:
    ref = (
        op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
    )
    return None if ref is None else str(ref).rsplit("/", 1)[-1]


def _allowed(access: dict[str, Any], role: str) -> bool:
    if access["who"] == "anyone":
        return True
    if access["who"] == "admin":
        return role == "admin"
    permission = access.get("permission")
    return permission is None or Permission(permission) in ROLE_PERMISSIONS[Role(role)]


def test_every_route_answers_each_caller_as_its_declared_access_says(walk: dict[str, Any]) -> None:
    operations = _operations(walk["live"])
    undeclared = [f"{m} {p}" for m, p, op in operations if "x-till-access" not in op]
    assert not undeclared, f"routes that do not declare who may call them: {undeclared}"
    wrong: list[str] = []
    walked = 0
    for caller in walk["callers"]:
        for method, path, op in operations:
            sent, found = _judge(walk, caller, method, path, op)
            walked += sent
            wrong += found
    print(f"route walk: {len(operations)} operations, {len(walk['callers'])} callers, {walked} requests")
    assert not wrong, "\n".join(wrong)
    assert walked > 300


def _judge(
    walk: dict[str, Any], caller: Caller, method: str, path: str, op: dict[str, Any]
) -> tuple[int, list[str]]:
    """Walk one operation as one caller: the requests sent and what was wrong."""
    live: Live = walk["live"]
    access = op["x-till-access"]
    home = walk["places"][caller.home or "NYC"]
    own = {**walk["common"], **{k: f(home) for k, f in PLACED.items()}}
    if path.startswith("/api/reports/"):
        # `name` is a report's there (a job's under /api/admin/jobs); who may run one is the
        # report's own roles: walk one the caller is offered, the saved one for admins.
        offered = walk["reports"].get(caller.role or "", [])
        if method == "DELETE" or caller.role == "admin":
            own["name"] = walk["report"]
        elif offered:
            own["name"] = offered[0]
        elif caller.role is not None and _allowed(access, caller.role):
            return 0, []  # no report is offered to this role: nothing of theirs to run
    seen = f"{caller.name}: {method} {path}"
    if access["who"] == "token":  # ends or swaps the token sent: walked with a fresh one
        answer = _request(live, walk["fresh"](caller), method, path, op, own, {})
        if "Authorization" not in caller.headers:
            return 1, [] if answer.status_code == 401 else [
                f"{seen} without a token answered {answer.status_code}"
            ]
        good = (200, 204) if caller.role is not None else (200, 204, 401)
        return 1, [] if answer.status_code in good else [
            f"{seen} answered {answer.status_code}: {answer.text[:200]}"
        ]
    # A till's queued step (`acting`) is judged by the service from its body, which must be
    # whole for that: sent the caller's own valid body.
    body = (
        _bodies(home, walk["common"]["sku"]).get(_schema_name(op) or "", {}) if access.get("acting") else {}
    )
    answer = _request(live, caller, method, path, op, own, body)
    if caller.role is None:
        if access["who"] == "anyone":
            bad = answer.status_code in (401, 403) or answer.status_code >= 500
            return 1, [f"{seen} is open to anyone, answered {answer.status_code}"] if bad else []
        return 1, [] if answer.status_code == 401 else [f"{seen} answered {answer.status_code}, not 401"]
    if not _allowed(access, caller.role):
        refused = answer.status_code == 403
        return 1, [] if refused else [
            f"{seen} is not for a {caller.role} ({access}), answered {answer.status_code}"
        ]
    wrong = []
    if answer.status_code in (401, 403) or answer.status_code >= 500:
        wrong.append(f"{seen} with their own ids answered {answer.status_code}: {answer.text[:200]}")
    if caller.home is None or not access.get("scoped"):
        return 1, wrong
    sent, abroad = _judge_abroad(walk, caller, method, path, op)
    return 1 + sent, wrong + abroad


def _judge_abroad(
    walk: dict[str, Any], caller: Caller, method: str, path: str, op: dict[str, Any]
) -> tuple[int, list[str]]:
    """A member of one location, with another location's ids: refused (403, 404, or a pushed
    sale `rejected`); a list they are answered names none of the other location's registers."""
    assert caller.home is not None
    other = walk["places"]["WH" if caller.home == "NYC" else "NYC"]
    seen = f"{caller.name}: {method} {path} with {other.location}'s ids"
    bodies = _bodies(other, walk["common"]["sku"])
    schema_name = _schema_name(op)
    names_a_place = any(p["name"] in PLACED for p in op.get("parameters", []))
    if schema_name is not None:
        if schema_name not in bodies and names_a_place:
            return 0, [f"{seen}: the walk has no body for `{schema_name}`"]
        names_a_place = names_a_place or schema_name in bodies
    values = {**walk["common"], **{k: f(other) for k, f in PLACED.items()}}
    answer = _request(walk["live"], caller, method, path, op, values, bodies.get(schema_name or "", {}))
    elsewhere = op["x-till-access"].get("elsewhere")
    if elsewhere and Permission(elsewhere) in ROLE_PERMISSIONS[Role(caller.role)]:
        # Declared: this role reaches other locations here (a return at another store).
        return 1, [] if answer.status_code < 500 else [f"{seen} answered {answer.status_code}"]
    if names_a_place:
        refused = answer.status_code in (403, 404) or _refused_inside(answer)
        return 1, [] if refused else [f"{seen} answered {answer.status_code}: {answer.text[:200]}"]
    listed = answer.status_code == 200 and answer.headers.get("content-type", "").startswith(
        "application/json"
    )
    if listed and f'"{other.register}"' in json.dumps(answer.json()):
        return 1, [f"{seen}: shows {other.location}'s register {other.register}"]
    return 1, []


def _refused_inside(answer: httpx.Response) -> bool:
    """A push answers per sale: one for another location is `rejected` within a 200."""
    if answer.status_code != 200 or not answer.request.url.path.endswith("/sync/push"):
        return False
    return all(sale["status"] == "rejected" for sale in answer.json()["sales"])


# --- GraphQL ------------------------------------------------------------------------------------


def _fields() -> list[tuple[str, Any, dict[str, Any]]]:
    """Every field of the GraphQL Query, its Strawberry definition and its declared access."""
    definition = schema.get_type_by_name("Query")
    assert definition is not None
    found = []
    for field in definition.fields:  # type: ignore[union-attr]
        needs = [e for e in field.extensions if isinstance(e, Needs)]
        assert len(needs) == 1, (
            f"GraphQL field `{field.python_name}` does not declare who may ask for it (Needs)"
        )
        found.append((schema.config.name_converter.from_field(field), field, needs[0].declared()))
    return found


def _query(name: str, field: Any, values: dict[str, Any]) -> str:
    args = []
    for argument in field.arguments:
        argname = argument.python_name
        if argname in values:
            args.append(
                f"{schema.config.name_converter.from_argument(argument)}: {json.dumps(values[argname])}"
            )
        elif argument.default is strawberry_unset():
            raise AssertionError(f"GraphQL `{name}`: the walk has no value for argument `{argname}`")
    inner = schema.get_type_by_name(_type_name(field))
    scalars = [schema.config.name_converter.from_field(f) for f in inner.fields if _is_scalar(f)]  # type: ignore[union-attr]
    arguments = f"({', '.join(args)})" if args else ""
    return f"{{ {name}{arguments} {{ {' '.join(scalars)} }} }}"


def strawberry_unset() -> Any:
    from strawberry import UNSET

    return UNSET


def _type_name(field: Any) -> str:
    kind = field.type
    while hasattr(kind, "of_type"):
        kind = kind.of_type
    return str(kind.__strawberry_definition__.name)


def _is_scalar(field: Any) -> bool:
    kind = field.type
    while hasattr(kind, "of_type"):
        kind = kind.of_type
    return not hasattr(kind, "__strawberry_definition__")


def test_every_graphql_field_answers_each_caller_as_its_declared_access_says(walk: dict[str, Any]) -> None:
    live: Live = walk["live"]
    places: dict[str, Place] = walk["places"]
    wrong: list[str] = []
    for caller in walk["callers"]:
        for name, field, access in _fields():
            home = places[caller.home or "NYC"]
            other = places["WH" if home.location == "NYC" else "NYC"]
            values = {
                "search": "a",
                "sku": walk["common"]["sku"],
                "location": home.location,
                "register": home.register,
            }
            seen = f"{caller.name}: GraphQL {name}"
            with httpx.Client(base_url=live.url, headers=caller.headers, timeout=30) as client:
                answer = client.post("/graphql", json={"query": _query(name, field, values)})
                if caller.role is None:
                    if answer.status_code != 401:
                        wrong.append(f"{seen} answered {answer.status_code}, not 401")
                    continue
                errors = answer.json().get("errors") or []
                if not _allowed(access, caller.role):
                    if not errors or answer.json().get("data") is not None:
                        wrong.append(f"{seen} is not for a {caller.role}, answered {answer.text[:200]}")
                    continue
                if answer.status_code != 200 or errors:
                    wrong.append(f"{seen} answered {answer.status_code} {answer.text[:200]}")
                if caller.home is None or not access["scoped"]:
                    continue
                abroad = {**values, "location": other.location, "register": other.register}
                answer = client.post("/graphql", json={"query": _query(name, field, abroad)})
                takes_place = any(a.python_name in ("location", "register") for a in field.arguments)
                if takes_place and not answer.json().get("errors"):
                    wrong.append(f"{seen} at {other.location} answered {answer.text[:200]}")
                if f'"{other.location}"' in answer.text and not answer.json().get("errors"):
                    wrong.append(f"{seen} shows {other.location}: {answer.text[:200]}")
    assert not wrong, "\n".join(wrong)


def test_a_route_added_without_saying_who_may_call_it_is_named(sqlite_engine: Engine) -> None:
    """The walk's first check, on a route added the way a new one would be: a route whose
    dependencies declare no access has no `x-till-access`, so the walk names it and fails."""
    app = create_app(Settings(database_url=str(sqlite_engine.url), web_dist="/nonexistent"), sqlite_engine)
    added = APIRouter(prefix="/api")

    @added.get("/forgotten")
    def forgotten() -> dict[str, str]:
        return {"who": "anyone, by mistake"}

    @added.get("/remembered")
    def remembered(principal: PrincipalDep) -> dict[str, str]:
        return {"who": principal.staff.username}

    app.include_router(added)
    app.openapi_schema = None
    paths = app.openapi()["paths"]
    assert "x-till-access" not in paths["/api/forgotten"]["get"]
    assert paths["/api/remembered"]["get"]["x-till-access"] == {"who": "staff", "scoped": True}
    assert all(
        "x-till-access" in op for path, ops in paths.items() if "forgotten" not in path for op in ops.values()
    )
