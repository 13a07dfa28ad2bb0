"""Counting the drawer by notes and coins, and the manager's close rule (pure domain)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from till.domain.cash_count import CashCount, CashCountError, CloseRule, check_close_note, faces_of
from till.domain.shifts import ShiftError, ShiftSale, shift_report

D = Decimal


def test_a_dollar_count_is_quantities_times_face_values_to_the_cent() -> None:
    count = CashCount(
        "USD", {D("20.00"): 3, D("5.00"): 1, D("1.00"): 4, D("0.25"): 3, D("0.10"): 1, D("0.01"): 7}
    )
    assert count.total == D("69.92")
    assert count.wire() == {"20.00": 3, "5.00": 1, "1.00": 4, "0.25": 3, "0.10": 1, "0.01": 7}


def test_a_euro_count_has_two_euro_coins_and_two_cent_coins() -> None:
    count = CashCount("EUR", {D("50.00"): 2, D("2.00"): 3, D("0.20"): 1, D("0.02"): 4})
    assert count.total == D("106.28")
    # 0.1 + 0.2 in binary floats is 0.30000000000000004: a thousand dimes and two thousand
    # 20-cent coins still come to an exact 500.00.
    assert CashCount("EUR", {D("0.10"): 1000, D("0.20"): 2000}).total == D("500.00")


@pytest.mark.parametrize(
    ("currency", "pieces", "says"),
    [
        ("USD", {D("0.20"): 1}, "not a note or coin of USD"),
        ("EUR", {D("0.25"): 1}, "not a note or coin of EUR"),
        ("USD", {D("1.00"): -1}, "whole number"),
        ("USD", {D("1.00"): 10**6}, "more than a drawer holds"),
        ("XYZ", {D("1.00"): 1}, "count the total instead"),
    ],
)
def test_a_count_that_cannot_be_right_is_refused_with_what_to_fix(
    currency: str, pieces: dict[Decimal, int], says: str
) -> None:
    with pytest.raises(CashCountError, match=says):
        CashCount(currency, pieces)


def test_notes_come_before_coins_largest_first() -> None:
    faces = faces_of("USD")
    assert faces[0] == D("100.00")
    assert faces[-1] == D("0.01")
    assert list(faces) == sorted(faces, reverse=True)


def test_a_difference_over_the_allowance_needs_a_note_either_way() -> None:
    rule = CloseRule(note_over=D("1.00"))
    check_close_note(rule, D("-1.00"), "")
    check_close_note(rule, D("1.00"), "")
    with pytest.raises(CashCountError, match=r"short by 1\.01"):
        check_close_note(rule, D("-1.01"), "  ")
    with pytest.raises(CashCountError, match=r"over by 2\.50"):
        check_close_note(rule, D("2.50"), "")
    check_close_note(rule, D("2.50"), "a customer left the change")


def test_an_allowance_of_zero_needs_a_note_for_any_difference_and_no_rule_needs_none() -> None:
    with pytest.raises(CashCountError):
        check_close_note(CloseRule(note_over=D("0.00")), D("0.01"), "")
    check_close_note(CloseRule(note_over=D("0.00")), D("0.00"), "")
    check_close_note(CloseRule(), D("-50.00"), "")


def test_the_allowance_is_an_amount_of_zero_or_more() -> None:
    with pytest.raises(CashCountError):
        CloseRule(note_over=D("-1.00"))
    with pytest.raises(CashCountError):
        CloseRule(note_over=D("0.001"))


def test_the_z_report_keeps_the_count_by_denomination_and_the_note() -> None:
    count = CashCount("USD", {D("50.00"): 2, D("20.00"): 1, D("0.05"): 3})
    report = shift_report(
        register_code="NYC1",
        opened_at=datetime(2026, 12, 7, 9, tzinfo=UTC),
        opening_float=D("100.00"),
        sales=[ShiftSale(D("21.65"), D("1.65"), D("0"), (("cash", D("21.65")),))],
        movements=[],
        closed_at=datetime(2026, 12, 7, 18, tzinfo=UTC),
        counted_cash=count.total,
        cash_count=count,
        note=" one 5-cent coin was foreign ",
    )
    assert report.counted_cash == D("120.15")
    assert report.difference == D("-1.50")
    assert report.counted_by_denomination == {"50.00": 2, "20.00": 1, "0.05": 3}
    assert report.note == "one 5-cent coin was foreign"


def test_a_count_that_does_not_add_up_to_the_counted_cash_is_refused() -> None:
    count = CashCount("USD", {D("20.00"): 1})
    with pytest.raises(ShiftError, match="not the total"):
        shift_report(
            register_code="NYC1",
            opened_at=datetime(2026, 12, 7, 9, tzinfo=UTC),
            opening_float=D("0.00"),
            sales=[],
            movements=[],
            closed_at=datetime(2026, 12, 7, 18, tzinfo=UTC),
            counted_cash=D("25.00"),
            cash_count=count,
        )
