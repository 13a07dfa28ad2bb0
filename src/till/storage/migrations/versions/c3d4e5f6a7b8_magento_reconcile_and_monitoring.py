"""magento reconcile differences and call statistics

Revision ID: c3d4e5f6a7b8
Revises: b7c1d2e3f4a5
Create Date: 2026-11-25 14:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c3d4e5f6a7b8"
down_revision = "b7c1d2e3f4a5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "magento_stock_differences",
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("stock_id", sa.Integer(), nullable=False),
        sa.Column("till_quantity", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("magento_quantity", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sku", "stock_id", name=op.f("pk_magento_stock_differences")),
    )
    op.create_table(
        "magento_call_stats",
        sa.Column("worker", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("calls", sa.BigInteger(), nullable=False),
        sa.Column("errors", sa.BigInteger(), nullable=False),
        sa.Column("retries", sa.BigInteger(), nullable=False),
        sa.Column("seconds", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker", "kind", name=op.f("pk_magento_call_stats")),
    )


def downgrade() -> None:
    op.drop_table("magento_call_stats")
    op.drop_table("magento_stock_differences")
