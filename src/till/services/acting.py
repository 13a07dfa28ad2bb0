"""Who acted at a till, judged by what the server can check (till.domain.acting), and the
queued actions it refuses, kept for a manager."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from till.domain.acting import ActedBy, Acting, SignInWay, judge_actor
from till.domain.staff import Permission, PermissionDenied, StaffMember
from till.security import sign_approval
from till.services.auth import Principal, sign_in
from till.settings import Settings
from till.storage.refused import RefusedActions
from till.storage.uow import UnitOfWork

#: A till's clock may be off by this much from the server's when it stamps what it did.
CLOCK_SLACK = timedelta(minutes=2)


def judge(
    uow: UnitOfWork,
    sender: Principal,
    staff_id: int | None,
    sign_in: SignInWay | None,
    location_code: str,
    moment: datetime | None = None,
    *,
    find: Callable[[int], StaffMember | None] | None = None,
) -> Acting:
    """Who acted for `sender` (the session that sent it): the member the till named, believed
    when the server saw them signed in on the sending device at `moment` (default now).
    `find` looks a member up (a batch passes its cache). Raises ActorRefused for someone who
    cannot have acted there."""
    named = sender.staff.id if staff_id is None else staff_id
    member = (find or uow.staff.by_id)(named)
    at = moment or datetime.now(UTC)
    seen = (
        member is not None
        and sender.device_id is not None
        and member.id != sender.staff.id
        and uow.devices.signed_in_at(member.id, sender.device_id, at, CLOCK_SLACK)
    )
    # Seen, but another member signed in there within the clock allowance of the moment: which
    # came first is not certain, so the member is not believed (kept, flagged) on the till's word.
    certain = (
        seen
        and member is not None
        and sender.device_id is not None
        and uow.devices.signed_in_at(member.id, sender.device_id, at, CLOCK_SLACK, strict=True)
    )
    # An offline PIN needs the member's verifier on the till, sent only after an online sign-in
    # there (the till's clock allowance given, as for a sign-in seen).
    verifier = (
        sign_in != "offline_pin"
        or member is None
        or sender.device_id is None
        or uow.staff.signed_in_on_before(member.id, sender.device_id, at + CLOCK_SLACK)
    )
    return judge_actor(
        member,
        named_id=named,
        session=sender.staff,
        device_id=sender.device_id,
        location_code=location_code,
        seen_on_device=certain,
        seen_uncertain=seen and not certain,
        sign_in=sign_in,
        verifier_on_device=verifier,
    )


def not_before(acted_by: ActedBy | None, moment: datetime) -> ActedBy | None:
    """A queued action cannot come before what it acts on (its sale, its shift): one the till
    dates earlier is judged at that moment, not at a time its clock picks when someone else was
    at the till."""
    if acted_by is None or acted_by.at is None or acted_by.at >= moment:
        return acted_by
    return replace(acted_by, at=moment)


def require_own_register(sender: Principal, register_code: str) -> None:
    """A session on a registered till acts only on that till's register (its drawer, its
    shift), as it sells only there; a session on no till keeps to its member's locations."""
    if sender.register_code is not None and register_code != sender.register_code:
        raise PermissionDenied(
            f"register {register_code} is not this till's register ({sender.register_code}): "
            "a till acts only on its own register"
        )


def acting_for(
    uow: UnitOfWork, sender: Principal, acted_by: ActedBy | None, location_code: str
) -> tuple[Principal, Acting]:
    """The principal a queued action is judged by (the member the till named, on the sender's
    device), and how far the server believes it."""
    if acted_by is None:
        acting = judge(uow, sender, None, None, location_code)
    else:
        acting = judge(uow, sender, acted_by.staff_id, acted_by.sign_in, location_code, acted_by.at)
    return replace(sender, staff=acting.member), acting


def sent_by(sender: Principal | None, acting: Acting | None = None) -> dict[str, Any]:
    """What an audit line says of the device and session that sent an action, and of a member
    the server could not confirm."""
    if sender is None:
        return {}
    found: dict[str, Any] = {
        "sent_by": {
            "device_id": sender.device_id,
            "session_staff_id": sender.staff.id,
            "session_username": sender.staff.username,
        }
    }
    if acting is not None and acting.unverified is not None:
        found["unverified"] = acting.unverified
    return found


def keep_refused(
    engine: Engine,
    sender: Principal,
    *,
    kind: str,
    key: str | None,
    register_code: str | None,
    staff_id: int | None,
    reason: str,
    payload: dict[str, Any],
) -> None:
    """Keep a queued action the server refused (its own transaction: the refusal is answered
    after), with who the till said did it and which device and session sent it."""
    with UnitOfWork(engine) as uow:
        register = None if register_code is None else uow.reference.register(register_code)
        RefusedActions(uow.conn).keep(
            {
                "kind": kind,
                "action_key": key,
                "register_code": register_code if register is not None else None,
                "location_code": None if register is None else register.location_code,
                "device_id": sender.device_id,
                "staff_id": staff_id if staff_id is not None else sender.staff.id,
                "session_staff_id": sender.staff.id,
                "reason": reason[:2000],
                "payload": payload,
            }
        )
        uow.commit()


#: How long a manager's approval given online is good for a sale made on the till.
APPROVAL_MINUTES = 10


@dataclass(frozen=True, slots=True)
class Approval:
    """A manager's approval the server signed, for the till to attach to the sale."""

    token: str
    staff: StaffMember
    expires_at: datetime


def approve(
    engine: Engine, settings: Settings, username: str, pin: str, *, device_token: str | None, source: str
) -> Approval:
    """A manager enters their PIN on a till, online: the PIN is checked as any PIN switch
    (lockout, rate limit, audit) but opens no session (the cashier stays at the till), and the
    answer is an approval signed with the deployment's secret for this manager on this device,
    good for APPROVAL_MINUTES. Raises AuthFailed, Locked, or PermissionDenied for a member who
    may not approve (override a price)."""
    signed = sign_in(
        engine,
        settings,
        username,
        pin,
        device_token=device_token,
        by_pin=True,
        source=source,
        success_action="approval.pin",
        session=False,
    )
    principal = signed.principal
    member = principal.staff
    issued = datetime.now(UTC)
    expires = issued + timedelta(minutes=APPROVAL_MINUTES)
    with UnitOfWork(engine) as uow:
        register = (
            None if principal.register_code is None else uow.reference.register(principal.register_code)
        )
        location = None if register is None else register.location_code
        member.require(Permission.PRICE_OVERRIDE, location)
        uow.events.audit("approval.given", {"expires_at": expires.isoformat()}, principal.actor(location))
        uow.commit()
    assert principal.device_id is not None  # a PIN works only on a registered till
    token = sign_approval(
        settings.secret_key, member.id, principal.device_id, int(issued.timestamp()), int(expires.timestamp())
    )
    return Approval(token, member, expires)
