"""gift cards and customers' accounts (store credit, sales on account): issue 16 items 3 and 4

Revision ID: c9e1f0a2b3d4
Revises: c0ffee5e1f01
Create Date: 2026-12-07 14:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c9e1f0a2b3d4"
down_revision = "c0ffee5e1f01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gift_cards",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number_digest", sa.String(length=64), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("balance", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gift_cards")),
        sa.UniqueConstraint("number_digest", name=op.f("uq_gift_cards_number_digest")),
    )
    op.create_table(
        "gift_card_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=True),
        sa.Column("refund_id", sa.String(length=36), nullable=True),
        sa.Column("register_code", sa.String(length=12), nullable=True),
        sa.Column("shift_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"], ["gift_cards.id"], name=op.f("fk_gift_card_entries_card_id_gift_cards")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_gift_card_entries_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["refunds.id"], name=op.f("fk_gift_card_entries_refund_id_refunds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gift_card_entries")),
    )
    op.create_index(op.f("ix_gift_card_entries_card_id"), "gift_card_entries", ["card_id"])
    op.create_index(op.f("ix_gift_card_entries_order_id"), "gift_card_entries", ["order_id"])
    op.create_table(
        "customer_accounts",
        sa.Column("customer_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("balance", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("credit_limit", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_accounts_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_accounts")),
    )
    op.create_table(
        "account_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=True),
        sa.Column("order_id", sa.String(length=36), nullable=True),
        sa.Column("refund_id", sa.String(length=36), nullable=True),
        sa.Column("idempotency_key", sa.String(length=80), nullable=True),
        sa.Column("register_code", sa.String(length=12), nullable=True),
        sa.Column("shift_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_account_entries_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_account_entries_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["refunds.id"], name=op.f("fk_account_entries_refund_id_refunds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_entries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_account_entries_idempotency_key")),
    )
    op.create_index(op.f("ix_account_entries_order_id"), "account_entries", ["order_id"])
    op.create_index("ix_account_entries_customer", "account_entries", ["customer_id", "id"])
    op.create_index("ix_account_entries_shift", "account_entries", ["shift_id"])
    with op.batch_alter_table("orders") as batch:
        batch.add_column(
            sa.Column(
                "gift_cards_sold", sa.Numeric(precision=20, scale=4), nullable=False, server_default="0"
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("gift_cards_sold")
    op.drop_table("account_entries")
    op.drop_table("customer_accounts")
    op.drop_table("gift_card_entries")
    op.drop_table("gift_cards")
