"""Use cases of the sale path: accept a batch of sales from a till, fulfil them, refund.

A sale made at a till is a fact: the server accepts it exactly once, recomputes its totals
with the same engine the till used and flags (never refuses) an oversell or a difference.
Only a sale that cannot be a sale (unknown register, sku or staff; payments that do not
cover it) is refused, and then it is kept whole in `rejected_sales` for a manager.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Engine, select, update

from till.domain.inventory import Reservation, sale_reservations
from till.domain.locations import Location, Register
from till.domain.money import ZERO
from till.domain.orders import Order, OrderError, OrderLine, Sale, TotalsCheck
from till.domain.refunds import change_due
from till.domain.staff import Permission, PermissionDenied, StaffMember, discount_percent
from till.domain.totals import CartTotals, LineDiscount
from till.services.pricing import PricingContext, price_sale
from till.storage.sales import DuplicateSale, ReceiptNumberTaken
from till.storage.tables import order_lines, orders
from till.storage.uow import UnitOfWork

Outcome = Literal["accepted", "duplicate", "rejected"]


@dataclass(frozen=True, slots=True)
class SaleResult:
    """What happened to one pushed sale; a replay gets the same answer."""

    idempotency_key: str
    status: Outcome
    order_id: str | None = None
    receipt_number: str | None = None
    reason: str | None = None
    flags: tuple[str, ...] = ()


@dataclass(slots=True)
class PushedSale:
    """A sale as it came off the wire: parsed into the domain, or the reason it could not be."""

    idempotency_key: str
    register_code: str
    payload: dict[str, Any]
    sale: Sale | None = None
    error: str | None = None
    customer_key: str | None = None


@dataclass(slots=True)
class _Lookups:
    """Registers, staff and open shifts, each read once per batch."""

    uow: UnitOfWork
    registers: dict[str, Register | None] = field(default_factory=dict)
    staff: dict[int, StaffMember | None] = field(default_factory=dict)
    shifts: dict[str, int | None] = field(default_factory=dict)

    def register(self, code: str) -> Register | None:
        if code not in self.registers:
            self.registers[code] = self.uow.reference.register(code)
        return self.registers[code]

    def member(self, staff_id: int) -> StaffMember | None:
        if staff_id not in self.staff:
            self.staff[staff_id] = self.uow.staff.by_id(staff_id)
        return self.staff[staff_id]

    def open_shift(self, register_code: str) -> int | None:
        if register_code not in self.shifts:
            shift = self.uow.shifts.open_shift(register_code)
            self.shifts[register_code] = None if shift is None else int(shift["id"])
        return self.shifts[register_code]


@dataclass(slots=True)
class BatchOutcome:
    """Per-sale results of a batch and the stock keys whose salable quantity changed."""

    results: list[SaleResult] = field(default_factory=list)
    accepted_order_ids: list[str] = field(default_factory=list)
    #: What each accepted sale reserved: (order id, stock id, skus), for the oversell check.
    reserved: list[tuple[str, int, frozenset[str]]] = field(default_factory=list)
    lookups: _Lookups | None = None
    stock_keys: set[tuple[str, int]] = field(default_factory=set)


def place_sales(engine: Engine, pushed: Sequence[PushedSale]) -> list[SaleResult]:
    """Accept a batch of sales in one transaction, each exactly once; then fulfil them."""
    outcome = BatchOutcome()
    with UnitOfWork(engine) as uow:
        outcome.lookups = _Lookups(uow)
        known = uow.sales.ids_for_keys([p.idempotency_key for p in pushed])
        context = PricingContext.load(uow)
        # One catalog read for the whole batch, not one per sale.
        context.products = uow.catalog.products(
            line.sku for p in pushed if p.sale is not None for line in p.sale.lines
        )
        for item in pushed:
            outcome.results.append(_place_one(uow, context, item, known, outcome))
        if outcome.accepted_order_ids:
            uow.stock_changed(outcome.stock_keys)
        uow.commit()
    if not outcome.accepted_order_ids:
        return outcome.results
    oversold = set(flag_oversold(engine, outcome.reserved))
    fulfil_orders(engine, outcome.accepted_order_ids)
    # The till hears of its oversell in the answer, as a replay would from the stored flags.
    return [
        replace(r, flags=tuple(sorted({*r.flags, "oversold"}))) if r.order_id in oversold else r
        for r in outcome.results
    ]


def _place_one(
    uow: UnitOfWork,
    context: PricingContext,
    item: PushedSale,
    known: dict[str, str],
    outcome: BatchOutcome,
) -> SaleResult:
    key = item.idempotency_key
    if key in known:
        return _duplicate(uow, key, known[key])
    previous = uow.sales.rejection(key)
    if previous is not None:
        return SaleResult(key, "rejected", reason=previous)
    reason = item.error
    if item.sale is not None and reason is None:
        try:
            return _accept(uow, context, item, item.sale, known, outcome)
        except (OrderError, PermissionDenied, ValueError) as exc:
            reason = str(exc)
    assert reason is not None
    reason = uow.sales.reject(key, item.register_code, reason, item.payload)
    return SaleResult(key, "rejected", reason=reason)


def _duplicate(uow: UnitOfWork, key: str, order_id: str) -> SaleResult:
    order = uow.sales.get(order_id)
    assert order is not None
    return SaleResult(key, "duplicate", order.id, order.receipt_number, flags=tuple(sorted(order.flags)))


def _accept(
    uow: UnitOfWork,
    context: PricingContext,
    item: PushedSale,
    sale: Sale,
    known: dict[str, str],
    outcome: BatchOutcome,
) -> SaleResult:
    lookups = outcome.lookups
    assert lookups is not None
    register = lookups.register(sale.register_code)
    if register is None:
        raise OrderError(f"unknown register {sale.register_code}")
    if register.location_code != sale.location_code:
        raise OrderError(f"register {register.code} is at {register.location_code}, not {sale.location_code}")
    location = context.location(sale.location_code)
    member = lookups.member(sale.staff_id)
    if member is None:
        raise OrderError(f"unknown staff member {sale.staff_id}")
    member.require(Permission.SELL, sale.location_code)

    customer_id = sale.customer_id
    if item.customer_key is not None:
        customer_id = uow.customers.id_for_client_key(item.customer_key)
        if customer_id is None:
            raise OrderError(f"customer {item.customer_key} was not pushed before this sale")
    group_id = 0
    if customer_id is not None:
        customer = uow.customers.get(customer_id)
        if customer is None:
            raise OrderError(f"unknown customer {customer_id}")
        group_id = int(customer["group_id"])

    products = {line.sku: context.products[line.sku] for line in sale.lines if line.sku in context.products}
    day = location.business_day(sale.created_at)
    priced = price_sale(context, sale, products, location, group_id, day)
    check = TotalsCheck(priced.totals, sale.client_totals)
    change = change_due(sale.client_totals.grand_total, sale.payments)

    order = _order_from(sale, priced.totals, customer_id)
    flags = _flags(check, member, sale, priced.catalog_prices)
    order.flags = set(flags)
    shift_id = lookups.open_shift(sale.register_code)
    extra = {
        "client_subtotal": sale.client_totals.subtotal,
        "client_discount": sale.client_totals.discount,
        "client_tax": sale.client_totals.tax,
        "client_grand_total": sale.client_totals.grand_total,
        "change_due": change,
        "discount_tax_compensation": priced.totals.discount_tax_compensation,
        "shift_id": shift_id,
    }
    try:
        uow.sales.add(order, business_day=day, extra=extra)
    except DuplicateSale as dup:
        # Another process committed the same key a moment ago: theirs is the sale.
        known[sale.idempotency_key] = dup.order_id
        return _duplicate(uow, sale.idempotency_key, dup.order_id)
    except ReceiptNumberTaken:
        raise OrderError(
            f"receipt number {sale.receipt_number} is already used by another sale of {sale.register_code}"
        ) from None
    known[sale.idempotency_key] = order.id

    for name, detail in flags.items():
        uow.sales.flag(order.id, name, detail)
    uow.stock.append_reservations(
        sale_reservations(location.stock_id, [(line.sku, line.qty) for line in sale.lines], order.id)
    )
    uow.events.publish("sale.placed", _sale_event(order, location))
    if "over_limit" in flags or "price_override" in flags:
        uow.events.audit(
            "sale.exception",
            {"order_id": order.id, "flags": sorted(flags)},
            staff_id=member.id,
            location_code=location.code,
            register_code=sale.register_code,
        )
    outcome.accepted_order_ids.append(order.id)
    outcome.reserved.append((order.id, location.stock_id, frozenset(line.sku for line in sale.lines)))
    outcome.stock_keys.update((line.sku, location.stock_id) for line in sale.lines)
    return SaleResult(
        sale.idempotency_key, "accepted", order.id, order.receipt_number, flags=tuple(sorted(flags))
    )


def _order_from(sale: Sale, totals: CartTotals, customer_id: int | None) -> Order:
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
    return Order(
        id=str(uuid.uuid4()),
        idempotency_key=sale.idempotency_key,
        receipt_number=sale.receipt_number,
        register_code=sale.register_code,
        location_code=sale.location_code,
        staff_id=sale.staff_id,
        created_at=sale.created_at.astimezone(UTC),
        state="complete",
        subtotal=totals.subtotal,
        discount=totals.discount,
        tax=totals.tax,
        grand_total=totals.grand_total,
        lines=lines,
        payments=list(sale.payments),
        customer_id=customer_id,
        coupon_code=sale.coupon_code,
    )


def _flags(
    check: TotalsCheck,
    member: StaffMember,
    sale: Sale,
    catalog_prices: dict[str, Decimal],
) -> dict[str, dict[str, Any]]:
    flags: dict[str, dict[str, Any]] = {}
    if check.mismatch:
        flags["totals_mismatch"] = {
            "server": {
                "grand_total": str(check.totals.grand_total),
                "tax": str(check.totals.tax),
                "discount": str(check.totals.discount),
            },
            "client": {
                "grand_total": str(check.client.grand_total),
                "tax": str(check.client.tax),
                "discount": str(check.client.discount),
            },
        }
    differs = {
        line.sku: {"charged": str(line.unit_price), "catalog": str(catalog_prices[line.sku])}
        for line in sale.lines
        if line.unit_price != catalog_prices[line.sku]
    }
    overridden = {
        sku: d
        for sku, d in differs.items()
        if any(line.price_override for line in sale.lines if line.sku == sku)
    }
    if overridden:
        flags["price_override"] = {"lines": overridden, "allowed": member.can(Permission.PRICE_OVERRIDE)}
    stale = {sku: d for sku, d in differs.items() if sku not in overridden}
    if stale:
        flags["price_differs"] = {"lines": stale}
    worst = Decimal("0")
    for line_totals, line in zip(check.totals.lines, sale.lines, strict=True):
        if line.line_discount is not None:
            row = line_totals.row_total
            worst = max(worst, discount_percent(row, _line_discount_amount(line.line_discount, row)))
    if sale.cart_discount_percent is not None:
        worst = max(worst, sale.cart_discount_percent)
    if worst > member.max_discount_percent:
        flags["over_limit"] = {
            "percent": str(worst.quantize(Decimal("0.01"))),
            "limit": str(member.max_discount_percent),
        }
    return flags


def _line_discount_amount(discount: LineDiscount, row_total: Decimal) -> Decimal:
    if discount.kind == "percent":
        return row_total * discount.value / 100
    return discount.value


def _sale_event(order: Order, location: Location) -> dict[str, Any]:
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


def flag_oversold(engine: Engine, reserved: Sequence[tuple[str, int, frozenset[str]]]) -> list[str]:
    """After commit, flag sales that left a sku below zero salable. Read after commit, two
    tills racing for the last unit both see the negative quantity and both are flagged."""
    flagged: list[str] = []
    skus_by_stock: dict[int, set[str]] = {}
    for _, stock_id, skus in reserved:
        skus_by_stock.setdefault(stock_id, set()).update(skus)
    with UnitOfWork(engine) as uow:
        salable = {stock_id: uow.stock.salable(stock_id, skus) for stock_id, skus in skus_by_stock.items()}
        for order_id, stock_id, skus in reserved:
            short = {sku: str(salable[stock_id][sku]) for sku in sorted(skus) if salable[stock_id][sku] < 0}
            if short:
                uow.sales.flag(order_id, "oversold", {"stock_id": stock_id, "salable": short})
                flagged.append(order_id)
        uow.commit()
    return flagged


def fulfil_orders(engine: Engine, order_ids: Sequence[str] | None = None, limit: int = 500) -> int:
    """Hand sold goods over the MSI way: deduct each sale from its location's source and
    append the compensating reservation. Each order is claimed by a conditional UPDATE, so
    two processes sweeping at once never fulfil one twice. Returns how many were fulfilled."""
    with UnitOfWork(engine) as uow:
        query = select(orders.c.id, orders.c.location_code).where(orders.c.fulfilled_at.is_(None))
        if order_ids is not None:
            query = query.where(orders.c.id.in_(list(order_ids)))
        pending = uow.conn.execute(query.order_by(orders.c.id).limit(limit)).all()
        now = datetime.now(UTC)
        per_source: dict[tuple[str, str], Decimal] = {}
        compensations: list[Reservation] = []
        changed_keys: set[tuple[str, int]] = set()
        fulfilled = 0
        for order_id, location_code in pending:
            claimed = uow.conn.execute(
                update(orders)
                .where(orders.c.id == order_id, orders.c.fulfilled_at.is_(None))
                .values(fulfilled_at=now)
            ).rowcount
            if not claimed:
                continue
            fulfilled += 1
            location = uow.reference.location(location_code)
            assert location is not None
            lines = uow.conn.execute(
                select(order_lines.c.sku, order_lines.c.qty).where(order_lines.c.order_id == order_id)
            ).all()
            for reservation in sale_reservations(
                location.stock_id, [(sku, Decimal(q)) for sku, q in lines], order_id
            ):
                key = (location.source_code, reservation.sku)
                per_source[key] = per_source.get(key, ZERO) - reservation.quantity
                compensations.append(
                    Reservation(
                        location.stock_id,
                        reservation.sku,
                        -reservation.quantity,
                        "shipment_created",
                        "order",
                        order_id,
                    )
                )
        # Sorted: every writer locks source items in the same order, so none deadlock.
        for (source_code, sku), qty in sorted(per_source.items()):
            uow.stock.change_source_quantity(sku, source_code, -qty)
            for stock_id in uow.stock.stocks_of_source(source_code):
                changed_keys.add((sku, stock_id))
        uow.stock.append_reservations(compensations)
        uow.stock_changed(changed_keys)
        uow.commit()
    return fulfilled
