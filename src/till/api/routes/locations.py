"""Locations with their registers and the devices registered to each (back office)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from till.api.deps import (
    EngineDep,
    ManagerDep,
)
from till.api.schemas import problems
from till.storage.uow import UnitOfWork

#: Every back-office route is for managers or admins: any may answer 403.
router = APIRouter(prefix="/api/admin", tags=["back office"], responses=problems(403))


def _device(row: dict[str, Any]) -> dict[str, Any]:
    created = row["created_at"]
    return {
        "id": row["id"],
        "name": row["name"],
        "created_at": created.isoformat() if created else None,
        "revoked": row["revoked_at"] is not None,
    }


@router.get("/locations")
def locations(engine: EngineDep, principal: ManagerDep) -> list[dict[str, Any]]:
    """Locations with their registers and the devices registered to each."""
    with UnitOfWork(engine) as uow:
        devices = uow.devices.all()
        registers = uow.reference.registers()
        return [
            {
                "code": loc.code,
                "name": loc.name,
                "source_code": loc.source_code,
                "stock_id": loc.stock_id,
                "timezone": loc.timezone,
                "registers": [
                    {
                        "code": r.code,
                        "name": r.name,
                        "devices": [_device(d) for d in devices if d["register_code"] == r.code],
                    }
                    for r in registers
                    if r.location_code == loc.code
                ],
            }
            for loc in uow.reference.locations()
            if principal.staff.works_at(loc.code)
        ]
