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


class CashCountIn(Strict):
    """The drawer counted by note and coin: face value ("20.00") to how many."""

    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    pieces: Annotated[
        dict[Annotated[str, Field(pattern=r"^\d{1,6}\.\d{2}$")], Annotated[int, Field(ge=0, le=100_000)]],
        Field(max_length=30),
    ]


class CloseShiftIn(Strict):
    counted_cash: Money
    #: When counted by note and coin: the count, whose total must be `counted_cash`.
    cash_count: CashCountIn | None = None
    #: Why the count differs from the expected cash; needed over the store's allowance.
    note: Annotated[str, Field(max_length=500)] = ""
    acted_by: ActedByIn | None = None


class CloseRuleIn(Strict):
    """The store's close rule: a blind count, and the difference allowed without a note."""

    blind_count: bool
    #: A difference (either way) above this needs a note; null: a note is never required.
    note_over: Money | None


class CloseRuleOut(BaseModel):
    blind_count: bool
    note_over: MoneyOut | None


class ZReportDocumentOut(BaseModel):
    """A closed shift's Z report as a document: a subject, plain text and HTML (80 mm)."""

    shift_id: int
    subject: str
    text: str
    html: str


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
    #: Null on an X report under a blind count: shown once the drawer is counted.
    expected_cash: MoneyOut | None
    counted_cash: MoneyOut | None
    difference: MoneyOut | None
    counted_by_denomination: dict[str, int] | None = None
    note: str = ""
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
