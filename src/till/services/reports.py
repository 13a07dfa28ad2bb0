"""Saved reports: named, parameterised, read-only SQL with the roles allowed to run them.

Two fences, each enough alone for writes. Before a report is saved (and again before it
runs) sqlglot parses it in the database's dialect and proves it one SELECT that only reads,
calls no denied function and reads no secret column (`check_sql`). Then the database
enforces it, each in its own way (`till.storage.reports.run_read_only`: a read-only
transaction, a statement timeout, one statement only; on SQLite an authorizer refusing the
same functions and columns). Values are bound parameters, never pasted into the SQL.
Answers stop at a row limit and a byte limit, and say so.
Optional parameters use `COALESCE(:param, column) = column`, which types the parameter on
every database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlglot
import sqlglot.errors
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlglot import expressions as exp

# Re-exported: the report's errors are raised here and by its run in storage.
from till.domain.money import money_str
from till.domain.reports import ReportRefused as ReportRefused
from till.domain.reports import ReportTimeout as ReportTimeout
from till.domain.staff import Role
from till.services.auth import Principal
from till.services.errors import Conflict, NotFound
from till.storage import reports as storage_reports
from till.storage.events import EventRepository
from till.storage.reports import ReadGuard, ReportRepository, plain_value, row_bytes, secret_columns

PARAM_TYPES = ("date", "int", "text", "decimal")
_NAME = re.compile(r"^[a-z][a-z0-9_-]{1,63}$")
#: MySQL/MariaDB run the text of `/*! … */` and `/*M! … */`, which a parser reads as a
#: comment: refused outright.
_EXECUTABLE_COMMENT = re.compile(r"/\*\s*M?!")


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
    """Columns, rows (JSON-ready values) and whether a limit cut it short: `truncated_by`
    says which, `rows` (the row limit) or `bytes` (the answer's byte limit)."""

    name: str
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool
    truncated_by: str | None = None


_PERIOD = {"date_from": "date", "date_to": "date", "location": "text"}
_SALES_WHERE = """
  o.business_day >= COALESCE(:date_from, o.business_day)
  AND o.business_day <= COALESCE(:date_to, o.business_day)
  AND o.location_code = COALESCE(:location, o.location_code)"""

#: Columns of the built-in reports that are amounts of money.
BUILTIN_MONEY = frozenset({"total", "tax", "discount", "amount", "opening_float", "counted_cash"})


def _money(value: Any) -> Any:
    plain = plain_value(value)
    if isinstance(plain, bool) or not isinstance(plain, str | int):
        return plain
    return money_str(Decimal(plain))


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


#: Dialects of sqlglot by SQLAlchemy's dialect name.
_SQLGLOT_DIALECT = {"sqlite": "sqlite", "postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql"}

#: Columns no report may read on any database: password, PIN and offline PIN verifier hashes,
#: token digests and webhook signing secrets, as the tables mark them (`info={"secret": True}`).
#: Keyed by table; the names are refused wherever they appear, and the tables may not be read
#: whole (`*`, or the row as one value).
SECRET_COLUMNS: dict[str, frozenset[str]] = secret_columns()
_SECRET_NAMES = frozenset().union(*SECRET_COLUMNS.values())

#: Functions that sleep, touch files or the server, run SQL given as text, change settings
#: or take locks: refused by name (lowercase); any name starting with a prefix too.
DENIED_FUNCTIONS = frozenset(
    {
        "sleep", "benchmark", "load_file", "load_extension", "readfile", "writefile", "edit",
        "dblink", "set_config", "current_setting", "query_to_xml", "query_to_xml_and_xmlschema",
        "cursor_to_xml", "table_to_xml", "table_to_xml_and_xmlschema", "schema_to_xml",
        "database_to_xml", "get_lock", "release_lock", "release_all_locks", "is_free_lock",
        "is_used_lock", "master_pos_wait", "master_gtid_wait", "nextval", "setval", "lastval",
        "sys_exec", "sys_eval", "txid_current", "copy", "fts3_tokenizer",
    }
)  # fmt: skip
_DENIED_PREFIXES = ("pg_", "lo_", "dblink", "xmlexists", "sqlite_", "json_table", "txid_")
_GUARD = ReadGuard(SECRET_COLUMNS, DENIED_FUNCTIONS, _DENIED_PREFIXES)
#: Schemas and tables of the database's own catalogue (PostgreSQL's pg_stats holds sample
#: values of every column; MariaDB's mysql.user the database's password hashes).
_CATALOG_SCHEMAS = frozenset({"pg_catalog", "information_schema", "mysql", "performance_schema", "sys"})
_CATALOG_PREFIXES = ("pg_", "sqlite_")

#: Nodes that are not a read, wherever they sit in the tree.
_NOT_READS: tuple[type, ...] = (
    exp.DML, exp.DDL, exp.Command, exp.Transaction, exp.Commit, exp.Rollback, exp.Set,
    exp.Into, exp.Lock, exp.Pragma, exp.Use, exp.Copy, exp.LoadData, exp.Describe, exp.Show,
    exp.Kill, exp.Grant, exp.Revoke, exp.Analyze, exp.Cache, exp.Uncache, exp.Refresh,
    exp.Declare, exp.Execute, exp.Comment, exp.Export, exp.Attach, exp.Detach, exp.Install,
    exp.Summarize, exp.TruncateTable, exp.Merge, exp.Insert, exp.Update, exp.Delete,
    exp.Create, exp.Drop, exp.Alter,
)  # fmt: skip
_READ_ROOTS = (exp.Select, exp.SetOperation, exp.Subquery)


def check_sql(sql: str, params: Mapping[str, str], dialect: str = "sqlite") -> None:
    """Prove the text is one SELECT that only reads, with sqlglot (the database's own
    dialect): exactly one statement, a SELECT/UNION/WITH … SELECT at its root, nothing that
    writes, commits, sets, locks or selects INTO anywhere in the tree, no denied function,
    no secret column and no catalogue table; every parameter declared. Refuses with the
    reason otherwise. The database enforces the same again when the report runs."""
    if _EXECUTABLE_COMMENT.search(sql):
        raise ReportRefused("a report may not use executable comments (/*! … */)")
    try:
        statements = [s for s in sqlglot.parse(sql, read=_SQLGLOT_DIALECT.get(dialect, dialect)) if s]
    except sqlglot.errors.SqlglotError as exc:
        raise ReportRefused(f"the report's SQL could not be read: {str(exc).splitlines()[0]}") from None
    if len(statements) != 1:
        raise ReportRefused("a report is a single statement: remove the ';'")
    [tree] = statements
    if not isinstance(tree, _READ_ROOTS):
        raise ReportRefused("a report is one SELECT (or WITH … SELECT); it cannot change data")
    for node in tree.walk():
        if isinstance(node, _NOT_READS):
            word = node.key.upper().replace("_", " ")
            raise ReportRefused(f"a report reads: {word} is not allowed in it")
        if isinstance(node, exp.Func):
            _check_function(node)
        elif isinstance(node, exp.Table):
            _check_table(node)
        elif isinstance(node, exp.Column) and node.name.lower() in _SECRET_NAMES:
            raise ReportRefused(f"a report may not read the secret column {node.name}")
    _check_secret_tables(tree)
    used = {p.name for p in tree.find_all(exp.Placeholder) if p.name}
    undeclared = sorted(used - set(params))
    if undeclared:
        raise ReportRefused(f"declare the parameters {', '.join(undeclared)} (date, int, text or decimal)")
    for name, kind in params.items():
        if kind not in PARAM_TYPES:
            raise ReportRefused(f"parameter {name}: type {kind!r}; use {', '.join(PARAM_TYPES)}")


def _check_function(node: exp.Func) -> None:
    name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
    if name in DENIED_FUNCTIONS or name.startswith(_DENIED_PREFIXES):
        raise ReportRefused(f"a report may not call {name}()")


def _check_table(node: exp.Table) -> None:
    schema, name = node.db.lower(), node.name.lower()
    if schema in _CATALOG_SCHEMAS or name.startswith(_CATALOG_PREFIXES) or name in _CATALOG_SCHEMAS:
        raise ReportRefused(f"a report reads the shop's tables, not the database's catalogue ({node.sql()})")


def _check_secret_tables(tree: exp.Expression) -> None:
    """A table holding secrets is read column by column: no `*` anywhere in a query that reads
    it (bar count(*)), and no reference to the table (or its alias) as a value, e.g.
    row_to_json(s), which would carry the whole row."""
    names: set[str] = set()
    for table in tree.find_all(exp.Table):
        if table.name.lower() in SECRET_COLUMNS:
            names.add(table.name.lower())
            if table.alias:
                names.add(table.alias.lower())
    if not names:
        return
    for star in tree.find_all(exp.Star):
        if not isinstance(star.parent, exp.Count):
            raise ReportRefused(
                f"a report that reads {', '.join(sorted(names & set(SECRET_COLUMNS)))} names its "
                "columns (no *): the table holds secrets"
            )
    for column in tree.find_all(exp.Column):
        if isinstance(column.this, exp.Star):
            raise ReportRefused("a report that reads a table holding secrets names its columns (no *)")
        if not column.table and column.name.lower() in names:
            raise ReportRefused(f"a report may not read the whole row of {column.name}: it holds secrets")


def _row_report(row: Mapping[str, Any]) -> Report:
    return Report(
        row["name"],
        row["title"],
        row["sql"],
        dict(row["params"]),
        tuple(row["roles"]),
        row["description"] or "",
        builtin=False,
    )


def list_reports(engine: Engine, principal: Principal | None = None) -> list[Report]:
    """Built-in and saved reports (those the principal's role may run)."""
    with engine.connect() as conn:
        saved = [_row_report(r) for r in ReportRepository(conn).all()]
    found = list(BUILTIN.values()) + saved
    if principal is not None:
        found = [r for r in found if principal.staff.role.value in r.roles]
    return found


def get_report(engine: Engine, name: str) -> Report:
    """A report by name, or NotFound."""
    if name in BUILTIN:
        return BUILTIN[name]
    with engine.connect() as conn:
        row = ReportRepository(conn).get(name)
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
    check_sql(report.sql, report.params, engine.dialect.name)
    try:
        with engine.begin() as conn:
            ReportRepository(conn).add(
                name=report.name,
                title=report.title,
                description=report.description,
                sql=report.sql,
                params=dict(report.params),
                roles=roles,
                at=datetime.now(UTC),
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
        if not ReportRepository(conn).delete(name):
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
                if not -(2**63) <= values[name] < 2**63:
                    # Past a 64-bit integer the database driver fails (a 500), not the caller.
                    raise ValueError(value)
            elif kind == "decimal":
                values[name] = Decimal(str(value))
                number: Decimal = values[name]
                # What every database's DECIMAL can hold: 38 digits, an exponent within ±38.
                if (
                    not number.is_finite()
                    or len(number.as_tuple().digits) > 38
                    or abs(number.adjusted()) > 38
                ):
                    raise ValueError(value)
            else:
                values[name] = str(value)
        except (ValueError, InvalidOperation):
            raise ReportRefused(f"parameter {name}: {value!r} is not a {kind}") from None
    return values


def run_report(
    engine: Engine,
    principal: Principal,
    name: str,
    raw_params: Mapping[str, Any],
    *,
    timeout_ms: int = 5000,
    row_limit: int = 5000,
    byte_limit: int | None = None,
) -> ReportResult:
    """Run a report the principal's role may run, read-only, with timeout, row limit and
    byte limit: past `byte_limit` bytes of rows (as JSON) the answer stops at the last row
    that fits and says `truncated_by: bytes`."""
    from till.domain.staff import PermissionDenied

    report = get_report(engine, name)
    if principal.staff.role.value not in report.roles:
        raise PermissionDenied(f"a {principal.staff.role.value} may not run {name}")
    check_sql(report.sql, report.params, engine.dialect.name)
    values = parse_params(report, raw_params)
    _keep_to_their_locations(engine, principal, report, values)
    columns, rows = run_read_only(
        engine, report.sql, values, timeout_ms=timeout_ms, limit=row_limit + 1, byte_limit=byte_limit
    )
    # The built-in reports' amounts in the currency's places, whatever the database summed them in.
    is_money = [report.builtin and c in BUILTIN_MONEY for c in columns]
    kept: list[list[Any]] = []
    size = 0
    for row in rows[:row_limit]:
        size += row_bytes(row)
        if byte_limit is not None and size > byte_limit:
            return ReportResult(name, columns, kept, True, "bytes")
        kept.append([_money(v) if money else plain_value(v) for v, money in zip(row, is_money, strict=False)])
    cut = len(rows) > row_limit
    return ReportResult(name, columns, kept, cut, "rows" if cut else None)


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
    engine: Engine,
    sql: str,
    values: Mapping[str, Any],
    *,
    timeout_ms: int,
    limit: int,
    byte_limit: int | None = None,
) -> tuple[list[str], Sequence[Sequence[Any]]]:
    """Run one statement read-only under the database's own guards, refusing this service's
    denied functions and secret columns too (`till.storage.reports.run_read_only`)."""
    return storage_reports.run_read_only(
        engine, sql, values, guard=_GUARD, timeout_ms=timeout_ms, limit=limit, byte_limit=byte_limit
    )
