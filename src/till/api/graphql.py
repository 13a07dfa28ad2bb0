"""GraphQL read API (Strawberry) at /graphql: orders, products, stock and customers.

Every query needs a signed-in member (the same bearer token as REST); orders and customers
need the reports permission (managers and admins). Money and quantities are decimal strings.

A request has limits (query bytes, tokens, aliases, depth, rows asked for in all), the same
input rules as REST (no NUL), resolvers that run in the thread pool (never on the event
loop), and errors without internals: a database error or a bug answers "internal error"
with code INTERNAL, its detail only in the server's log.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from fastapi import Depends, Request
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    StringValueNode,
    ValidationRule,
)
from starlette.concurrency import run_in_threadpool
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.extensions.field_extension import AsyncExtensionResolver, FieldExtension
from strawberry.fastapi import GraphQLRouter
from strawberry.types import Info

from till.api.deps import staff as staff_access
from till.api.schemas.common import EARLIEST, LATEST
from till.domain.staff import Permission, PermissionDenied
from till.services.auth import Principal
from till.services.errors import AuthFailed, NotFound
from till.services.stock import stock_of
from till.storage.uow import UnitOfWork


def _money(value: Decimal) -> str:
    return format(value, "f")


@strawberry.type
class Product:
    """A product as the catalog has it."""

    sku: str
    name: str
    type: str
    price: str
    special_price: str | None
    enabled: bool
    barcode: str | None
    parent_sku: str | None


@strawberry.type
class StockLevel:
    """Salable quantity of a sku at one location."""

    sku: str
    location: str
    salable: str


@strawberry.type
class OrderLine:
    """A line of a sale."""

    line_no: int
    sku: str
    name: str
    qty: str
    row_grand_total: str


@strawberry.type
class Payment:
    """A payment of a sale."""

    method: str
    amount: str


@strawberry.type
class Order:
    """A sale."""

    id: str
    receipt_number: str
    register_code: str
    location_code: str
    staff_id: int
    customer_id: int | None
    created_at: datetime
    subtotal: str
    discount: str
    tax: str
    grand_total: str
    flags: list[str]
    lines: list[OrderLine]
    payments: list[Payment]


@strawberry.type
class Customer:
    """A customer."""

    id: int
    email: str
    firstname: str
    lastname: str
    phone: str | None
    group_id: int


def _principal(info: Info[Any, None]) -> Principal:
    principal: Principal = info.context["principal"]
    return principal


class Needs(FieldExtension):
    """Who may ask for a field: any signed-in member, or one whose role has `permission`
    (checked before the resolver runs). Every field of `Query` declares one; the route walk
    (tests/trust/test_route_walk.py) reads it and fails on a field without. `scoped`: the field
    keeps to the caller's locations (a `location` of another is refused)."""

    def __init__(self, permission: Permission | None = None, *, scoped: bool = True) -> None:
        super().__init__()
        self.permission = permission
        self.scoped = scoped

    def declared(self) -> dict[str, Any]:
        """As the REST routes' `x-till-access`."""
        found: dict[str, Any] = {"who": "staff", "scoped": self.scoped}
        if self.permission is not None:
            found["permission"] = self.permission.value
        return found

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: Info[Any, None], **kwargs: Any
    ) -> Any:
        if self.permission is not None:
            _principal(info).staff.require(self.permission)
        return await next_(source, info, **kwargs)


def _product(p: Any) -> Product:
    return Product(
        sku=p.sku,
        name=p.name,
        type=p.type,
        price=_money(p.price),
        special_price=None if p.special_price is None else _money(p.special_price.price),
        enabled=p.enabled,
        barcode=p.barcode,
        parent_sku=p.parent_sku,
    )


def _order(o: Any) -> Order:
    return Order(
        id=o.id,
        receipt_number=o.receipt_number,
        register_code=o.register_code,
        location_code=o.location_code,
        staff_id=o.staff_id,
        customer_id=o.customer_id,
        created_at=o.created_at,
        subtotal=_money(o.subtotal),
        discount=_money(o.discount),
        tax=_money(o.tax),
        grand_total=_money(o.grand_total),
        flags=sorted(o.flags),
        lines=[
            OrderLine(
                line_no=line.line_no,
                sku=line.sku,
                name=line.name,
                qty=_money(line.qty),
                row_grand_total=_money(line.row_grand_total),
            )
            for line in o.lines
        ],
        payments=[Payment(method=p.method, amount=_money(p.amount)) for p in o.payments],
    )


def _customer(row: dict[str, Any]) -> Customer:
    return Customer(
        id=int(row["id"]),
        email=row["email"],
        firstname=row["firstname"],
        lastname=row["lastname"],
        phone=row.get("phone"),
        group_id=int(row["group_id"]),
    )


@strawberry.type
class Query:
    """Read-only queries."""

    @strawberry.field(
        description="Products whose sku, name or barcode contains `search`.", extensions=[Needs()]
    )
    async def products(self, info: Info[Any, None], search: str, limit: int = 50) -> list[Product]:
        _principal(info)
        engine = info.context["engine"]

        def read() -> list[Product]:
            with UnitOfWork(engine) as uow:
                return [_product(p) for p in uow.catalog.search(search, _limit(limit))]

        return await run_in_threadpool(read)

    @strawberry.field(description="One product by sku.", extensions=[Needs()])
    async def product(self, info: Info[Any, None], sku: str) -> Product | None:
        _principal(info)
        engine = info.context["engine"]

        def read() -> Product | None:
            with UnitOfWork(engine) as uow:
                found = uow.catalog.products([sku])
                return _product(found[sku]) if sku in found else None

        return await run_in_threadpool(read)

    @strawberry.field(
        description="Salable quantity of a sku at every location.", extensions=[Needs(scoped=False)]
    )
    async def stock(self, info: Info[Any, None], sku: str) -> list[StockLevel]:
        _principal(info)
        view = await run_in_threadpool(stock_of, info.context["engine"], sku)
        return [
            StockLevel(sku=sku, location=loc, salable=_money(q))
            for loc, q in view.salable_by_location.items()
        ]

    @strawberry.field(
        description="Recent sales, newest first (managers and admins).",
        extensions=[Needs(Permission.REPORTS)],
    )
    async def orders(
        self,
        info: Info[Any, None],
        location: str | None = None,
        register: str | None = None,
        before: datetime | None = None,
        limit: int = 50,
    ) -> list[Order]:
        principal = _principal(info)
        principal.staff.require(Permission.REPORTS, location)
        engine = info.context["engine"]

        def read() -> list[Order]:
            with UnitOfWork(engine) as uow:
                found = uow.sales.find(
                    location_code=location, register_code=register, before=_time(before), limit=_limit(limit)
                )
                return [_order(o) for o in found if principal.staff.works_at(o.location_code)]

        return await run_in_threadpool(read)

    @strawberry.field(
        description="Customers whose name, e-mail or phone contains `search` (managers and admins).",
        extensions=[Needs(Permission.REPORTS)],
    )
    async def customers(self, info: Info[Any, None], search: str, limit: int = 20) -> list[Customer]:
        engine = info.context["engine"]

        def read() -> list[Customer]:
            with UnitOfWork(engine) as uow:
                return [_customer(row) for row in uow.customers.search(search, _limit(limit))]

        return await run_in_threadpool(read)


#: Limits of one request, so that a cashier's query cannot take the server's time: the 30 KB,
#: 300-alias query of issue 12 took 5.9 s and stalled /api/health.
MAX_QUERY_BYTES = 8 * 1024
MAX_TOKENS = 1500
MAX_ALIASES = 10
MAX_DEPTH = 5
#: Rows one request may ask for in all: each list field costs its `limit` (its default when
#: not given, the most it could be when given by a variable).
MAX_ROWS = 500
_DEFAULT_LIMITS = {"products": 50, "orders": 50, "customers": 20, "stock": 50}

_log = logging.getLogger("till.graphql")


class RefusedInput(ValueError):
    """An input the API refuses, said to the caller as it is (as REST answers 422)."""


def _time(value: datetime | None) -> datetime | None:
    """A time argument within the bounds REST takes (`api.schemas.common.Time`): with its zone,
    1970 to 2999 UTC, compared as aware times (9999-12-31T23:59:59-14:00 has no UTC form)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise RefusedInput("give a time with its zone, e.g. 2026-11-25T15:04:05+00:00")
    if not EARLIEST <= value < LATEST:
        raise RefusedInput(f"a time must fall from {EARLIEST.date()} to 2999-12-31 (UTC)")
    return value


def _limit(value: int) -> int:
    if not 1 <= value <= 200:
        raise RefusedInput("limit is 1 to 200")
    return value


class _RequestRules(ValidationRule):
    """What REST refuses, refused here too, and the size of the answer bounded up front:
    no NUL in a string, a query of at most MAX_QUERY_BYTES, at most MAX_ROWS rows asked."""

    def enter_document(self, node: DocumentNode, *_args: Any) -> None:
        source = node.loc.source.body if node.loc is not None else ""
        if len(source.encode()) > MAX_QUERY_BYTES:
            self.report_error(GraphQLError(f"a query is at most {MAX_QUERY_BYTES} bytes"))

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        if "\x00" in node.value:
            self.report_error(GraphQLError("text may not contain NUL (\\u0000) characters", node))

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
        rows = sum(self._cost(selection) for selection in node.selection_set.selections)
        if rows > MAX_ROWS:
            self.report_error(
                GraphQLError(
                    f"this query asks for up to {rows} rows; at most {MAX_ROWS} in one request", node
                )
            )

    def _cost(self, selection: Any, seen: frozenset[str] = frozenset()) -> int:
        if isinstance(selection, FieldNode):
            if selection.name.value not in _DEFAULT_LIMITS:
                return 1
            for argument in selection.arguments or ():
                if argument.name.value == "limit":
                    value = argument.value
                    return int(value.value) if isinstance(value, IntValueNode) else 200
            return _DEFAULT_LIMITS[selection.name.value]
        if isinstance(selection, InlineFragmentNode):
            return sum(self._cost(s, seen) for s in selection.selection_set.selections)
        if isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            fragment = self.context.get_fragment(selection.name.value)
            if fragment is None:
                return 0
            inner = seen | {selection.name.value}
            return sum(self._cost(s, inner) for s in fragment.selection_set.selections)
        return 0


def _shown(error: GraphQLError) -> bool:
    """Errors the caller may read: the query's own (syntax, validation, limits, a variable that
    is not of its type, which GraphQL raises as a GraphQLError of its own) and refusals Till
    means to say; anything else (a database error, a bug) is masked and logged."""
    original = error.original_error
    told = (RefusedInput, PermissionDenied, NotFound, AuthFailed, GraphQLError)
    return original is None or isinstance(original, told)


class _MaskInternals(MaskErrors):
    """A generic message and code instead of an internal error (SQL, parameters, a trace);
    the detail goes to the server's log."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: not _shown(error), error_message="internal error")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        _log.error("GraphQL resolver failed at %s: %r", error.path, error.original_error)
        return GraphQLError(
            "internal error: the server could not answer this field (logged)",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "INTERNAL"},
        )


schema = strawberry.Schema(
    query=Query,
    extensions=[
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: AddValidationRules([_RequestRules]),
        _MaskInternals,
    ],
)


#: Any signed-in member; each field declares and checks its own permission (`Needs`).
_Caller = Annotated[Principal, Depends(staff_access(scoped=False))]


async def _context(request: Request, principal: _Caller) -> dict[str, Any]:
    return {"principal": principal, "engine": request.app.state.engine}


def graphql_router() -> GraphQLRouter[Any, None]:
    """The router to mount at /graphql."""
    return GraphQLRouter(schema, context_getter=_context, path="/graphql")
