"""Closing a shift a manager trusts, over HTTP on each database: the manager's close rule (a
blind count, a note over an allowance), the count by note and coin kept with the shift, and
the Z report as a document to print or e-mail."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from tests.e2e.conftest import Live
from tests.e2e.test_shifts_api import _open, _price, _products, _push, _sale, _x


def _rule(live: Live, blind: bool, note_over: str | None) -> None:
    with live.sign_in("grace") as manager:
        answer = manager.put(
            "/api/admin/shift-close-rule", json={"blind_count": blind, "note_over": note_over}
        )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"blind_count": blind, "note_over": note_over}


def _close(client: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    return client.post("/api/registers/NYC1/shift/close", json=body)


def test_a_cashier_may_not_set_the_close_rule_and_tills_get_it_in_the_bootstrap(live: Live) -> None:
    with live.sign_in("maya") as till:
        refused = till.put("/api/admin/shift-close-rule", json={"blind_count": True, "note_over": "0.00"})
        before = till.get("/api/sync/bootstrap").json()["shift_close"]
    assert refused.status_code == 403
    assert before == {"blind_count": False, "note_over": None}
    _rule(live, True, "2.00")
    with live.sign_in("maya") as till:
        assert till.get("/api/sync/bootstrap").json()["shift_close"] == {
            "blind_count": True,
            "note_over": "2.00",
        }
        assert till.get("/api/shift-close-rule").json() == {"blind_count": True, "note_over": "2.00"}


def test_under_a_blind_count_the_x_report_hides_the_expected_cash_and_the_z_report_shows_it(
    live: Live,
) -> None:
    _rule(live, True, None)
    with live.sign_in("maya") as till:
        _open(till, float_="100.00")
        x = _x(till)
    assert x["expected_cash"] is None
    assert x["opening_float"] == "100.00"
    with live.sign_in("grace") as manager:
        assert manager.get("/api/registers/NYC1/shift").json()["expected_cash"] is None
        z = _close(manager, {"counted_cash": "100.00"})
    assert z.status_code == 200, z.text
    assert z.json()["expected_cash"] == "100.00"
    assert z.json()["difference"] == "0.00"


def test_a_difference_over_the_allowance_needs_a_note_and_the_note_is_kept(live: Live) -> None:
    product = _products(live)[0]
    sale = _sale(live, product, "NYC1-000301")
    total = Decimal(sale["totals"]["grand_total"])
    _rule(live, False, "1.00")
    with live.sign_in("maya") as till:
        shift_id = _open(till, float_="100.00")
        _push(till, sale)
    expected = Decimal("100.00") + total
    short = expected - Decimal("1.50")
    with live.sign_in("grace") as manager:
        no_note = _close(manager, {"counted_cash": f"{short:.2f}"})
        still_open = manager.get("/api/registers/NYC1/shift")
        closed = _close(
            manager, {"counted_cash": f"{short:.2f}", "note": "paid the window cleaner from the till"}
        )
        stored = manager.get(f"/api/shifts/{shift_id}/z-report").json()
    assert no_note.status_code == 422
    assert "short by 1.50" in no_note.json()["detail"]
    assert still_open.status_code == 200  # the refused close left the shift open
    assert closed.status_code == 200, closed.text
    assert stored["difference"] == "-1.50"
    assert stored["note"] == "paid the window cleaner from the till"


def test_within_the_allowance_no_note_is_needed(live: Live) -> None:
    _rule(live, False, "1.00")
    with live.sign_in("maya") as till:
        _open(till, float_="50.00")
    with live.sign_in("grace") as manager:
        closed = _close(manager, {"counted_cash": "49.00"})
    assert closed.status_code == 200, closed.text
    assert closed.json()["difference"] == "-1.00"


def test_the_count_by_note_and_coin_is_kept_and_must_add_up(live: Live) -> None:
    with live.sign_in("maya") as till:
        shift_id = _open(till, float_="87.35")
    count = {
        "currency": "USD",
        "pieces": {"50.00": 1, "20.00": 1, "10.00": 1, "5.00": 1, "1.00": 2, "0.25": 1, "0.10": 1},
    }
    with live.sign_in("grace") as manager:
        wrong_total = _close(manager, {"counted_cash": "90.00", "cash_count": count})
        wrong_coin = _close(
            manager, {"counted_cash": "0.20", "cash_count": {"currency": "USD", "pieces": {"0.20": 1}}}
        )
        wrong_currency = _close(
            manager, {"counted_cash": "50.00", "cash_count": {"currency": "EUR", "pieces": {"50.00": 1}}}
        )
        closed = _close(manager, {"counted_cash": "87.35", "cash_count": count})
        stored = manager.get(f"/api/shifts/{shift_id}/z-report").json()
    assert wrong_total.status_code == 422
    assert "not the total" in wrong_total.json()["detail"]
    assert wrong_coin.status_code == 422
    assert "not a note or coin of USD" in wrong_coin.json()["detail"]
    assert wrong_currency.status_code == 422
    assert "holds USD" in wrong_currency.json()["detail"]
    assert closed.status_code == 200, closed.text
    assert stored["counted_by_denomination"] == {
        "50.00": 1,
        "20.00": 1,
        "10.00": 1,
        "5.00": 1,
        "1.00": 2,
        "0.25": 1,
        "0.10": 1,
    }
    assert stored["difference"] == "0.00"


def test_the_z_report_document_has_the_figures_in_text_and_html(live: Live) -> None:
    product = _products(live)[0]
    sale = _sale(live, product, "NYC1-000401", qty="2")
    total = Decimal(sale["totals"]["grand_total"])
    _rule(live, False, "0.00")
    with live.sign_in("maya") as till:
        shift_id = _open(till, float_="100.00")
        _push(till, sale)
        cashier_may_not = till.get(f"/api/shifts/{shift_id}/z-report/document")
    counted = Decimal("100.00") + total + Decimal("0.05")
    with live.sign_in("grace") as manager:
        open_one = manager.get(f"/api/shifts/{shift_id}/z-report/document")
        closed = _close(manager, {"counted_cash": f"{counted:.2f}", "note": "a <b>nickel</b> found"})
        assert closed.status_code == 200, closed.text
        document = manager.get(f"/api/shifts/{shift_id}/z-report/document")
    assert cashier_may_not.status_code == 403
    assert open_one.status_code == 404
    assert document.status_code == 200, document.text
    doc = document.json()
    assert "Z report NYC1" in doc["subject"]
    text = doc["text"]
    assert f"${100 + total + Decimal('0.05'):.2f}" in text
    assert "Difference (Over)" in text and "$0.05" in text
    assert "Net sales" in text and f"${total:.2f}" in text
    assert "a <b>nickel</b> found" in text
    assert all(len(line) <= 42 for line in text.splitlines() if not line.startswith("a <b>"))
    assert "a &lt;b&gt;nickel&lt;/b&gt; found" in doc["html"]  # escaped, never markup
    assert "80mm" in doc["html"]
    assert f"${total:.2f}" in doc["html"]
    assert _price(product)  # a real product was sold
