"""Who acted at a till, as far as the server can tell (docs/trust.md §6, issue 12 items 1, 15).

A till names who sold or refunded, and how that member got onto the till: signed in while the
server could see it (`online`), or switched to by a PIN checked on the till alone (`offline_pin`).
The server believes the first only when it holds a session of that member on that device; the
second it can never check, so what such a member does is kept as the fact it is and flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from till.domain.staff import ROLE_PERMISSIONS, PermissionDenied, Role, StaffMember

#: How a member came to be signed in on a till, as the till says.
SignInWay = Literal["online", "offline_pin"]

#: Roles from the least to the most trusted.
_RANK = {Role.CASHIER: 0, Role.MANAGER: 1, Role.ADMIN: 2}


class ActorRefused(PermissionDenied):
    """A till named someone who cannot have acted on it: the action changes nothing (403)."""


@dataclass(frozen=True, slots=True)
class ActedBy:
    """Who a till says did a queued action, how they got onto the till, and when (its clock)."""

    staff_id: int
    sign_in: SignInWay = "online"
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Acting:
    """Who acted, and whose permissions count for it.

    `member` is who the till named; `authority` is whom the server holds to the rules (the
    member when verified; else the less trusted of the member and the session that sent it).
    `unverified` is the flag's detail when the server could not confirm the member, else None.
    """

    member: StaffMember
    authority: StaffMember
    unverified: dict[str, Any] | None = None

    @property
    def verified(self) -> bool:
        """True when the server saw this member signed in on the device."""
        return self.unverified is None


def weaker(a: StaffMember, b: StaffMember) -> StaffMember:
    """The less trusted of two members: the lower role, then the lower discount limit."""
    key_a = (_RANK[a.role], a.max_discount_percent, len(ROLE_PERMISSIONS[a.role]))
    key_b = (_RANK[b.role], b.max_discount_percent, len(ROLE_PERMISSIONS[b.role]))
    return a if key_a <= key_b else b


def judge_actor(
    member: StaffMember | None,
    *,
    named_id: int,
    session: StaffMember,
    device_id: str | None,
    location_code: str,
    seen_on_device: bool,
    sign_in: SignInWay | None,
    seen_uncertain: bool = False,
    verifier_on_device: bool = True,
) -> Acting:
    """Decide who acted, from what the server knows.

    - the session's own member: verified (the server saw the sign-in behind the token);
    - a member the server saw signed in online on this device at that moment, and the till does
      not say it switched to them by an offline PIN: verified;
    - a member the server saw there, but with another member's sign-in within the till's
      clock allowance of that moment (`seen_uncertain`: which came first is not certain), or
    - a member the till says it switched to by an offline PIN, whose verifier the till can hold
      (`verifier_on_device`: they signed in on it online before): kept, but flagged
      `unverified` and held to the rules of the less trusted of them and the session's member;
    - anyone else (unknown, inactive, working elsewhere, never on this device, an offline PIN
      the till cannot have checked, or a session not on a registered till naming another
      member): ActorRefused.
    """
    if member is None:
        raise ActorRefused(f"unknown staff member {named_id}")
    if not member.active:
        raise ActorRefused(f"{member.username} is deactivated")
    if not member.works_at(location_code):
        raise ActorRefused(f"{member.username} does not work at {location_code}")
    if member.id == session.id:
        return Acting(member, member)
    if device_id is None:
        raise ActorRefused(
            f"{member.username} did not sign in here: a session not on a registered till acts only "
            f"for its own member ({session.username})"
        )
    # The till's own word that the PIN was checked on it alone comes first: a sign-in the server
    # saw on this device earlier does not make that switch one the server checked.
    if sign_in != "offline_pin" and seen_on_device:
        return Acting(member, member)
    if sign_in == "offline_pin" and not verifier_on_device:
        # A till is sent a member's PIN verifier only after they signed in on it online: with
        # none, no PIN of theirs was checked there, whatever the till says.
        raise ActorRefused(
            f"{member.username} never signed in on this till (device {device_id}) online before "
            "then, so it holds no PIN of theirs to check offline"
        )
    if sign_in == "offline_pin" or seen_uncertain:
        detail: dict[str, Any] = {
            "staff_id": member.id,
            "username": member.username,
            "sign_in": sign_in or "online",
            "session_staff_id": session.id,
            "session_username": session.username,
        }
        if sign_in != "offline_pin":
            detail["why"] = "another member signed in on this till within the till's clock allowance"
        return Acting(member, weaker(member, session), detail)
    raise ActorRefused(
        f"{member.username} was not signed in on this till (device {device_id}) when it says they "
        "acted, and no offline PIN switch was recorded"
    )


@dataclass(frozen=True, slots=True)
class ApprovalProof:
    """An approval the server signed when a manager entered their PIN online on a till."""

    staff_id: int
    device_id: str
    issued_at: datetime
    expires_at: datetime


def judge_approval(
    approved_by: int | None,
    proof: ApprovalProof | None,
    proof_error: str | None,
    *,
    device_id: str | None,
    moment: datetime,
    slack: timedelta,
) -> str | None:
    """Why an approval cannot be believed, or None when the server signed it for this manager,
    this device and a sale made within its life (from `slack` before it was given), or
    when nothing was approved."""
    if approved_by is None:
        return None
    if proof is None:
        return proof_error or "approved on the till without the server's proof (offline)"
    if proof.staff_id != approved_by:
        return f"the proof is of staff {proof.staff_id}, not {approved_by}"
    if device_id is None or proof.device_id != device_id:
        return "the proof was given to another device"
    # The allowance is for a till's clock before the proof was given; its end is the server's
    # own (a sale's moment is already corrected by the till's `sent_at`).
    if not proof.issued_at - slack <= moment <= proof.expires_at:
        return (
            f"the proof was good from {proof.issued_at.isoformat()} to {proof.expires_at.isoformat()}, "
            f"not for a sale made at {moment.isoformat()}"
        )
    return None
