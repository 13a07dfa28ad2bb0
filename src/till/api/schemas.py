"""Request and response shapes of the HTTP API (the OpenAPI the PWA's types come from).

Money and quantities travel as decimal strings; a JSON float for money is refused.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
)


def _no_float(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError('send amounts and quantities as decimal strings, e.g. "12.50", not JSON numbers')
    if isinstance(value, bool):
        raise ValueError("expected a decimal string")
    return value


def _iso_time(value: Any) -> Any:
    """Times travel as ISO 8601 strings; a bare number (a Unix time to pydantic) is refused."""
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(
            "give a time as an ISO 8601 string with its zone, e.g. 2026-11-25T15:04:05+00:00"
        ) from None


def _iso_date(value: Any) -> Any:
    """Dates travel as ISO 8601 strings (2026-11-25), never as numbers."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError("give a date as an ISO 8601 string, e.g. 2026-11-25") from None


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC, so say so on the wire.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _as_str(value: Decimal) -> str:
    return format(value, "f")


def _decimal_string(places: int, *, signed: bool = False, example: str = "12.50") -> WithJsonSchema:
    """Document a decimal as what it is on the wire: a string of digits."""
    sign = "-?" if signed else ""
    return WithJsonSchema(
        {"type": "string", "pattern": rf"^{sign}\d+(\.\d{{1,{places}}})?$", "examples": [example]}
    )


Money = Annotated[
    Decimal,
    BeforeValidator(_no_float),
    Field(ge=0, le=Decimal("999999999"), decimal_places=2),
    PlainSerializer(_as_str, return_type=str, when_used="json"),
    _decimal_string(2),
]
Quantity = Annotated[
    Decimal,
    BeforeValidator(_no_float),
    Field(gt=0, le=Decimal("100000"), decimal_places=4),
    PlainSerializer(_as_str, return_type=str, when_used="json"),
    _decimal_string(4, example="1"),
]
Percent = Annotated[
    Decimal,
    BeforeValidator(_no_float),
    Field(gt=0, le=100, decimal_places=4),
    PlainSerializer(_as_str, return_type=str, when_used="json"),
    _decimal_string(4, example="10"),
]
DecimalOut = Annotated[
    Decimal, PlainSerializer(_as_str, return_type=str, when_used="json"), _decimal_string(4, signed=True)
]
#: A row id as the database stores it (32-bit): a bigger or non-positive number is malformed (422).
RowId = Annotated[int, Field(ge=1, le=2**31 - 1)]
#: A time in an answer: always with its zone (UTC when the database kept none).
TimeOut = Annotated[datetime, AfterValidator(_utc)]
#: A time with its zone, as an ISO 8601 string.
Time = Annotated[AwareDatetime, BeforeValidator(_iso_time)]
#: A date, as an ISO 8601 string.
Day = Annotated[date, BeforeValidator(_iso_date)]
Sku = Annotated[str, Field(min_length=1, max_length=64)]
Code = Annotated[str, Field(min_length=1, max_length=32)]
#: A register's code: as long as the database keeps it (a longer one could be stored nowhere,
#: not even as a refused sale).
RegisterCode = Annotated[str, Field(min_length=1, max_length=12)]
Key = Annotated[str, Field(min_length=8, max_length=80, pattern=r"^[A-Za-z0-9_.:-]+$")]


class Strict(BaseModel):
    """Unknown fields are an error: a typo in a field name must not pass silently."""

    model_config = ConfigDict(extra="forbid")


# --- auth ---------------------------------------------------------------------------------------


class SignInIn(Strict):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class PinIn(Strict):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    pin: Annotated[str, Field(min_length=4, max_length=8, pattern=r"^\d+$")]


class StaffOut(BaseModel):
    id: int
    username: str
    name: str
    role: str
    locations: list[str]
    max_discount_percent: DecimalOut
    permissions: list[str]


class SessionOut(BaseModel):
    token: str
    expires_at: TimeOut
    staff: StaffOut
    register_code: str | None


class DeviceIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=128)]
    register_code: RegisterCode


class DeviceOut(BaseModel):
    id: str
    name: str
    register_code: str
    created_at: TimeOut
    revoked_at: TimeOut | None


class DeviceRegistered(BaseModel):
    device_id: str
    device_token: str = Field(description="shown once: the till keeps it to allow PIN sign-in")


# --- catalog and stock -------------------------------------------------------------------------


class TierPriceOut(BaseModel):
    qty: str
    price: str
    customer_group_id: int | None


class ProductOut(BaseModel):
    sku: str
    name: str
    type: str
    attribute_set: str
    enabled: bool
    price: str
    special_price: str | None
    special_from: str | None
    special_to: str | None
    tier_prices: list[TierPriceOut]
    tax_class: str
    barcode: str | None
    category_ids: list[int]
    attributes: dict[str, str | int]
    configurable_attributes: list[str]
    parent_sku: str | None


class SourceLevelOut(BaseModel):
    source_code: str
    source_name: str
    quantity: DecimalOut
    in_stock: bool


class StockOut(BaseModel):
    sku: str
    sources: list[SourceLevelOut]
    salable_by_location: dict[str, DecimalOut]


class StockAdjustmentIn(Strict):
    sku: Sku
    source_code: Code
    reason: Literal["count", "damage", "transfer", "receive", "correction"]
    quantity: Annotated[
        Decimal,
        BeforeValidator(_no_float),
        Field(ge=Decimal("-100000"), le=Decimal("100000"), decimal_places=4),
        _decimal_string(4, signed=True, example="5"),
    ]
    to_source_code: Code | None = None
    note: Annotated[str, Field(max_length=255)] = ""


# --- customers ---------------------------------------------------------------------------------


class CustomerIn(Strict):
    email: Annotated[str, Field(min_length=3, max_length=255)]
    firstname: Annotated[str, Field(min_length=1, max_length=128)]
    lastname: Annotated[str, Field(min_length=1, max_length=128)]
    phone: Annotated[str, Field(max_length=32)] | None = None
    group_id: Annotated[int, Field(ge=0, le=2**31 - 1)] = 1
    client_key: Key | None = Field(
        default=None, description="the till's key: a retry creates no second customer"
    )


class CustomerOut(BaseModel):
    id: int
    email: str
    firstname: str
    lastname: str
    phone: str | None
    group_id: int


# --- sales -------------------------------------------------------------------------------------


class LineDiscountIn(Strict):
    kind: Literal["percent", "amount"]
    value: Annotated[
        Decimal, BeforeValidator(_no_float), Field(gt=0, le=Decimal("999999999"), decimal_places=4)
    ]


class SaleLineIn(Strict):
    sku: Sku
    qty: Quantity
    unit_price: Money
    name: Annotated[str, Field(max_length=255)] = ""
    line_discount: LineDiscountIn | None = None
    price_override: bool = False


class PaymentIn(Strict):
    method: Literal["cash", "card", "other"]
    amount: Annotated[Money, Field(gt=0)]
    reference: Annotated[str, Field(max_length=128)] = ""


class ClientTotalsIn(Strict):
    subtotal: Money
    discount: Money
    tax: Money
    grand_total: Money


class SaleIn(Strict):
    """A sale as a till records it (offline or not)."""

    idempotency_key: Key
    register_code: RegisterCode
    receipt_number: Annotated[str, Field(min_length=4, max_length=32)]
    location_code: Code
    staff_id: RowId
    created_at: Time
    lines: Annotated[list[SaleLineIn], Field(min_length=1, max_length=500)]
    payments: Annotated[list[PaymentIn], Field(max_length=20)]
    totals: ClientTotalsIn
    customer_id: RowId | None = None
    customer_key: Key | None = Field(default=None, description="a customer created on the till, pushed first")
    coupon_code: Annotated[str, Field(max_length=64)] | None = None
    cart_discount_percent: Percent | None = None
    approved_by: int | None = Field(
        default=None,
        description="staff id of the manager who approved a discount over the cashier's limit or a "
        "typed price at the till; kept in the audit log with the sale",
    )


class InvalidSale(BaseModel):
    """A pushed sale that did not match SaleIn; it is recorded as rejected with the errors."""

    raw: Any
    errors: str


def _keep_invalid(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    try:
        return handler(value)
    except ValidationError as exc:
        messages = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'sale'}: {err['msg']}" for err in exc.errors()
        )
        return InvalidSale(raw=value, errors=messages)


PushedSaleIn = Annotated[SaleIn, WrapValidator(_keep_invalid)]


class PushIn(Strict):
    """A batch from a till's outbox: customers first (sales may name them), then sales."""

    customers: Annotated[list[CustomerIn], Field(max_length=500)] = []
    sales: Annotated[list[PushedSaleIn], Field(max_length=500)] = []
    sent_at: AwareDatetime | None = Field(
        default=None,
        description="the till's clock when it sent this batch: sale times of a till whose clock is "
        "off are placed on the server's clock (flag clock_skew)",
    )


class SaleResultOut(BaseModel):
    idempotency_key: str
    status: Literal["accepted", "duplicate", "rejected"]
    order_id: str | None
    receipt_number: str | None
    reason: str | None
    flags: list[str]


class CustomerResultOut(BaseModel):
    client_key: str | None
    customer_id: int | None = None
    created: bool = False
    error: str | None = Field(default=None, description="why the customer could not be saved")


class PushOut(BaseModel):
    customers: list[CustomerResultOut]
    sales: list[SaleResultOut]


class OrderLineOut(BaseModel):
    line_no: int
    sku: str
    name: str
    qty: DecimalOut
    price: DecimalOut
    price_incl_tax: DecimalOut
    row_total: DecimalOut
    discount: DecimalOut
    tax: DecimalOut
    row_grand_total: DecimalOut
    qty_refunded: DecimalOut
    amount_refunded: DecimalOut


class PaymentOut(BaseModel):
    method: str
    amount: DecimalOut
    reference: str


class OrderOut(BaseModel):
    id: str
    idempotency_key: str
    receipt_number: str
    register_code: str
    location_code: str
    staff_id: int
    customer_id: int | None
    created_at: TimeOut
    state: str
    subtotal: DecimalOut
    discount: DecimalOut
    tax: DecimalOut
    grand_total: DecimalOut
    total_refunded: DecimalOut
    coupon_code: str | None
    flags: list[str]
    lines: list[OrderLineOut]
    payments: list[PaymentOut]


class RefundLineIn(Strict):
    line_no: Annotated[int, Field(ge=1, le=10_000)]
    qty: Quantity
    restock: bool = True


class RefundIn(Strict):
    idempotency_key: Key
    register_code: RegisterCode
    lines: Annotated[list[RefundLineIn], Field(min_length=1, max_length=500)]
    method: Literal["cash", "card", "other"] = "cash"
    reason: Annotated[str, Field(max_length=255)] = ""


class RefundLineOut(BaseModel):
    line_no: int
    sku: str
    qty: DecimalOut
    restock: bool
    row_total: DecimalOut
    discount: DecimalOut
    tax: DecimalOut
    amount: DecimalOut


class RefundOut(BaseModel):
    id: str
    order_id: str
    idempotency_key: str
    total: DecimalOut
    tax: DecimalOut
    method: str
    lines: list[RefundLineOut]
    duplicate: bool = False


# --- shifts --------------------------------------------------------------------------------------


class OpenShiftIn(Strict):
    opening_float: Money


class CashMovementIn(Strict):
    kind: Literal["in", "out"]
    amount: Annotated[Money, Field(gt=0)]
    reason: Annotated[str, Field(min_length=1, max_length=255)]


class CloseShiftIn(Strict):
    counted_cash: Money


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


class PullOut(BaseModel):
    dataset: str
    items: list[dict[str, Any]]
    deleted: list[str]
    cursor: int
    has_more: bool


class FieldError(BaseModel):
    """One field a request got wrong: where (`["body", "sales", 0, "qty"]`), what, and its kind."""

    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """Every error answer: a message a person can act on, or (422) the fields that were wrong."""

    detail: str | list[FieldError]


#: What each error status means, as the OpenAPI documents it.
PROBLEMS: dict[int, str] = {
    400: "the request cannot be read or run as written (a body that is not UTF-8; a report that "
    "would write or has bad parameters)",
    401: "not signed in, or the token is unknown, expired or revoked",
    403: "the member's role or locations do not allow this",
    404: "no such thing (or not at the member's locations)",
    409: "it clashes with the current state (e.g. a second open shift, a name in use)",
    413: "the request body is over the size limit (5 MiB); send smaller batches",
    422: "the request is malformed: a list of field errors, or a message",
    423: "the member is locked after repeated failed sign-ins",
    429: "too many attempts from this address; try again after Retry-After seconds",
    503: "the database is not answering; keep the request and retry after Retry-After seconds",
}


def problems(
    *codes: int, also: dict[int | str, dict[str, Any]] | None = None
) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: these error statuses, each with the Problem body, and `also`."""
    answers: dict[int | str, dict[str, Any]] = {
        code: {"model": Problem, "description": PROBLEMS[code]} for code in codes
    }
    answers.update(also or {})
    return answers
