"""Saved reports as stored, and running a report's checked SQL under each database's guards.

The service (till.services.reports) decides what may run: sqlglot proves the text one read,
and sets the limits. Here the database enforces the same again, whatever the parser missed:
PostgreSQL gets the text by the extended protocol (one statement) in a `READ ONLY` transaction
with `SET LOCAL statement_timeout`; MariaDB, over a connection without the multi-statement
flag, in `START TRANSACTION READ ONLY` with `max_statement_time`, in a session set to
read-only too (MariaDB commits implicitly before DDL); SQLite under `PRAGMA query_only`, an
authorizer that allows only reads (of no secret column, and no denied function) and a
progress handler as the clock. Values are bound parameters, never pasted into the SQL.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, text
from sqlalchemy.exc import DBAPIError

from till.domain.money import plain_str
from till.domain.reports import ReportRefused, ReportTimeout
from till.storage.tables import metadata, saved_reports


def secret_columns() -> dict[str, frozenset[str]]:
    """Columns no report may read, by table: those the tables mark `info={"secret": True}`
    (password, PIN and offline PIN verifier hashes, token digests, webhook signing secrets)."""
    found: dict[str, frozenset[str]] = {}
    for table in metadata.sorted_tables:
        names = frozenset(c.name for c in table.columns if c.info.get("secret"))
        if names:
            found[table.name] = names
    return found


@dataclass(frozen=True, slots=True)
class ReadGuard:
    """What the database itself refuses while a report runs, beyond any write: reading these
    columns (SQLite's authorizer) and calling these functions (by name, lowercase, or prefix)."""

    secret_columns: Mapping[str, frozenset[str]]
    denied_functions: frozenset[str]
    denied_prefixes: tuple[str, ...]


class ReportRepository:
    """The saved reports (the built-in ones live in code)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def all(self) -> list[dict[str, Any]]:
        """Every saved report, by name."""
        return [
            dict(r._mapping) for r in self.conn.execute(select(saved_reports).order_by(saved_reports.c.name))
        ]

    def get(self, name: str) -> dict[str, Any] | None:
        """A saved report by name."""
        row = self.conn.execute(select(saved_reports).where(saved_reports.c.name == name)).first()
        return None if row is None else dict(row._mapping)

    def add(
        self,
        *,
        name: str,
        title: str,
        description: str,
        sql: str,
        params: dict[str, str],
        roles: list[str],
        at: datetime,
    ) -> None:
        """Save a report; IntegrityError if the name is taken."""
        self.conn.execute(
            insert(saved_reports).values(
                name=name,
                title=title,
                description=description,
                sql=sql,
                params=params,
                roles=roles,
                created_at=at,
            )
        )

    def delete(self, name: str) -> bool:
        """Delete a saved report; False if there was none of that name."""
        return bool(self.conn.execute(delete(saved_reports).where(saved_reports.c.name == name)).rowcount)


def plain_value(value: Any) -> Any:
    """A database value as a report's JSON answer carries it."""
    if isinstance(value, float):
        # SQLite sums decimal columns in binary floats (1805.9499999999998); 15 significant
        # digits is what a double holds exactly and what SQLite itself prints.
        value = Decimal(f"{value:.15g}")
    if isinstance(value, Decimal):
        return plain_str(value)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value


def run_read_only(
    engine: Engine,
    sql: str,
    values: Mapping[str, Any],
    *,
    guard: ReadGuard,
    timeout_ms: int,
    limit: int,
    byte_limit: int | None = None,
) -> tuple[list[str], Sequence[Sequence[Any]]]:
    """Run one statement in a read-only transaction; a write fails and changes nothing.

    The database enforces what the parser proved: PostgreSQL gets the text by the extended
    protocol (one statement, never a `;`-separated list) inside a READ ONLY transaction with
    `SET LOCAL statement_timeout`; MariaDB's connection has no multi-statement flag and runs
    it in a READ ONLY transaction with `max_statement_time`; SQLite runs it under an
    authorizer that allows only reads, of no secret column. Fetching stops after `limit`
    rows or once the rows pass `byte_limit` (as JSON)."""
    dialect = engine.dialect.name
    try:
        if dialect == "sqlite":
            return _sqlite(engine, sql, values, guard, timeout_ms, limit, byte_limit)
        with engine.connect() as conn:
            compiled = text(sql).compile(dialect=engine.dialect)
            query = str(compiled)
            bound = compiled.construct_params(dict(values))
            dbapi: Any = conn.connection.driver_connection
            if dialect == "postgresql":
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
                try:
                    cursor = dbapi.cursor()
                    # stream() always uses the extended protocol: one statement, or an error.
                    rows = _take(cursor.stream(query, bound), limit, byte_limit)
                    columns = [d.name for d in cursor.description or ()]
                    cursor.close()
                    return columns, rows
                finally:
                    conn.rollback()
            if dbapi.client_flag & _MYSQL_MULTI_STATEMENTS:
                raise ReportRefused("this MariaDB connection allows several statements at once: refused")
            conn.exec_driver_sql(f"SET SESSION max_statement_time = {timeout_ms / 1000:.3f}")
            conn.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
            conn.exec_driver_sql("START TRANSACTION READ ONLY")
            try:
                result = conn.exec_driver_sql(query, bound)
                return list(result.keys()), _take(iter(result), limit, byte_limit)
            finally:
                try:
                    conn.rollback()
                    conn.exec_driver_sql("SET SESSION TRANSACTION READ WRITE")
                    conn.exec_driver_sql("SET SESSION max_statement_time = 0")
                    conn.commit()
                except DBAPIError:
                    # A pooled connection left read-only must never serve a sale: drop it.
                    conn.invalidate()
                    raise
    except DBAPIError as exc:
        raise _explain(exc) from None
    except Exception as exc:
        if type(exc).__module__.startswith("psycopg"):
            raise _explain_message(str(exc)) from None
        raise


#: pymysql's CLIENT.MULTI_STATEMENTS flag (off unless asked for).
_MYSQL_MULTI_STATEMENTS = 1 << 16


def row_bytes(row: Sequence[Any]) -> int:
    """The size of a row as the JSON answer will carry it."""
    return len(json.dumps([plain_value(v) for v in row], default=str, ensure_ascii=False).encode())


def _take(rows: Any, limit: int, byte_limit: int | None) -> list[Sequence[Any]]:
    """Up to `limit` rows, stopping at the first row past `byte_limit` (kept, so the caller
    sees the answer was cut)."""
    taken: list[Sequence[Any]] = []
    size = 0
    for row in rows:
        taken.append(tuple(row))
        if byte_limit is not None:
            size += row_bytes(row)
            if size > byte_limit:
                break
        if len(taken) >= limit:
            break
    return taken


def _explain(exc: DBAPIError) -> ValueError:
    message = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
    return _explain_message(message)


def _explain_message(message: str) -> ValueError:
    message = message.strip().splitlines()[0] if message.strip() else message
    lowered = message.lower()
    if "read-only" in lowered or "read only" in lowered or "readonly" in lowered:
        return ReportRefused(f"reports are read-only; the database refused a change: {message}")
    if (
        "timeout" in lowered
        or "max_statement_time" in lowered
        or "interrupted" in lowered
        or "cancel" in lowered
    ):
        return ReportTimeout(f"the report ran past its time limit: {message}")
    return ReportRefused(f"the report failed: {message}")


#: What SQLite may do while a report runs: read, select, call a function not denied,
#: recurse in a CTE. Everything else (writes, PRAGMA, ATTACH, transactions) is denied.
_SQLITE_ALLOWED = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)


def _sqlite_authorizer(guard: ReadGuard) -> Any:
    def authorize(action: int, arg1: str | None, arg2: str | None, db: str | None, source: str | None) -> int:
        if action == sqlite3.SQLITE_READ:
            table, column = (arg1 or "").lower(), (arg2 or "").lower()
            if column in guard.secret_columns.get(table, ()) or table.startswith("sqlite_"):
                return sqlite3.SQLITE_DENY
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_FUNCTION:
            name = (arg2 or "").lower()
            if name in guard.denied_functions or name.startswith(guard.denied_prefixes):
                return sqlite3.SQLITE_DENY
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_OK if action in _SQLITE_ALLOWED else sqlite3.SQLITE_DENY

    return authorize


def _sqlite(
    engine: Engine,
    sql: str,
    values: Mapping[str, Any],
    guard: ReadGuard,
    timeout_ms: int,
    limit: int,
    byte_limit: int | None,
) -> tuple[list[str], Sequence[Sequence[Any]]]:
    # The engine's connections BEGIN IMMEDIATE (a write lock); a report needs none, so it
    # uses the DB-API connection in autocommit, query-only and under an authorizer.
    raw = engine.raw_connection()
    dbapi: Any = raw.driver_connection
    deadline = time.monotonic() + timeout_ms / 1000
    bound = {k: _sqlite_value(v) for k, v in values.items()}
    try:
        dbapi.execute("PRAGMA query_only = 1")
        dbapi.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        dbapi.set_authorizer(_sqlite_authorizer(guard))
        try:
            cursor = dbapi.execute(sql, bound)
            columns = [d[0] for d in cursor.description or ()]
            rows = _take(cursor, limit, byte_limit)
            cursor.close()
            return columns, rows
        except sqlite3.DatabaseError as exc:
            if "interrupted" in str(exc):
                raise ReportTimeout(f"the report ran past its time limit of {timeout_ms} ms") from None
            if "readonly" in str(exc):
                raise ReportRefused(f"reports are read-only; the database refused a change: {exc}") from None
            if "prohibited" in str(exc) or "not authorized" in str(exc):
                raise ReportRefused(
                    f"reports are read-only and read no secret column; the database refused: {exc}"
                ) from None
            raise ReportRefused(f"the report failed: {exc}") from None
        except sqlite3.Error as exc:
            raise ReportRefused(f"the report failed: {exc}") from None
    finally:
        dbapi.set_authorizer(None)
        dbapi.set_progress_handler(None, 0)
        dbapi.execute("PRAGMA query_only = 0")
        raw.close()


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value
