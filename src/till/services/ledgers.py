"""What accepted sales do to the ledgers Till keeps: gift cards sold and spent, customers'
credit spent and accounts charged (docs/ledgers.md). Written in the sales' own transaction."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from till.domain.gift_cards import GiftCardSold, LedgerRules, card_digest, last_four, shortfall
from till.domain.sales import Order, Sale
from till.domain.store_credit import ON_ACCOUNT, STORE_CREDIT, held_for
from till.storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class LedgerSale:
    """An accepted sale as the ledgers need it: the order, the sale as pushed (card numbers
    travel only there), the shift it counts in and who sold it."""

    order: Order
    sale: Sale
    shift_id: int | None
    staff_id: int


def apply_ledgers(uow: UnitOfWork, placed: list[LedgerSale], rules: LedgerRules) -> dict[str, set[str]]:
    """Write what new sales did to gift cards and customers' accounts; returns the flags of
    sales that spent more than a ledger held (kept: a sale is a fact).

    Cards first, in digest order, then accounts, in customer order, each in sale order: every
    writer locks ledger rows in one order, so two batches never deadlock. A card sold and spent
    in one batch is sold first when the sale selling it came first.
    """
    cards: list[tuple[str, int, LedgerSale, str, Decimal, GiftCardSold | None]] = []
    accounts: list[tuple[int, int, LedgerSale, str, Decimal]] = []
    for n, p in enumerate(placed):
        for card in p.sale.gift_cards:
            cards.append((card_digest(card.number), n, p, "sold", card.amount, card))
        for payment in p.sale.payments:
            if payment.method == "gift_card":
                digest = card_digest(payment.card_number)
                cards.append((digest, n, p, "redeemed", payment.amount, None))
            elif payment.method in (STORE_CREDIT, ON_ACCOUNT) and p.order.customer_id is not None:
                accounts.append((p.order.customer_id, n, p, payment.method, payment.amount))
    flags: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for digest, _, p, kind, amount, sold in sorted(cards, key=lambda c: (c[0], c[1])):
        entry = {
            "order_id": p.order.id,
            "register_code": p.order.register_code,
            "shift_id": p.shift_id,
            "staff_id": p.staff_id,
        }
        if sold is not None:
            kind = "reloaded" if uow.gift_cards.find(digest) is not None else "sold"
            uow.gift_cards.credit(digest, last_four(sold.number), sold.kind, amount, {"kind": kind, **entry})
            continue
        held = uow.gift_cards.spend(digest, amount, {"kind": "redeemed", **entry})
        short = shortfall(held, amount, rules.gift_card_offline_cap)
        if short is not None:
            reference = next((pay.reference for pay in p.order.payments if pay.method == "gift_card"), "")
            flags.setdefault(p.order.id, []).append(
                (
                    "gift_card_short",
                    {
                        "card": reference,
                        "unknown_card": held is None,
                        "held": str(short.held),
                        "spent": str(short.spent),
                        "shortfall": str(short.amount),
                        "offline_cap": str(rules.gift_card_offline_cap),
                        "beyond_offline_cap": short.beyond_cap,
                    },
                )
            )
    for customer_id, _, p, tender, amount in sorted(accounts, key=lambda a: (a[0], a[1])):
        before = uow.accounts.change(
            customer_id,
            -amount,
            {
                "kind": "spent" if tender == STORE_CREDIT else "charged",
                "method": tender,
                "order_id": p.order.id,
                "register_code": p.order.register_code,
                "shift_id": p.shift_id,
                "staff_id": p.staff_id,
            },
        )
        held = held_for(tender, before.balance, before.credit_limit)
        short = shortfall(held, amount, rules.store_credit_offline_cap)
        if short is not None:
            flags.setdefault(p.order.id, []).append(
                (
                    "credit_short" if tender == STORE_CREDIT else "over_credit_limit",
                    {
                        "customer_id": customer_id,
                        "tender": tender,
                        "held": str(short.held),
                        "spent": str(short.spent),
                        "shortfall": str(short.amount),
                        "credit_limit": str(before.credit_limit),
                        "offline_cap": str(rules.store_credit_offline_cap),
                        "beyond_offline_cap": short.beyond_cap,
                    },
                )
            )
    if accounts:
        # The customer's balance travels with the customer (the till's chip and screen).
        uow.changed("customers", sorted({str(a[0]) for a in accounts}))
    for order_id, found in flags.items():
        for name, detail in found:
            uow.sales.flag(order_id, name, detail)
    return {order_id: {name for name, _ in found} for order_id, found in flags.items()}
