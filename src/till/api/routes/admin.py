"""Health, locations and the manager's lists: flags and refused sales."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import text

from till import __version__
from till.api.deps import EngineDep, PrincipalDep
from till.api.schemas import problems
from till.domain.staff import Permission
from till.storage.uow import UnitOfWork

router = APIRouter(prefix="/api")


@router.get("/health", tags=["health"])
def health(engine: EngineDep) -> dict[str, Any]:
    """Up, and the database answers."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok", "database": engine.dialect.name, "version": __version__}


@router.get("/locations", tags=["store"])
def locations(engine: EngineDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Locations and their registers."""
    with UnitOfWork(engine) as uow:
        registers = uow.reference.registers()
        return [
            {
                "code": loc.code,
                "name": loc.name,
                "source_code": loc.source_code,
                "stock_id": loc.stock_id,
                "timezone": loc.timezone,
                "registers": [r.code for r in registers if r.location_code == loc.code],
            }
            for loc in uow.reference.locations()
        ]


@router.get("/flags", tags=["monitoring"], responses=problems(403))
def flags(engine: EngineDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Sales flagged for a manager: oversold, totals mismatch, price differs, over limit."""
    principal.staff.require(Permission.REPORTS)
    with UnitOfWork(engine) as uow:
        return [f for f in uow.sales.flags() if principal.staff.works_at(f["location_code"])]


@router.get("/rejected-sales", tags=["monitoring"], responses=problems(403))
def rejected_sales(engine: EngineDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Sales the server refused, kept whole with the reason."""
    principal.staff.require(Permission.REPORTS)
    with UnitOfWork(engine) as uow:
        at = {r.code: r.location_code for r in uow.reference.registers()}
        everywhere = {loc.code for loc in uow.reference.locations()}
        theirs = set(principal.staff.locations) or everywhere
        return [
            r
            for r in uow.sales.rejections()
            # A refused sale may name a register that does not exist: staff of every location see it.
            if (at[r["register_code"]] in theirs if r["register_code"] in at else everywhere <= theirs)
        ]
