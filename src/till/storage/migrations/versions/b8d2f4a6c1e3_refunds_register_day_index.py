"""refunds by register and business day: the Today page's refund sums

Revision ID: b8d2f4a6c1e3
Revises: 412e9c8654d2
Create Date: 2026-12-07 14:30:00
"""

from __future__ import annotations

from alembic import op

revision = "b8d2f4a6c1e3"
down_revision = "412e9c8654d2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_refunds_register_day", "refunds", ["register_code", "business_day"])


def downgrade() -> None:
    op.drop_index("ix_refunds_register_day", table_name="refunds")
