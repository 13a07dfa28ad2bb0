"""magento connector: links, pull state, stock push ledger, source-item baseline

Revision ID: b7c1d2e3f4a5
Revises: f9826a865345
Create Date: 2026-11-25 13:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b7c1d2e3f4a5"
down_revision = "f9826a865345"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "magento_links",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("till_id", sa.String(length=80), nullable=False),
        sa.Column("magento_id", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "till_id", name=op.f("pk_magento_links")),
    )
    op.create_index("ix_magento_links_kind_magento", "magento_links", ["kind", "magento_id"])
    op.create_table(
        "magento_pull_state",
        sa.Column("dataset", sa.String(length=32), nullable=False),
        sa.Column("updated_since", sa.String(length=19), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_full_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("dataset", name=op.f("pk_magento_pull_state")),
    )
    op.create_table(
        "magento_stock_pushes",
        sa.Column("movement", sa.String(length=80), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("source_code", sa.String(length=64), nullable=False),
        sa.Column("delta", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("before_qty", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("after_qty", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("movement", "sku", "source_code", name=op.f("pk_magento_stock_pushes")),
    )

    op.create_table(
        "magento_source_items",
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("source_code", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sku", "source_code", name=op.f("pk_magento_source_items")),
    )


def downgrade() -> None:
    op.drop_table("magento_source_items")
    op.drop_table("magento_stock_pushes")
    op.drop_table("magento_pull_state")
    op.drop_index("ix_magento_links_kind_magento", table_name="magento_links")
    op.drop_table("magento_links")
