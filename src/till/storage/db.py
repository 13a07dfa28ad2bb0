"""Engines for SQLite, PostgreSQL and MariaDB, set up so the same code behaves the same."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, CursorResult, Engine, Insert, Table, create_engine, event, insert, update
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SAWarning

# SQLite has no decimal type; values are quantized back on read by Numeric(…, scale).
warnings.filterwarnings("ignore", category=SAWarning, message=".*support Decimal objects natively.*")


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine for `url`, tuned per backend (WAL and immediate transactions on SQLite)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    kwargs: dict[str, Any] = {"future": True}
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        engine = create_engine(url, **kwargs)
        _make_sqlite_transactional(engine)
        return engine
    kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
    if backend in ("mysql", "mariadb"):
        # MariaDB defaults to REPEATABLE READ; READ COMMITTED gives every statement a fresh
        # view, as on PostgreSQL, which the change-feed sequencer relies on.
        kwargs["isolation_level"] = "READ COMMITTED"
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    return create_engine(parsed, **kwargs)


def _make_sqlite_transactional(engine: Engine) -> None:
    """Let SQLAlchemy own transactions on pysqlite so savepoints work; take the write lock
    at BEGIN so two writers never deadlock upgrading a read lock."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def backend_name(engine: Engine) -> str:
    """sqlite, postgresql or mysql (MariaDB)."""
    return engine.dialect.name


def inserted_id(result: CursorResult[Any]) -> int:
    """The integer primary key an INSERT just made."""
    key = result.inserted_primary_key
    assert key is not None, "the INSERT made no primary key"
    return int(key[0])


def insert_skipping_clashes(conn: Connection, table: Table) -> Insert:
    """An INSERT that leaves out rows clashing with a unique key, in each database's words."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    # MariaDB/MySQL: a no-op update of the clashing row (INSERT IGNORE would hide other errors).
    statement = mysql.insert(table)
    key = next(iter(table.primary_key.columns))
    return statement.on_duplicate_key_update({key.name: key})


def update_or_insert(conn: Connection, table: Table, keys: dict[str, Any], values: dict[str, Any]) -> None:
    """Set `values` on the row with these primary-key `keys`, inserting it if there is none."""
    where = [table.c[name] == value for name, value in keys.items()]
    if not conn.execute(update(table).where(*where).values(**values)).rowcount:
        conn.execute(insert(table).values(**keys, **values))
