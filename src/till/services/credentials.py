"""A member changes their own PIN or password; an admin resets them (API, `till staff`, PWA).

A new PIN gets a new offline verifier and moves the member's `pin_version`: it goes out on the
staff data set, and a till replaces the member's row (the old verifier with it) at its next
pull, so the old PIN stops working offline there. A reset ends the member's sessions (the old
secret may be in someone else's hands); a member changing their own password ends their other
sessions and keeps the one they are using. Slow hashes run outside any transaction, as at
sign-in; each outcome is audited.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from till.domain.errors import Conflict, Invalid, NotFound
from till.domain.staff import Permission, PermissionDenied, StaffMember, check_pin
from till.security import hash_secret, offline_pin_verifier, token_digest, verify_secret
from till.services.auth import Principal
from till.settings import Settings
from till.storage.events import Actor
from till.storage.signin import SignInAttempts
from till.storage.uow import UnitOfWork

#: The shortest password a member may have (as when an admin adds one).
PASSWORD_CHARACTERS = 8


def check_password(password: str) -> None:
    """Refuse a password too short to keep a guesser out."""
    if len(password) < PASSWORD_CHARACTERS:
        raise Invalid(f"a password needs at least {PASSWORD_CHARACTERS} characters")


def change_own_pin(engine: Engine, settings: Settings, principal: Principal, current: str, new: str) -> None:
    """The signed-in member sets a new PIN, proving the current one."""
    member = principal.staff
    check_pin(member.role, new)
    stored = _proven(engine, settings, principal, "pin_hash", current, "PIN")
    pin_hash, verifier = hash_secret(new), offline_pin_verifier(new)
    with UnitOfWork(engine) as uow:
        if uow.staff.secrets(member.id)["pin_hash"] != stored:
            raise Conflict("the PIN was changed meanwhile; sign in again")
        uow.staff.set_pin(member.id, pin_hash, verifier)
        uow.changed("staff", [str(member.id)])
        uow.events.audit("staff.pin_changed", {"staff_id": member.id, "by": "self"}, principal.actor())
        uow.commit()


def change_own_password(
    engine: Engine, settings: Settings, principal: Principal, current: str, new: str, token: str
) -> int:
    """The signed-in member sets a new password, proving the current one; their other sessions
    end (returns how many), the one in use goes on."""
    member = principal.staff
    check_password(new)
    stored = _proven(engine, settings, principal, "password_hash", current, "password")
    password_hash = hash_secret(new)
    with UnitOfWork(engine) as uow:
        if uow.staff.secrets(member.id)["password_hash"] != stored:
            raise Conflict("the password was changed meanwhile; sign in again")
        uow.staff.update(member.id, password_hash=password_hash)
        ended = uow.staff.end_sessions(member.id, keep_token_hash=token_digest(token))
        uow.events.audit(
            "staff.password_changed",
            {"staff_id": member.id, "by": "self", "sessions_ended": ended},
            principal.actor(),
        )
        uow.commit()
    return ended


def reset_pin(engine: Engine, username: str, pin: str, by: Actor, admin: StaffMember | None = None) -> int:
    """An admin (or `till staff reset-pin`) gives a member a new PIN; the member's lock is lifted
    and their sessions end. Returns how many sessions ended."""
    return _reset(engine, username, by, admin, pin=pin)


def reset_password(
    engine: Engine, username: str, password: str, by: Actor, admin: StaffMember | None = None
) -> int:
    """An admin (or `till staff reset-password`) gives a member a new password; the member's
    lock is lifted and their sessions end. Returns how many sessions ended."""
    return _reset(engine, username, by, admin, password=password)


def _reset(
    engine: Engine,
    username: str,
    by: Actor,
    admin: StaffMember | None,
    *,
    pin: str | None = None,
    password: str | None = None,
) -> int:
    if admin is not None:
        admin.require(Permission.MANAGE_STAFF)
    with UnitOfWork(engine) as uow:
        found = uow.staff.by_username(username)
    if found is None:
        raise NotFound(f"no staff member {username}")
    member = found[0]
    if pin is not None:
        check_pin(member.role, pin)
        secrets = {"pin_hash": hash_secret(pin), "pin_offline": offline_pin_verifier(pin)}
    else:
        assert password is not None
        check_password(password)
        secrets = {"password_hash": hash_secret(password)}
    with UnitOfWork(engine) as uow:
        if pin is not None:
            uow.staff.set_pin(member.id, secrets["pin_hash"], secrets["pin_offline"])
            uow.changed("staff", [str(member.id)])
        else:
            uow.staff.update(member.id, **secrets)
        uow.staff.clear_failures(member.id)
        SignInAttempts(uow.conn).clear_member(member.username)
        ended = uow.staff.end_sessions(member.id)
        uow.events.audit(
            "staff.pin_reset" if pin is not None else "staff.password_reset",
            {"staff_id": member.id, "username": member.username, "sessions_ended": ended},
            by,
        )
        uow.commit()
    return ended


def _proven(
    engine: Engine, settings: Settings, principal: Principal, column: str, secret: str, what: str
) -> str:
    """The stored hash, once the member has proven the current secret. A wrong one counts toward
    the member's lock (`lockout_failures`, as sign-in's), so a session left open on a till does
    not let someone search for the PIN through this route."""
    member = principal.staff
    with UnitOfWork(engine) as uow:
        stored: str = uow.staff.secrets(member.id)[column]
    if verify_secret(stored, secret):
        return stored
    with UnitOfWork(engine) as uow:
        locked = uow.staff.record_failure(
            member.id, settings.lockout_failures, timedelta(minutes=settings.lockout_minutes)
        )
        uow.events.audit(
            f"staff.{what.lower()}_change_refused",
            {"staff_id": member.id, "reason": f"wrong current {what}", "locked": locked},
            principal.actor(),
        )
        uow.commit()
    raise PermissionDenied(f"the current {what} is wrong")
