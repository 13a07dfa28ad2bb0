"""Sign-in a stranger cannot abuse (issue 12, items 10, 11, 12): an unknown username costs
the same hash as a real one, a session has an absolute lifetime, and on SQLite the hash runs
outside the write transaction."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, update

import till.security
from tests.e2e.conftest import Live
from till.security import token_digest
from till.storage.tables import auth_tokens

pytestmark = pytest.mark.db


class _CountingHasher:
    """The module's argon2 hasher, counting verifications (and running `during` inside each)."""

    def __init__(self, inner: Any, during: Any = None) -> None:
        self.inner, self.during, self.verified = inner, during, 0

    def verify(self, stored: str, secret: str) -> bool:
        self.verified += 1
        if self.during is not None:
            self.during()
        return bool(self.inner.verify(stored, secret))

    def hash(self, secret: str) -> str:
        return str(self.inner.hash(secret))


def test_an_unknown_username_costs_the_same_hash_as_a_known_one(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = _CountingHasher(till.security._hasher)
    monkeypatch.setattr(till.security, "_hasher", counting)
    with live.client() as stranger:
        for name in ("maya", "nobody-at-all", "admin", "zz-invented"):
            answer = stranger.post("/api/auth/sign-in", json={"username": name, "password": "wrong-guess"})
            assert answer.status_code == 401
            assert answer.json()["detail"] == "wrong username or secret"
    assert counting.verified == 4, "every name, known or invented, is checked against a hash"


def test_the_hash_runs_outside_the_write_transaction_on_sqlite(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While sign-in checks the password, another writer (a push) can take SQLite's write lock."""
    if live.engine.dialect.name != "sqlite":
        pytest.skip("SQLite holds one write lock for the whole database; the others lock rows")
    free: list[bool] = []

    def try_to_write() -> None:
        other = sqlite3.connect(str(live.engine.url.database), timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            free.append(True)
        except sqlite3.OperationalError:
            free.append(False)
        finally:
            other.close()

    monkeypatch.setattr(till.security, "_hasher", _CountingHasher(till.security._hasher, try_to_write))
    maya = live.store.staff_member("maya")
    with live.client() as till_client:
        good = till_client.post("/api/auth/sign-in", json={"username": "maya", "password": maya.password})
        bad = till_client.post("/api/auth/sign-in", json={"username": "maya", "password": "wrong"})
    assert good.status_code == 200 and bad.status_code == 401
    assert free == [True, True], "the write lock was free while the hash ran"


def _age_session(engine: Engine, token: str, by: timedelta) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(auth_tokens)
            .where(auth_tokens.c.token_hash == token_digest(token))
            .values(created_at=datetime.now(UTC) - by)
        )


def test_a_session_cannot_be_refreshed_past_its_absolute_lifetime(live: Live) -> None:
    maya = live.store.staff_member("maya")
    with live.client() as anonymous:
        old = anonymous.post("/api/auth/sign-in", json={"username": "maya", "password": maya.password}).json()
        young = anonymous.post(
            "/api/auth/sign-in", json={"username": "maya", "password": maya.password}
        ).json()
    _age_session(live.engine, old["token"], timedelta(days=7, minutes=1))
    with live.client(old["token"]) as till_client:
        refused = till_client.post("/api/auth/refresh")
    assert refused.status_code == 401 and "sign in again" in refused.json()["detail"]

    # An hour before the end a refresh still works, but its token ends with the session, and
    # the refreshed token carries the session's start on.
    _age_session(live.engine, young["token"], timedelta(days=7) - timedelta(hours=1))
    with live.client(young["token"]) as till_client:
        refreshed = till_client.post("/api/auth/refresh")
    assert refreshed.status_code == 200, refreshed.text
    expires = datetime.fromisoformat(refreshed.json()["expires_at"])
    assert expires <= datetime.now(UTC) + timedelta(hours=1)
    _age_session(live.engine, refreshed.json()["token"], timedelta(days=7, seconds=1))
    with live.client(refreshed.json()["token"]) as till_client:
        assert till_client.post("/api/auth/refresh").status_code == 401


def _from(live: Live, address: str) -> httpx.Client:
    """A client the server sees at `address` (uvicorn trusts X-Forwarded-For from 127.0.0.1)."""
    return httpx.Client(base_url=live.url, headers={"X-Forwarded-For": address}, timeout=30)


def test_a_stranger_cannot_lock_a_member_out_of_the_shop(live: Live) -> None:
    """Six wrong passwords from a stranger's address lock the member from that address only;
    the right password from the shop's till still works (issue 12, item 10 b)."""
    admin = live.store.staff_member("admin")
    with _from(live, "203.0.113.66") as stranger:
        statuses = [
            stranger.post(
                "/api/auth/sign-in", json={"username": "admin", "password": f"guess-{n}"}
            ).status_code
            for n in range(7)
        ]
        right_from_stranger = stranger.post(
            "/api/auth/sign-in", json={"username": "admin", "password": admin.password}
        )
    assert statuses == [401] * 5 + [423, 423]
    assert right_from_stranger.status_code == 423
    with _from(live, "192.0.2.10") as shop:
        assert (
            shop.post("/api/auth/sign-in", json={"username": "admin", "password": admin.password}).status_code
            == 200
        )


def test_sign_in_attempts_are_rate_limited_per_source(live: Live) -> None:
    """Past `signin_attempts_per_minute` (60) from one address: 429 with Retry-After, whatever
    the name; another address is not held back (issue 12, item 10 c)."""
    maya = live.store.staff_member("maya")
    with _from(live, "203.0.113.77") as stranger:
        statuses = [
            stranger.post("/api/auth/sign-in", json={"username": f"nobody-{n}", "password": "x"}).status_code
            for n in range(61)
        ]
        limited = stranger.post("/api/auth/sign-in", json={"username": "maya", "password": maya.password})
    assert statuses[:60] == [401] * 60 and statuses[60] == 429
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 61
    with _from(live, "192.0.2.11") as shop:
        assert (
            shop.post("/api/auth/sign-in", json={"username": "maya", "password": maya.password}).status_code
            == 200
        )


def test_failed_sign_ins_cannot_grow_the_audit_log_without_bound(live: Live) -> None:
    """60 refusals from one address (invented names, then a real one): the first ten of each
    (address, name) are audited one by one, then one line at each power of two (item 10 d)."""
    with _from(live, "203.0.113.88") as stranger:
        for n in range(40):
            stranger.post("/api/auth/sign-in", json={"username": f"invented-{n}", "password": "x"})
        for n in range(20):
            stranger.post("/api/auth/sign-in", json={"username": "omar", "password": f"guess-{n}"})
    with live.sign_in("admin") as admin:
        entries = admin.get("/api/admin/audit", params={"action": "signin.failed", "limit": 500}).json()
    mine = [e for e in entries["entries"] if e["detail"].get("source") == "203.0.113.88"]
    invented = [e for e in mine if e["staff_id"] is None]
    omar = [e for e in mine if e["username"] == "omar"]
    assert len(invented) == 10 + 2  # 1-10, 16, 32
    assert len(omar) == 10 + 1  # 1-10, 16
    assert max(e["detail"]["refusals_in_window"] for e in invented) == 32
