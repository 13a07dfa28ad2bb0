"""Orders (sales) and refunds, one at a time; the till's batches go through /api/sync/push."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from till.api.convert import order_out, pushed_sale, refund_out
from till.api.deps import EngineDep, SaleWriterDep, SettingsDep, staff
from till.api.routes.refused_actions import acted_by, kept_if_refused
from till.api.schemas import (
    Key,
    OrderOut,
    Problem,
    RefundIn,
    RefundOut,
    SaleIn,
    SaleResultOut,
    Time,
    problems,
)
from till.domain.gift_cards import masked
from till.domain.sales import RefundLineRequest
from till.domain.staff import Permission
from till.services import refunds as refund_service
from till.services.auth import Principal
from till.services.errors import NotFound
from till.storage.uow import UnitOfWork

router = APIRouter(prefix="/api", tags=["orders"])

Seller = Annotated[Principal, Depends(staff(Permission.SELL))]
#: A refund is judged by who made it on the till (`acted_by`: a manager's PIN on a cashier's till).
Refunder = Annotated[
    Principal, Depends(staff(Permission.REFUND, elsewhere=Permission.RETURN_ELSEWHERE, acting=True))
]
#: Sales are read at the member's locations, and anywhere by one who takes returns there.
Reader = Annotated[Principal, Depends(staff(elsewhere=Permission.RETURN_ELSEWHERE))]


@router.post(
    "/orders",
    response_model=SaleResultOut,
    status_code=status.HTTP_201_CREATED,
    responses=problems(
        403,
        409,
        also={
            200: {"model": SaleResultOut, "description": "a replay: the sale exists already"},
            422: {"model": Problem, "description": "malformed, or the sale was refused and recorded"},
        },
    ),
)
def create_order(
    body: SaleIn, writer: SaleWriterDep, principal: Seller, settings_: SettingsDep, response: Response
) -> Any:
    """Place one sale, idempotently: the same idempotency key never makes a second sale. Who
    sold and where are judged as for a push (docs/sync.md)."""
    principal.staff.require(Permission.SELL, body.location_code)
    [result] = writer.place([pushed_sale(body, sender=principal, secret_key=settings_.secret_key)])
    if result.status == "rejected":
        return JSONResponse(status_code=422, content={"detail": result.reason})
    if result.status == "conflict":
        return JSONResponse(status_code=409, content={"detail": result.reason})
    if result.status == "duplicate":
        response.status_code = status.HTTP_200_OK
    return _result(result)


def _result(result: Any) -> SaleResultOut:
    return SaleResultOut(
        idempotency_key=result.idempotency_key,
        status=result.status,
        order_id=result.order_id,
        receipt_number=result.receipt_number,
        reason=result.reason,
        flags=list(result.flags),
    )


def _order_cursor(order: Any) -> str:
    pair = [order.created_at.isoformat(), order.id]
    return base64.urlsafe_b64encode(json.dumps(pair).encode()).decode()


def _order_uncursor(value: str) -> tuple[datetime, str]:
    try:
        stamp, order_id = json.loads(base64.urlsafe_b64decode(value.encode()))
        return datetime.fromisoformat(stamp), str(order_id)
    except (ValueError, TypeError) as exc:
        raise RequestValidationError(
            [{"loc": ("query", "cursor"), "msg": "not a cursor from X-Next-Cursor", "type": "value_error"}]
        ) from exc


@router.get("/orders", response_model=list[OrderOut], responses=problems(403))
def list_orders(
    engine: EngineDep,
    principal: Reader,
    response: Response,
    location_code: str | None = None,
    register_code: str | None = None,
    receipt_number: str | None = None,
    idempotency_key: Annotated[
        Key | None, Query(description="the sale a till made with this idempotency key")
    ] = None,
    before: Annotated[
        Time | None,
        Query(description="sales before this time (prefer `cursor`: sales of one second share it)"),
    ] = None,
    cursor: Annotated[
        str | None, Query(max_length=400, description="the X-Next-Cursor of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[Any]:
    """Recent sales, newest first; staff tied to locations see only theirs. A full page carries
    the header `X-Next-Cursor`: pass it as `cursor` for the next, older page (paged by
    (created_at, id), so no sale is skipped when several share a second)."""
    member = principal.staff
    # A sale to take back at another store is found by its receipt number or key.
    looking_up = (receipt_number or idempotency_key) is not None and member.can(Permission.RETURN_ELSEWHERE)
    if location_code is not None:
        member.require(Permission.SELL, location_code)
    elif member.locations and not looking_up:
        if len(member.locations) == 1:
            location_code = next(iter(member.locations))
        else:
            member.require(Permission.REPORTS)
    after = None if cursor is None else _order_uncursor(cursor)
    with UnitOfWork(engine) as uow:
        found = uow.sales.find(
            location_code=location_code,
            register_code=register_code,
            receipt_number=receipt_number,
            idempotency_key=idempotency_key,
            before=before,
            after=after,
            limit=limit,
        )
    if len(found) == limit:
        response.headers["X-Next-Cursor"] = _order_cursor(found[-1])
    return [order_out(o) for o in found if looking_up or member.works_at(o.location_code)]


@router.get("/orders/{order_id}", response_model=OrderOut, responses=problems(404))
def get_order(order_id: str, engine: EngineDep, principal: Reader) -> Any:
    """One sale with its lines, payments and what was refunded."""
    with UnitOfWork(engine) as uow:
        order = uow.sales.get(order_id)
        if order is None or not refund_service.may_read(principal, order.location_code):
            raise NotFound(f"no order {order_id}")
        return order_out(order)


@router.post(
    "/orders/{order_id}/refunds",
    response_model=RefundOut,
    status_code=status.HTTP_201_CREATED,
    responses=problems(
        403,
        404,
        409,
        422,
        also={200: {"model": RefundOut, "description": "a replay: the refund exists already"}},
    ),
)
def create_refund(
    order_id: str, body: RefundIn, engine: EngineDep, principal: Refunder, response: Response
) -> Any:
    """Refund units of lines (refund permission), with a restock choice per line. `acted_by`
    names who did it on the till (judged by that member); a refusal is kept for a manager
    (`GET /api/refused-actions`)."""
    with kept_if_refused(
        engine,
        principal,
        kind="refund",
        register_code=body.register_code,
        # A card's number is a bearer secret: a refused refund is kept with its last four only.
        body=body.model_copy(
            update={"card_number": None if body.card_number is None else masked(body.card_number[-4:])}
        ),
        key=body.idempotency_key,
    ):
        refund_id, created = refund_service.refund(
            engine,
            principal,
            order_id=order_id,
            idempotency_key=body.idempotency_key,
            register_code=body.register_code,
            lines=[RefundLineRequest(line.line_no, line.qty, line.restock) for line in body.lines],
            method=body.method,
            reason=body.reason,
            acted_by=acted_by(body.acted_by),
            card_number=body.card_number,
        )
    if not created:
        response.status_code = status.HTTP_200_OK
    with UnitOfWork(engine) as uow:
        refund = uow.sales.refund(refund_id)
        assert refund is not None
        return refund_out(refund, duplicate=not created)


@router.get("/orders/{order_id}/refunds", response_model=list[RefundOut], responses=problems(404))
def list_refunds(order_id: str, engine: EngineDep, principal: Reader) -> list[Any]:
    """Refunds of a sale."""
    with UnitOfWork(engine) as uow:
        order = uow.sales.get(order_id)
        if order is None or not refund_service.may_read(principal, order.location_code):
            raise NotFound(f"no order {order_id}")
        return [refund_out(r) for r in uow.sales.refunds_of(order_id)]
