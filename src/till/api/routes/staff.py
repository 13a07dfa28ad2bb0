"""Staff and roles (back office): list, add, change a member; what each role may do."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, BeforeValidator, Field

from till.api.deps import (
    EngineDep,
    ManagerDep,
)
from till.api.deps import (
    staff as staff_access,
)
from till.api.schemas import ResetPasswordIn, ResetPinIn, SessionsEnded, decimal_string, no_float, problems
from till.domain.staff import DISCOUNT_LIMITS, ROLE_PERMISSIONS, Permission, Role
from till.services import auth as auth_service
from till.services import credentials
from till.services.auth import Principal, add_staff
from till.storage.uow import UnitOfWork

#: Every back-office route is for managers or admins: any may answer 403.
router = APIRouter(prefix="/api/admin", tags=["back office"], responses=problems(403))

StaffManager = Annotated[Principal, Depends(staff_access(Permission.MANAGE_STAFF))]


@router.get("/roles")
def roles(principal: ManagerDep) -> list[dict[str, Any]]:
    """Each role's permissions and discount limit."""
    return [
        {
            "role": role.value,
            "permissions": sorted(p.value for p in ROLE_PERMISSIONS[role]),
            "discount_limit_percent": str(DISCOUNT_LIMITS[role]),
        }
        for role in Role
    ]


@router.get("/staff")
def staff(engine: EngineDep, principal: ManagerDep) -> list[dict[str, Any]]:
    """Members of staff (no secrets)."""
    with UnitOfWork(engine) as uow:
        return [
            {
                "id": m.id,
                "username": m.username,
                "name": m.name,
                "role": m.role.value,
                "locations": sorted(m.locations),
                "active": m.active,
                "discount_limit_percent": str(m.max_discount_percent),
            }
            for m in uow.staff.all()
        ]


class StaffIn(BaseModel):
    """A new member of staff."""

    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=128)
    role: Role
    password: str = Field(min_length=8, max_length=200)
    pin: str = Field(pattern=r"^\d{4,8}$")
    locations: list[str] = Field(default_factory=list)


@router.post("/staff", status_code=status.HTTP_201_CREATED, responses=problems(404))
def create_staff(body: StaffIn, engine: EngineDep, principal: StaffManager) -> dict[str, Any]:
    """Add a member of staff (manage_staff: admins)."""
    staff_id = add_staff(
        engine,
        username=body.username,
        name=body.name,
        role=body.role,
        password=body.password,
        pin=body.pin,
        locations=body.locations,
        by=principal.actor(),
    )
    return {"id": staff_id, "username": body.username}


class StaffChange(BaseModel):
    """Fields of a member to change (absent ones stay); `active: false` deactivates."""

    name: str | None = Field(default=None, min_length=1, max_length=128)
    role: Role | None = None
    locations: list[str] | None = None
    discount_limit_percent: (
        Annotated[
            Decimal,
            BeforeValidator(no_float),
            Field(ge=0, le=100, decimal_places=2),
            decimal_string(2, example="10"),
        ]
        | None
    ) = Field(default=None, description="this member's own discount limit, in percent (a decimal string)")
    active: bool | None = None


@router.patch("/staff/{username}", responses=problems(404))
def change_staff(
    username: str, body: StaffChange, engine: EngineDep, principal: StaffManager
) -> dict[str, Any]:
    """Change a member of staff or deactivate them (manage_staff: admins); audited with the
    fields before and after. A deactivated member's tokens stop working at once."""
    member = auth_service.change_staff(
        engine,
        username,
        by=principal.actor(),
        name=body.name,
        role=body.role,
        locations=body.locations,
        discount_limit=body.discount_limit_percent,
        active=body.active,
    )
    return {
        "id": member.id,
        "username": member.username,
        "name": member.name,
        "role": member.role.value,
        "locations": sorted(member.locations),
        "active": member.active,
        "discount_limit_percent": str(member.max_discount_percent),
    }


@router.post("/staff/{username}/pin", response_model=SessionsEnded, responses=problems(404))
def reset_pin(username: str, body: ResetPinIn, engine: EngineDep, principal: StaffManager) -> SessionsEnded:
    """Give a member a new PIN (manage_staff: admins): 6 to 8 digits beyond a cashier's role.
    Their lock is lifted, their sessions end, and tills drop the old PIN at their next pull."""
    ended = credentials.reset_pin(engine, username, body.pin, principal.actor(), principal.staff)
    return SessionsEnded(sessions_ended=ended)


@router.post("/staff/{username}/password", response_model=SessionsEnded, responses=problems(404))
def reset_password(
    username: str, body: ResetPasswordIn, engine: EngineDep, principal: StaffManager
) -> SessionsEnded:
    """Give a member a new password (manage_staff: admins), at least 8 characters. Their lock
    is lifted and every session of theirs ends."""
    ended = credentials.reset_password(engine, username, body.password, principal.actor(), principal.staff)
    return SessionsEnded(sessions_ended=ended)
