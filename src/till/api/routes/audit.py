"""The audit log: who did what, when and where, filtered, newest first, and as CSV. Admins
read it all; managers read the stock adjustments and cash movements of their locations.

Lines are only ever added (the database refuses UPDATE and DELETE of `audit_log`); this API
reads them. Paging is by id: ask again with `before_id` = the answer's `next_before_id`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import Engine

from till.api.deps import EngineDep, staff
from till.api.schemas import Problem, Time
from till.api.spreadsheet import safe_cell
from till.domain.errors import Invalid
from till.domain.staff import Permission
from till.services.auth import Principal
from till.storage.events import AuditQuery
from till.storage.uow import UnitOfWork

router = APIRouter(prefix="/api/admin", tags=["audit"])

#: Admins read the whole log; managers (who adjust stock) their locations' stock and cash lines.
Auditor = Annotated[Principal, Depends(staff(Permission.STOCK_ADJUST))]

#: Lines fetched per round trip while a CSV export streams.
EXPORT_PAGE = 1000

_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "not signed in, or the token expired or was revoked"},
    403: {
        "model": Problem,
        "description": "only admins read the whole audit log (permission `audit`); managers read "
        "their locations' stock and cash lines (`action=stock` or `cash`)",
    },
}


class AuditEntryOut(BaseModel):
    """One line of the audit log."""

    id: int
    at: datetime = Field(description="when the server kept the line (UTC)")
    staff_id: int | None = Field(description="who: the member of staff; null for the command line")
    username: str | None = Field(description="their username at the time")
    device_id: str | None = Field(description="the registered till it came from, if any")
    location_code: str | None
    register_code: str | None
    action: str = Field(description="e.g. refund.created, cash.out, discount.over_limit, signin.failed")
    detail: dict[str, Any] = Field(
        description="what: amounts as decimal strings, ids, reasons; `via` names a command-line user"
    )


class AuditPageOut(BaseModel):
    """A page of the audit log, newest first."""

    entries: list[AuditEntryOut]
    next_before_id: int | None = Field(
        description="pass as before_id for the next, older page; null when there is none"
    )


def _query(
    since: AwareDatetime | None,
    until: AwareDatetime | None,
    staff_id: int | None,
    action: str | None,
    location: str | None,
    register: str | None,
    before_id: int | None = None,
) -> AuditQuery:
    if since is not None and until is not None and until <= since:
        raise Invalid("`to` must be after `from`")
    return AuditQuery(since, until, staff_id, action, location, register, before_id)


Since = Annotated[Time | None, Query(alias="from", description="from this moment (ISO 8601, with zone)")]
Until = Annotated[Time | None, Query(alias="to", description="before this moment (ISO 8601, with zone)")]
StaffId = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="only this member of staff")]
Action = Annotated[
    str | None,
    Query(max_length=64, description="an action, or a family: `cash` is cash.in and cash.out"),
]
Location = Annotated[str | None, Query(max_length=32, description="location code")]
Register = Annotated[str | None, Query(max_length=12, description="register code")]


#: The families of the log a manager reads for their own locations: stock adjustments and
#: cash movements, the history they answer for (the rest records what managers did too).
MANAGER_FAMILIES = ("stock", "cash")


def _readable(principal: Principal, query: AuditQuery) -> AuditQuery:
    """The query as this person may run it: admins read every line; a manager reads the
    stock and cash lines of the locations they work at (`action=stock` or `cash`, or one
    action of those); anyone else is refused."""
    staff = principal.staff
    if staff.can(Permission.AUDIT):
        return query
    family = (query.action or "").split(".")[0]
    if not staff.can(Permission.STOCK_ADJUST) or family not in MANAGER_FAMILIES:
        staff.require(Permission.AUDIT)  # raises, naming who may
    if query.location_code is not None:
        staff.require(Permission.STOCK_ADJUST, query.location_code)
    return replace(query, within_locations=tuple(sorted(staff.locations)))


@router.get("/audit", response_model=AuditPageOut, responses=_REFUSALS)
def audit_log(
    engine: EngineDep,
    principal: Auditor,
    since: Since = None,
    until: Until = None,
    staff_id: StaffId = None,
    action: Action = None,
    location: Location = None,
    register: Register = None,
    before_id: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="lines older than this id")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPageOut:
    """The audit log, newest first, filtered (admins; managers: their locations' stock and
    cash lines, with `action=stock` or `cash`)."""
    query = _readable(principal, _query(since, until, staff_id, action, location, register, before_id))
    with UnitOfWork(engine) as uow:
        rows = uow.events.audit_entries(query, limit + 1)
    entries = [AuditEntryOut.model_validate(row) for row in rows[:limit]]
    return AuditPageOut(entries=entries, next_before_id=entries[-1].id if len(rows) > limit else None)


@router.get(
    "/audit.csv",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}}, "description": "the matching lines, newest first"},
        **_REFUSALS,
    },
)
def audit_csv(
    engine: EngineDep,
    principal: Auditor,
    since: Since = None,
    until: Until = None,
    staff_id: StaffId = None,
    action: Action = None,
    location: Location = None,
    register: Register = None,
) -> StreamingResponse:
    """Every matching line as CSV, newest first (admins; managers as for the JSON). The
    export itself is audited."""
    query = _readable(principal, _query(since, until, staff_id, action, location, register))
    with UnitOfWork(engine) as uow:
        filters = {
            "from": None if since is None else since.isoformat(),
            "to": None if until is None else until.isoformat(),
            "staff_id": staff_id,
            "action": action,
            "location": location,
            "register": register,
        }
        uow.events.audit(
            "audit.exported", {k: v for k, v in filters.items() if v is not None}, principal.actor()
        )
        uow.commit()
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return StreamingResponse(
        _csv_lines(engine, query),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="till-audit-{stamp}.csv"'},
    )


CSV_COLUMNS = ["id", "at", "staff_id", "username", "device_id", "location", "register", "action", "detail"]


def _csv_lines(engine: Engine, query: AuditQuery) -> Iterator[str]:
    """The CSV a page at a time (Starlette runs this in a thread), so a long log never sits
    whole in memory. Text a spreadsheet would run as a formula (a username a stranger typed
    at sign-in) gets a leading `'`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    before: int | None = None
    while True:
        page = replace(query, before_id=before)
        with UnitOfWork(engine) as uow:
            rows = uow.events.audit_entries(page, EXPORT_PAGE)
        for row in rows:
            writer.writerow(
                safe_cell(cell)
                for cell in [
                    row["id"],
                    row["at"].astimezone(UTC).isoformat(),
                    row["staff_id"] if row["staff_id"] is not None else "",
                    row["username"] or "",
                    row["device_id"] or "",
                    row["location_code"] or "",
                    row["register_code"] or "",
                    row["action"],
                    json.dumps(row["detail"], sort_keys=True, separators=(",", ":")),
                ]
            )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if len(rows) < EXPORT_PAGE:
            return
        before = rows[-1]["id"]
