"""The sync protocol (docs/sync.md): bootstrap, which data sets changed, pull per data set,
push a batch, live events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from till.api.convert import pushed_sale
from till.api.deps import EngineDep, PrincipalDep, SaleWriterDep, SettingsDep, staff
from till.api.live import PING_FRAME, READY_FRAME
from till.api.routes.refused_actions import acted_by
from till.api.schemas import (
    ChangesIn,
    ChangesOut,
    CustomerResultOut,
    PullOut,
    PushIn,
    PushOut,
    SaleResultOut,
    problems,
)
from till.domain.errors import Invalid
from till.domain.staff import Permission
from till.services.auth import Principal
from till.services.errors import NotFound
from till.services.sync import DATASETS, FeedHeads, PushedCustomer, accept_push, news, pull, reference_data
from till.storage.uow import UnitOfWork

router = APIRouter(prefix="/api/sync", tags=["sync"])

Seller = Annotated[Principal, Depends(staff(Permission.SELL))]
#: Seconds of quiet after which a live stream gets a ping.
PING_SECONDS = 15.0


@router.get("/bootstrap")
def bootstrap(engine: EngineDep, principal: PrincipalDep) -> dict[str, Any]:
    """Small reference data a till keeps whole: store, locations, registers, attributes,
    categories, customer groups, roles' permissions and limits, and the feed position to pull
    from."""
    return reference_data(engine, principal.staff)


def _pull_route(dataset: str) -> None:
    async def pull_dataset(
        engine: EngineDep,
        settings_: SettingsDep,
        principal: Seller,
        location: Annotated[str, Query(min_length=1, max_length=32, description="the till's location")],
        cursor: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
        limit: Annotated[int | None, Query(ge=1, le=5000)] = None,
    ) -> Any:
        principal.staff.require(Permission.SELL, location)
        return await run_in_threadpool(
            pull, engine, dataset, cursor, limit or settings_.sync_page_size, location, principal.device_id
        )

    router.add_api_route(
        f"/{dataset}",
        pull_dataset,
        methods=["GET"],
        response_model=PullOut,
        responses=problems(403, 404),
        name=f"pull_{dataset}",
        summary=f"Changes of {dataset} after a cursor",
        description="Each changed entity once, as it is now; `deleted` lists keys to forget. "
        "Ask again with the returned cursor while has_more is true.",
    )


for _dataset in DATASETS:
    _pull_route(_dataset)


@router.post("/changes", response_model=ChangesOut, responses=problems(403))
async def changes(body: ChangesIn, request: Request, principal: Seller) -> ChangesOut:
    """Which data sets changed after the till's cursors: one cheap question for all of them
    instead of a pull each. Answered from the newest sequence of each data set, which each
    process reads at most every 2.5 s and again when its live poller sees the feed move;
    a data set named here may have nothing for the till's location (a pull then moves its
    cursor and brings nothing)."""
    unknown = sorted(set(body.cursors) - set(DATASETS))
    if unknown:
        raise Invalid(f"no data set {', '.join(unknown)}; there are {', '.join(DATASETS)}")
    feed: FeedHeads = request.app.state.heads
    known = feed.fresh()
    heads, position = known if known is not None else await run_in_threadpool(feed.read)
    return ChangesOut(changed=news(heads, body.cursors), feed_position=position)


@router.post("/push", response_model=PushOut, responses=problems(403))
def push(
    body: PushIn, engine: EngineDep, settings_: SettingsDep, principal: Seller, writer: SaleWriterDep
) -> Any:
    """Push a batch from the outbox. Every item gets a result; replaying any part of any batch
    returns the same results and creates nothing new. A sale is never refused for stock."""
    if len(body.sales) > settings_.max_batch_sales:
        raise Invalid(f"send at most {settings_.max_batch_sales} sales in one batch")
    if body.customers:
        principal.staff.require(Permission.CUSTOMER_CREATE)
    customers = [
        PushedCustomer(
            c.client_key,
            c.email,
            c.firstname,
            c.lastname,
            c.group_id,
            c.phone,
            acted_by(c.acted_by),
            c.model_dump(mode="json"),
        )
        for c in body.customers
    ]
    sales = [
        pushed_sale(s, sender=principal, secret_key=settings_.secret_key, till_clock=body.sent_at)
        for s in body.sales
    ]
    result = accept_push(engine, writer, customers, sales, principal)
    return PushOut(
        customers=[
            CustomerResultOut(
                client_key=c.client_key, customer_id=c.customer_id, created=c.created, error=c.error
            )
            for c in result.customers
        ],
        sales=[
            SaleResultOut(
                idempotency_key=r.idempotency_key,
                status=r.status,
                order_id=r.order_id,
                receipt_number=r.receipt_number,
                reason=r.reason,
                flags=list(r.flags),
            )
            for r in result.sales
        ],
    )


def _location_exists(engine: Engine, code: str) -> bool:
    with UnitOfWork(engine) as uow:
        return uow.reference.location(code) is not None


@router.get(
    "/events",
    summary="Live stock and price changes for a location (Server-Sent Events)",
    response_class=StreamingResponse,
    responses=problems(
        403, 404, also={200: {"content": {"text/event-stream": {}}, "description": "the event stream"}}
    ),
)
async def events(
    request: Request,
    engine: EngineDep,
    principal: Seller,
    location: Annotated[str, Query(min_length=1, max_length=32)],
) -> StreamingResponse:
    """Each `changes` event carries `{"dataset": "stock"|"prices", "items": [...]}`: every entity
    of that dataset that changed since the last event, as a pull would return it; its `id` is
    the feed sequence. A `ready` event opens the stream; comment lines keep it alive."""
    principal.staff.require(Permission.SELL, location)
    hub = request.app.state.live
    if not await run_in_threadpool(_location_exists, engine, location):
        raise NotFound(f"no location {location}")

    async def stream() -> AsyncIterator[bytes]:
        async with hub.subscribe(location) as queue:
            yield READY_FRAME
            while True:
                try:
                    async with asyncio.timeout(PING_SECONDS):  # no task per frame, as wait_for makes
                        frame = await queue.get()
                except TimeoutError:
                    frame = PING_FRAME
                yield frame

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
