"""Ledgers Till keeps because Magento Open Source has none: gift cards and customers' accounts
(store credit, sales on account). Each keeps its balance as a cached sum, changed in SQL in the
same transaction as the entry that changes it, so two tills never lose one another's spend."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table

from till.storage.tables.types import metadata, money, timestamp

gift_cards = Table(
    "gift_cards",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # The number is a bearer secret: only its digest is kept, and no report may read even that.
    Column("number_digest", String(64), nullable=False, unique=True, info={"secret": True}),
    Column("last4", String(4), nullable=False),
    Column("kind", String(16), nullable=False),
    money("balance"),
    timestamp("created_at"),
)

gift_card_entries = Table(
    "gift_card_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("card_id", ForeignKey("gift_cards.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    money("amount"),
    Column("order_id", ForeignKey("orders.id"), nullable=True, index=True),
    Column("refund_id", ForeignKey("refunds.id"), nullable=True),
    Column("register_code", String(12), nullable=True),
    Column("shift_id", Integer, nullable=True),
    Column("staff_id", Integer, nullable=True),
    timestamp("created_at"),
)

customer_accounts = Table(
    "customer_accounts",
    metadata,
    Column("customer_id", ForeignKey("customers.id"), primary_key=True, autoincrement=False),
    money("balance"),
    money("credit_limit"),
    timestamp("updated_at"),
)

account_entries = Table(
    "account_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    money("amount"),
    Column("method", String(16), nullable=True),
    Column("order_id", ForeignKey("orders.id"), nullable=True, index=True),
    Column("refund_id", ForeignKey("refunds.id"), nullable=True),
    # A payment on account is its own action: its key makes a retry no second payment.
    Column("idempotency_key", String(80), nullable=True, unique=True),
    Column("register_code", String(12), nullable=True),
    Column("shift_id", Integer, nullable=True),
    Column("staff_id", Integer, nullable=True),
    timestamp("created_at"),
    Index("ix_account_entries_customer", "customer_id", "id"),
    Index("ix_account_entries_shift", "shift_id"),
)
