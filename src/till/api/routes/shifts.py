"""Shifts of a register: open, cash in/out, X report, close with Z report."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, status

from till.api.deps import EngineDep, IdPath, staff
from till.api.schemas import (
    CashMovementIn,
    CloseShiftIn,
    OpenShiftIn,
    ShiftOpened,
    ShiftReportOut,
    problems,
)
from till.domain.shifts import CashMovement
from till.domain.staff import Permission
from till.services import shifts
from till.services.auth import Principal

router = APIRouter(prefix="/api", tags=["shifts"])

Opener = Annotated[Principal, Depends(staff(Permission.SHIFT_OPEN))]
Seller = Annotated[Principal, Depends(staff(Permission.SELL))]
Cash = Annotated[Principal, Depends(staff(Permission.CASH_MOVEMENT))]
Closer = Annotated[Principal, Depends(staff(Permission.SHIFT_CLOSE))]
Reader = Annotated[Principal, Depends(staff(Permission.REPORTS))]


@router.post(
    "/registers/{register_code}/shift",
    response_model=ShiftOpened,
    status_code=status.HTTP_201_CREATED,
    responses=problems(403, 404, 409),
)
def open_shift(register_code: str, body: OpenShiftIn, engine: EngineDep, principal: Opener) -> Any:
    """Open the register's shift with the cash float in the drawer."""
    shift_id = shifts.open_shift(engine, principal, register_code, body.opening_float)
    return ShiftOpened(shift_id=shift_id, register_code=register_code)


@router.get(
    "/registers/{register_code}/shift", response_model=ShiftReportOut, responses=problems(403, 404, 409)
)
def x_report(register_code: str, engine: EngineDep, principal: Seller) -> Any:
    """The X report: running figures of the open shift."""
    return shifts.x_report(engine, principal, register_code)


@router.post(
    "/registers/{register_code}/shift/cash",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(403, 404, 409),
)
def cash_movement(register_code: str, body: CashMovementIn, engine: EngineDep, principal: Cash) -> None:
    """Put cash into or take it out of the drawer, with the reason."""
    shifts.move_cash(engine, principal, register_code, CashMovement(body.kind, body.amount, body.reason))


@router.post(
    "/registers/{register_code}/shift/close",
    response_model=ShiftReportOut,
    responses=problems(403, 404, 409),
)
def close_shift(register_code: str, body: CloseShiftIn, engine: EngineDep, principal: Closer) -> Any:
    """Close the shift with the counted cash; answers the Z report."""
    return shifts.close_shift(engine, principal, register_code, body.counted_cash)


@router.get("/shifts/{shift_id}/z-report", response_model=ShiftReportOut, responses=problems(403, 404))
def z_report(shift_id: IdPath, engine: EngineDep, principal: Reader) -> Any:
    """The stored Z report of a closed shift."""
    return shifts.z_report(engine, principal, shift_id)
