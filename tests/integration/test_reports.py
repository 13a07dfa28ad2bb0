"""Reports are read-only in the database itself, with a statement timeout (all 3 databases)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from till.services.reports import ReportRefused, ReportTimeout, run_read_only
from till.storage.tables import products

pytestmark = pytest.mark.db


def _state(engine: Engine) -> tuple[int, object]:
    with engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(products)).scalar_one(),
            conn.execute(select(func.sum(products.c.price))).scalar_one(),
        )


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE products SET price = 0",
        "DELETE FROM products",
        "INSERT INTO attribute_sets (name) VALUES ('sneaky')",
    ],
)
def test_the_database_refuses_a_write_in_a_report(demo_engine: Engine, sql: str) -> None:
    """Past the text check (called directly), the read-only transaction still refuses."""
    before = _state(demo_engine)
    with pytest.raises(ReportRefused, match="read-only"):
        run_read_only(demo_engine, sql, {}, timeout_ms=5000, limit=10)
    assert _state(demo_engine) == before


def test_a_write_hidden_in_a_with_clause_changes_nothing(demo_engine: Engine) -> None:
    """`WITH … AS (DELETE …) SELECT` passes the text check: PostgreSQL's read-only
    transaction refuses it; SQLite and MariaDB cannot even parse it. Either way: an error."""
    before = _state(demo_engine)
    with pytest.raises(ReportRefused):
        run_read_only(
            demo_engine,
            "WITH gone AS (DELETE FROM products RETURNING sku) SELECT count(*) FROM gone",
            {},
            timeout_ms=5000,
            limit=10,
        )
    assert _state(demo_engine) == before
    columns, rows = run_read_only(
        demo_engine, "SELECT count(*) AS n FROM products", {}, timeout_ms=5000, limit=10
    )
    assert columns == ["n"] and rows[0][0] == before[0], "the connection still reads afterwards"


def test_a_slow_report_stops_at_the_timeout(demo_engine: Engine) -> None:
    engine = demo_engine
    # 160^4 ≈ 650 million rows: seconds to minutes on any database.
    slow = (
        "SELECT count(*) FROM products a, products b, products c, products d "
        "WHERE a.price + d.price > b.price"
    )
    with pytest.raises(ReportTimeout):
        run_read_only(engine, slow, {}, timeout_ms=300, limit=10)
    _, rows = run_read_only(engine, "SELECT 1 AS one", {}, timeout_ms=300, limit=10)
    assert rows[0][0] == 1, "the pooled connection is usable (timeout reset) after a timeout"


def test_the_secret_columns_are_those_the_tables_mark() -> None:
    """The tables' metadata names what no report may read; losing a mark would open a column."""
    from till.services.reports import SECRET_COLUMNS

    marked = dict(SECRET_COLUMNS)
    assert marked == {
        "staff": {"password_hash", "pin_hash", "pin_offline"},
        "devices": {"token_hash"},
        "auth_tokens": {"token_hash"},
        "webhook_endpoints": {"secret"},
        "gift_cards": {"number_digest"},
    }
