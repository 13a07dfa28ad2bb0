"""Back-office monitoring: queues, outbox, workers, Magento calls and stock differences."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from till.api.deps import (
    EngineDep,
    PrincipalDep,
    SettingsDep,
    require_manager,
)
from till.api.schemas import problems
from till.magento import reconcile
from till.magento.monitoring import magento_snapshot
from till.magento.settings import get_magento_settings
from till.queue import metrics

#: Every back-office route is for managers or admins: any may answer 403.
router = APIRouter(prefix="/api/admin", tags=["back office"], responses=problems(403))


@router.get("/monitoring")
def monitoring(engine: EngineDep, settings: SettingsDep, principal: PrincipalDep) -> dict[str, Any]:
    """Queues (waiting, in flight, dead, failures, mean times), outbox, sales per minute,
    sync lag per register, live workers, open flags: one snapshot from the database."""
    require_manager(principal)
    data = metrics.snapshot(engine, settings.queue_transport)
    data["magento"] = magento_snapshot(engine, configured=get_magento_settings().configured)
    return data


@router.get("/magento/differences")
def magento_differences(
    engine: EngineDep,
    principal: PrincipalDep,
    state: Annotated[str | None, Query(pattern="^(open|pulled)$", description="open or pulled")] = None,
) -> list[dict[str, Any]]:
    """Stock differences Till vs Magento the `magento_reconcile` job found (quantities as
    decimal strings; `difference` = Till − Magento)."""
    require_manager(principal)
    return reconcile.differences(engine, state=state)
