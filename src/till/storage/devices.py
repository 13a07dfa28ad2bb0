"""Registered devices (tills) and sign-in tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from till.domain.sales import receipt_series
from till.storage.tables import auth_tokens, devices


class DeviceRepository:
    """Registered devices (tills) and sign-in tokens."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, device_id: str, name: str, register_code: str, token_hash: str) -> str:
        """Register a device to a register; returns its receipt-number series there.

        The series is the next one not taken on the register (revoked devices keep theirs: their
        numbers exist); two registrations racing for one series meet the unique constraint and
        the loser takes the next."""
        for _ in range(20):
            taken = set(
                self.conn.execute(
                    select(devices.c.receipt_series).where(
                        devices.c.register_code == register_code, devices.c.receipt_series.is_not(None)
                    )
                ).scalars()
            )
            series = next(s for n in range(1, 18279) if (s := receipt_series(n)) not in taken)
            try:
                with self.conn.begin_nested():
                    self.conn.execute(
                        insert(devices).values(
                            id=device_id,
                            name=name,
                            register_code=register_code,
                            token_hash=token_hash,
                            created_at=datetime.now(UTC),
                            receipt_series=series,
                        )
                    )
            except IntegrityError:
                continue
            return series
        raise RuntimeError(f"no receipt series could be given on register {register_code}")

    def by_token(self, token_hash: str) -> dict[str, Any] | None:
        """A device that is not revoked, by its token's digest."""
        row = self.conn.execute(
            select(devices).where(devices.c.token_hash == token_hash, devices.c.revoked_at.is_(None))
        ).first()
        return None if row is None else dict(row._mapping)

    def get(self, device_id: str) -> dict[str, Any] | None:
        """A device by id, revoked or not."""
        row = self.conn.execute(select(devices).where(devices.c.id == device_id)).first()
        return None if row is None else dict(row._mapping)

    def all(self) -> list[dict[str, Any]]:
        """Every device."""
        return [dict(r._mapping) for r in self.conn.execute(select(devices).order_by(devices.c.created_at))]

    def revoke(self, device_id: str) -> bool:
        """Revoke a device and every token signed in on it; True if it existed."""
        now = datetime.now(UTC)
        changed = self.conn.execute(
            update(devices)
            .where(devices.c.id == device_id, devices.c.revoked_at.is_(None))
            .values(revoked_at=now)
        ).rowcount
        self.conn.execute(
            update(auth_tokens)
            .where(auth_tokens.c.device_id == device_id, auth_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return bool(changed)

    def add_token(
        self,
        token_hash: str,
        staff_id: int,
        device_id: str | None,
        ttl: timedelta,
        *,
        session_started: datetime | None = None,
        not_after: datetime | None = None,
    ) -> datetime:
        """Store a sign-in token's digest; returns its expiry (never past `not_after`). A
        refreshed token keeps its session's start as `created_at`."""
        now = datetime.now(UTC)
        expires = now + ttl if not_after is None else min(now + ttl, not_after)
        self.conn.execute(
            insert(auth_tokens).values(
                token_hash=token_hash,
                staff_id=staff_id,
                device_id=device_id,
                created_at=session_started or now,
                expires_at=expires,
            )
        )
        return expires

    def token(self, token_hash: str) -> dict[str, Any] | None:
        """A live token (not expired, not revoked, its device not revoked)."""
        row = self.conn.execute(
            select(
                auth_tokens,
                devices.c.revoked_at.label("device_revoked_at"),
                devices.c.register_code,
                devices.c.receipt_series,
            )
            .outerjoin(devices, devices.c.id == auth_tokens.c.device_id)
            .where(auth_tokens.c.token_hash == token_hash, auth_tokens.c.revoked_at.is_(None))
        ).first()
        if row is None or row.device_revoked_at is not None:
            return None
        expires: datetime | None = row.expires_at
        if expires is None or expires <= datetime.now(UTC):
            return None
        return dict(row._mapping)

    def signed_in_at(
        self, staff_id: int, device_id: str, moment: datetime, slack: timedelta, *, strict: bool = False
    ) -> bool:
        """True if the member was the one signed in on the device at `moment` (give or take
        `slack`, for the till's clock): a session of theirs there the server saw, live then (from
        its sign-in to its expiry, or the sign-out or refresh that revoked it; a refreshed
        session goes on in its new token), and no other member signed in there after them and
        before the moment. A manager who set the till up this morning is not at it all day.
        `strict`: no other member signed in there after them even within `slack` past the
        moment (so the order of the two is certain whatever the till's clock)."""
        ended = func.coalesce(auth_tokens.c.revoked_at, auth_tokens.c.expires_at)
        live = self.conn.execute(
            select(auth_tokens.c.staff_id, auth_tokens.c.created_at).where(
                auth_tokens.c.device_id == device_id,
                auth_tokens.c.created_at <= moment + slack,
                ended >= moment - slack,
            )
        ).all()
        theirs = [row.created_at for row in live if row.staff_id == staff_id]
        if not theirs:
            return False
        since = max(theirs)
        if strict:  # a sign-in stamped the same instant (a column of whole seconds) may be after
            return not any(
                row.staff_id != staff_id and since <= row.created_at <= moment + slack for row in live
            )
        return not any(row.staff_id != staff_id and since < row.created_at <= moment - slack for row in live)

    def spend_token(self, token_hash: str) -> bool:
        """Revoke a live token; False if it was revoked already (by a racing refresh)."""
        return bool(
            self.conn.execute(
                update(auth_tokens)
                .where(auth_tokens.c.token_hash == token_hash, auth_tokens.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            ).rowcount
        )

    def revoke_token(self, token_hash: str) -> None:
        """Sign a token out."""
        self.conn.execute(
            update(auth_tokens)
            .where(auth_tokens.c.token_hash == token_hash)
            .values(revoked_at=datetime.now(UTC))
        )
