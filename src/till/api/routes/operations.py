"""Back-office JSON for managers and admins: monitoring, locations and registers, staff and
roles, webhook endpoints, dead letters, scheduled jobs, price changes, flags.

The admin pages of the web app are built on these (see docs/queue.md for every shape).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from till.api.deps import BigIdPath, EngineDep, IdPath, PrincipalDep, SettingsDep
from till.api.schemas import Day, Money, Time, problems
from till.domain.staff import DISCOUNT_LIMITS, ROLE_PERMISSIONS, Permission, PermissionDenied, Role
from till.magento import reconcile
from till.magento.monitoring import magento_snapshot
from till.magento.settings import get_magento_settings
from till.queue import deadletters, metrics, scheduler, store, webhooks
from till.services import auth as auth_service
from till.services import prices
from till.services.auth import Principal, add_staff
from till.storage.uow import UnitOfWork

#: Every back-office route is for managers or admins: any may answer 403.
router = APIRouter(prefix="/api/admin", tags=["back office"], responses=problems(403))


def require_manager(principal: Principal) -> None:
    """Managers and admins."""
    principal.staff.require(Permission.REPORTS)


def require_admin(principal: Principal) -> None:
    """Admins only."""
    if principal.staff.role is not Role.ADMIN:
        raise PermissionDenied(
            f"only an admin may do this; {principal.staff.username} is a {principal.staff.role.value}"
        )


# --- monitoring ------------------------------------------------------------------------------


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


# --- locations, registers, devices -----------------------------------------------------------


@router.get("/locations")
def locations(engine: EngineDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Locations with their registers and the devices registered to each."""
    require_manager(principal)
    from sqlalchemy import select

    from till.storage.tables import devices

    with UnitOfWork(engine) as uow:
        device_rows = uow.conn.execute(select(devices).order_by(devices.c.created_at)).all()
        registers = uow.reference.registers()
        answer = []
        for loc in uow.reference.locations():
            if not principal.staff.works_at(loc.code):
                continue
            answer.append(
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
                            "devices": [
                                {
                                    "id": d.id,
                                    "name": d.name,
                                    "created_at": store.aware(d.created_at).isoformat()  # type: ignore[union-attr]
                                    if d.created_at
                                    else None,
                                    "revoked": d.revoked_at is not None,
                                }
                                for d in device_rows
                                if d.register_code == r.code
                            ],
                        }
                        for r in registers
                        if r.location_code == loc.code
                    ],
                }
            )
        return answer


# --- staff and roles --------------------------------------------------------------------------


@router.get("/roles")
def roles(principal: PrincipalDep) -> list[dict[str, Any]]:
    """Each role's permissions and discount limit."""
    require_manager(principal)
    return [
        {
            "role": role.value,
            "permissions": sorted(p.value for p in ROLE_PERMISSIONS[role]),
            "discount_limit_percent": str(DISCOUNT_LIMITS[role]),
        }
        for role in Role
    ]


@router.get("/staff")
def staff(engine: EngineDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Members of staff (no secrets)."""
    require_manager(principal)
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
def create_staff(body: StaffIn, engine: EngineDep, principal: PrincipalDep) -> dict[str, Any]:
    """Add a member of staff (manage_staff: admins)."""
    principal.staff.require(Permission.MANAGE_STAFF)
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
    discount_limit_percent: Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)] | None = Field(
        default=None, description="this member's own discount limit, in percent (a decimal string)"
    )
    active: bool | None = None


@router.patch("/staff/{username}", responses=problems(404))
def change_staff(
    username: str, body: StaffChange, engine: EngineDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Change a member of staff or deactivate them (manage_staff: admins); audited with the
    fields before and after. A deactivated member's tokens stop working at once."""
    principal.staff.require(Permission.MANAGE_STAFF)
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


# --- webhook endpoints ------------------------------------------------------------------------


class WebhookIn(BaseModel):
    """A webhook endpoint: where to POST which topics."""

    name: str = Field(min_length=1, max_length=128)
    url: str = Field(min_length=8, max_length=512)
    topics: list[str] = Field(min_length=1, description="topics, or ['*'] for every topic")


class WebhookChange(BaseModel):
    """Fields to change (absent ones stay)."""

    name: str | None = Field(default=None, min_length=1, max_length=128)
    url: str | None = Field(default=None, min_length=8, max_length=512)
    topics: list[str] | None = Field(default=None, min_length=1)
    active: bool | None = None


@router.get("/webhooks")
def list_webhooks(engine: EngineDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Webhook endpoints (secrets are shown only when made)."""
    require_admin(principal)
    return webhooks.list_endpoints(engine)


@router.post("/webhooks", status_code=status.HTTP_201_CREATED)
def create_webhook(
    body: WebhookIn, engine: EngineDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Add an endpoint; the answer holds its signing secret, this once. A loopback or private
    address is refused (400) unless TILL_WEBHOOKS_ALLOW_PRIVATE is set."""
    require_admin(principal)
    return webhooks.add_endpoint(
        engine,
        body.name,
        body.url,
        body.topics,
        by=principal.actor(),
        allow_private=settings.webhooks_allow_private,
    )


@router.get("/webhooks/{endpoint_id}", responses=problems(404))
def get_webhook(endpoint_id: IdPath, engine: EngineDep, principal: PrincipalDep) -> dict[str, Any]:
    """One endpoint."""
    require_admin(principal)
    return webhooks.get_endpoint(engine, endpoint_id)


@router.patch("/webhooks/{endpoint_id}", responses=problems(404))
def change_webhook(
    endpoint_id: IdPath,
    body: WebhookChange,
    engine: EngineDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Change an endpoint's name, url, topics, or switch it off and on."""
    require_admin(principal)
    return webhooks.change_endpoint(
        engine,
        endpoint_id,
        by=principal.actor(),
        allow_private=settings.webhooks_allow_private,
        **body.model_dump(),
    )


@router.delete("/webhooks/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404))
def delete_webhook(endpoint_id: IdPath, engine: EngineDep, principal: PrincipalDep) -> None:
    """Delete an endpoint."""
    require_admin(principal)
    webhooks.remove_endpoint(engine, endpoint_id, by=principal.actor())


# --- dead letters -----------------------------------------------------------------------------


@router.get("/dead-letters")
def list_dead_letters(
    engine: EngineDep,
    principal: PrincipalDep,
    queue: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Dead letters, newest first (payload, tries and the last error)."""
    require_admin(principal)
    return store.dead_letters(engine, queue, limit)


@router.get("/dead-letters/{letter_id}", responses=problems(404))
def get_dead_letter(letter_id: BigIdPath, engine: EngineDep, principal: PrincipalDep) -> dict[str, Any]:
    """One dead letter."""
    require_admin(principal)
    return deadletters.inspect(engine, letter_id)


@router.post("/dead-letters/{letter_id}/replay", responses=problems(404, 409))
async def replay_dead_letter(
    letter_id: BigIdPath, engine: EngineDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Put a dead letter back in its queue with fresh tries."""
    require_admin(principal)
    letter = await deadletters.replay(engine, settings, letter_id, by=principal.actor())
    return {"replayed": letter["id"], "queue": letter["queue"], "message_id": letter["message_id"]}


@router.delete(
    "/dead-letters/{letter_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404, 409)
)
def discard_dead_letter(letter_id: BigIdPath, engine: EngineDep, principal: PrincipalDep) -> None:
    """Give up on a dead letter for good."""
    require_admin(principal)
    deadletters.discard(engine, letter_id, by=principal.actor())


# --- scheduled jobs ---------------------------------------------------------------------------


class JobChange(BaseModel):
    """Change a job: schedule (cron or '@every 30s'), on/off, params, or run it now."""

    schedule: str | None = Field(default=None, max_length=64)
    enabled: bool | None = None
    params: dict[str, Any] | None = None
    run_now: bool = False


@router.get("/jobs")
def list_jobs(engine: EngineDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Scheduled jobs: schedule, next run, last run and its result."""
    require_manager(principal)
    return scheduler.list_jobs(engine)


@router.get("/jobs/{name}/runs", responses=problems(404))
def job_runs(name: str, engine: EngineDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """A job's recent runs."""
    require_manager(principal)
    scheduler.get_job(engine, name)
    return scheduler.job_history(engine, name)


@router.patch("/jobs/{name}", responses=problems(404))
def change_job(name: str, body: JobChange, engine: EngineDep, principal: PrincipalDep) -> dict[str, Any]:
    """Change a job (admins)."""
    require_admin(principal)
    return scheduler.change_job(
        engine,
        name,
        when=body.schedule,
        enabled=body.enabled,
        params=body.params,
        run_now=body.run_now,
        by=principal.actor(),
    )


# --- prices -------------------------------------------------------------------------------------


class PriceIn(BaseModel):
    """A price change now: price and/or special price (decimal strings)."""

    price: Money | None = None
    special_price: Money | None = None
    special_from: Day | None = None
    special_to: Day | None = None
    clear_special: bool = False


class PriceScheduleIn(BaseModel):
    """A special price planned ahead; times with their zone."""

    sku: str = Field(min_length=1, max_length=64)
    special_price: Money
    starts_at: Time
    ends_at: Time | None = None


@router.put("/prices/{sku}", responses=problems(404))
def put_price(sku: str, body: PriceIn, engine: EngineDep, principal: PrincipalDep) -> dict[str, Any]:
    """Change a price now (tills hear it through the feed and the live stream)."""
    return prices.change_price(engine, principal, sku, **body.model_dump())


@router.get("/price-schedules")
def list_price_schedules(engine: EngineDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Planned, running and ended special prices."""
    require_manager(principal)
    return prices.price_schedule_list(engine)


@router.post("/price-schedules", status_code=status.HTTP_201_CREATED, responses=problems(404))
async def schedule_price(body: PriceScheduleIn, engine: EngineDep, principal: PrincipalDep) -> dict[str, Any]:
    """Plan a special price; the `special-prices` job starts and ends it."""
    return await run_in_threadpool(
        prices.schedule_special_price,
        engine,
        principal,
        body.sku,
        body.special_price,
        body.starts_at,
        body.ends_at,
    )
