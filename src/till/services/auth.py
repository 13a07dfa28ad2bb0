"""Sign-in, PIN switch on a registered device, device registration and revocation, staff.

Each of these leaves a line in the audit log, failures too (who tried, where, why refused)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Engine

from till.domain.errors import Invalid
from till.domain.staff import Permission, Role, StaffMember, check_pin, is_elevated
from till.security import (
    demo_password,
    hash_secret,
    new_token,
    offline_pin_iterations,
    offline_pin_verifier,
    token_digest,
    verifier_iterations,
    verify_secret,
)
from till.services.errors import AuthFailed, Locked, NotFound, RateLimited
from till.settings import Settings
from till.storage.events import Actor
from till.storage.signin import SignInAttempts
from till.storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a signed-in member of staff, maybe on a registered till."""

    staff: StaffMember
    device_id: str | None = None
    register_code: str | None = None
    #: The device's receipt-number series on its register (`NYC1-B-…`), if it has one.
    receipt_series: str | None = None

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


@cache
def _stand_in_hash() -> str:
    """A hash of nothing anyone knows: an unknown username is checked against it, so it costs
    the same argon2 work as a real one and timing cannot tell them apart."""
    return hash_secret(new_token())


@dataclass(frozen=True, slots=True)
class _Attempt:
    """What a sign-in found before any secret was checked (read in a short transaction)."""

    claimed: Actor
    device: dict[str, Any] | None
    member: StaffMember | None
    stored_hash: str | None
    source: str
    pin_offline: str = ""


def sign_in(
    engine: Engine,
    settings: Settings,
    username: str,
    secret: str,
    *,
    device_token: str | None = None,
    by_pin: bool = False,
    source: str = "unknown",
    success_action: str = "signin",
    session: bool = True,
) -> SignedIn:
    """Check a password (or a PIN on a registered device) and hand out a token.

    `source` is the caller's address. After `lockout_failures` wrong secrets in a row from one
    source the member is locked for `lockout_minutes` (Magento's defaults: 6 and 30) from that
    source, whatever secret comes next; from elsewhere the right secret still works, so a
    stranger cannot lock a member out of the shop. Only `lockout_member_failures` (many more)
    lock the member everywhere. A source gets `signin_attempts_per_minute` attempts a minute
    (RateLimited after). Refusals are kept in the audit log before they are answered: the first
    AUDIT_EACH of a (source, username) in a lockout window one by one, then one line at each
    power of two with the count, so failures cannot grow the log without bound.

    The slow hash runs outside any transaction (on SQLite a transaction holds the database's
    write lock, and a sign-in must not hold up pushes for an argon2 check); the member's state
    is read again inside the write transaction that records the outcome. An unknown username
    costs the same hash as a known one.
    """
    source = source[:45]
    attempt = _look_up(engine, settings, username, device_token, by_pin, source)
    matches = verify_secret(attempt.stored_hash or _stand_in_hash(), secret)
    renewed = _renewed_verifier(attempt, secret) if matches and by_pin else None
    return _settle(
        engine, settings, attempt, username, secret, by_pin, matches, renewed, success_action, session
    )


def _renewed_verifier(attempt: _Attempt, pin: str) -> str | None:
    """A new offline verifier for a right PIN whose stored one is older than today's work
    factor (or missing, as after a promotion), if the PIN is long enough for the member's role;
    None to leave it. Derived here, outside any transaction, as the password hash is."""
    if attempt.member is None or verifier_iterations(attempt.pin_offline) >= offline_pin_iterations():
        return None
    try:
        check_pin(attempt.member.role, pin)
    except Invalid:
        return None  # too short for the role: no till gets a verifier until the PIN is changed
    return offline_pin_verifier(pin)


#: Refusals of one (source, username) in a window audited one by one; after that one line at
#: each power of two, carrying the count.
AUDIT_EACH = 10


@dataclass(frozen=True, slots=True)
class _Try:
    """Where a sign-in comes from, for its refusals."""

    settings: Settings
    source: str
    by_pin: bool


def _refuse(
    uow: UnitOfWork, error: AuthFailed | Locked, reason: str, who: Actor, how: _Try
) -> AuthFailed | Locked:
    """Audit a refusal (within the bound), commit, and hand back the error to raise."""
    name = who.username if who.staff_id is not None and who.username else "?"
    window = timedelta(minutes=how.settings.lockout_minutes)
    count, _ = SignInAttempts(uow.conn).count(f"audit {how.source}", name, window)
    if count <= AUDIT_EACH or count & (count - 1) == 0:
        uow.events.audit(
            "signin.failed",
            {"reason": reason, "pin": how.by_pin, "source": how.source, "refusals_in_window": count},
            who,
        )
    uow.commit()
    return error


def _look_up(
    engine: Engine,
    settings: Settings,
    username: str,
    device_token: str | None,
    by_pin: bool,
    source: str,
) -> _Attempt:
    """The device and member a sign-in names; refusals that need no secret are answered here."""
    how = _Try(settings, source, by_pin)
    with UnitOfWork(engine) as uow:
        attempts, window_ends = SignInAttempts(uow.conn).count(source, "", timedelta(minutes=1))
        if attempts > settings.signin_attempts_per_minute:
            uow.commit()
            wait = max(1, int((window_ends - datetime.now(UTC)).total_seconds()) + 1)
            raise RateLimited(f"too many sign-in attempts from {source}; try again in {wait} seconds", wait)
        claimed = Actor(username=username[:64])
        device = None
        if device_token is not None:
            device = uow.devices.by_token(token_digest(device_token))
            if device is None:
                raise _refuse(
                    uow,
                    AuthFailed("this device is not registered or was revoked"),
                    "unknown device",
                    claimed,
                    how,
                )
            register = uow.reference.register(device["register_code"])
            claimed = Actor(
                username=username[:64],
                device_id=device["id"],
                register_code=device["register_code"],
                location_code=None if register is None else register.location_code,
            )
        if by_pin and device is None:
            raise _refuse(
                uow,
                AuthFailed("a PIN works only on a registered till (send its X-Device-Token)"),
                "PIN without a registered till",
                claimed,
                how,
            )
        found = uow.staff.by_username(username)
        if found is None:
            uow.commit()
            return _Attempt(claimed, device, None, None, source)
        member, secrets_row = found
        _check_state(uow, member, secrets_row, _who(member, claimed), how)
        uow.commit()
        return _Attempt(
            claimed,
            device,
            member,
            secrets_row["pin_hash" if by_pin else "password_hash"],
            source,
            secrets_row["pin_offline"] or "",
        )


def _who(member: StaffMember, claimed: Actor) -> Actor:
    return Actor(member.id, member.username, claimed.device_id, claimed.location_code, claimed.register_code)


def _check_state(
    uow: UnitOfWork, member: StaffMember, secrets_row: dict[str, Any], who: Actor, how: _Try
) -> None:
    """Refuse a member locked (from this source, or everywhere) or deactivated, whatever the
    secret."""
    locked = SignInAttempts(uow.conn).locked_until(how.source, member.username) or uow.staff.locked_until(
        secrets_row
    )
    if locked is not None:
        raise _refuse(
            uow,
            Locked(f"{member.username} is locked until {locked:%H:%M} UTC after repeated failures"),
            "locked",
            who,
            how,
        )
    if not member.active:
        raise _refuse(uow, AuthFailed(f"{member.username} is deactivated"), "deactivated", who, how)


def _settle(
    engine: Engine,
    settings: Settings,
    attempt: _Attempt,
    username: str,
    secret: str,
    by_pin: bool,
    matches: bool,
    renewed: str | None = None,
    success_action: str = "signin",
    session: bool = True,
) -> SignedIn:
    """Record the outcome in one write transaction, the member's state read again inside it
    (a lock or a deactivation that landed while the hash ran still counts)."""
    source = attempt.source
    how = _Try(settings, source, by_pin)
    with UnitOfWork(engine) as uow:
        if attempt.member is None:
            raise _refuse(
                uow, AuthFailed("wrong username or secret"), "unknown username", attempt.claimed, how
            )
        who = _who(attempt.member, attempt.claimed)
        found = uow.staff.by_username(username)
        if found is None:
            raise _refuse(uow, AuthFailed("wrong username or secret"), "unknown username", who, how)
        member, secrets_row = found
        _check_state(uow, member, secrets_row, who, how)
        if secrets_row["pin_hash" if by_pin else "password_hash"] != attempt.stored_hash:
            # The secret changed while it was being checked: check it against the new one.
            matches = False
        if settings.production and not by_pin and secret == demo_password(username):
            # The demo store's passwords are printed in the README: never a way in for real.
            raise _refuse(
                uow,
                AuthFailed("the demo password is refused in production; an admin sets a new one"),
                "demo password in production",
                who,
                how,
            )
        if not matches:
            lock_for = timedelta(minutes=settings.lockout_minutes)
            here = SignInAttempts(uow.conn).fail(source, member.username, settings.lockout_failures, lock_for)
            everywhere = uow.staff.record_failure(member.id, settings.lockout_member_failures, lock_for)
            reason = "wrong PIN" if by_pin else "wrong password"
            if here or everywhere:
                uow.events.audit(
                    "signin.locked_out",
                    {
                        "failures": settings.lockout_member_failures
                        if everywhere
                        else settings.lockout_failures,
                        "minutes": settings.lockout_minutes,
                        "source": None if everywhere else source,
                    },
                    who,
                )
                raise _refuse(
                    uow,
                    Locked(
                        f"{username} is locked for {settings.lockout_minutes} minutes after repeated failures"
                    ),
                    reason,
                    who,
                    how,
                )
            raise _refuse(uow, AuthFailed("wrong username or secret"), reason, who, how)
        claimed = attempt.claimed
        if claimed.location_code is not None and not member.works_at(claimed.location_code):
            raise _refuse(
                uow,
                AuthFailed(f"{username} does not work at {claimed.location_code}"),
                "works elsewhere",
                who,
                how,
            )
        uow.staff.clear_failures(member.id)
        SignInAttempts(uow.conn).clear(source, member.username)
        device = attempt.device
        device_id = None if device is None else device["id"]
        # A secret checked for another purpose (a manager's approval) is no sign-in on the till:
        # it opens no session and brings that till no verifier.
        fresh_till = (
            session and device_id is not None and uow.staff.record_device_sign_in(member.id, device_id)
        )
        if renewed is not None and (secrets_row["pin_offline"] or "") == attempt.pin_offline:
            uow.staff.update(member.id, pin_offline=renewed)
        if fresh_till or renewed is not None:
            uow.changed("staff", [str(member.id)])  # this till's next pull brings the verifier
        token, expires = "", datetime.now(UTC)
        if session:
            token = new_token()
            expires = uow.devices.add_token(
                token_digest(token), member.id, device_id, timedelta(hours=settings.token_ttl_hours)
            )
        uow.events.audit(success_action, {"pin": by_pin}, who)
        uow.commit()
    principal = Principal(
        member,
        device_id,
        None if device is None else device["register_code"],
        None if device is None else device.get("receipt_series"),
    )
    return SignedIn(token, expires, principal)


def refresh(engine: Engine, settings: Settings, token: str) -> SignedIn:
    """Swap a live token for a new one with a fresh expiry; the old one stops working at once.

    A session has an absolute lifetime (`session_lifetime_hours` from the sign-in that began
    it): refreshed tokens keep the session's start and never outlive it; past it a refresh is
    refused and the member signs in again.

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
        started = as_utc(row["created_at"])
        ends = started + timedelta(hours=settings.session_lifetime_hours)
        if ends <= datetime.now(UTC):
            raise AuthFailed(
                f"this session began {started:%Y-%m-%d %H:%M} UTC and lasts at most "
                f"{settings.session_lifetime_hours} hours: sign in again"
            )
        if not uow.devices.spend_token(digest):
            raise AuthFailed("this token was refreshed a moment ago; sign in again")
        fresh = new_token()
        expires = uow.devices.add_token(
            token_digest(fresh),
            member.id,
            row["device_id"],
            timedelta(hours=settings.token_ttl_hours),
            session_started=started,
            not_after=ends,
        )
        principal = Principal(member, row["device_id"], row["register_code"], row["receipt_series"])
        uow.events.audit("token.refreshed", {}, principal.actor())
        uow.commit()
    return SignedIn(fresh, expires, principal)


def as_utc(moment: datetime) -> datetime:
    """A database time as an aware UTC time (SQLite and MariaDB give naive ones)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


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


def register_device(engine: Engine, by: Principal, name: str, register_code: str) -> tuple[str, str, str]:
    """Register a till to a register; returns (device id, device token, receipt series). The
    token is shown once; the series is the till's own in its receipt numbers (NYC1-B-000042)."""
    with UnitOfWork(engine) as uow:
        register = uow.reference.register(register_code)
        if register is None:
            raise NotFound(f"no register {register_code}")
        by.staff.require(Permission.MANAGE_DEVICES, register.location_code)
        device_id = str(uuid.uuid4())
        token = new_token()
        series = uow.devices.add(device_id, name, register_code, token_digest(token))
        uow.events.audit(
            "device.registered",
            {"device_id": device_id, "name": name, "receipt_series": series},
            by.actor(register.location_code, register_code),
        )
        uow.commit()
    return device_id, token, series


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
    check_pin(role, pin)
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
            if role is not None and is_elevated(role) and not is_elevated(member.role):
                # The PIN was chosen under a cashier's rule: no till gets its verifier until the
                # member signs in by PIN online with one long enough, or sets a new one.
                stored["pin_offline"] = ""
            uow.staff.update(member.id, **stored)
            uow.changed("staff", [str(member.id)])
            action = (
                "staff.deactivated" if changes.get("active", [None, None])[1] is False else "staff.changed"
            )
            uow.events.audit(action, {"staff_id": member.id, "username": username, "changes": changes}, by)
            member = uow.staff.by_id(member.id) or member
            uow.commit()
    return member
