"""Sign-in, PIN switch, devices."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, status

from till.api.deps import EngineDep, PrincipalDep, SettingsDep, TokenDep, public, staff
from till.api.schemas import (
    ApprovalOut,
    ChangePasswordIn,
    ChangePinIn,
    DeviceIn,
    DeviceOut,
    DeviceRegistered,
    PinIn,
    SessionOut,
    SessionsEnded,
    SignInIn,
    StaffOut,
    problems,
)
from till.domain.staff import ROLE_PERMISSIONS, Permission
from till.services import acting, auth, credentials
from till.storage.uow import UnitOfWork

router = APIRouter(prefix="/api", tags=["auth"])

#: Registering, listing and revoking tills (managers and admins, at their locations).
Devices = Annotated[auth.Principal, Depends(staff(Permission.MANAGE_DEVICES))]


def staff_out(principal: auth.Principal) -> StaffOut:
    member = principal.staff
    return StaffOut(
        id=member.id,
        username=member.username,
        name=member.name,
        role=member.role.value,
        locations=sorted(member.locations),
        max_discount_percent=member.max_discount_percent,
        permissions=sorted(p.value for p in ROLE_PERMISSIONS[member.role]),
    )


def _session(signed: auth.SignedIn) -> SessionOut:
    return SessionOut(
        token=signed.token,
        expires_at=signed.expires_at,
        staff=staff_out(signed.principal),
        register_code=signed.principal.register_code,
    )


@router.post(
    "/auth/sign-in",
    response_model=SessionOut,
    summary="Sign in with username and password",
    responses=problems(401, 423, 429),
    dependencies=[Depends(public("the password; lockout and a rate limit per source"))],
)
def sign_in(
    body: SignInIn,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    x_device_token: Annotated[str | None, Header()] = None,
) -> SessionOut:
    """A bearer token for the member; on a registered till, send its device token too."""
    return _session(
        auth.sign_in(
            engine,
            settings,
            body.username,
            body.password,
            device_token=x_device_token,
            source=_source(request),
        )
    )


def _source(request: Request) -> str:
    """The caller's address (behind a proxy, the one uvicorn's --forwarded-allow-ips trusts)."""
    return request.client.host if request.client is not None else "unknown"


@router.post(
    "/auth/pin",
    response_model=SessionOut,
    summary="Switch staff with a PIN on a registered till",
    responses=problems(401, 423, 429),
    dependencies=[Depends(public("the PIN and the till's device token; lockout and a rate limit"))],
)
def pin_sign_in(
    body: PinIn,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    x_device_token: Annotated[str | None, Header()] = None,
) -> SessionOut:
    """PINs work only with the X-Device-Token of a registered, unrevoked till."""
    return _session(
        auth.sign_in(
            engine,
            settings,
            body.username,
            body.pin,
            device_token=x_device_token,
            by_pin=True,
            source=_source(request),
        )
    )


@router.post(
    "/auth/approvals",
    response_model=ApprovalOut,
    summary="A manager approves an exception on a till by PIN, online",
    responses=problems(401, 403, 423, 429),
    dependencies=[Depends(public("the manager's PIN and the till's device token; lockout and a rate limit"))],
)
def approval(
    body: PinIn,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    x_device_token: Annotated[str | None, Header()] = None,
) -> ApprovalOut:
    """The manager's PIN, checked as a PIN switch on this registered till (no session is left
    open); answers an approval the server signed, which the till attaches to the sale it
    approves. A sale naming an approver without it is flagged `unverified_approval`."""
    given = acting.approve(
        engine, settings, body.username, body.pin, device_token=x_device_token, source=_source(request)
    )
    return ApprovalOut(
        approval=given.token,
        staff_id=given.staff.id,
        username=given.staff.username,
        expires_at=given.expires_at,
    )


@router.post("/auth/sign-out", status_code=status.HTTP_204_NO_CONTENT)
def sign_out(engine: EngineDep, token: TokenDep) -> None:
    """End this token's session."""
    auth.sign_out(engine, token)


@router.post("/auth/refresh", response_model=SessionOut, summary="Swap the token for a new one")
def refresh(engine: EngineDep, settings: SettingsDep, token: TokenDep) -> SessionOut:
    """A new token with a fresh expiry (`token_ttl_hours`) for the same member and till; the
    token sent stops working at once. A till refreshes well before `expires_at`."""
    return _session(auth.refresh(engine, settings, token))


@router.post(
    "/auth/change-pin",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change my PIN",
    responses=problems(403, 409, 423),
)
def change_pin(body: ChangePinIn, engine: EngineDep, settings: SettingsDep, principal: PrincipalDep) -> None:
    """The signed-in member sets a new PIN (6 to 8 digits beyond a cashier's role), proving the
    current one (403 if wrong; repeated failures lock the member). Tills drop the old PIN's
    offline verifier at their next pull."""
    credentials.change_own_pin(engine, settings, principal, body.current_pin, body.new_pin)


@router.post(
    "/auth/change-password",
    response_model=SessionsEnded,
    summary="Change my password",
    responses=problems(403, 409, 423),
)
def change_password(
    body: ChangePasswordIn, engine: EngineDep, settings: SettingsDep, principal: PrincipalDep, token: TokenDep
) -> SessionsEnded:
    """The signed-in member sets a new password (at least 8 characters), proving the current
    one; their other sessions end, this one goes on."""
    ended = credentials.change_own_password(
        engine, settings, principal, body.current_password, body.new_password, token
    )
    return SessionsEnded(sessions_ended=ended)


@router.get("/auth/me", response_model=StaffOut)
def me(principal: PrincipalDep) -> StaffOut:
    """Who the token belongs to and what they may do."""
    return staff_out(principal)


@router.post(
    "/devices",
    response_model=DeviceRegistered,
    status_code=status.HTTP_201_CREATED,
    tags=["devices"],
    responses=problems(403, 404),
)
def register_device(body: DeviceIn, engine: EngineDep, principal: Devices) -> DeviceRegistered:
    """Register a till to a register (manager or admin); its token is shown once."""
    device_id, token, series = auth.register_device(engine, principal, body.name, body.register_code)
    return DeviceRegistered(device_id=device_id, device_token=token, receipt_series=series)


@router.get("/devices", response_model=list[DeviceOut], tags=["devices"], responses=problems(403))
def list_devices(engine: EngineDep, principal: Devices) -> list[DeviceOut]:
    """Registered devices at the member's locations, revoked ones too."""
    with UnitOfWork(engine) as uow:
        at = {r.code: r.location_code for r in uow.reference.registers()}
        return [
            DeviceOut.model_validate(d)
            for d in uow.devices.all()
            if principal.staff.works_at(at.get(d["register_code"], ""))
        ]


@router.delete(
    "/devices/{device_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["devices"],
    responses=problems(403, 404),
)
def revoke_device(device_id: str, engine: EngineDep, principal: Devices) -> None:
    """Revoke a till: its device token and every sign-in on it stop working at once."""
    auth.revoke_device(engine, principal, device_id)
