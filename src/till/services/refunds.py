"""Refunds (credit memos): units of sold lines given back, never more than was paid, with
a restock choice per line. A retried refund with the same key makes no second refund."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from till.domain.acting import ActedBy
from till.domain.gift_cards import card_digest, last_four, read_card_number
from till.domain.money import ZERO, money_str, plain_str
from till.domain.refunds import RefundedSoFar, RefundError, as_paid, refund_line
from till.domain.sales import Order, OrderError, OrderLine, PaymentMethod, RefundLineRequest
from till.domain.staff import Permission
from till.domain.store_credit import STORE_CREDIT
from till.services.acting import acting_for, not_before, require_own_register, sent_by
from till.services.auth import Principal
from till.services.errors import NotFound
from till.storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class _PaidLine:
    """An order line in the shape the refund arithmetic reads."""

    key: str
    sku: str
    qty: Decimal
    row_total: Decimal
    discount: Decimal
    tax: Decimal
    discount_tax_compensation: Decimal

    @classmethod
    def of(cls, line: OrderLine) -> _PaidLine:
        return cls(
            str(line.line_no),
            line.sku,
            line.qty,
            line.row_total,
            line.discount,
            line.tax,
            line.discount_tax_compensation,
        )


def may_read(by: Principal, location_code: str) -> bool:
    """True if the member may read (to refund) a sale of that location: one they work at, or
    any with the permission to take returns at another store."""
    return by.staff.works_at(location_code) or by.staff.can(Permission.RETURN_ELSEWHERE)


def refund(
    engine: Engine,
    by: Principal,
    *,
    order_id: str,
    idempotency_key: str,
    register_code: str,
    lines: Sequence[RefundLineRequest],
    method: PaymentMethod,
    reason: str = "",
    acted_by: ActedBy | None = None,
    card_number: str | None = None,
) -> tuple[str, bool]:
    """Refund lines of a sale; returns (refund id, created). A replay returns the first refund.

    `acted_by` is who did it on the till (a manager who switched in by PIN on a till whose
    session is a cashier's): the refund is judged by that member; one the server cannot confirm
    (an offline PIN) is made, as the fact it is, and its order flagged `unverified_refund`."""
    if method == "gift_card":
        if card_number is None:
            raise OrderError("a refund to a gift card names the card (card_number)")
        card_number = read_card_number(card_number)
    try:
        return _refund(
            engine, by, order_id, idempotency_key, register_code, lines, method, reason, acted_by, card_number
        )
    except IntegrityError:
        # A retry of this refund raced us and won; its result is ours.
        with UnitOfWork(engine) as uow:
            existing = uow.sales.refund_id_for_key(idempotency_key)
        if existing is None:
            raise
        return existing, False


def _refund(
    engine: Engine,
    by: Principal,
    order_id: str,
    key: str,
    register_code: str,
    requests: Sequence[RefundLineRequest],
    method: PaymentMethod,
    reason: str,
    acted_by: ActedBy | None,
    card_number: str | None = None,
) -> tuple[str, bool]:
    with UnitOfWork(engine) as uow:
        register = uow.reference.register(register_code)
        if register is None:
            raise NotFound(f"no register {register_code}")
        sender = by
        require_own_register(sender, register_code)
        sold = uow.sales.get(order_id)
        if sold is not None:
            acted_by = not_before(acted_by, sold.created_at)
        by, acting = acting_for(uow, sender, acted_by, register.location_code)
        # Permission first: a replayed key must not show a refund to someone who may not refund.
        by.staff.require(Permission.REFUND, register.location_code)
        existing = uow.sales.refund_id_for_key(key)
        if existing is not None:
            return existing, False
        order = uow.sales.get(order_id)
        if order is None or not may_read(by, order.location_code):
            raise NotFound(f"no order {order_id}")
        if order.location_code != register.location_code:
            by.staff.require(Permission.RETURN_ELSEWHERE)  # a return at another store
        location = uow.reference.location(register.location_code)
        assert location is not None
        if len({r.line_no for r in requests}) != len(requests):
            raise OrderError("name each line once in a refund")
        so_far = uow.sales.refunded_so_far(order_id)
        # What the sale took, not what the server priced it at: a sale kept with a totals
        # mismatch may have taken less, and a refund gives back only money that came in.
        taken = _taken(order, uow.sales.extra(order_id)["change_due"])  # noqa: S610
        if method == STORE_CREDIT and order.customer_id is None:
            raise OrderError(f"{order.receipt_number} has no customer: a refund to store credit needs one")
        paid = {line.key: line for line in as_paid([_PaidLine.of(line) for line in order.lines], taken)}
        refund_id = str(uuid.uuid4())
        rows: list[dict[str, Any]] = []
        restocked: list[tuple[str, Decimal]] = []
        for request in sorted(requests, key=lambda r: r.line_no):
            line = order.line(request.line_no)
            before = so_far.get(request.line_no)
            already = RefundedSoFar(**before) if before else RefundedSoFar()
            given = refund_line(paid[str(line.line_no)], request.qty, already)
            amount = given.row_total - given.discount + given.tax + given.discount_tax_compensation
            if not uow.sales.take_refund_qty(order_id, line.line_no, request.qty, amount):
                raise OrderError(f"line {line.line_no} of {order.receipt_number} was refunded a moment ago")
            rows.append(
                {
                    "line_no": line.line_no,
                    "sku": line.sku,
                    "qty": request.qty,
                    "restock": request.restock,
                    "row_total": given.row_total,
                    "discount": given.discount,
                    "tax": given.tax,
                    "discount_tax_compensation": given.discount_tax_compensation,
                    "amount": amount,
                }
            )
            if request.restock:
                restocked.append((line.sku, request.qty))
        total = sum((r["amount"] for r in rows), ZERO)
        if order.total_refunded + total > taken:
            # Lines refunded before the cap existed may already have given back their share.
            raise RefundError(
                "refunded_more_than_taken",
                f"{order.receipt_number} took {taken}; {order.total_refunded} was already given back, "
                f"{total} more would exceed it",
            )
        now = datetime.now(UTC)
        shift = uow.shifts.open_shift(register_code)
        uow.sales.add_refund(
            {
                "id": refund_id,
                "idempotency_key": key,
                "order_id": order_id,
                "register_code": register_code,
                "staff_id": by.staff.id,
                "created_at": now,
                "business_day": location.business_day(now),
                "subtotal": sum((r["row_total"] for r in rows), ZERO),
                "discount": sum((r["discount"] for r in rows), ZERO),
                "tax": sum((r["tax"] for r in rows), ZERO),
                "total": total,
                "method": method,
                "reason": reason,
                "shift_id": None if shift is None else shift["id"],
            },
            rows,
        )
        # Returned goods go back on the shelf where they are handed in (Magento's
        # return-to-stock on a credit memo), in sku order like every other stock writer.
        changed: set[tuple[str, int]] = set()
        for sku, qty in sorted(restocked):
            uow.stock.change_source_quantity(sku, location.source_code, qty)
            changed.update((sku, stock_id) for stock_id in uow.stock.stocks_of_source(location.source_code))
        uow.stock_changed(changed)
        _to_ledger(uow, method, card_number, order.customer_id, total, {
            "refund_id": refund_id,
            "register_code": register_code,
            "shift_id": None if shift is None else shift["id"],
            "staff_id": by.staff.id,
        })  # fmt: skip
        payload = {
            "refund_id": refund_id,
            "order_id": order_id,
            "total": money_str(total),
            "method": method,
            "lines": [{"sku": r["sku"], "qty": plain_str(r["qty"]), "restock": r["restock"]} for r in rows],
        }
        uow.events.publish("refund.created", payload)
        if acting.unverified is not None:
            uow.sales.flag(order_id, "unverified_refund", {"refund_id": refund_id, **acting.unverified})
        uow.events.audit(
            "refund.created",
            {**payload, "receipt_number": order.receipt_number, "reason": reason, **sent_by(sender, acting)},
            by.actor(location.code, register_code),
        )
        uow.commit()
    return refund_id, True


def _to_ledger(
    uow: UnitOfWork,
    method: str,
    card_number: str | None,
    customer_id: int | None,
    total: Decimal,
    entry: dict[str, Any],
) -> None:
    """Put a refund given to a gift card or to store credit on its ledger, in its transaction."""
    if method == "gift_card" and card_number is not None:
        # A new card is activated by the refund itself (a "refund to a gift card").
        digest = card_digest(card_number)
        uow.gift_cards.credit(
            digest, last_four(card_number), "physical", total, {"kind": "refunded", **entry}
        )
    elif method == STORE_CREDIT and customer_id is not None:
        uow.accounts.change(customer_id, total, {"kind": "refunded", "method": method, **entry})
        uow.changed("customers", [str(customer_id)])


def _taken(order: Order, change_due: Decimal) -> Decimal:
    """What a sale took for its goods: its payments less the change, less the money that bought
    gift cards (that money is on the cards: refunding goods never gives it back)."""
    return sum((p.amount for p in order.payments), ZERO) - change_due - order.gift_cards_sold
