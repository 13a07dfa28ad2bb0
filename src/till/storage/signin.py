"""Sign-in attempts per source address, in the database so every app process sees them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from till.storage.tables import signin_attempts


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class SignInAttempts:
    """Counts by (source, username) in fixed windows; username "" counts every attempt."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _row(self, source: str, username: str) -> Any:
        return self.conn.execute(
            select(signin_attempts).where(
                signin_attempts.c.source == source, signin_attempts.c.username == username
            )
        ).first()

    def _where(self, source: str, username: str) -> Any:
        return (signin_attempts.c.source == source) & (signin_attempts.c.username == username)

    def count(self, source: str, username: str, window: timedelta) -> tuple[int, datetime]:
        """Count one more attempt in the current window; (attempts so far, the window's end)."""
        now = datetime.now(UTC)
        row = self._ensure(source, username)
        started = _utc(row.window_start) or now
        if started + window <= now:
            self.conn.execute(
                update(signin_attempts)
                .where(self._where(source, username))
                .values(window_start=now, attempts=1)
            )
            return 1, now + window
        self.conn.execute(
            update(signin_attempts)
            .where(self._where(source, username))
            .values(attempts=signin_attempts.c.attempts + 1)
        )
        return int(row.attempts) + 1, started + window

    def _ensure(self, source: str, username: str) -> Any:
        row = self._row(source, username)
        if row is not None:
            return row
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(signin_attempts).values(
                        source=source,
                        username=username,
                        window_start=datetime.now(UTC),
                        attempts=0,
                        failures=0,
                    )
                )
        except IntegrityError:
            pass  # made by a racing attempt a moment ago
        return self._row(source, username)

    def locked_until(self, source: str, username: str) -> datetime | None:
        """When the lock of `username` from `source` ends, if it is locked now."""
        row = self._row(source, username)
        until = None if row is None else _utc(row.locked_until)
        return until if until is not None and until > datetime.now(UTC) else None

    def fail(self, source: str, username: str, max_failures: int, lock_for: timedelta) -> bool:
        """Count a wrong secret from `source`; lock that pair after `max_failures`. True if now
        locked."""
        self._ensure(source, username)
        self.conn.execute(
            update(signin_attempts)
            .where(self._where(source, username))
            .values(failures=signin_attempts.c.failures + 1)
        )
        failures = int(self._row(source, username).failures)
        if failures >= max_failures:
            self.conn.execute(
                update(signin_attempts)
                .where(self._where(source, username))
                .values(failures=0, locked_until=datetime.now(UTC) + lock_for)
            )
            return True
        return False

    def clear(self, source: str, username: str) -> None:
        """Forget the failures and lock of a pair after a good sign-in."""
        self.conn.execute(
            update(signin_attempts).where(self._where(source, username)).values(failures=0, locked_until=None)
        )

    def clear_member(self, username: str) -> None:
        """Forget a member's failures and locks from every source (an admin reset a secret)."""
        self.conn.execute(
            update(signin_attempts)
            .where(signin_attempts.c.username == username)
            .values(failures=0, locked_until=None)
        )
