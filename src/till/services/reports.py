"""Saved reports: named, parameterised, read-only SQL with the roles allowed to run them.

A report runs in a read-only transaction with a statement timeout and a row limit:
PostgreSQL `SET TRANSACTION READ ONLY` + `SET LOCAL statement_timeout`; MariaDB
`START TRANSACTION READ ONLY` with `max_statement_time`, in a session set to read-only too
(MariaDB commits implicitly before DDL, and only a read-only session makes the transaction
after that commit refuse the DDL); SQLite `PRAGMA query_only` with a progress handler as the
clock. The text is also checked before it runs (one statement that reads, no executable
comments): the check is the first fence, the database's refusal the proof. Values are bound
parameters, never pasted into the SQL.
Optional parameters use `COALESCE(:param, column) = column`, which types the parameter on
every database.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Engine, delete, insert, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from till.domain.errors import DomainError
from till.domain.staff import Role
from till.services.auth import Principal
from till.services.errors import Conflict, NotFound
from till.storage.events import EventRepository
from till.storage.tables import saved_reports

PARAM_TYPES = ("date", "int", "text", "decimal")
_NAME = re.compile(r"^[a-z][a-z0-9_-]{1,63}$")
_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_READS = re.compile(r"^\s*(select|with)\b", re.IGNORECASE)
_FORBIDDEN = re.compile(r"\binto\s+(outfile|dumpfile)\b|\bfor\s+update\b|\bload_file\s*\(", re.IGNORECASE)
#: Statements that change something, anywhere in the text (a WITH clause can hold a DELETE).
_WRITES = re.compile(
    r"\b(insert|update|delete|merge|upsert|drop|alter|create|truncate|grant|revoke|"
    r"rename|lock|call|do|handler|load|copy|vacuum|reindex|attach|detach|pragma)\b",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`")
#: MySQL/MariaDB run the text of `/*! … */` and `/*M! … */`: the comment stripping below
#: would hide it from the check.
_EXECUTABLE_COMMENT = re.compile(r"/\*\s*M?!")


class ReportRefused(DomainError):
    """A report that may not run as written (a write, bad parameters): 400 with the reason."""


class ReportTimeout(DomainError):
    """The report ran past its statement timeout."""


@dataclass(frozen=True, slots=True)
class Report:
    """A saved report."""

    name: str
    title: str
    sql: str
    params: Mapping[str, str] = field(default_factory=dict)
    roles: tuple[str, ...] = ("manager", "admin")
    description: str = ""
    builtin: bool = False

    def json(self) -> dict[str, Any]:
        """As the API lists it."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "params": dict(self.params),
            "roles": list(self.roles),
            "builtin": self.builtin,
            "sql": self.sql,
        }


@dataclass(frozen=True, slots=True)
class ReportResult:
    """Columns, rows (JSON-ready values) and whether the row limit cut it short."""

    name: str
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool


_PERIOD = {"date_from": "date", "date_to": "date", "location": "text"}
_SALES_WHERE = """
  o.business_day >= COALESCE(:date_from, o.business_day)
  AND o.business_day <= COALESCE(:date_to, o.business_day)
  AND o.location_code = COALESCE(:location, o.location_code)"""

BUILTIN: dict[str, Report] = {
    r.name: r
    for r in (
        Report(
            "sales-by-day",
            "Sales by day",
            f"""SELECT o.business_day AS day, COUNT(*) AS sales, SUM(o.grand_total) AS total,
  SUM(o.tax) AS tax, SUM(o.discount) AS discount
FROM orders o WHERE {_SALES_WHERE}
GROUP BY o.business_day ORDER BY o.business_day""",  # noqa: S608
            _PERIOD,
            description="Sales, takings, tax and discounts per business day.",
            builtin=True,
        ),
        Report(
            "sales-by-location",
            "Sales by location",
            f"""SELECT o.location_code AS location, COUNT(*) AS sales, SUM(o.grand_total) AS total,
  SUM(o.tax) AS tax
FROM orders o WHERE {_SALES_WHERE}
GROUP BY o.location_code ORDER BY o.location_code""",  # noqa: S608
            _PERIOD,
            builtin=True,
        ),
        Report(
            "sales-by-staff",
            "Sales by staff",
            f"""SELECT s.username AS staff, s.name AS name, COUNT(*) AS sales, SUM(o.grand_total) AS total,
  SUM(o.discount) AS discount
FROM orders o JOIN staff s ON s.id = o.staff_id WHERE {_SALES_WHERE}
GROUP BY s.username, s.name ORDER BY total DESC""",  # noqa: S608
            _PERIOD,
            builtin=True,
        ),
        Report(
            "sales-by-payment-method",
            "Sales by payment method",
            f"""SELECT p.method AS method, COUNT(DISTINCT o.id) AS sales, SUM(p.amount) AS amount
FROM orders o JOIN order_payments p ON p.order_id = o.id WHERE {_SALES_WHERE}
GROUP BY p.method ORDER BY p.method""",  # noqa: S608
            _PERIOD,
            builtin=True,
        ),
        Report(
            "top-products",
            "Top products",
            f"""SELECT l.sku AS sku, MAX(l.name) AS name, SUM(l.qty) AS qty, SUM(l.row_grand_total) AS total
FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE {_SALES_WHERE}
GROUP BY l.sku ORDER BY qty DESC, l.sku""",  # noqa: S608
            _PERIOD,
            description="Best sellers by quantity (the row limit keeps the top).",
            builtin=True,
        ),
        Report(
            "x-report",
            "X report (open shift)",
            """SELECT sh.register_code AS register, sh.id AS shift_id, sh.opened_at AS opened_at,
  sh.opening_float AS opening_float, p.method AS method, COUNT(DISTINCT o.id) AS sales,
  SUM(p.amount) AS amount
FROM shifts sh
LEFT JOIN orders o ON o.shift_id = sh.id
LEFT JOIN order_payments p ON p.order_id = o.id
WHERE sh.register_code = :register AND sh.closed_at IS NULL
GROUP BY sh.register_code, sh.id, sh.opened_at, sh.opening_float, p.method
ORDER BY p.method""",
            {"register": "text"},
            description="Running takings of a register's open shift, per payment method.",
            builtin=True,
        ),
        Report(
            "z-report",
            "Z reports (closed shifts)",
            """SELECT sh.id AS shift_id, sh.register_code AS register, sh.opened_at AS opened_at,
  sh.closed_at AS closed_at, sh.opening_float AS opening_float, sh.counted_cash AS counted_cash,
  sh.z_report AS z_report
FROM shifts sh
WHERE sh.closed_at IS NOT NULL AND sh.register_code = COALESCE(:register, sh.register_code)
ORDER BY sh.closed_at DESC""",
            {"register": "text"},
            description="Closed shifts with their stored Z report.",
            builtin=True,
        ),
    )
}


def check_sql(sql: str, params: Mapping[str, str]) -> None:
    """Refuse what is not one reading statement, or uses undeclared parameters."""
    if _EXECUTABLE_COMMENT.search(sql):
        raise ReportRefused("a report may not use executable comments (/*! … */)")
    body = re.sub(r"--[^\n]*|/\*.*?\*/", " ", sql, flags=re.DOTALL).strip().rstrip(";").strip()
    if not _READS.match(body):
        raise ReportRefused("a report is one SELECT (or WITH … SELECT); it cannot change data")
    if ";" in body:
        raise ReportRefused("a report is a single statement: remove the ';'")
    written = _WRITES.search(_QUOTED.sub("''", body))
    if written:
        raise ReportRefused(f"a report reads: {written.group(1).upper()} is not allowed in it")
    if _FORBIDDEN.search(body):
        raise ReportRefused("a report reads: INTO OUTFILE, LOAD_FILE and FOR UPDATE are not allowed")
    used = set(_PARAM.findall(body))
    undeclared = sorted(used - set(params))
    if undeclared:
        raise ReportRefused(f"declare the parameters {', '.join(undeclared)} (date, int, text or decimal)")
    for name, kind in params.items():
        if kind not in PARAM_TYPES:
            raise ReportRefused(f"parameter {name}: type {kind!r}; use {', '.join(PARAM_TYPES)}")


def _row_report(row: Any) -> Report:
    return Report(
        row.name,
        row.title,
        row.sql,
        dict(row.params),
        tuple(row.roles),
        row.description or "",
        builtin=False,
    )


def list_reports(engine: Engine, principal: Principal | None = None) -> list[Report]:
    """Built-in and saved reports (those the principal's role may run)."""
    with engine.connect() as conn:
        saved = [_row_report(r) for r in conn.execute(select(saved_reports).order_by(saved_reports.c.name))]
    found = list(BUILTIN.values()) + saved
    if principal is not None:
        found = [r for r in found if principal.staff.role.value in r.roles]
    return found


def get_report(engine: Engine, name: str) -> Report:
    """A report by name, or NotFound."""
    if name in BUILTIN:
        return BUILTIN[name]
    with engine.connect() as conn:
        row = conn.execute(select(saved_reports).where(saved_reports.c.name == name)).first()
    if row is None:
        raise NotFound(f"no report {name}")
    return _row_report(row)


def save_report(engine: Engine, by: Principal, report: Report) -> Report:
    """Save a new report (admins only)."""
    _require_admin(by)
    if not _NAME.match(report.name):
        raise ReportRefused("a report name is 2-64 of a-z, 0-9, - and _, starting with a letter")
    if report.name in BUILTIN:
        raise Conflict(f"{report.name} is a built-in report")
    roles = [r for r in report.roles if r in {role.value for role in Role}]
    if not roles or len(roles) != len(report.roles):
        raise ReportRefused("roles: one or more of cashier, manager, admin")
    check_sql(report.sql, report.params)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(saved_reports).values(
                    name=report.name,
                    title=report.title,
                    description=report.description,
                    sql=report.sql,
                    params=dict(report.params),
                    roles=roles,
                    created_at=datetime.now(UTC),
                )
            )
            EventRepository(conn).audit(
                "report.saved",
                {"name": report.name, "title": report.title, "roles": roles, "sql": report.sql},
                by.actor(),
            )
    except IntegrityError:
        raise Conflict(f"a report named {report.name} exists; delete it first") from None
    return get_report(engine, report.name)


def delete_report(engine: Engine, by: Principal, name: str) -> None:
    """Delete a saved report (admins only; built-ins stay)."""
    _require_admin(by)
    if name in BUILTIN:
        raise Conflict(f"{name} is a built-in report")
    with engine.begin() as conn:
        if not conn.execute(delete(saved_reports).where(saved_reports.c.name == name)).rowcount:
            raise NotFound(f"no report {name}")
        EventRepository(conn).audit("report.deleted", {"name": name}, by.actor())


def _require_admin(by: Principal) -> None:
    from till.domain.staff import PermissionDenied

    if by.staff.role is not Role.ADMIN:
        raise PermissionDenied("only an admin may save or delete reports")


def parse_params(report: Report, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Typed values of the report's parameters; a missing one is NULL (the SQL decides)."""
    unknown = sorted(set(raw) - set(report.params))
    if unknown:
        raise ReportRefused(f"{report.name} has no parameter {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for name, kind in report.params.items():
        value = raw.get(name)
        if value is None or value == "":
            values[name] = None
            continue
        try:
            if kind == "date":
                values[name] = value if isinstance(value, date) else date.fromisoformat(str(value))
            elif kind == "int":
                values[name] = int(value)
            elif kind == "decimal":
                values[name] = Decimal(str(value))
            else:
                values[name] = str(value)
        except (ValueError, InvalidOperation):
            raise ReportRefused(f"parameter {name}: {value!r} is not a {kind}") from None
    return values


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value


def run_report(
    engine: Engine,
    principal: Principal,
    name: str,
    raw_params: Mapping[str, Any],
    *,
    timeout_ms: int = 5000,
    row_limit: int = 5000,
) -> ReportResult:
    """Run a report the principal's role may run, read-only, with timeout and row limit."""
    from till.domain.staff import PermissionDenied

    report = get_report(engine, name)
    if principal.staff.role.value not in report.roles:
        raise PermissionDenied(f"a {principal.staff.role.value} may not run {name}")
    check_sql(report.sql, report.params)
    values = parse_params(report, raw_params)
    _keep_to_their_locations(engine, principal, report, values)
    columns, rows = run_read_only(engine, report.sql, values, timeout_ms=timeout_ms, limit=row_limit + 1)
    return ReportResult(
        name, columns, [[_plain(v) for v in row] for row in rows[:row_limit]], len(rows) > row_limit
    )


def _keep_to_their_locations(
    engine: Engine, principal: Principal, report: Report, values: dict[str, Any]
) -> None:
    """A member tied to some locations reads only theirs: a built-in report's `location` (or
    `register`) must be one of theirs (their only location is the default); a saved report's
    SQL is not scoped to locations, so it needs a member of every location."""
    from till.domain.staff import PermissionDenied
    from till.storage.uow import UnitOfWork

    member = principal.staff
    if not member.locations:
        return
    with UnitOfWork(engine) as uow:
        everywhere = {loc.code for loc in uow.reference.locations()}
        if everywhere <= member.locations:
            return
        if not report.builtin:
            raise PermissionDenied(
                f"{report.name} reads every location and {member.username} works at "
                f"{', '.join(sorted(member.locations))} only"
            )
        if "location" in report.params:
            location = values.get("location")
            if location is None and len(member.locations) == 1:
                values["location"] = location = next(iter(member.locations))
            if location is None or not member.works_at(str(location)):
                raise PermissionDenied(
                    f"name a location {member.username} works at: {', '.join(sorted(member.locations))}"
                )
        if "register" in report.params:
            code = values.get("register")
            register = None if code is None else uow.reference.register(str(code))
            if register is None or not member.works_at(register.location_code):
                raise PermissionDenied(f"name a register at {', '.join(sorted(member.locations))}")


def run_read_only(
    engine: Engine, sql: str, values: Mapping[str, Any], *, timeout_ms: int, limit: int
) -> tuple[list[str], Sequence[Sequence[Any]]]:
    """Run one statement in a read-only transaction; a write fails and changes nothing."""
    dialect = engine.dialect.name
    try:
        if dialect == "sqlite":
            return _sqlite(engine, sql, values, timeout_ms, limit)
        with engine.connect() as conn:
            if dialect == "postgresql":
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
                try:
                    result = conn.execute(text(sql), dict(values))
                    return list(result.keys()), result.fetchmany(limit)
                finally:
                    conn.rollback()
            conn.exec_driver_sql(f"SET SESSION max_statement_time = {timeout_ms / 1000:.3f}")
            conn.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
            conn.exec_driver_sql("START TRANSACTION READ ONLY")
            try:
                result = conn.execute(text(sql), dict(values))
                return list(result.keys()), result.fetchmany(limit)
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


def _explain(exc: DBAPIError) -> ValueError:
    message = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
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


def _sqlite(
    engine: Engine, sql: str, values: Mapping[str, Any], timeout_ms: int, limit: int
) -> tuple[list[str], Sequence[Sequence[Any]]]:
    # The engine's connections BEGIN IMMEDIATE (a write lock); a report needs none, so it
    # uses the DB-API connection in autocommit with the connection set to query-only.
    raw = engine.raw_connection()
    dbapi: Any = raw.driver_connection
    deadline = time.monotonic() + timeout_ms / 1000
    bound = {k: _sqlite_value(v) for k, v in values.items()}
    try:
        dbapi.execute("PRAGMA query_only = 1")
        dbapi.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        try:
            cursor = dbapi.execute(sql, bound)
            columns = [d[0] for d in cursor.description or ()]
            rows = cursor.fetchmany(limit)
            cursor.close()
            return columns, rows
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc):
                raise ReportTimeout(f"the report ran past its time limit of {timeout_ms} ms") from None
            if "readonly" in str(exc):
                raise ReportRefused(f"reports are read-only; the database refused a change: {exc}") from None
            raise ReportRefused(f"the report failed: {exc}") from None
        except sqlite3.Error as exc:
            raise ReportRefused(f"the report failed: {exc}") from None
    finally:
        dbapi.set_progress_handler(None, 0)
        dbapi.execute("PRAGMA query_only = 0")
        raw.close()


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value
