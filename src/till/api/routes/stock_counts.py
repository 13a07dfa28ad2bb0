"""Stock counts by scanner: start (snapshot), scan, submit, a manager's review and approval."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, status

from till.api.deps import EngineDep, IdPath, PrincipalDep, staff
from till.api.schemas import problems
from till.api.schemas.stock_moves import CountedIn, CountIn, CountOut
from till.domain.staff import Permission
from till.services import stock_counts as service
from till.services.auth import Principal

router = APIRouter(prefix="/api/stock-counts", tags=["stock"])

Counter = Annotated[Principal, Depends(staff(Permission.STOCK_COUNT))]
Approver = Annotated[Principal, Depends(staff(Permission.STOCK_ADJUST))]
CountState = Literal["counting", "review", "approved", "cancelled"]


@router.post("", response_model=CountOut, status_code=status.HTTP_201_CREATED, responses=problems(403, 404))
def start_count(body: CountIn, engine: EngineDep, principal: Counter) -> Any:
    """Start a full or cycle count at a shop; each sku's source quantity is snapshotted now."""
    return service.start_count(engine, principal, body.location_code, body.kind, body.skus, body.blind)


@router.get("", response_model=list[CountOut])
def list_counts(
    engine: EngineDep,
    principal: PrincipalDep,
    location: Annotated[str | None, Query(max_length=32)] = None,
    state: Annotated[list[CountState] | None, Query()] = None,
) -> Any:
    """Counts at the caller's shops, newest first (a blind one hides the book from a counter)."""
    return service.stock_counts(engine, principal, location, state)


@router.get("/{count_id}", response_model=CountOut, responses=problems(404))
def get_count(count_id: IdPath, engine: EngineDep, principal: PrincipalDep) -> Any:
    """One count: a manager sees snapshot, movements since, expected and variance per sku."""
    return service.stock_count(engine, principal, count_id)


@router.put("/{count_id}/lines/{sku}", response_model=CountOut, responses=problems(403, 404, 409))
def record_count(
    count_id: IdPath,
    sku: Annotated[str, Path(min_length=1, max_length=64)],
    body: CountedIn,
    engine: EngineDep,
    principal: Counter,
) -> Any:
    """Set how many of a sku the counter found (a retry sets the same); the book quantity at
    this moment is kept with it."""
    return service.record_count(engine, principal, count_id, sku, body.counted)


@router.post("/{count_id}/submit", response_model=CountOut, responses=problems(403, 404, 409))
def submit_count(count_id: IdPath, engine: EngineDep, principal: Counter) -> Any:
    """End counting; the count waits for a manager's review."""
    return service.submit_count(engine, principal, count_id)


@router.post(
    "/{count_id}/approve",
    response_model=CountOut,
    status_code=status.HTTP_200_OK,
    responses=problems(403, 404, 409),
)
def approve_count(count_id: IdPath, engine: EngineDep, principal: Approver) -> Any:
    """Accept the variance: each source item takes counted − expected (stock_adjust)."""
    return service.approve_count(engine, principal, count_id)


@router.post("/{count_id}/cancel", response_model=CountOut, responses=problems(403, 404, 409))
def cancel_count(count_id: IdPath, engine: EngineDep, principal: Approver) -> Any:
    """Drop a count before approval; nothing moves."""
    return service.cancel_count(engine, principal, count_id)
