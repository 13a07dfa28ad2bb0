"""Between wire shapes and the domain."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from till.api.schemas import InvalidSale, SaleIn
from till.domain.acting import ApprovalProof
from till.domain.gift_cards import GiftCardSold, masked
from till.domain.sales import ClientTotals, Order, OrderError, Payment, Sale, SaleLine
from till.domain.totals import LineDiscount
from till.security import read_approval
from till.services.auth import Principal
from till.services.sales import PushedSale


def approval_proof(secret_key: str, approval: str | None) -> tuple[ApprovalProof | None, str | None]:
    """The approval a till attached, if this server signed it; else why it does not check."""
    if approval is None:
        return None, None
    try:
        staff_id, device_id, issued, expires = read_approval(secret_key, approval)
        moments = (datetime.fromtimestamp(issued, UTC), datetime.fromtimestamp(expires, UTC))
        return ApprovalProof(staff_id, device_id, *moments), None
    except (ValueError, OverflowError, OSError) as exc:
        return None, f"the approval's proof does not check: {exc}"


def pushed_sale(
    item: SaleIn | InvalidSale,
    *,
    sender: Principal | None = None,
    secret_key: str = "",
    till_clock: datetime | None = None,
) -> PushedSale:
    """A wire sale as the sale service takes it (sent by the session `sender`, on its till,
    whose clock read `till_clock` when it sent the sale); a malformed one, or one of a location
    the sending member does not work at, keeps its reason."""
    if isinstance(item, InvalidSale):
        raw = item.raw if isinstance(item.raw, dict) else {"raw": item.raw}
        key = str(raw.get("idempotency_key") or "")
        register = str(raw.get("register_code") or "")
        error = item.errors
        if not key:
            error = "the sale has no idempotency_key; " + error
        return PushedSale(key[:80], register[:12], raw, error=error)
    payload = _masked(item.model_dump(mode="json"))
    if sender is not None and not sender.staff.works_at(item.location_code):
        at = item.location_code
        why = f"{sender.staff.username} does not work at {at}: a till pushes its own location's sales"
        return PushedSale(item.idempotency_key, item.register_code, payload, error=why)
    try:
        sale = Sale(
            idempotency_key=item.idempotency_key,
            register_code=item.register_code,
            receipt_number=item.receipt_number,
            location_code=item.location_code,
            staff_id=item.staff_id,
            created_at=item.created_at,
            lines=tuple(
                SaleLine(
                    sku=line.sku,
                    qty=line.qty,
                    unit_price=line.unit_price,
                    name=line.name,
                    line_discount=None
                    if line.line_discount is None
                    else LineDiscount(line.line_discount.kind, line.line_discount.value),
                    price_override=line.price_override,
                )
                for line in item.lines
            ),
            payments=tuple(
                Payment(p.method, p.amount, p.reference, card_number=p.card_number or "")
                for p in item.payments
            ),
            gift_cards=tuple(GiftCardSold(c.number, c.amount, c.kind) for c in item.gift_cards),
            client_totals=ClientTotals(
                item.totals.subtotal, item.totals.discount, item.totals.tax, item.totals.grand_total
            ),
            customer_id=item.customer_id,
            coupon_code=item.coupon_code,
            cart_discount_percent=item.cart_discount_percent,
            approved_by=item.approved_by,
        )
        if any(p.method == "gift_card" and not p.card_number for p in item.payments):
            raise OrderError("a gift card payment names the card spent (card_number)")
    except (OrderError, ValueError) as exc:
        return PushedSale(item.idempotency_key, item.register_code, payload, error=str(exc))
    proof, proof_error = approval_proof(secret_key, item.approval)
    return PushedSale(
        item.idempotency_key,
        item.register_code,
        payload,
        sale=sale,
        customer_key=item.customer_key,
        device_id=None if sender is None else sender.device_id,
        till_clock=till_clock,
        sender=sender,
        sign_in=item.sign_in,
        approval=proof,
        approval_error=proof_error,
    )


def _masked(payload: dict[str, Any]) -> dict[str, Any]:
    """A pushed sale as kept (a refused one is kept whole for a manager): gift card numbers are
    bearer secrets, so only their last four stay."""
    for payment in payload.get("payments") or []:
        if payment.get("card_number"):
            payment["card_number"] = masked(str(payment["card_number"])[-4:])
    for card in payload.get("gift_cards") or []:
        if card.get("number"):
            card["number"] = masked(str(card["number"])[-4:])
    return payload


def order_out(order: Order) -> dict[str, Any]:
    """An order as the API returns it."""
    return {
        "id": order.id,
        "idempotency_key": order.idempotency_key,
        "receipt_number": order.receipt_number,
        "register_code": order.register_code,
        "location_code": order.location_code,
        "staff_id": order.staff_id,
        "customer_id": order.customer_id,
        "created_at": order.created_at,
        "state": order.state,
        "subtotal": order.subtotal,
        "discount": order.discount,
        "tax": order.tax,
        "grand_total": order.grand_total,
        "total_refunded": order.total_refunded,
        "coupon_code": order.coupon_code,
        "flags": sorted(order.flags),
        "lines": [vars_of(line) for line in order.lines],
        "payments": [
            {"method": p.method, "amount": p.amount, "reference": p.reference} for p in order.payments
        ],
        "gift_cards": [
            {"card": masked(c.last4), "amount": c.amount, "kind": c.kind} for c in order.gift_cards
        ],
        "gift_cards_sold": order.gift_cards_sold,
    }


def vars_of(obj: Any) -> dict[str, Any]:
    """The fields of a slotted dataclass as a dict."""
    return {name: getattr(obj, name) for name in obj.__dataclass_fields__}


def refund_out(refund: dict[str, Any], *, duplicate: bool = False) -> dict[str, Any]:
    """A refund as the API returns it."""
    return {**refund, "duplicate": duplicate}
