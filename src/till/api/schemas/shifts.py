"""Shifts, cash movements and the X/Z report."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    Field,
)

from till.api.schemas.common import (
    ActedByIn,
    Money,
    MoneyOut,
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
    opening_float: MoneyOut
    sales_count: int
    refunds_count: int
    gross_sales: MoneyOut
    refunds: MoneyOut
    net_sales: MoneyOut
    tax: MoneyOut
    discounts: MoneyOut
    payments_by_method: dict[str, MoneyOut]
    cash_in: MoneyOut
    cash_out: MoneyOut
    expected_cash: MoneyOut
    counted_cash: MoneyOut | None
    difference: MoneyOut | None
    gift_cards_sold: MoneyOut = Field(
        default=Decimal(0),
        description="gift cards sold or topped up: money taken that the shop owes, not in sales "
        "(its cash is in payments_by_method and expected_cash)",
    )
    account_payments: MoneyOut = Field(
        default=Decimal(0),
        description="payments taken against customers' accounts (also in payments_by_method)",
    )


class ShiftOpened(BaseModel):
    shift_id: int
    register_code: str


# --- sync ----------------------------------------------------------------------------------------
