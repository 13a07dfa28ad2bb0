"""Shifts: open with a float, cash in and out, X report, close with counted cash (Z)."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from till.domain.acting import ActedBy
from till.domain.cash_count import CashCount, CloseRule, check_close_note
from till.domain.money import ZERO, money_str
from till.domain.shifts import (
    CashMovement,
    ShiftError,
    ShiftReport,
    ShiftSale,
    check_opening_float,
    shift_report,
)
from till.domain.staff import Permission
from till.services.acting import acting_for, not_before, require_own_register, sent_by
from till.services.auth import Principal
from till.services.errors import Conflict, NotFound
from till.storage.shifts import ShiftAlreadyOpen
from till.storage.uow import UnitOfWork

#: The store setting holding the manager's close rule (`CloseRule`).
CLOSE_RULE_SETTING = "shift_close"


def close_rule_in(uow: UnitOfWork) -> CloseRule:
    """The store's close rule, read in a unit of work (the default: no blind count, no note)."""
    raw = uow.reference.setting(CLOSE_RULE_SETTING) or {}
    allowance = raw.get("note_over")
    return CloseRule(
        bool(raw.get("blind_count", False)), None if allowance is None else Decimal(str(allowance))
    )


def close_rule(engine: Engine) -> CloseRule:
    """The store's close rule: a blind count or not, and the difference a note must explain."""
    with UnitOfWork(engine) as uow:
        return close_rule_in(uow)


def close_rule_json(rule: CloseRule) -> dict[str, Any]:
    """The rule as stored, sent to tills in the bootstrap and answered by the API."""
    return {
        "blind_count": rule.blind_count,
        "note_over": None if rule.note_over is None else money_str(rule.note_over),
    }


def set_close_rule(engine: Engine, by: Principal, rule: CloseRule) -> CloseRule:
    """A manager or admin sets the store's close rule (tills get it at their next pull)."""
    by.staff.require(Permission.REPORTS)
    with UnitOfWork(engine) as uow:
        uow.reference.set_setting(CLOSE_RULE_SETTING, close_rule_json(rule))
        uow.events.audit("shift_close_rule.set", close_rule_json(rule), by.actor())
        uow.commit()
    return rule


def _location_of(uow: UnitOfWork, register_code: str) -> str:
    register = uow.reference.register(register_code)
    if register is None:
        raise NotFound(f"no register {register_code}")
    return register.location_code


def _within(shift: dict[str, Any] | None, acted_by: ActedBy | None) -> ActedBy | None:
    """A step on the open shift is judged no earlier than its opening: its drawer did not exist
    before, whatever the till's clock says."""
    return acted_by if shift is None else not_before(acted_by, shift["opened_at"])


def open_shift(
    engine: Engine, by: Principal, register_code: str, opening_float: Decimal, acted_by: ActedBy | None = None
) -> int:
    """Open the register's shift; a second open shift is a conflict. `acted_by` (here and in
    the other steps) is who did it on the till, judged as a sale's seller is."""
    check_opening_float(opening_float)
    with UnitOfWork(engine) as uow:
        location = _location_of(uow, register_code)
        sender = by
        require_own_register(sender, register_code)
        by, acting = acting_for(uow, sender, acted_by, location)
        by.staff.require(Permission.SHIFT_OPEN, location)
        try:
            shift_id = uow.shifts.open(register_code, by.staff.id, opening_float)
        except ShiftAlreadyOpen:
            raise Conflict(f"register {register_code} already has an open shift; close it first") from None
        uow.events.audit(
            "shift.opened",
            {"shift_id": shift_id, "float": str(opening_float), **sent_by(sender, acting)},
            by.actor(location, register_code),
        )
        uow.commit()
    return shift_id


def move_cash(
    engine: Engine, by: Principal, register_code: str, movement: CashMovement, acted_by: ActedBy | None = None
) -> None:
    """Put cash into or take it out of the drawer of the open shift."""
    with UnitOfWork(engine) as uow:
        location = _location_of(uow, register_code)
        sender = by
        require_own_register(sender, register_code)
        shift = uow.shifts.open_shift(register_code)
        by, acting = acting_for(uow, sender, _within(shift, acted_by), location)
        by.staff.require(Permission.CASH_MOVEMENT, location)
        if shift is None:
            raise Conflict(f"register {register_code} has no open shift")
        uow.shifts.add_movement(shift["id"], movement, by.staff.id)
        uow.events.audit(
            f"cash.{movement.kind}",
            {
                "shift_id": shift["id"],
                "amount": money_str(movement.amount),
                "reason": movement.reason,
                **sent_by(sender, acting),
            },
            by.actor(location, register_code),
        )
        uow.commit()


def _report(
    uow: UnitOfWork,
    shift: dict[str, Any],
    *,
    closing_count: Decimal | None = None,
    cash_count: CashCount | None = None,
    note: str = "",
) -> ShiftReport:
    sales = [
        ShiftSale(
            grand_total=s["grand_total"],
            tax=s["tax"],
            discount=s["discount"],
            payments=tuple(s["payments"]),
            change_given=s["change_due"],
            gift_cards_sold=s["gift_cards_sold"],
        )
        for s in uow.shifts.sales_of(shift["id"])
    ]
    sales += [
        ShiftSale(
            grand_total=-r["total"],
            tax=-r["tax"],
            discount=-r["discount"],
            payments=((r["method"], -r["total"]),),
            is_refund=True,
        )
        for r in uow.shifts.refunds_of(shift["id"])
    ]
    return shift_report(
        register_code=shift["register_code"],
        opened_at=shift["opened_at"],
        opening_float=shift["opening_float"],
        sales=sales,
        movements=uow.shifts.movements(shift["id"]),
        closed_at=datetime.now(UTC) if closing_count is not None else None,
        counted_cash=closing_count,
        cash_count=cash_count,
        note=note,
        account_payments=uow.accounts.payments_in_shift(shift["id"]),
    )


def x_report(engine: Engine, by: Principal, register_code: str) -> ShiftReport:
    """The running figures of the register's open shift; under a blind count without the
    expected cash, which shows only once the drawer is counted (the Z report)."""
    with UnitOfWork(engine) as uow:
        location = _location_of(uow, register_code)
        by.staff.require(Permission.SELL, location)
        shift = uow.shifts.open_shift(register_code)
        if shift is None:
            raise Conflict(f"register {register_code} has no open shift")
        report = _report(uow, shift)
        return replace(report, expected_cash=None) if close_rule_in(uow).blind_count else report


def close_shift(
    engine: Engine,
    by: Principal,
    register_code: str,
    counted_cash: Decimal,
    acted_by: ActedBy | None = None,
    *,
    cash_count: CashCount | None = None,
    note: str = "",
) -> ShiftReport:
    """Close the open shift with the counted cash (and its count by note and coin, when the
    drawer was counted so); returns the Z report, stored with it. A difference over the
    store's allowance needs a note (`CloseRule`), judged on the server's own figures."""
    if counted_cash < ZERO:
        raise ShiftError("counted cash cannot be negative")
    with UnitOfWork(engine) as uow:
        location = _location_of(uow, register_code)
        sender = by
        require_own_register(sender, register_code)
        shift = uow.shifts.open_shift(register_code)
        by, acting = acting_for(uow, sender, _within(shift, acted_by), location)
        by.staff.require(Permission.SHIFT_CLOSE, location)
        place = uow.reference.location(location)
        if cash_count is not None and place is not None and cash_count.currency != place.currency:
            raise ShiftError(f"the drawer at {location} holds {place.currency}, not {cash_count.currency}")
        if shift is None:
            raise Conflict(f"register {register_code} has no open shift")
        report = _report(uow, shift, closing_count=counted_cash, cash_count=cash_count, note=note)
        check_close_note(close_rule_in(uow), report.difference or ZERO, note)
        if not uow.shifts.close(shift["id"], by.staff.id, counted_cash, report_json(report)):
            raise Conflict("the shift was closed a moment ago by someone else")
        uow.events.publish(
            "shift.closed",
            {"shift_id": shift["id"], "register_code": register_code, "report": report_json(report)},
        )
        uow.events.audit(
            "shift.closed",
            {
                "shift_id": shift["id"],
                "counted": str(counted_cash),
                "expected": str(report.expected_cash),
                "difference": str(report.difference),
                "note": report.note,
                **sent_by(sender, acting),
            },
            by.actor(location, register_code),
        )
        uow.commit()
    return report


def z_report(engine: Engine, by: Principal, shift_id: int) -> dict[str, Any]:
    """The stored Z report of a closed shift."""
    with UnitOfWork(engine) as uow:
        shift = uow.shifts.get(shift_id)
        if shift is None or shift["z_report"] is None:
            raise NotFound(f"no closed shift {shift_id}")
        by.staff.require(Permission.REPORTS, _location_of(uow, shift["register_code"]))
        return dict(shift["z_report"])


def report_json(report: ShiftReport) -> dict[str, Any]:
    """A report with decimals and times as strings, as stored and sent."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return f"{value:.2f}"
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    return {key: plain(value) for key, value in asdict(report).items()}
