"""Sign-in, PIN switch on a registered device, device registration and revocation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

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
from till.storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a signed-in member of staff, maybe on a registered till."""

    staff: StaffMember
    device_id: str | None = None
    register_code: str | None = None


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
    `lockout_minutes` (Magento's defaults: 6 and 30), whatever secret comes next.
    """
    with UnitOfWork(engine) as uow:
        device = None
        if device_token is not None:
            device = uow.devices.by_token(token_digest(device_token))
            if device is None:
                raise AuthFailed("this device is not registered or was revoked")
        if by_pin and device is None:
            raise AuthFailed("a PIN works only on a registered till; sign in with the password")
        found = uow.staff.by_username(username)
        if found is None:
            raise AuthFailed("wrong username or secret")
        member, secrets_row = found
        locked = uow.staff.locked_until(secrets_row)
        if locked is not None:
            raise Locked(f"{username} is locked until {locked:%H:%M} UTC after repeated failures")
        if not member.active:
            raise AuthFailed(f"{username} is deactivated")
        if settings.production and not by_pin and secret == demo_password(username):
            # The demo store's passwords are printed in the README: never a way in for real.
            raise AuthFailed("the demo password is refused in production; an admin sets a new one")
        stored = secrets_row["pin_hash" if by_pin else "password_hash"]
        if not verify_secret(stored, secret):
            now_locked = uow.staff.record_failure(
                member.id, settings.lockout_failures, timedelta(minutes=settings.lockout_minutes)
            )
            uow.events.audit(
                "signin.failed", {"username": username, "locked": now_locked}, staff_id=member.id
            )
            uow.commit()
            if now_locked:
                raise Locked(
                    f"{username} is locked for {settings.lockout_minutes} minutes after repeated failures"
                )
            raise AuthFailed("wrong username or secret")
        if device is not None:
            register = uow.reference.register(device["register_code"])
            if register is not None and not member.works_at(register.location_code):
                raise AuthFailed(f"{username} does not work at {register.location_code}")
        uow.staff.clear_failures(member.id)
        token = new_token()
        device_id = None if device is None else device["id"]
        expires = uow.devices.add_token(
            token_digest(token), member.id, device_id, timedelta(hours=settings.token_ttl_hours)
        )
        uow.events.audit(
            "signin",
            {"username": username, "pin": by_pin},
            staff_id=member.id,
            register_code=None if device is None else device["register_code"],
        )
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
        uow.events.audit(
            "token.refreshed",
            {"username": member.username},
            staff_id=member.id,
            register_code=row["register_code"],
        )
        uow.commit()
    return SignedIn(fresh, expires, Principal(member, row["device_id"], row["register_code"]))


def sign_out(engine: Engine, token: str) -> None:
    """Revoke a token."""
    with UnitOfWork(engine) as uow:
        uow.devices.revoke_token(token_digest(token))
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
            staff_id=by.staff.id,
            location_code=register.location_code,
            register_code=register_code,
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
            {"device_id": device_id},
            staff_id=by.staff.id,
            register_code=device["register_code"],
        )
        uow.commit()


def add_staff(
    engine: Engine, *, username: str, name: str, role: Role, password: str, pin: str, locations: list[str]
) -> int:
    """Create a member of staff (CLI and admin API); secrets are stored as argon2 hashes."""
    if len(password) < 8:
        raise ValueError("a password needs at least 8 characters")
    if not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise ValueError("a PIN is 4 to 8 digits")
    with UnitOfWork(engine) as uow:
        if uow.staff.by_username(username) is not None:
            raise ValueError(f"username {username!r} is taken")
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
        uow.commit()
    return staff_id
