"""Staff members: who they are, their secrets and lock-out counters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from till.domain.staff import Role, StaffMember
from till.storage.db import inserted_id
from till.storage.tables import auth_tokens, staff, staff_devices


class StaffRepository:
    """Staff members, their secrets and lock-out counters."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @staticmethod
    def _member(row: Any) -> StaffMember:
        limit = row.discount_limit
        return StaffMember(
            id=row.id,
            username=row.username,
            name=row.name,
            role=Role(row.role),
            locations=frozenset(row.locations or ()),
            active=bool(row.active),
            discount_limit=None if limit is None else Decimal(limit),
        )

    def by_username(self, username: str) -> tuple[StaffMember, dict[str, Any]] | None:
        """A member and their secrets row (hashes, failures, lock), by username."""
        row = self.conn.execute(select(staff).where(staff.c.username == username)).first()
        return None if row is None else (self._member(row), dict(row._mapping))

    def by_id(self, staff_id: int) -> StaffMember | None:
        """A member by id."""
        row = self.conn.execute(select(staff).where(staff.c.id == staff_id)).first()
        return None if row is None else self._member(row)

    def secrets(self, staff_id: int) -> dict[str, Any]:
        """The secrets row of a member."""
        return dict(self.conn.execute(select(staff).where(staff.c.id == staff_id)).one()._mapping)

    def rows_by_ids(self, ids: list[int]) -> list[dict[str, Any]]:
        """Members' rows as stored (secrets included: callers pick what they send), of these ids."""
        return [dict(row._mapping) for row in self.conn.execute(select(staff).where(staff.c.id.in_(ids)))]

    def all(self) -> list[StaffMember]:
        """Every member, by username."""
        return [self._member(r) for r in self.conn.execute(select(staff).order_by(staff.c.username))]

    def add(
        self,
        *,
        username: str,
        name: str,
        role: Role,
        password_hash: str,
        pin_hash: str,
        pin_offline: str,
        locations: list[str],
        discount_limit: Decimal | None = None,
    ) -> int:
        """Create a member; returns the id."""
        result = self.conn.execute(
            insert(staff).values(
                username=username,
                name=name,
                role=role.value,
                password_hash=password_hash,
                pin_hash=pin_hash,
                pin_offline=pin_offline,
                locations=locations,
                active=True,
                discount_limit=discount_limit,
                failed_attempts=0,
                updated_at=datetime.now(UTC),
            )
        )
        return inserted_id(result)

    def update(self, staff_id: int, **values: Any) -> None:
        """Change a member's stored fields."""
        self.conn.execute(
            update(staff).where(staff.c.id == staff_id).values(updated_at=datetime.now(UTC), **values)
        )

    def set_pin(self, staff_id: int, pin_hash: str, pin_offline: str) -> None:
        """Store a new PIN; its version moves on, so tills replace the old verifier."""
        self.update(staff_id, pin_hash=pin_hash, pin_offline=pin_offline, pin_version=staff.c.pin_version + 1)

    def record_device_sign_in(self, staff_id: int, device_id: str) -> bool:
        """Note an online sign-in of a member on a till; True if it is their first there."""
        now = datetime.now(UTC)
        key = (staff_devices.c.staff_id == staff_id) & (staff_devices.c.device_id == device_id)
        if self.conn.execute(select(staff_devices.c.staff_id).where(key)).first() is not None:
            self.conn.execute(update(staff_devices).where(key).values(last_signed_in_at=now))
            return False
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(staff_devices).values(
                        staff_id=staff_id, device_id=device_id, first_signed_in_at=now, last_signed_in_at=now
                    )
                )
        except IntegrityError:  # a sign-in racing on the same till recorded it first
            return False
        return True

    def signed_in_on(self, device_id: str) -> set[int]:
        """Ids of the members who have signed in online on a till."""
        return set(
            self.conn.execute(
                select(staff_devices.c.staff_id).where(staff_devices.c.device_id == device_id)
            ).scalars()
        )

    def signed_in_on_before(self, staff_id: int, device_id: str, moment: datetime) -> bool:
        """True if the member had signed in online on the till by `moment` (so it can hold
        their offline PIN verifier then)."""
        return (
            self.conn.execute(
                select(staff_devices.c.staff_id).where(
                    staff_devices.c.staff_id == staff_id,
                    staff_devices.c.device_id == device_id,
                    staff_devices.c.first_signed_in_at <= moment,
                )
            ).first()
            is not None
        )

    def end_sessions(self, staff_id: int, keep_token_hash: str | None = None) -> int:
        """Revoke a member's live tokens (all but `keep_token_hash`); returns how many."""
        query = update(auth_tokens).where(
            auth_tokens.c.staff_id == staff_id, auth_tokens.c.revoked_at.is_(None)
        )
        if keep_token_hash is not None:
            query = query.where(auth_tokens.c.token_hash != keep_token_hash)
        return int(self.conn.execute(query.values(revoked_at=datetime.now(UTC))).rowcount or 0)

    def record_failure(self, staff_id: int, max_failures: int, lock_for: timedelta) -> bool:
        """Count a failed secret; lock the member after `max_failures`. True if now locked."""
        self.conn.execute(
            update(staff).where(staff.c.id == staff_id).values(failed_attempts=staff.c.failed_attempts + 1)
        )
        failures = self.conn.execute(
            select(staff.c.failed_attempts).where(staff.c.id == staff_id)
        ).scalar_one()
        if failures >= max_failures:
            self.conn.execute(
                update(staff)
                .where(staff.c.id == staff_id)
                .values(locked_until=datetime.now(UTC) + lock_for, failed_attempts=0)
            )
            return True
        return False

    def clear_failures(self, staff_id: int) -> None:
        """Forget failures after a good sign-in."""
        self.conn.execute(
            update(staff).where(staff.c.id == staff_id).values(failed_attempts=0, locked_until=None)
        )

    @staticmethod
    def locked_until(secrets_row: dict[str, Any]) -> datetime | None:
        """When a member's lock ends, if they are locked now."""
        until: datetime | None = secrets_row.get("locked_until")
        return until if until is not None and until > datetime.now(UTC) else None
