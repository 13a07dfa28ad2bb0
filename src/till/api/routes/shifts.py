"""Shifts of a register: open, cash in/out, X report, close with Z report."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, status

from till.api.deps import EngineDep, IdPath, ManagerDep, PrincipalDep, staff
from till.api.routes.refused_actions import acted_by, kept_if_refused
from till.api.schemas import (
    CashMovementIn,
    CloseRuleIn,
    CloseRuleOut,
    CloseShiftIn,
    OpenShiftIn,
    ShiftOpened,
    ShiftReportOut,
    ZReportDocumentOut,
    problems,
)
from till.domain.cash_count import CashCount, CashCountError, CloseRule
from till.domain.money import to_decimal
from till.domain.shifts import CashMovement
from till.domain.staff import Permission
from till.services import shifts
from till.services import z_report as z_report_document_of
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
        count = None
        if body.cash_count is not None:
            pieces: dict[Decimal, int] = {}
            for face, quantity in body.cash_count.pieces.items():
                value = to_decimal(face)
                if value in pieces:
                    raise CashCountError(f"{face} is counted twice")
                pieces[value] = quantity
            count = CashCount(body.cash_count.currency, pieces)
        return shifts.close_shift(
            engine,
            principal,
            register_code,
            body.counted_cash,
            acted_by(body.acted_by),
            cash_count=count,
            note=body.note,
        )


@router.get("/shifts/{shift_id}/z-report", response_model=ShiftReportOut, responses=problems(403, 404))
def z_report(shift_id: IdPath, engine: EngineDep, principal: Reader) -> Any:
    """The stored Z report of a closed shift."""
    return shifts.z_report(engine, principal, shift_id)


@router.get(
    "/shifts/{shift_id}/z-report/document", response_model=ZReportDocumentOut, responses=problems(403, 404)
)
def z_report_document(shift_id: IdPath, engine: EngineDep, principal: Reader) -> Any:
    """The Z report of a closed shift as a document to print (80 mm HTML) or e-mail (a subject,
    plain text and HTML); sending it is `till.services.z_report.send_z_report`'s seam."""
    return z_report_document_of.z_report_document(engine, principal, shift_id)


@router.get("/shift-close-rule", response_model=CloseRuleOut)
def get_close_rule(engine: EngineDep, principal: PrincipalDep) -> Any:
    """The store's close rule (tills also get it in the bootstrap)."""
    return shifts.close_rule_json(shifts.close_rule(engine))


@router.put("/admin/shift-close-rule", response_model=CloseRuleOut, responses=problems(403))
def set_close_rule(body: CloseRuleIn, engine: EngineDep, principal: ManagerDep) -> Any:
    """A manager sets the close rule: a blind count (the expected cash is shown only after the
    count) and the difference allowed without a note."""
    rule = shifts.set_close_rule(engine, principal, CloseRule(body.blind_count, body.note_over))
    return shifts.close_rule_json(rule)
