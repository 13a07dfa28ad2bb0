"""Sales a manager looks at: flagged sales (oversold, totals mismatch, …)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from till.api.deps import EngineDep, ManagerDep
from till.api.schemas import problems
from till.storage.uow import UnitOfWork

#: Back-office routes are for managers or admins: any may answer 403.
router = APIRouter(prefix="/api/admin", tags=["back office"], responses=problems(403))


@router.get("/flags")
def flags(
    engine: EngineDep,
    principal: ManagerDep,
    kind: Annotated[str | None, Query(description="oversold, totals_mismatch, price_differs, …")] = None,
) -> list[dict[str, Any]]:
    """Flagged sales (oversold, totals mismatch, …) at the caller's locations."""
    with UnitOfWork(engine) as uow:
        found = [f for f in uow.sales.flags() if principal.staff.works_at(f["location_code"])]
    return [f for f in found if kind is None or f.get("flag") == kind]
