"""Sales made at a till, their payments and their refunds (stored as orders once accepted).

A sale is a fact made on the till, often offline: it carries a client-made idempotency key
and a receipt number prefixed with the register's code, so numbers made offline on two
registers never collide. The server re-computes totals with the same engine as the till and
records, never hides, a difference.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from till.domain.catalog import Product
from till.domain.discount_limit import largest_discount_percent
from till.domain.errors import DomainError
from till.domain.gift_cards import GiftCardSold, last_four, masked
from till.domain.inventory import Reservation
from till.domain.locations import Location
from till.domain.money import ZERO, round_money
from till.domain.pricing import PricedSale, PricingRules, price_sale
from till.domain.refunds import change_due
from till.domain.staff import Permission, StaffMember
from till.domain.totals import CartTotals, LineDiscount

PaymentMethod = Literal["cash", "card", "other", "gift_card", "store_credit", "on_account"]
PAYMENT_METHODS: tuple[PaymentMethod, ...] = (
    "cash",
    "card",
    "other",
    "gift_card",
    "store_credit",
    "on_account",
)
#: Tenders that draw on a ledger Till keeps (docs/ledgers.md): a gift card, the customer's
#: store credit, the customer's account.
LEDGER_TENDERS = frozenset({"gift_card", "store_credit", "on_account"})
OrderState = Literal["complete", "closed"]
#: Flags a manager must see; a sale with a flag is still a sale.
SaleFlag = Literal["oversold", "totals_mismatch", "price_differs", "clock_skew"]
#: How far a till's clock may be from the server's before the server corrects its sale times.
CLOCK_TOLERANCE = timedelta(minutes=2)
#: A sale later than its arrival by more than this was not made then: it is placed at its arrival
#: (and flagged clock_skew), even from a till within CLOCK_TOLERANCE.
FUTURE_TOLERANCE = timedelta(seconds=5)
#: No sale is placed before this (a till clock reset to the epoch, then corrected, lands earlier).
EARLIEST_SALE = datetime(1970, 1, 1, tzinfo=UTC)

#: A receipt number as the OpenAPI documents it (an ECMA-262 pattern, no named groups):
#: REGISTER-NUMBER (tills set up before series existed) or REGISTER-SERIES-NUMBER, the series
#: being the device's own on its register, so tills sharing a register never make one number.
RECEIPT_NUMBER_PATTERN = r"^[A-Z0-9]{2,12}(-[A-Z]{1,3})?-\d{1,12}$"
RECEIPT_NUMBER = re.compile(
    r"^(?P<register>[A-Z0-9]{2,12})(?:-(?P<series>[A-Z]{1,3}))?-(?P<number>\d{1,12})$"
)
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,80}$")


class OrderError(DomainError):
    """A sale or refund that cannot be accepted as given, with the reason."""

    code = "sale_invalid"


@dataclass(frozen=True, slots=True)
class Payment:
    """Money taken (or, in a refund, given back) by one method."""

    method: PaymentMethod
    amount: Decimal
    reference: str = ""
    #: The gift card spent (`gift_card` tender), as typed: never stored; the reference keeps
    #: it masked.
    card_number: str = ""

    def __post_init__(self) -> None:
        if self.method not in PAYMENT_METHODS:
            raise OrderError(f"unknown payment method {self.method!r}")
        if self.method == "gift_card" and self.card_number:
            object.__setattr__(self, "reference", masked(last_four(self.card_number)))
        elif self.method == "gift_card" and not self.reference:
            raise OrderError("a gift card payment names the card spent")
        if self.amount <= 0:
            raise OrderError("a payment must be a positive amount")
        if round_money(self.amount) != self.amount:
            raise OrderError(f"a payment of {self.amount} has more than two decimals")


def receipt_number(register_code: str, sequence: int, series: str | None = None) -> str:
    """The receipt number a till gives its n-th sale, e.g. `S1R1-B-000042` (`S1R1-000042`
    without a series)."""
    return f"{register_code}-{series}-{sequence:06d}" if series else f"{register_code}-{sequence:06d}"


def receipt_series(n: int) -> str:
    """The n-th device series of a register (1-based): A … Z, AA … ZZ, AAA … ZZZ."""
    if not 1 <= n <= 26 + 26**2 + 26**3:
        raise OrderError(f"a register has no receipt series number {n}")
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def check_receipt_number(register_code: str, number: str) -> None:
    """Refuse a receipt number that is malformed or not of this register."""
    match = RECEIPT_NUMBER.match(number)
    if match is None:
        raise OrderError(
            f"receipt number {number!r} is not of the form REGISTER-NUMBER or REGISTER-SERIES-NUMBER"
        )
    if match["register"] != register_code:
        raise OrderError(f"receipt number {number!r} does not belong to register {register_code}")


def receipt_series_of(number: str) -> str | None:
    """The device series of a receipt number (`B` of `NYC1-B-000042`), None for the old form."""
    match = RECEIPT_NUMBER.match(number)
    return None if match is None else match["series"]


def check_idempotency_key(key: str) -> None:
    """Refuse a key that cannot identify a sale for ever (too short, odd characters)."""
    if not IDEMPOTENCY_KEY.match(key):
        raise OrderError("an idempotency key has 8 to 80 letters, digits or . _ : -")


@dataclass(frozen=True, slots=True)
class SaleLine:
    """What the till sold on one line: the unit price it charged and any line discount."""

    sku: str
    qty: Decimal
    unit_price: Decimal
    name: str = ""
    line_discount: LineDiscount | None = None
    #: True when the cashier typed a price other than the catalog's.
    price_override: bool = False

    def __post_init__(self) -> None:
        if self.qty <= 0:
            raise OrderError(f"{self.sku}: quantity must be positive")
        if self.unit_price < 0:
            raise OrderError(f"{self.sku}: a unit price cannot be negative")


@dataclass(frozen=True, slots=True)
class ClientTotals:
    """The figures the till showed the customer, to compare with the server's."""

    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    grand_total: Decimal


@dataclass(frozen=True, slots=True)
class Sale:
    """A sale as the till sends it."""

    idempotency_key: str
    register_code: str
    receipt_number: str
    location_code: str
    staff_id: int
    created_at: datetime
    lines: tuple[SaleLine, ...]
    payments: tuple[Payment, ...]
    client_totals: ClientTotals
    customer_id: int | None = None
    coupon_code: str | None = None
    cart_discount_percent: Decimal | None = None
    #: The manager who approved a discount over the cashier's limit or a typed price, if any.
    approved_by: int | None = None
    #: Gift cards sold: lines of their own kind, paid with the sale but outside its totals.
    gift_cards: tuple[GiftCardSold, ...] = ()

    def __post_init__(self) -> None:
        check_idempotency_key(self.idempotency_key)
        check_receipt_number(self.register_code, self.receipt_number)
        if not self.lines and not self.gift_cards:
            raise OrderError("a sale needs at least one line")
        if any(p.method == "gift_card" and not p.card_number for p in self.payments):
            raise OrderError("a gift card payment names the card spent (card_number)")
        numbers = [card.number for card in self.gift_cards]
        if len(set(numbers)) != len(numbers):
            raise OrderError("a sale sells each gift card once")
        if self.created_at.tzinfo is None:
            raise OrderError("a sale's time must carry its time zone")
        if self.cart_discount_percent is not None and not (0 < self.cart_discount_percent <= 100):
            raise OrderError("a cart discount is a percent above 0 and at most 100")


def sale_moment(made_at: datetime, received_at: datetime, till_clock: datetime | None) -> datetime:
    """When a sale was made, on the server's clock.

    `made_at` is the till's clock when the sale was made; `till_clock` the till's clock when it
    sent the sale, which arrived at `received_at` on the server's clock. A till more than
    CLOCK_TOLERANCE off has its sale times moved by its offset. A sale that would still be later
    than its arrival (no reading, or the clock was changed since) is placed at its arrival. An
    earlier time with no reading stands: a sale made offline hours ago looks just like that.
    """
    moment = made_at
    try:
        if till_clock is not None and abs(received_at - till_clock) > CLOCK_TOLERANCE:
            moment = made_at + (received_at - till_clock)
    except OverflowError:
        # Readings centuries apart: no offset means anything; the sale is placed at its arrival.
        moment = received_at
    if moment > received_at + FUTURE_TOLERANCE or moment < EARLIEST_SALE:
        moment = received_at
    return moment


@dataclass(frozen=True, slots=True)
class TotalsCheck:
    """The server's totals for a sale and whether they match what the till showed."""

    totals: CartTotals
    client: ClientTotals

    @property
    def mismatch(self) -> bool:
        """True when any figure the customer saw differs from the server's."""
        return (
            self.totals.grand_total != self.client.grand_total
            or self.totals.tax != self.client.tax
            or self.totals.discount != self.client.discount
        )


@dataclass(slots=True)
class OrderLine:
    """One line of an accepted sale, with the quantity refunded so far."""

    line_no: int
    sku: str
    name: str
    qty: Decimal
    price: Decimal
    price_incl_tax: Decimal
    row_total: Decimal
    discount: Decimal
    tax: Decimal
    discount_tax_compensation: Decimal
    row_grand_total: Decimal
    qty_refunded: Decimal = ZERO
    amount_refunded: Decimal = ZERO

    @property
    def qty_refundable(self) -> Decimal:
        """Units still possible to return."""
        return self.qty - self.qty_refunded


@dataclass(frozen=True, slots=True)
class SoldCard:
    """A gift card sold on an order, as stored: its last four characters only."""

    last4: str
    amount: Decimal
    kind: str = "physical"


def gift_cards_total(cards: Sequence[GiftCardSold] | Sequence[SoldCard]) -> Decimal:
    """What the gift cards sold on a sale add to what the customer pays."""
    return sum((card.amount for card in cards), ZERO)


@dataclass(slots=True)
class Order:
    """An accepted sale, as stored and reported."""

    id: str
    idempotency_key: str
    receipt_number: str
    register_code: str
    location_code: str
    staff_id: int
    created_at: datetime
    state: OrderState
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    grand_total: Decimal
    lines: list[OrderLine]
    payments: list[Payment]
    customer_id: int | None = None
    coupon_code: str | None = None
    flags: set[str] = field(default_factory=set)
    total_refunded: Decimal = ZERO
    #: Gift cards sold with the sale: a liability, outside subtotal, tax and grand total.
    gift_cards: list[SoldCard] = field(default_factory=list)

    @property
    def gift_cards_sold(self) -> Decimal:
        """The money of the sale that bought gift cards (not revenue)."""
        return gift_cards_total(self.gift_cards)

    def line(self, line_no: int) -> OrderLine:
        """The line with this number, or OrderError."""
        for line in self.lines:
            if line.line_no == line_no:
                return line
        raise OrderError(f"sale {self.receipt_number} has no line {line_no}")

    @classmethod
    def from_sale(
        cls, order_id: str, sale: Sale, totals: CartTotals, customer_id: int | None, moment: datetime
    ) -> Order:
        """The order a sale becomes, at the server's totals, made at `moment` (server clock)."""
        lines = [
            OrderLine(
                line_no=n,
                sku=line.sku,
                name=sale_line.name or line.sku,
                qty=line.qty,
                price=line.price,
                price_incl_tax=line.price_incl_tax,
                row_total=line.row_total,
                discount=line.discount,
                tax=line.tax,
                discount_tax_compensation=line.discount_tax_compensation,
                row_grand_total=line.row_grand_total,
            )
            for n, (line, sale_line) in enumerate(zip(totals.lines, sale.lines, strict=True), start=1)
        ]
        return cls(
            id=order_id,
            idempotency_key=sale.idempotency_key,
            receipt_number=sale.receipt_number,
            register_code=sale.register_code,
            location_code=sale.location_code,
            staff_id=sale.staff_id,
            created_at=moment.astimezone(UTC),
            state="complete",
            subtotal=totals.subtotal,
            discount=totals.discount,
            tax=totals.tax,
            grand_total=totals.grand_total,
            lines=lines,
            payments=list(sale.payments),
            customer_id=customer_id,
            coupon_code=sale.coupon_code,
            gift_cards=[SoldCard(last_four(c.number), c.amount, c.kind) for c in sale.gift_cards],
        )


@dataclass(frozen=True, slots=True)
class RefundLineRequest:
    """Return `qty` units of one line; `restock` puts them back on the shelf."""

    line_no: int
    qty: Decimal
    restock: bool = True

    def __post_init__(self) -> None:
        if self.qty <= 0:
            raise OrderError("a refunded quantity must be positive")


# --- accepting a sale -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AcceptedSale:
    """A sale the server takes: the order it becomes, what it is flagged for, and its figures."""

    order: Order
    flags: Flags
    priced: PricedSale
    #: Cash to give back, from what the till showed the customer.
    change: Decimal
    #: The location's business day the sale falls on (server clock).
    business_day: date


def accept_sale(
    sale: Sale,
    *,
    order_id: str,
    rules: PricingRules,
    products: Mapping[str, Product],
    location: Location,
    seller: StaffMember,
    approver: StaffMember | None,
    customer_id: int | None,
    group_id: int,
    received_at: datetime,
    till_clock: datetime | None,
    approval_checked: bool = True,
) -> AcceptedSale:
    """Decide a sale in one step: when it happened (server clock), its price with the store's
    rules, its change, the order it becomes and what it is flagged for (`assess`).

    Raises OrderError, PricingError or TenderError for what cannot be a sale. Who acted
    (`seller`, `approver`) and the customer are the caller's to establish.
    """
    # Ordered, priced and reported by when it happened on the server's clock, not the till's.
    moment = sale_moment(sale.created_at, received_at, till_clock)
    day = location.business_day(moment)
    priced = price_sale(
        rules,
        sale.lines,
        products,
        location.address,
        group_id=group_id,
        day=day,
        coupon_code=sale.coupon_code,
        cart_discount_percent=sale.cart_discount_percent,
    )
    # Gift cards sold are paid with the goods: the customer pays both.
    change = change_due(sale.client_totals.grand_total + gift_cards_total(sale.gift_cards), sale.payments)
    order = Order.from_sale(order_id, sale, priced.totals, customer_id, moment)
    # The coupon the rules accepted, as the store spells it (Magento's order `coupon_code`);
    # a typed code the rules refused is no coupon of the order.
    order.coupon_code = priced.promotion.coupon_code
    flags = assess(
        sale,
        priced.totals,
        priced.catalog_prices,
        seller=seller,
        approver=approver,
        moment=moment,
        approval_checked=approval_checked,
    )
    order.flags = set(flags)
    return AcceptedSale(order, flags, priced, change, day)


# --- what a sale is flagged for ------------------------------------------------------------------

#: A flag's name and what a manager reads about it.
Flags = dict[str, dict[str, Any]]
#: Flags of a sale that are also sensitive actions, and their audit-log action.
AUDITED_FLAGS = {
    "over_limit": "discount.over_limit",
    "price_override": "price.override",
    "unverified_seller": "sale.unverified_seller",
    "unverified_approval": "approval.unverified",
}


def assess(
    sale: Sale,
    totals: CartTotals,
    catalog_prices: Sequence[Decimal],
    *,
    seller: StaffMember,
    approver: StaffMember | None,
    moment: datetime,
    approval_checked: bool = True,
) -> Flags:
    """What a sale is flagged for: the whole policy, in one place. A flag never refuses a sale.

    - `totals_mismatch`: the till showed other totals than the server's `totals`;
    - `price_override`: a typed price other than the catalog's, allowed when the seller or the
      approver may override prices;
    - `price_differs`: a charged price other than the catalog's, not typed (a stale price);
    - `over_limit`: a line's manual discount (its own and the cart's together) over the
      seller's limit, approved when the approver may discount that much at the sale's location;
    - `clock_skew`: the sale's time was moved to `moment`, the server's clock.

    `catalog_prices` are the catalog's final prices of the lines, in order. `seller` and
    `approver` are who the caller holds responsible; an unknown approver is None, and one the
    server has no proof of (`approval_checked` false) is named but approves nothing.
    `oversold` is decided later, against stock, by the writer.
    """
    flags: Flags = {}
    check = TotalsCheck(totals, sale.client_totals)
    if check.mismatch:
        flags["totals_mismatch"] = {
            "server": {
                "grand_total": str(totals.grand_total),
                "tax": str(totals.tax),
                "discount": str(totals.discount),
            },
            "client": {
                "grand_total": str(check.client.grand_total),
                "tax": str(check.client.tax),
                "discount": str(check.client.discount),
            },
        }
    # Line by line: two lines of one sku may have different catalog prices (tiers by quantity).
    charged = list(zip(sale.lines, catalog_prices, strict=True))
    differs = {
        line.sku: {"charged": str(line.unit_price), "catalog": str(catalog)}
        for line, catalog in charged
        if line.unit_price != catalog
    }
    overridden = {
        line.sku: {"charged": str(line.unit_price), "catalog": str(catalog)}
        for line, catalog in charged
        if line.unit_price != catalog and line.price_override
    }
    if overridden:
        approves = (
            approval_checked
            and approver is not None
            and approver.can(Permission.PRICE_OVERRIDE, sale.location_code)
        )
        flags["price_override"] = {
            "lines": overridden,
            "allowed": seller.can(Permission.PRICE_OVERRIDE) or approves,
            **_approval(approver, sale, approves),
        }
    stale = {sku: d for sku, d in differs.items() if sku not in overridden}
    if stale:
        flags["price_differs"] = {"lines": stale}
    worst = largest_discount_percent(sale, totals, catalog_prices)
    if worst > seller.max_discount_percent:
        approves = (
            approval_checked
            and approver is not None
            and approver.can(Permission.DISCOUNT, sale.location_code)
            and worst <= approver.max_discount_percent
        )
        flags["over_limit"] = {
            "percent": str(worst.quantize(Decimal("0.01"))),
            "limit": str(seller.max_discount_percent),
            **_approval(approver, sale, approves),
        }
    if moment != sale.created_at:
        flags["clock_skew"] = {
            "till_time": sale.created_at.isoformat(),
            "moved_by_seconds": round((moment - sale.created_at).total_seconds()),
        }
    return flags


def _approval(approver: StaffMember | None, sale: Sale, allowed: bool) -> dict[str, Any]:
    """Who approved an exception at the till and whether their role covers it."""
    if sale.approved_by is None:
        return {}
    return {
        "approved_by": {
            "staff_id": sale.approved_by,
            "username": None if approver is None else approver.username,
        },
        "approved": allowed,
    }


# --- the events a sale publishes -----------------------------------------------------------------


def sale_placed_event(order: Order, location: Location) -> dict[str, Any]:
    """The `sale.placed` payload (docs/queue.md)."""
    return {
        "order_id": order.id,
        "idempotency_key": order.idempotency_key,
        "receipt_number": order.receipt_number,
        "register_code": order.register_code,
        "location_code": location.code,
        "stock_id": location.stock_id,
        "grand_total": str(order.grand_total),
        "lines": [{"sku": line.sku, "qty": str(line.qty)} for line in order.lines],
    }


def order_fulfilled_event(order_id: str, location: Location, held: list[Reservation]) -> dict[str, Any]:
    """The `order.fulfilled` payload: the goods of a sale's holds handed over at its source."""
    return {
        "order_id": order_id,
        "location_code": location.code,
        "source_code": location.source_code,
        "stock_id": location.stock_id,
        "lines": [{"sku": r.sku, "qty": str(-r.quantity)} for r in held],
    }
