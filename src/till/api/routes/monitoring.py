"""Back-office monitoring: queues, outbox, workers, Magento calls and stock differences."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from till.api.deps import (
    EngineDep,
    ManagerDep,
    SettingsDep,
)
from till.api.schemas import problems
from till.magento import reconcile
from till.magento.monitoring import magento_snapshot
from till.magento.settings import get_magento_settings
from till.queue import metrics
from till.storage.uow import UnitOfWork

#: Every back-office route is for managers or admins: any may answer 403.
router = APIRouter(prefix="/api/admin", tags=["back office"], responses=problems(403))


@router.get("/monitoring")
def monitoring(engine: EngineDep, settings: SettingsDep, principal: ManagerDep) -> dict[str, Any]:
    """Queues (waiting, in flight, dead, failures, mean times), outbox, sales per minute,
    sync lag per register, live workers, open flags: one snapshot from the database."""
    data = metrics.snapshot(engine, settings.queue_transport)
    if principal.staff.locations:  # sync lag of their own registers only
        with UnitOfWork(engine) as uow:
            theirs = {r.code for r in uow.reference.registers() if principal.staff.works_at(r.location_code)}
        data["sync"] = {code: lag for code, lag in data["sync"].items() if code in theirs}
    data["magento"] = magento_snapshot(engine, configured=get_magento_settings().configured)
    return data


@router.get("/magento/differences")
def magento_differences(
    engine: EngineDep,
    principal: ManagerDep,
    state: Annotated[str | None, Query(pattern="^(open|pulled)$", description="open or pulled")] = None,
) -> list[dict[str, Any]]:
    """Stock differences Till vs Magento the `magento_reconcile` job found (quantities as
    decimal strings; `difference` = Till − Magento)."""
    return reconcile.differences(engine, state=state)
