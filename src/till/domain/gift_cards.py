"""Gift cards: money a customer holds at the shop, kept in Till's own ledger.

Magento Open Source has no gift cards, so Till keeps the ledger: a card is sold on a sale (a
liability, never revenue, never taxed), activated when that sale is accepted, spent as a tender,
refunded to, and reloaded when the shop allows. A card is valid at every till of the shop.

A card's number is a bearer secret: it is stored only as a digest (and its last four digits),
shown masked, and a generated one comes from `secrets` (in services/gift_cards.py: the domain
draws no random numbers). A till offline may spend a card up to
the shop's per-card cap against the balance it last saw; the server keeps every such sale (it is
a fact) and flags the shortfall of one that spent more than the card held.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from till.domain.errors import DomainError
from till.domain.money import ZERO, round_money

#: A card number as printed or typed: 8 to 32 digits or capital letters (spaces and dashes
#: between groups are dropped when read).
CARD_NUMBER = re.compile(r"^[0-9A-Z]{8,32}$")
#: Digits of a generated e-card number: 10^19 numbers, so guessing one is hopeless.
GENERATED_DIGITS = 19
GiftCardKind = Literal["physical", "e_card"]
GIFT_CARD_KINDS: tuple[GiftCardKind, ...] = ("physical", "e_card")
#: What a ledger entry of a card records; amounts are signed (what it did to the balance).
EntryKind = Literal["sold", "reloaded", "redeemed", "refunded"]


class GiftCardError(DomainError):
    """A gift card operation that cannot be done as given."""

    code = "gift_card_invalid"


def read_card_number(raw: str) -> str:
    """A card number as typed or scanned, without spaces or dashes, upper case; or GiftCardError."""
    number = re.sub(r"[\s-]", "", raw).upper()
    if not CARD_NUMBER.match(number):
        raise GiftCardError("a gift card number is 8 to 32 digits or letters")
    return number


def card_digest(number: str) -> str:
    """What the server stores instead of a card's number (SHA-256, hex)."""
    return hashlib.sha256(read_card_number(number).encode()).hexdigest()


def last_four(number: str) -> str:
    """The last four characters of a card's number: all a receipt, report or Magento sees."""
    return read_card_number(number)[-4:]


def masked(last4: str) -> str:
    """A card as printed on a receipt and sent to Magento: `**** 1234`."""
    return f"**** {last4}"


@dataclass(frozen=True, slots=True)
class GiftCardSold:
    """A card sold on a sale (its own kind of line: a liability, not taxed, not discounted)."""

    number: str
    amount: Decimal
    kind: GiftCardKind = "physical"

    def __post_init__(self) -> None:
        read_card_number(self.number)
        if self.kind not in GIFT_CARD_KINDS:
            raise GiftCardError(f"a gift card is physical or an e-card, not {self.kind!r}")
        if self.amount <= 0 or round_money(self.amount) != self.amount:
            raise GiftCardError("a gift card is sold for a positive amount in cents")


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A spend of a ledger (a gift card, a customer's credit) beyond what it held when the
    server applied it: kept, and flagged for a manager with the difference."""

    #: What the ledger held just before (below zero: already overspent by that much).
    held: Decimal
    spent: Decimal
    #: True when the ledger now stands overspent by more than the shop's offline cap (or it
    #: never existed): no till following the rules could have done that alone.
    beyond_cap: bool

    @property
    def amount(self) -> Decimal:
        """How much was spent that the ledger did not hold."""
        return self.spent - max(self.held, ZERO)


def shortfall(held: Decimal | None, spent: Decimal, offline_cap: Decimal) -> Shortfall | None:
    """The shortfall of spending `spent` from a ledger that held `held` (None: no such ledger,
    so no till can have seen a balance for it), or None if covered.

    Beyond the cap is judged on the whole overspend the ledger now stands at, not this spend
    alone: one till's many small spends add up (docs/ledgers.md)."""
    if held is None:
        return Shortfall(ZERO, spent, True)
    if spent <= held:
        return None
    return Shortfall(held, spent, spent - held > offline_cap)


def offline_allowance(last_seen_balance: Decimal, spent_offline: Decimal, offline_cap: Decimal) -> Decimal:
    """What a till offline may still take from a card (or a customer's credit): the balance it
    last saw and the shop's cap, less what it already took offline since. Two tills each held to
    this overspend a card by at most the cap together (docs/ledgers.md)."""
    return max(ZERO, min(last_seen_balance, offline_cap) - spent_offline)


def check_reload(balance_exists: bool, reload_allowed: bool) -> None:
    """Selling a card that already exists is a reload: only if the shop allows it."""
    if balance_exists and not reload_allowed:
        raise GiftCardError("this card is already active and this shop does not reload gift cards")


#: The shop's default offline cap, per card (and per customer's credit).
DEFAULT_OFFLINE_CAP = Decimal("50.00")


@dataclass(frozen=True, slots=True)
class LedgerRules:
    """What a shop decides about its ledgers (a manager sets them; tills get them at bootstrap)."""

    #: The most a till offline may take from one gift card, against the balance it last saw.
    gift_card_offline_cap: Decimal = DEFAULT_OFFLINE_CAP
    #: Whether a card already active may be sold again (topped up).
    gift_card_reload: bool = True
    #: The most a till offline may take from one customer's credit or account.
    store_credit_offline_cap: Decimal = DEFAULT_OFFLINE_CAP

    def __post_init__(self) -> None:
        for cap in (self.gift_card_offline_cap, self.store_credit_offline_cap):
            if cap < 0 or round_money(cap) != cap:
                raise GiftCardError("an offline cap is an amount of zero or more, in cents")

    @classmethod
    def of(cls, stored: dict[str, object] | None) -> LedgerRules:
        """The rules as stored (a JSON object), the defaults for what is not."""
        raw = stored or {}
        return cls(
            gift_card_offline_cap=Decimal(str(raw.get("gift_card_offline_cap", DEFAULT_OFFLINE_CAP))),
            gift_card_reload=bool(raw.get("gift_card_reload", True)),
            store_credit_offline_cap=Decimal(str(raw.get("store_credit_offline_cap", DEFAULT_OFFLINE_CAP))),
        )

    def as_json(self) -> dict[str, object]:
        """The rules as stored and sent: amounts as decimal strings."""
        return {
            "gift_card_offline_cap": f"{self.gift_card_offline_cap:.2f}",
            "gift_card_reload": self.gift_card_reload,
            "store_credit_offline_cap": f"{self.store_credit_offline_cap:.2f}",
        }
