"""A saved report is one read-only SELECT, proven by a parser AND enforced by the database
(issue 12, item 3), reads no secret column, and its answer has a byte limit. All 3 databases."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, select

from tests.e2e.conftest import Live
from till.api.app import create_app
from till.services.reports import ReportRefused, ReportTimeout, run_read_only
from till.settings import Settings
from till.storage.tables import saved_reports

pytestmark = pytest.mark.db

_SLEEP = {"postgresql": "pg_sleep(7)", "mysql": "sleep(7)", "sqlite": "1"}


def _attack(engine: Engine) -> str:
    """The issue's string: a `--` in a literal hid the rest from the old text check; on
    PostgreSQL the COMMIT ended the read-only transaction and the sleep outran the limit."""
    sleep = _SLEEP[engine.dialect.name]
    return (
        "SELECT '--' AS a; COMMIT; CREATE TABLE pwned_report (x INT); "
        f"CREATE TEMPORARY TABLE pwned_temp (x INT); SELECT {sleep}"
    )


REFUSED_AT_SAVE = [
    "SELECT '--' AS a; COMMIT; CREATE TABLE pwned_report (x INT); SELECT pg_sleep(7)",
    "SELECT '--' AS a; COMMIT; SELECT sleep(7)",
    "SELECT pg_sleep(7) AS z",
    "SELECT sleep(7) AS z",
    "SELECT benchmark(100000000, md5('x')) AS z",
    "SELECT set_config('statement_timeout', '0', true) AS z",
    "SELECT pg_read_file('/etc/passwd') AS z",
    "SELECT load_file('/etc/passwd') AS z",
    "SELECT lo_import('/etc/passwd') AS z",
    "SELECT query_to_xml('SELECT password_hash FROM staff', true, true, '') AS z",
    "SELECT sku FROM products FOR UPDATE",
    "SELECT sku INTO stolen FROM products",
    "WITH gone AS (DELETE FROM products RETURNING sku) SELECT count(*) AS n FROM gone",
    # secrets
    "SELECT username, password_hash FROM staff",
    "SELECT s.pin_hash FROM staff s",
    "SELECT pin_offline FROM staff",
    "SELECT * FROM staff",
    "SELECT s.* FROM staff s",
    "SELECT x.* FROM (SELECT * FROM staff) x",
    "SELECT row_to_json(s) AS j FROM staff s",
    "SELECT token_hash FROM auth_tokens",
    "SELECT token_hash FROM devices",
    "SELECT secret FROM webhook_endpoints",
    "SELECT url FROM webhook_endpoints WHERE secret LIKE 'a%'",
    'SELECT s."password_hash" FROM staff s',  # (on MariaDB not even SQL: refused too)
    # a gift card's number is a bearer secret: not even its digest (docs/ledgers.md)
    "SELECT number_digest FROM gift_cards",
    "SELECT * FROM gift_cards",
    # catalogues of the database itself (pg_stats holds sample values of every column)
    "SELECT most_common_vals FROM pg_stats",
    "SELECT authentication_string FROM mysql.user",
    "SELECT sql FROM sqlite_master",
]


@pytest.mark.parametrize("sql", REFUSED_AT_SAVE)
def test_a_report_that_is_not_one_safe_select_is_refused_when_saved(live: Live, sql: str) -> None:
    report = {"name": "sneaky", "title": "Sneaky", "sql": sql, "params": {}, "roles": ["admin"]}
    with live.sign_in("admin") as admin:
        answer = admin.post("/api/reports", json=report)
    assert answer.status_code == 400, (sql, answer.text)
    with live.engine.connect() as conn:
        assert conn.execute(select(saved_reports.c.name)).all() == []


def test_reports_that_only_read_are_still_saved_and_run(live: Live) -> None:
    """The parser does not refuse ordinary reads: joins, CTEs, unions, COALESCE parameters,
    staff names (not their secrets) and count(*)."""
    sql = (
        "WITH s AS (SELECT id, username FROM staff WHERE active = COALESCE(:active, active)) "
        "SELECT s.username AS who, count(*) AS n FROM s LEFT JOIN orders o ON o.staff_id = s.id "
        "GROUP BY s.username UNION ALL SELECT 'total' AS who, count(*) AS n FROM staff "
        "ORDER BY who"
    )
    report = {"name": "staff-sales", "title": "t", "sql": sql, "params": {"active": "int"}}
    with live.sign_in("admin") as admin:
        made = admin.post("/api/reports", json=report)
        assert made.status_code == 201, made.text
        ran = admin.get("/api/reports/staff-sales")
        assert ran.status_code == 200, ran.text
        assert ["total", len(live.store.staff)] in ran.json()["rows"]


def test_the_database_runs_one_statement_only(demo_engine: Engine) -> None:
    """Past the parser (run_read_only called directly), the database itself refuses the rest
    of a multi-statement string: no table is made, the sleep never runs."""
    started = time.monotonic()
    with pytest.raises((ReportRefused, ReportTimeout)):
        run_read_only(demo_engine, _attack(demo_engine), {}, timeout_ms=5000, limit=10)
    assert time.monotonic() - started < 4, "the sleep ran"
    assert not inspect(demo_engine).has_table("pwned_report")
    for _ in range(3):  # whichever pooled connection comes next holds no temp table either
        with demo_engine.connect() as conn:
            assert not inspect(conn).has_table("pwned_temp")
    _, rows = run_read_only(demo_engine, "SELECT 1 AS one", {}, timeout_ms=5000, limit=10)
    assert rows[0][0] == 1


def test_a_timeout_cannot_be_lifted_from_inside_a_report(demo_engine: Engine) -> None:
    """On PostgreSQL set_config() inside the report could lift the statement timeout; past
    the parser the read-only transaction and the timeout still hold on every database."""
    sql = {
        "postgresql": "SELECT set_config('statement_timeout', '0', true) AS a, pg_sleep(3) AS b",
        "mysql": "SELECT sleep(3) AS b",
        "sqlite": ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"),
    }[demo_engine.dialect.name]
    started = time.monotonic()
    with contextlib.suppress(ReportRefused, ReportTimeout):
        run_read_only(demo_engine, sql, {}, timeout_ms=500, limit=10)
    assert time.monotonic() - started < 2.5


def test_a_secret_column_is_refused_by_sqlite_itself(demo_engine: Engine) -> None:
    """SQLite's authorizer denies reading secret columns while a report runs, whatever the
    parser let through. PostgreSQL and MariaDB: see docs/deploy.md (a read-only role)."""
    if demo_engine.dialect.name != "sqlite":
        pytest.skip("the parser is the guard on a single-user PostgreSQL/MariaDB: docs/deploy.md")
    for sql in (
        "SELECT password_hash FROM staff",
        "SELECT * FROM staff",
        "SELECT secret FROM webhook_endpoints",
        "SELECT token_hash FROM auth_tokens",
        "SELECT number_digest FROM gift_cards",
    ):
        with pytest.raises(ReportRefused, match=r"not authorized|prohibited|secret"):
            run_read_only(demo_engine, sql, {}, timeout_ms=5000, limit=10)
    with pytest.raises(ReportRefused):
        run_read_only(demo_engine, "SELECT load_extension('x')", {}, timeout_ms=5000, limit=10)
    _, rows = run_read_only(demo_engine, "SELECT username FROM staff", {}, timeout_ms=5000, limit=100)
    assert rows, "non-secret columns of the same table still read"
    with demo_engine.begin() as conn:  # and the connection writes again afterwards
        conn.exec_driver_sql("UPDATE staff SET name = name")


def _client(engine: Engine, **settings: Any) -> Any:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    made = Settings(database_url=str(engine.url), web_dist="/nonexistent", **settings)
    return TestClient(create_app(made, engine))


def test_a_report_answer_is_cut_at_its_byte_limit(live: Live) -> None:
    """Over `report_byte_limit` the answer stops at the last row that fits and says so."""
    client = _client(live.engine, report_byte_limit=4096)
    admin = live.store.staff_member("admin")
    signed = client.post("/api/auth/sign-in", json={"username": "admin", "password": admin.password})
    headers = {"Authorization": f"Bearer {signed.json()['token']}"}
    report = {"name": "all-products", "title": "t", "sql": "SELECT sku, name, price FROM products"}
    assert client.post("/api/reports", json=report, headers=headers).status_code == 201
    ran = client.get("/api/reports/all-products", headers=headers)
    assert ran.status_code == 200, ran.text
    body = ran.json()
    assert len(ran.content) < 4096 + 1024
    assert body["truncated"] is True and body["truncated_by"] == "bytes"
    assert 0 < len(body["rows"]) < live.store.products
    csv_answer = client.get("/api/reports/all-products", params={"format": "csv"}, headers=headers)
    assert csv_answer.headers["X-Truncated"] == "true" and len(csv_answer.content) < 4096 + 1024
