"""Gift card and customer account ledgers: append-only entries, and a cached balance changed
in SQL (`balance = balance + x`) in the entry's own transaction, so the row lock that UPDATE
takes orders two tills' spends of one card: the second sees what the first left."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from till.domain.money import ZERO
from till.domain.store_credit import Account
from till.storage.db import insert_skipping_clashes
from till.storage.tables import (
    account_entries,
    customer_accounts,
    gift_card_entries,
    gift_cards,
)


class GiftCardRepository:
    """Gift cards, known by the digest of their number, and their entries."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def find(self, digest: str) -> dict[str, Any] | None:
        """A card (id, last4, kind, balance, created_at) by its number's digest."""
        row = self.conn.execute(
            select(gift_cards.c.id, gift_cards.c.last4, gift_cards.c.kind, gift_cards.c.balance,
                   gift_cards.c.created_at).where(gift_cards.c.number_digest == digest)
        ).first()  # fmt: skip
        return None if row is None else dict(row._mapping)

    def credit(self, digest: str, last4: str, kind: str, amount: Decimal, entry: dict[str, Any]) -> bool:
        """Put money on a card, making it if it is new; True if it existed (a reload or a refund
        onto a card already held). Two tills selling one physical card make one card."""
        self.conn.execute(
            insert_skipping_clashes(self.conn, gift_cards),
            [{"number_digest": digest, "last4": last4, "kind": kind, "balance": ZERO,
              "created_at": datetime.now(UTC)}],
        )  # fmt: skip
        existed = bool(
            self.conn.execute(
                select(func.count())
                .select_from(gift_card_entries)
                .join(gift_cards, gift_cards.c.id == gift_card_entries.c.card_id)
                .where(gift_cards.c.number_digest == digest)
            ).scalar_one()
        )
        self._change(digest, amount, entry)
        return existed

    def spend(self, digest: str, amount: Decimal, entry: dict[str, Any]) -> Decimal | None:
        """Take `amount` off a card; returns what it held just before (after every spend
        committed before this one), or None for a card that does not exist."""
        after = self._change(digest, -amount, entry)
        return None if after is None else after + amount

    def _change(self, digest: str, amount: Decimal, entry: dict[str, Any]) -> Decimal | None:
        changed = self.conn.execute(
            update(gift_cards)
            .where(gift_cards.c.number_digest == digest)
            .values(balance=gift_cards.c.balance + amount)
        ).rowcount
        if not changed:
            return None
        row = self.conn.execute(
            select(gift_cards.c.id, gift_cards.c.balance).where(gift_cards.c.number_digest == digest)
        ).one()
        self.conn.execute(
            insert(gift_card_entries).values(
                card_id=row.id, amount=amount, created_at=datetime.now(UTC), **entry
            )
        )
        return Decimal(row.balance)

    def entries(self, card_id: int, limit: int = 100) -> list[dict[str, Any]]:
        """A card's entries, newest first."""
        rows = self.conn.execute(
            select(gift_card_entries.c.kind, gift_card_entries.c.amount, gift_card_entries.c.order_id,
                   gift_card_entries.c.refund_id, gift_card_entries.c.register_code,
                   gift_card_entries.c.created_at)
            .where(gift_card_entries.c.card_id == card_id)
            .order_by(gift_card_entries.c.id.desc())
            .limit(limit)
        )  # fmt: skip
        return [dict(r._mapping) for r in rows]

    def sold_in_shift(self, shift_id: int) -> list[dict[str, Any]]:
        """Cards sold or reloaded in a shift (a liability taken on), with their last four."""
        rows = self.conn.execute(
            select(gift_cards.c.last4, gift_card_entries.c.kind, gift_card_entries.c.amount)
            .join(gift_cards, gift_cards.c.id == gift_card_entries.c.card_id)
            .where(gift_card_entries.c.shift_id == shift_id,
                   gift_card_entries.c.kind.in_(("sold", "reloaded")))
        )  # fmt: skip
        return [dict(r._mapping) for r in rows]


class AccountRepository:
    """Customers' accounts: store credit (a positive balance) and sales on account."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, customer_id: int) -> Account:
        """A customer's account; one never used holds nothing and may charge nothing."""
        row = self.conn.execute(
            select(customer_accounts.c.balance, customer_accounts.c.credit_limit).where(
                customer_accounts.c.customer_id == customer_id
            )
        ).first()
        return Account(ZERO, ZERO) if row is None else Account(row.balance, row.credit_limit)

    def get_many(self, customer_ids: list[int]) -> dict[int, Account]:
        """Accounts of customers that have one."""
        if not customer_ids:
            return {}
        rows = self.conn.execute(
            select(customer_accounts).where(customer_accounts.c.customer_id.in_(customer_ids))
        )
        return {r.customer_id: Account(r.balance, r.credit_limit) for r in rows}

    def _ensure(self, customer_id: int) -> None:
        self.conn.execute(
            insert_skipping_clashes(self.conn, customer_accounts),
            [{"customer_id": customer_id, "balance": ZERO, "credit_limit": ZERO,
              "updated_at": datetime.now(UTC)}],
        )  # fmt: skip

    def set_limit(self, customer_id: int, limit: Decimal) -> None:
        """Set the most the customer may owe the shop."""
        self._ensure(customer_id)
        self.conn.execute(
            update(customer_accounts)
            .where(customer_accounts.c.customer_id == customer_id)
            .values(credit_limit=limit, updated_at=datetime.now(UTC))
        )

    def change(self, customer_id: int, amount: Decimal, entry: dict[str, Any]) -> Account:
        """Add a signed amount to the balance with its entry; returns the account just before."""
        self._ensure(customer_id)
        self.conn.execute(
            update(customer_accounts)
            .where(customer_accounts.c.customer_id == customer_id)
            .values(balance=customer_accounts.c.balance + amount, updated_at=datetime.now(UTC))
        )
        after = self.get(customer_id)
        self.conn.execute(
            insert(account_entries).values(
                customer_id=customer_id, amount=amount, created_at=datetime.now(UTC), **entry
            )
        )
        return Account(after.balance - amount, after.credit_limit)

    def payment_for_key(self, key: str) -> dict[str, Any] | None:
        """A payment on account already taken under this key."""
        row = self.conn.execute(
            select(account_entries).where(account_entries.c.idempotency_key == key)
        ).first()
        return None if row is None else dict(row._mapping)

    def entries(self, customer_id: int, limit: int = 100) -> list[dict[str, Any]]:
        """A customer's entries, newest first."""
        rows = self.conn.execute(
            select(account_entries.c.kind, account_entries.c.amount, account_entries.c.method,
                   account_entries.c.order_id, account_entries.c.refund_id,
                   account_entries.c.register_code, account_entries.c.created_at)
            .where(account_entries.c.customer_id == customer_id)
            .order_by(account_entries.c.id.desc())
            .limit(limit)
        )  # fmt: skip
        return [dict(r._mapping) for r in rows]

    def payments_in_shift(self, shift_id: int) -> list[tuple[str, Decimal]]:
        """Payments on account taken in a shift: (method, amount)."""
        rows = self.conn.execute(
            select(account_entries.c.method, account_entries.c.amount).where(
                account_entries.c.shift_id == shift_id, account_entries.c.kind == "paid"
            )
        )
        return [(str(r.method), Decimal(r.amount)) for r in rows]
