"""Sales, payments, receipt numbers, shift reports, staff permissions."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from till.domain.sales import (
    OrderError,
    Payment,
    check_receipt_number,
    receipt_number,
)
from till.domain.shifts import CashMovement, ShiftError, ShiftSale, shift_report
from till.domain.staff import Permission, PermissionDenied, Role, StaffMember


def test_receipt_numbers_carry_their_register() -> None:
    number = receipt_number("NYC1", 42)
    assert number == "NYC1-000042"
    check_receipt_number("NYC1", number)
    with pytest.raises(OrderError, match="does not belong"):
        check_receipt_number("NYC2", number)
    with pytest.raises(OrderError, match="REGISTER-NUMBER"):
        check_receipt_number("NYC1", "42")


def test_payments_are_whole_cents() -> None:
    with pytest.raises(OrderError, match="two decimals"):
        Payment("cash", Decimal("1.005"))
    with pytest.raises(OrderError, match="positive"):
        Payment("card", Decimal("0"))


def test_x_and_z_reports_count_the_drawer() -> None:
    opened = datetime(2026, 11, 25, 9, tzinfo=UTC)
    sales = [
        ShiftSale(
            Decimal("33.51"),
            Decimal("2.73"),
            Decimal("7.22"),
            (("cash", Decimal("50.00")),),
            Decimal("16.49"),
        ),
        ShiftSale(Decimal("10.00"), Decimal("0.80"), Decimal("0"), (("card", Decimal("10.00")),)),
        ShiftSale(
            Decimal("-5.00"), Decimal("-0.40"), Decimal("0"), (("cash", Decimal("-5.00")),), is_refund=True
        ),
    ]
    moves = [
        CashMovement("in", Decimal("20.00"), "change roll"),
        CashMovement("out", Decimal("40.00"), "bank"),
    ]
    x = shift_report(
        register_code="NYC1", opened_at=opened, opening_float=Decimal("100.00"), sales=sales, movements=moves
    )
    assert x.kind == "X"
    assert (x.sales_count, x.refunds_count) == (2, 1)
    assert x.payments_by_method == {"card": Decimal("10.00"), "cash": Decimal("28.51")}
    assert x.expected_cash == Decimal("108.51")  # 100 + 33.51 − 5 + 20 − 40
    assert x.net_sales == Decimal("38.51")
    z = shift_report(
        register_code="NYC1",
        opened_at=opened,
        opening_float=Decimal("100.00"),
        sales=sales,
        movements=moves,
        closed_at=opened,
        counted_cash=Decimal("108.00"),
    )
    assert z.kind == "Z" and z.difference == Decimal("-0.51")
    with pytest.raises(ShiftError):
        shift_report(
            register_code="NYC1",
            opened_at=opened,
            opening_float=Decimal(0),
            sales=[],
            movements=[],
            closed_at=opened,
        )
    with pytest.raises(ShiftError):
        CashMovement("in", Decimal("5.00"), "  ")


def test_roles_grant_permissions_at_their_locations() -> None:
    cashier = StaffMember(1, "maya", "Maya", Role.CASHIER, frozenset({"NYC"}))
    manager = StaffMember(2, "grace", "Grace", Role.MANAGER)
    assert cashier.can(Permission.SELL, "NYC") and not cashier.can(Permission.SELL, "WH")
    assert not cashier.can(Permission.REFUND)
    with pytest.raises(PermissionDenied, match="ask a manager"):
        cashier.require(Permission.REFUND)
    with pytest.raises(PermissionDenied, match="does not work at WH"):
        cashier.require(Permission.SELL, "WH")
    cashier.require_discount(Decimal("10"))
    with pytest.raises(PermissionDenied, match="over maya's limit"):
        cashier.require_discount(Decimal("10.01"))
    manager.require(Permission.REFUND, "WH")
    assert not manager.can(Permission.MANAGE_STAFF)
    assert not StaffMember(3, "gone", "Gone", Role.ADMIN, active=False).can(Permission.SELL)
