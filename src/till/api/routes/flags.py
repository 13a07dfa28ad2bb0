"""Sales a manager looks at: flagged sales (oversold, totals mismatch, …) and refused sales."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from till.api.deps import EngineDep, PrincipalDep, require_manager
from till.api.schemas import problems
from till.domain.staff import Permission
from till.storage.uow import UnitOfWork

#: Back-office routes are for managers or admins: any may answer 403.
router = APIRouter(prefix="/api/admin", tags=["back office"], responses=problems(403))
#: Refused sales keep their older path.
store_router = APIRouter(prefix="/api")


@router.get("/flags")
def flags(
    engine: EngineDep,
    principal: PrincipalDep,
    kind: Annotated[str | None, Query(description="oversold, totals_mismatch, price_differs, …")] = None,
) -> list[dict[str, Any]]:
    """Flagged sales (oversold, totals mismatch, …) at the caller's locations."""
    require_manager(principal)
    with UnitOfWork(engine) as uow:
        found = [f for f in uow.sales.flags() if principal.staff.works_at(f["location_code"])]
    return [f for f in found if kind is None or f.get("flag") == kind]


@store_router.get("/rejected-sales", tags=["monitoring"], responses=problems(403))
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
