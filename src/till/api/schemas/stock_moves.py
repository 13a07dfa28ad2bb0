"""Transfers between shops, deliveries and stock counts on the wire."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, PlainSerializer

from till.api.schemas.common import (
    Code,
    DecimalOut,
    Quantity,
    Sku,
    Strict,
    TimeOut,
    _as_str,
    decimal_string,
    no_float,
)

#: A counted quantity: zero is a count too.
Counted = Annotated[
    Decimal,
    BeforeValidator(no_float),
    Field(ge=0, le=Decimal("100000"), decimal_places=4),
    PlainSerializer(_as_str, return_type=str, when_used="json"),
    decimal_string(4, example="3"),
]
Note = Annotated[str, Field(max_length=255)]
ManyLines = Field(max_length=1000)


class LineIn(Strict):
    sku: Sku
    quantity: Quantity


class TransferIn(Strict):
    from_location: Code
    to_location: Code
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=1000)]
    note: Note = ""


class ReceiptIn(Strict):
    """What was scanned in: good units per sku, and damaged ones apart (not stocked)."""

    scanned: Annotated[list[LineIn], ManyLines] = []  # noqa: RUF012
    damaged: Annotated[list[LineIn], ManyLines] = []  # noqa: RUF012


class DiscrepancyOut(BaseModel):
    kind: Literal["short", "over", "damaged"]
    quantity: DecimalOut


class ReceivedLineOut(BaseModel):
    sku: str
    expected: DecimalOut
    received: DecimalOut | None
    damaged: DecimalOut | None
    discrepancies: list[DiscrepancyOut]
    #: Good units beyond what was announced or sent, recorded but not stocked: the receiver has
    #: no stock_adjust, so a manager adds them (a stock adjustment). Null before the receipt.
    held_for_manager: DecimalOut | None = None


class TransferOut(BaseModel):
    id: int
    from_location: str
    to_location: str
    state: Literal["draft", "sent", "received", "cancelled"]
    note: str
    created_at: TimeOut
    sent_at: TimeOut | None
    received_at: TimeOut | None
    lines: list[ReceivedLineOut]


class DeliveryIn(Strict):
    location_code: Code
    supplier: Annotated[str, Field(max_length=128)] = ""
    reference: Annotated[str, Field(max_length=64)] = ""
    #: What is expected; none for an ad-hoc delivery.
    lines: Annotated[list[LineIn], ManyLines] = []  # noqa: RUF012


class DeliveryOut(BaseModel):
    id: int
    location_code: str
    supplier: str
    reference: str
    state: Literal["expected", "received"]
    created_at: TimeOut
    received_at: TimeOut | None
    lines: list[ReceivedLineOut]


class CountIn(Strict):
    location_code: Code
    kind: Literal["full", "cycle"]
    #: The skus of a cycle count; none for a full count.
    skus: Annotated[list[Sku], Field(max_length=1000)] = []  # noqa: RUF012
    #: The counter does not see what the book expects.
    blind: bool = True


class CountedIn(Strict):
    counted: Counted


class CountLineOut(BaseModel):
    sku: str
    counted: DecimalOut | None
    scanned_at: TimeOut | None
    #: The rest only for whoever may approve, or when the count is not blind.
    snapshot: DecimalOut | None = None
    moved_since_start: DecimalOut | None = None
    sold_late: DecimalOut | None = None
    expected: DecimalOut | None = None
    variance: DecimalOut | None = None


class CountOut(BaseModel):
    id: int
    location_code: str
    kind: Literal["full", "cycle"]
    blind: bool
    state: Literal["counting", "review", "approved", "cancelled"]
    started_at: TimeOut
    submitted_at: TimeOut | None
    approved_at: TimeOut | None
    lines: list[CountLineOut]
