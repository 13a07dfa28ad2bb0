"""Sales as a till pushes them, their results, orders and refunds."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)

from till.api.schemas.common import (
    ActedByIn,
    Code,
    DecimalOut,
    Key,
    Money,
    MoneyOut,
    Percent,
    Quantity,
    RegisterCode,
    RowId,
    SignInWay,
    Sku,
    Strict,
    Time,
    TimeOut,
    decimal_string,
    no_float,
)
from till.api.schemas.customers import CustomerIn
from till.domain.sales import RECEIPT_NUMBER_PATTERN


class LineDiscountIn(Strict):
    kind: Literal["percent", "amount"]
    value: Annotated[
        Decimal,
        BeforeValidator(no_float),
        Field(gt=0, le=Decimal("999999999"), decimal_places=4),
        decimal_string(4, example="10"),
    ]


class SaleLineIn(Strict):
    sku: Sku
    qty: Quantity
    unit_price: Money
    name: Annotated[str, Field(max_length=255)] = ""
    line_discount: LineDiscountIn | None = None
    price_override: bool = False


#: A gift card's number as typed or scanned (spaces and dashes between groups allowed).
CardNumber = Annotated[str, Field(min_length=8, max_length=40, pattern=r"^[0-9A-Za-z -]+$")]


class PaymentIn(Strict):
    method: Literal["cash", "card", "other", "gift_card", "store_credit", "on_account"] = Field(
        description="gift_card spends the card `card_number`; store_credit spends the customer's "
        "credit; on_account charges the customer's account up to its credit limit (docs/ledgers.md)"
    )
    amount: Annotated[Money, Field(gt=0)]
    reference: Annotated[str, Field(max_length=128)] = ""
    card_number: CardNumber | None = Field(
        default=None, description="the gift card spent (gift_card only); stored masked, never whole"
    )


class GiftCardSoldIn(Strict):
    """A gift card sold on the sale: a liability, outside the sale's totals, never taxed."""

    number: CardNumber = Field(
        description="the physical card's number, or an e-card's number the till generated (19 digits "
        "from a secure random source)"
    )
    amount: Annotated[Money, Field(gt=0)]
    kind: Literal["physical", "e_card"] = "physical"


class ClientTotalsIn(Strict):
    subtotal: Money
    discount: Money
    tax: Money
    grand_total: Money


class SaleIn(Strict):
    """A sale as a till records it (offline or not)."""

    idempotency_key: Key
    register_code: RegisterCode
    receipt_number: Annotated[
        str,
        Field(
            min_length=4,
            max_length=32,
            pattern=RECEIPT_NUMBER_PATTERN,
            description="REGISTER-NUMBER, e.g. NYC1-000042, the register's code first",
        ),
    ]
    location_code: Code
    staff_id: RowId
    created_at: Time
    lines: Annotated[list[SaleLineIn], Field(max_length=500)] = Field(
        description="at least one line, unless the sale sells gift cards only"
    )
    payments: Annotated[list[PaymentIn], Field(max_length=20)]
    totals: ClientTotalsIn = Field(description="the goods' totals; gift cards sold are paid on top")
    gift_cards: Annotated[list[GiftCardSoldIn], Field(max_length=50)] = Field(
        default=[], description="gift cards sold: activated when the sale is accepted"
    )
    customer_id: RowId | None = None
    customer_key: Key | None = Field(default=None, description="a customer created on the till, pushed first")
    coupon_code: Annotated[str, Field(max_length=64)] | None = None
    cart_discount_percent: Percent | None = None
    approved_by: RowId | None = Field(
        default=None,
        description="staff id of the manager who approved a discount over the cashier's limit or a "
        "typed price at the till; kept in the audit log with the sale",
    )
    sign_in: SignInWay | None = Field(
        default=None,
        description="how the seller got onto the till: `online` (the server saw the sign-in on this "
        "device) or `offline_pin` (a PIN checked on the till alone: the sale is kept, flagged "
        "`unverified_seller`). A seller the server never saw on this device and no offline switch "
        "was recorded for is rejected",
    )
    approval: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None,
        description="the server's signed approval (POST /api/auth/approvals) for `approved_by`; "
        "without it (approved offline) or if it does not check, the sale is flagged "
        "`unverified_approval` and the exception is not recorded as approved",
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


def _unread_clock(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """A till clock the server cannot read (malformed, or outside the times it accepts) is no
    reading: the batch is taken, each sale judged on its own (a future sale placed at arrival)."""
    try:
        return handler(value)
    except ValidationError:
        return None


class PushedCustomerIn(CustomerIn):
    """A customer a till made, with who made it on the till (judged as a queued action is)."""

    acted_by: ActedByIn | None = None


class PushIn(Strict):
    """A batch from a till's outbox: customers first (sales may name them), then sales."""

    # pydantic copies a default for each instance, so a list is safe here (RUF012 cannot see
    # that Strict is a model once it is imported).
    customers: Annotated[list[PushedCustomerIn], Field(max_length=500)] = []  # noqa: RUF012
    # The hard ceiling; the OpenAPI and the route say the server's own TILL_MAX_BATCH_SALES.
    sales: Annotated[list[PushedSaleIn], Field(max_length=1000)] = []  # noqa: RUF012
    sent_at: Annotated[Time | None, WrapValidator(_unread_clock)] = Field(
        default=None,
        description="the till's clock when it sent this batch: sale times of a till whose clock is "
        "off are placed on the server's clock (flag clock_skew)",
    )


class SaleResultOut(BaseModel):
    idempotency_key: str
    status: Literal["accepted", "duplicate", "rejected", "conflict"] = Field(
        description="conflict: the idempotency key names another sale already; this one is kept "
        "for a manager among the rejected sales (a till stops sending it, as for rejected)"
    )
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
    price: MoneyOut
    price_incl_tax: MoneyOut
    row_total: MoneyOut
    discount: MoneyOut
    tax: MoneyOut
    row_grand_total: MoneyOut
    qty_refunded: DecimalOut
    amount_refunded: MoneyOut


class PaymentOut(BaseModel):
    method: str
    amount: MoneyOut
    reference: str


class SoldCardOut(BaseModel):
    card: str = Field(description="the card masked, e.g. `**** 1234`")
    amount: MoneyOut
    kind: str


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
    subtotal: MoneyOut
    discount: MoneyOut
    tax: MoneyOut
    grand_total: MoneyOut
    total_refunded: MoneyOut
    coupon_code: str | None
    flags: list[str]
    lines: list[OrderLineOut]
    payments: list[PaymentOut]
    gift_cards: list[SoldCardOut] = Field(description="gift cards sold with the sale (not revenue)")
    gift_cards_sold: MoneyOut


class RefundLineIn(Strict):
    line_no: Annotated[int, Field(ge=1, le=10_000)]
    qty: Quantity
    restock: bool = True


class RefundIn(Strict):
    idempotency_key: Key
    register_code: RegisterCode
    acted_by: ActedByIn | None = None
    lines: Annotated[list[RefundLineIn], Field(min_length=1, max_length=500)]
    method: Literal["cash", "card", "other", "gift_card", "store_credit"] = Field(
        default="cash",
        description="gift_card puts the refund on `card_number` (a new card is activated); "
        "store_credit on the sale's customer's credit",
    )
    reason: Annotated[str, Field(max_length=255)] = ""
    card_number: CardNumber | None = None


class RefundLineOut(BaseModel):
    line_no: int
    sku: str
    qty: DecimalOut
    restock: bool
    row_total: MoneyOut
    discount: MoneyOut
    tax: MoneyOut
    amount: MoneyOut


class RefundOut(BaseModel):
    id: str
    order_id: str
    idempotency_key: str
    total: MoneyOut
    tax: MoneyOut
    method: str
    lines: list[RefundLineOut]
    duplicate: bool = False


# --- shifts --------------------------------------------------------------------------------------
