"""Shifts of a register: open, cash in/out, X report, close with Z report."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, status

from till.api.deps import EngineDep, IdPath, staff
from till.api.routes.refused_actions import acted_by, kept_if_refused
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

#: The steps a till queues are judged by who did them on the till (`acted_by`).
Opener = Annotated[Principal, Depends(staff(Permission.SHIFT_OPEN, acting=True))]
Seller = Annotated[Principal, Depends(staff(Permission.SELL))]
Cash = Annotated[Principal, Depends(staff(Permission.CASH_MOVEMENT, acting=True))]
Closer = Annotated[Principal, Depends(staff(Permission.SHIFT_CLOSE, acting=True))]
Reader = Annotated[Principal, Depends(staff(Permission.REPORTS))]


@router.post(
    "/registers/{register_code}/shift",
    response_model=ShiftOpened,
    status_code=status.HTTP_201_CREATED,
    responses=problems(403, 404, 409),
)
def open_shift(register_code: str, body: OpenShiftIn, engine: EngineDep, principal: Opener) -> Any:
    """Open the register's shift with the cash float in the drawer; `acted_by` names who did it
    on the till (here and in the other steps). A refusal other than 409 (open already) is kept
    for a manager (`GET /api/refused-actions`)."""
    with kept_if_refused(
        engine, principal, kind="shift_open", register_code=register_code, body=body, keep_conflict=False
    ):
        shift_id = shifts.open_shift(
            engine, principal, register_code, body.opening_float, acted_by(body.acted_by)
        )
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
    with kept_if_refused(engine, principal, kind="cash", register_code=register_code, body=body):
        shifts.move_cash(
            engine,
            principal,
            register_code,
            CashMovement(body.kind, body.amount, body.reason),
            acted_by(body.acted_by),
        )


@router.post(
    "/registers/{register_code}/shift/close",
    response_model=ShiftReportOut,
    responses=problems(403, 404, 409),
)
def close_shift(register_code: str, body: CloseShiftIn, engine: EngineDep, principal: Closer) -> Any:
    """Close the shift with the counted cash; answers the Z report."""
    with kept_if_refused(engine, principal, kind="shift_close", register_code=register_code, body=body):
        return shifts.close_shift(
            engine, principal, register_code, body.counted_cash, acted_by(body.acted_by)
        )


@router.get("/shifts/{shift_id}/z-report", response_model=ShiftReportOut, responses=problems(403, 404))
def z_report(shift_id: IdPath, engine: EngineDep, principal: Reader) -> Any:
    """The stored Z report of a closed shift."""
    return shifts.z_report(engine, principal, shift_id)
