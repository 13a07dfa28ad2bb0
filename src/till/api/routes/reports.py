"""Saved reports over REST: list, run (JSON or CSV), save and delete."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from till.api.deps import AdminDep, EngineDep, PrincipalDep, SettingsDep
from till.api.schemas import problems
from till.api.spreadsheet import safe_cell
from till.services import reports

router = APIRouter(prefix="/api/reports", tags=["reports"])


class ReportIn(BaseModel):
    """A saved report: one SELECT with named `:parameters`, their types, who may run it."""

    name: str = Field(min_length=2, max_length=64, pattern=r"^[a-z][a-z0-9_-]+$")
    title: str = Field(min_length=1, max_length=128)
    description: str = Field(default="", max_length=2000)
    sql: str = Field(min_length=6, max_length=20_000)
    params: dict[str, Literal["date", "int", "text", "decimal"]] = Field(default_factory=dict)
    roles: list[Literal["cashier", "manager", "admin"]] = Field(default=["manager", "admin"], min_length=1)


@router.get("")
def list_reports(engine: EngineDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Reports the caller's role may run (built-in and saved), with their parameters."""
    return [r.json() for r in reports.list_reports(engine, principal)]


@router.post("", status_code=status.HTTP_201_CREATED, responses=problems(400, 403, 409))
def save_report(body: ReportIn, engine: EngineDep, principal: AdminDep) -> dict[str, Any]:
    """Save a report (admins). A statement that is not one SELECT is refused with 400."""
    report = reports.Report(body.name, body.title, body.sql, body.params, tuple(body.roles), body.description)
    return reports.save_report(engine, principal, report).json()


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(403, 404, 409))
def delete_report(name: str, engine: EngineDep, principal: AdminDep) -> None:
    """Delete a saved report (admins)."""
    reports.delete_report(engine, principal, name)


@router.get(
    "/{name}",
    response_model=None,
    responses=problems(
        400,
        403,
        404,
        also={
            200: {
                "description": "the rows (JSON), or with format=csv a CSV file",
                "content": {"application/json": {}, "text/csv": {"schema": {"type": "string"}}},
            }
        },
    ),
)
async def run_report(
    name: str,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    format: Annotated[Literal["json", "csv"], Query(description="json (default) or csv")] = "json",
) -> dict[str, Any] | Response:
    """Run a report: its parameters are query parameters (`?date_from=2026-11-01&location=NYC`).
    Read-only, with a statement timeout, a row limit and a byte limit (`truncated` says it
    was cut, `truncated_by` by which: `rows` or `bytes`)."""
    params = {k: v for k, v in request.query_params.items() if k != "format"}
    result = await run_in_threadpool(
        reports.run_report,
        engine,
        principal,
        name,
        params,
        timeout_ms=settings.report_timeout_ms,
        row_limit=settings.report_row_limit,
        byte_limit=settings.report_byte_limit,
    )
    if format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([safe_cell(c) for c in result.columns])
        for row in result.rows:
            writer.writerow(["" if v is None else safe_cell(v) for v in row])
        return Response(
            buffer.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{name}.csv"',
                "X-Truncated": "true" if result.truncated else "false",
                "X-Truncated-By": result.truncated_by or "",
            },
        )
    return {
        "name": result.name,
        "columns": result.columns,
        "rows": result.rows,
        "truncated": result.truncated,
        "truncated_by": result.truncated_by,
    }
