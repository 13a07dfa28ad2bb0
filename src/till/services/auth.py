"""Sign-in, PIN switch on a registered device, device registration and revocation, staff.

Each of these leaves a line in the audit log, failures too (who tried, where, why refused)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from till.domain.errors import Invalid
from till.domain.staff import Permission, Role, StaffMember
from till.security import (
    demo_password,
    hash_secret,
    new_token,
    offline_pin_verifier,
    token_digest,
    verify_secret,
)
from till.services.errors import AuthFailed, Locked, NotFound
from till.settings import Settings
from till.storage.events import Actor
from till.storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a signed-in member of staff, maybe on a registered till."""

    staff: StaffMember
    device_id: str | None = None
    register_code: str | None = None

    def actor(self, location_code: str | None = None, register_code: str | None = None) -> Actor:
        """This member as the audit log names them, acting at a location and register (the
        till's own register when none is given)."""
        return Actor(
            staff_id=self.staff.id,
            username=self.staff.username,
            device_id=self.device_id,
            location_code=location_code,
            register_code=register_code or self.register_code,
        )


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A fresh bearer token and whom it belongs to."""

    token: str
    expires_at: datetime
    principal: Principal


def sign_in(
    engine: Engine,
    settings: Settings,
    username: str,
    secret: str,
    *,
    device_token: str | None = None,
    by_pin: bool = False,
) -> SignedIn:
    """Check a password (or a PIN on a registered device) and hand out a token.

    After `lockout_failures` wrong secrets in a row the member is locked for
    `lockout_minutes` (Magento's defaults: 6 and 30), whatever secret comes next. Every
    refusal is kept in the audit log before it is answered.
    """
    with UnitOfWork(engine) as uow:
        claimed = Actor(username=username[:64])

        def refuse(error: AuthFailed | Locked, reason: str, who: Actor) -> AuthFailed | Locked:
            uow.events.audit("signin.failed", {"reason": reason, "pin": by_pin}, who)
            uow.commit()
            return error

        device = None
        if device_token is not None:
            device = uow.devices.by_token(token_digest(device_token))
            if device is None:
                raise refuse(
                    AuthFailed("this device is not registered or was revoked"), "unknown device", claimed
                )
            register = uow.reference.register(device["register_code"])
            claimed = Actor(
                username=username[:64],
                device_id=device["id"],
                register_code=device["register_code"],
                location_code=None if register is None else register.location_code,
            )
        if by_pin and device is None:
            raise refuse(
                AuthFailed("a PIN works only on a registered till (send its X-Device-Token)"),
                "PIN without a registered till",
                claimed,
            )
        found = uow.staff.by_username(username)
        if found is None:
            raise refuse(AuthFailed("wrong username or secret"), "unknown username", claimed)
        member, secrets_row = found
        who = Actor(
            member.id, member.username, claimed.device_id, claimed.location_code, claimed.register_code
        )
        locked = uow.staff.locked_until(secrets_row)
        if locked is not None:
            raise refuse(
                Locked(f"{username} is locked until {locked:%H:%M} UTC after repeated failures"),
                "locked",
                who,
            )
        if not member.active:
            raise refuse(AuthFailed(f"{username} is deactivated"), "deactivated", who)
        if settings.production and not by_pin and secret == demo_password(username):
            # The demo store's passwords are printed in the README: never a way in for real.
            raise refuse(
                AuthFailed("the demo password is refused in production; an admin sets a new one"),
                "demo password in production",
                who,
            )
        stored = secrets_row["pin_hash" if by_pin else "password_hash"]
        if not verify_secret(stored, secret):
            now_locked = uow.staff.record_failure(
                member.id, settings.lockout_failures, timedelta(minutes=settings.lockout_minutes)
            )
            if now_locked:
                uow.events.audit(
                    "signin.locked_out",
                    {"failures": settings.lockout_failures, "minutes": settings.lockout_minutes},
                    who,
                )
                raise refuse(
                    Locked(
                        f"{username} is locked for {settings.lockout_minutes} minutes after repeated failures"
                    ),
                    "wrong PIN" if by_pin else "wrong password",
                    who,
                )
            raise refuse(
                AuthFailed("wrong username or secret"), "wrong PIN" if by_pin else "wrong password", who
            )
        if claimed.location_code is not None and not member.works_at(claimed.location_code):
            raise refuse(
                AuthFailed(f"{username} does not work at {claimed.location_code}"), "works elsewhere", who
            )
        uow.staff.clear_failures(member.id)
        token = new_token()
        device_id = None if device is None else device["id"]
        expires = uow.devices.add_token(
            token_digest(token), member.id, device_id, timedelta(hours=settings.token_ttl_hours)
        )
        uow.events.audit("signin", {"pin": by_pin}, who)
        uow.commit()
    principal = Principal(member, device_id, None if device is None else device["register_code"])
    return SignedIn(token, expires, principal)


def authenticate(engine: Engine, token: str) -> Principal:
    """The principal behind a bearer token, or AuthFailed."""
    with UnitOfWork(engine) as uow:
        row = uow.devices.token(token_digest(token))
        if row is None:
            raise AuthFailed("sign in again: the token is unknown, expired or revoked")
        member = uow.staff.by_id(row["staff_id"])
        if member is None or not member.active:
            raise AuthFailed("this member of staff is no longer active")
        return Principal(member, row["device_id"], row["register_code"])


def refresh(engine: Engine, settings: Settings, token: str) -> SignedIn:
    """Swap a live token for a new one with a fresh expiry; the old one stops working at once.

    The old token is revoked by a conditional update in the same transaction, so of two
    refreshes racing with one token only one gets a new token.
    """
    with UnitOfWork(engine) as uow:
        digest = token_digest(token)
        row = uow.devices.token(digest)
        if row is None:
            raise AuthFailed("sign in again: the token is unknown, expired or revoked")
        member = uow.staff.by_id(row["staff_id"])
        if member is None or not member.active:
            raise AuthFailed("this member of staff is no longer active")
        if not uow.devices.spend_token(digest):
            raise AuthFailed("this token was refreshed a moment ago; sign in again")
        fresh = new_token()
        expires = uow.devices.add_token(
            token_digest(fresh), member.id, row["device_id"], timedelta(hours=settings.token_ttl_hours)
        )
        principal = Principal(member, row["device_id"], row["register_code"])
        uow.events.audit("token.refreshed", {}, principal.actor())
        uow.commit()
    return SignedIn(fresh, expires, principal)


def sign_out(engine: Engine, token: str) -> None:
    """Revoke a token (a token already dead stays so, and leaves no audit line)."""
    with UnitOfWork(engine) as uow:
        row = uow.devices.token(token_digest(token))
        uow.devices.revoke_token(token_digest(token))
        if row is not None:
            member = uow.staff.by_id(row["staff_id"])
            register = None if row["register_code"] is None else uow.reference.register(row["register_code"])
            uow.events.audit(
                "signout",
                {},
                Actor(
                    row["staff_id"],
                    None if member is None else member.username,
                    row["device_id"],
                    None if register is None else register.location_code,
                    row["register_code"],
                ),
            )
        uow.commit()


def register_device(engine: Engine, by: Principal, name: str, register_code: str) -> tuple[str, str]:
    """Register a till to a register; returns (device id, device token). Shown once."""
    with UnitOfWork(engine) as uow:
        register = uow.reference.register(register_code)
        if register is None:
            raise NotFound(f"no register {register_code}")
        by.staff.require(Permission.MANAGE_DEVICES, register.location_code)
        device_id = str(uuid.uuid4())
        token = new_token()
        uow.devices.add(device_id, name, register_code, token_digest(token))
        uow.events.audit(
            "device.registered",
            {"device_id": device_id, "name": name},
            by.actor(register.location_code, register_code),
        )
        uow.commit()
    return device_id, token


def revoke_device(engine: Engine, by: Principal, device_id: str) -> None:
    """Revoke a device: its token and every sign-in on it stop working at once."""
    with UnitOfWork(engine) as uow:
        device = uow.devices.get(device_id)
        if device is None:
            raise NotFound(f"no device {device_id}")
        register = uow.reference.register(device["register_code"])
        by.staff.require(Permission.MANAGE_DEVICES, None if register is None else register.location_code)
        uow.devices.revoke(device_id)
        uow.events.audit(
            "device.revoked",
            {"device_id": device_id, "name": device["name"]},
            by.actor(None if register is None else register.location_code, device["register_code"]),
        )
        uow.commit()


def add_staff(
    engine: Engine,
    *,
    username: str,
    name: str,
    role: Role,
    password: str,
    pin: str,
    locations: list[str],
    by: Actor,
) -> int:
    """Create a member of staff (CLI and admin API); secrets are stored as argon2 hashes."""
    if len(password) < 8:
        raise Invalid("a password needs at least 8 characters")
    if not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise Invalid("a PIN is 4 to 8 digits")
    with UnitOfWork(engine) as uow:
        if uow.staff.by_username(username) is not None:
            raise Invalid(f"username {username!r} is taken")
        for code in locations:
            if uow.reference.location(code) is None:
                raise NotFound(f"no location {code}")
        staff_id = uow.staff.add(
            username=username,
            name=name,
            role=role,
            password_hash=hash_secret(password),
            pin_hash=hash_secret(pin),
            pin_offline=offline_pin_verifier(pin),
            locations=locations,
        )
        uow.changed("staff", [str(staff_id)])
        uow.events.audit(
            "staff.created",
            {
                "staff_id": staff_id,
                "username": username,
                "name": name,
                "role": role.value,
                "locations": locations,
            },
            by,
        )
        uow.commit()
    return staff_id


def change_staff(
    engine: Engine,
    username: str,
    *,
    by: Actor,
    name: str | None = None,
    role: Role | None = None,
    locations: list[str] | None = None,
    discount_limit: Decimal | None = None,
    active: bool | None = None,
) -> StaffMember:
    """Change a member's name, role, locations, own discount limit or switch them off (None
    leaves a field alone). Deactivating stops their tokens at once and tills forget them.
    The audit line keeps each changed field as [before, after]."""
    with UnitOfWork(engine) as uow:
        found = uow.staff.by_username(username)
        if found is None:
            raise NotFound(f"no staff member {username}")
        member = found[0]
        for code in locations or ():
            if uow.reference.location(code) is None:
                raise NotFound(f"no location {code}")
        if discount_limit is not None and not (0 <= discount_limit <= 100):
            raise Invalid("a discount limit is a percent from 0 to 100")
        before: dict[str, Any] = {
            "name": member.name,
            "role": member.role.value,
            "locations": sorted(member.locations),
            "discount_limit": None if member.discount_limit is None else str(member.discount_limit),
            "active": member.active,
        }
        asked: dict[str, Any] = {
            "name": name,
            "role": None if role is None else role.value,
            "locations": None if locations is None else sorted(set(locations)),
            "discount_limit": None if discount_limit is None else str(discount_limit),
            "active": active,
        }
        changes = {k: [before[k], v] for k, v in asked.items() if v is not None and v != before[k]}
        if changes:
            stored = {k: v[1] for k, v in changes.items()}
            if "discount_limit" in stored:
                stored["discount_limit"] = discount_limit
            uow.staff.update(member.id, **stored)
            uow.changed("staff", [str(member.id)])
            action = (
                "staff.deactivated" if changes.get("active", [None, None])[1] is False else "staff.changed"
            )
            uow.events.audit(action, {"staff_id": member.id, "username": username, "changes": changes}, by)
            member = uow.staff.by_id(member.id) or member
            uow.commit()
    return member
