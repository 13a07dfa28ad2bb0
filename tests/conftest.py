"""Shared fixtures: real databases (SQLite, PostgreSQL, MariaDB), reset between tests.

On CI (CI=true) a database that does not answer fails its tests; on a developer's machine
they are skipped with the reason, so a laptop without MariaDB can still run the rest.
"""

from __future__ import annotations

import hashlib
import os

os.environ.setdefault("TILL_TEST_FAST_HASH", "1")

from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, delete, select, text
from sqlalchemy.engine import make_url

from till.storage.db import make_engine
from till.storage.feed import ensure_sequencer
from till.storage.migrate import upgrade
from till.storage.tables import audit_log, metadata

ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
# Two checkouts testing at once on one machine (a worktree, CI beside a session) must not share
# databases: each checkout gets its own, named after its path.
CHECKOUT = hashlib.sha1(str(Path(__file__).resolve().parent.parent).encode()).hexdigest()[:6]

SERVER_URLS = {
    "postgresql": os.environ.get(
        "TILL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    ),
    "mariadb": os.environ.get("TILL_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test"),
}
BACKENDS = ["sqlite", "postgresql", "mariadb"]


def _fresh_database(kind: str, suffix: str = "") -> str:
    """Create an empty database of our own on the server (named with `suffix`, if given, for
    a second one) and return its URL."""
    server = make_url(SERVER_URLS[kind])
    name = f"till_test_{CHECKOUT}_{WORKER}" + (f"_{suffix}" if suffix else "")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if kind == "postgresql":
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            else:
                conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
                conn.execute(
                    text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
                )
    finally:
        admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def _unavailable(kind: str, exc: Exception) -> None:
    message = f"{kind} is not answering at {SERVER_URLS[kind]}: {exc}"
    if ON_CI:
        pytest.fail(message + " (on CI a missing service fails the test)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One migrated database per backend for this test run."""
    return {"sqlite": f"sqlite:///{tmp_path_factory.mktemp('db') / 'till.sqlite3'}"}


_engines: dict[str, Engine] = {}


def _engine_for(kind: str, database_urls: dict[str, str]) -> Engine:
    if kind not in _engines:
        try:
            url = database_urls["sqlite"] if kind == "sqlite" else _fresh_database(kind)
            engine = make_engine(url, pool_size=20)
            upgrade(engine)
        except Exception as exc:
            _unavailable(kind, exc)
        _engines[kind] = engine
    return _engines[kind]


def reset(engine: Engine) -> None:
    """Empty every table (children first) and recreate the singleton rows."""
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            if table is not audit_log:
                conn.execute(delete(table))
        ensure_sequencer(conn)
    empty_audit_log(engine)


def empty_audit_log(engine: Engine) -> None:
    """Empty the append-only audit log the way only its owner can: its triggers refuse DELETE
    (and TRUNCATE on PostgreSQL), so they are set aside for this one transaction."""
    with engine.connect() as conn:
        if conn.execute(select(audit_log.c.id).limit(1)).first() is None:
            return
    dialect = engine.dialect.name
    if dialect == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            conn.execute(delete(audit_log))
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
    elif dialect == "sqlite":
        with engine.begin() as conn:
            triggers = conn.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")
            ).all()
            for name, _ in triggers:
                conn.execute(text(f'DROP TRIGGER "{name}"'))
            conn.execute(delete(audit_log))
            for _, sql in triggers:
                conn.exec_driver_sql(sql)
    else:
        # MariaDB: TRUNCATE fires no DELETE trigger (and commits by itself).
        with engine.connect() as conn:
            conn.exec_driver_sql("TRUNCATE TABLE audit_log")


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, database_urls: dict[str, str]) -> Engine:
    """An empty, migrated database of each backend in turn."""
    engine = _engine_for(request.param, database_urls)
    reset(engine)
    return engine


@pytest.fixture
def demo_engine(engine: Engine) -> Engine:
    """A database of each backend holding the demo store."""
    from till.demo.store import seed_demo

    seed_demo(engine)
    return engine


@pytest.fixture
def pg_demo_engine(database_urls: dict[str, str]) -> Engine:
    """The demo store on PostgreSQL only: for behaviour that does not depend on the database
    (run once, not once per database)."""
    from till.demo.store import seed_demo

    engine = _engine_for("postgresql", database_urls)
    reset(engine)
    seed_demo(engine)
    return engine


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Engine:
    """A fresh SQLite database file for tests that need only the embedded default."""
    engine = make_engine(f"sqlite:///{tmp_path / 'till.sqlite3'}")
    upgrade(engine)
    return engine


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for engine in _engines.values():
        engine.dispose()
