"""Today at the manager's shops: the back office's first page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from till.api.deps import EngineDep, ManagerDep
from till.api.schemas import problems
from till.api.schemas.today import TodayOut
from till.services import today as today_service

router = APIRouter(prefix="/api/admin", tags=["back office"], responses=problems(403))


@router.get("/today", response_model=TodayOut, responses=problems(404, 422))
def today(
    engine: EngineDep,
    principal: ManagerDep,
    location: Annotated[
        str | None, Query(max_length=32, description="one location; all of yours if absent")
    ] = None,
) -> Any:
    """Sales, transactions, average basket, top items, sales per staff member and per location
    so far today (each location's own business day), summed in the database."""
    return today_service.today(engine, principal, location)
