"""Price changes (back office): a price now, special prices planned ahead."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from till.api.deps import (
    EngineDep,
    ManagerDep,
    staff,
)
from till.api.schemas import Day, Money, Time, problems
from till.domain.staff import Permission
from till.services import price_changes
from till.services.auth import Principal

#: Every back-office route is for managers or admins: any may answer 403.
router = APIRouter(prefix="/api/admin", tags=["back office"], responses=problems(403))

#: Changing catalog prices (managers and admins).
Pricer = Annotated[Principal, Depends(staff(Permission.PRICE_OVERRIDE, scoped=False))]


class PriceIn(BaseModel):
    """A price change now: price and/or special price (decimal strings)."""

    price: Money | None = None
    special_price: Money | None = None
    special_from: Day | None = None
    special_to: Day | None = None
    clear_special: bool = False


class PriceScheduleIn(BaseModel):
    """A special price planned ahead; times with their zone."""

    sku: str = Field(min_length=1, max_length=64)
    special_price: Money
    starts_at: Time
    ends_at: Time | None = None


@router.put("/prices/{sku}", responses=problems(404))
def put_price(sku: str, body: PriceIn, engine: EngineDep, principal: Pricer) -> dict[str, Any]:
    """Change a price now (tills hear it through the feed and the live stream)."""
    return price_changes.change_price(engine, principal, sku, **body.model_dump())


@router.get("/price-schedules")
def list_price_schedules(engine: EngineDep, principal: ManagerDep) -> list[dict[str, Any]]:
    """Planned, running and ended special prices."""
    return price_changes.price_schedule_list(engine)


@router.post("/price-schedules", status_code=status.HTTP_201_CREATED, responses=problems(404))
async def schedule_price(body: PriceScheduleIn, engine: EngineDep, principal: Pricer) -> dict[str, Any]:
    """Plan a special price; the `special-prices` job starts and ends it."""
    return await run_in_threadpool(
        price_changes.schedule_special_price,
        engine,
        principal,
        body.sku,
        body.special_price,
        body.starts_at,
        body.ends_at,
    )
