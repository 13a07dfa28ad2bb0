"""Shifts, cash movements and the X/Z report."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    Field,
)

from till.api.schemas.common import (
    ActedByIn,
    DecimalOut,
    Money,
    Strict,
    TimeOut,
)


class OpenShiftIn(Strict):
    opening_float: Money
    acted_by: ActedByIn | None = None


class CashMovementIn(Strict):
    kind: Literal["in", "out"]
    amount: Annotated[Money, Field(gt=0)]
    reason: Annotated[str, Field(min_length=1, max_length=255)]
    acted_by: ActedByIn | None = None


class CloseShiftIn(Strict):
    counted_cash: Money
    acted_by: ActedByIn | None = None


class ShiftReportOut(BaseModel):
    kind: Literal["X", "Z"]
    register_code: str
    opened_at: TimeOut
    closed_at: TimeOut | None
    opening_float: DecimalOut
    sales_count: int
    refunds_count: int
    gross_sales: DecimalOut
    refunds: DecimalOut
    net_sales: DecimalOut
    tax: DecimalOut
    discounts: DecimalOut
    payments_by_method: dict[str, DecimalOut]
    cash_in: DecimalOut
    cash_out: DecimalOut
    expected_cash: DecimalOut
    counted_cash: DecimalOut | None
    difference: DecimalOut | None


class ShiftOpened(BaseModel):
    shift_id: int
    register_code: str


# --- sync ----------------------------------------------------------------------------------------
