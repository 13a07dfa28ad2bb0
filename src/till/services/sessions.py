"""Who is behind a bearer token: looked up in the database, remembered per process."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import Engine

from till.security import token_digest
from till.services.auth import Principal, as_utc
from till.services.errors import AuthFailed
from till.storage.uow import UnitOfWork


def _session(engine: Engine, token: str) -> tuple[Principal, datetime]:
    """The principal behind a token and when the token expires, from the database."""
    with UnitOfWork(engine) as uow:
        row = uow.devices.token(token_digest(token))
        if row is None:
            raise AuthFailed("sign in again: the token is unknown, expired or revoked")
        member = uow.staff.by_id(row["staff_id"])
        if member is None or not member.active:
            raise AuthFailed("this member of staff is no longer active")
        principal = Principal(member, row["device_id"], row["register_code"], row["receipt_series"])
        return principal, as_utc(row["expires_at"])


class Sessions:
    """Who is behind a token, remembered per process for `ttl` seconds (docs/trust.md).

    A connected till asks something every few seconds to minutes; looking its session up in
    the database each time was most of what an idle till cost. A session ended in another
    process (sign-out, refresh, a revoked device, a member deactivated or changed) therefore
    still works here for at most `ttl` seconds; one ended in this process stops at once, because
    every write but a sale's forgets what this process remembers (`forget_all`). A token is
    never believed past its own expiry. `ttl` 0 remembers nothing."""

    #: Remembered sessions at most; past it the memory starts again (a flood of tokens).
    MAX_ENTRIES = 100_000

    def __init__(self, engine: Engine, ttl: float) -> None:
        self.engine = engine
        self.ttl = ttl
        self._known: dict[str, tuple[Principal, float, datetime]] = {}

    def remembered(self, token: str) -> Principal | None:
        """The principal if this process looked the token up less than `ttl` seconds ago."""
        entry = self._known.get(token)
        if entry is None:
            return None
        principal, until, expires = entry
        if time.monotonic() >= until or expires <= datetime.now(UTC):
            self._known.pop(token, None)
            return None
        return principal

    def authenticate(self, token: str) -> Principal:
        """The principal behind a token, from memory or the database; AuthFailed if none."""
        principal = self.remembered(token)
        if principal is not None:
            return principal
        principal, expires = _session(self.engine, token)
        if self.ttl > 0:
            if len(self._known) >= self.MAX_ENTRIES:
                self._known.clear()
            self._known[token] = (principal, time.monotonic() + self.ttl, expires)
        return principal

    def forget_all(self) -> None:
        """Look every session up again (something in this process may have ended one)."""
        self._known.clear()
