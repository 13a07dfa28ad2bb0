"""Gift cards: their balance, asked at any till, and the shop's rules for them."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import Engine

from till.domain.gift_cards import GENERATED_DIGITS, LedgerRules, card_digest, masked, read_card_number
from till.domain.staff import Permission
from till.services.auth import Principal
from till.services.errors import NotFound
from till.storage.uow import UnitOfWork


def new_card_number() -> str:
    """A fresh e-card number, unguessable (from the operating system's secure random source)."""
    first = str(1 + secrets.randbelow(9))
    return first + "".join(str(secrets.randbelow(10)) for _ in range(GENERATED_DIGITS - 1))


def card_balance(engine: Engine, by: Principal, number: str) -> dict[str, Any]:
    """A card's balance and recent entries, asked by its number (seller permission). An
    unknown card and a mistyped number answer alike: no gift card ending in these four."""
    by.staff.require(Permission.SELL)
    number = read_card_number(number)
    with UnitOfWork(engine) as uow:
        card = uow.gift_cards.find(card_digest(number))
        if card is None:
            raise NotFound(f"no gift card {masked(number[-4:])}")
        rules = uow.reference.ledger_rules()
        return {
            "card": masked(card["last4"]),
            "kind": card["kind"],
            "balance": card["balance"],
            "offline_cap": rules.gift_card_offline_cap,
            "entries": uow.gift_cards.entries(card["id"], limit=20),
        }


def ledger_rules(engine: Engine) -> LedgerRules:
    """The shop's gift card and store credit rules."""
    with UnitOfWork(engine) as uow:
        return uow.reference.ledger_rules()


def set_ledger_rules(engine: Engine, by: Principal, rules: LedgerRules) -> LedgerRules:
    """Change the shop's rules (ledgers permission); audited with who changed them."""
    by.staff.require(Permission.LEDGERS)
    with UnitOfWork(engine) as uow:
        before = uow.reference.ledger_rules()
        uow.reference.set_setting("ledger_rules", rules.as_json())
        uow.events.audit(
            "ledgers.rules_changed", {"before": before.as_json(), "after": rules.as_json()}, by.actor()
        )
        uow.commit()
    return rules
