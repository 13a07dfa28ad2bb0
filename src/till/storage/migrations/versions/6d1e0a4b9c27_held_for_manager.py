"""units received beyond what was announced or sent, held for a manager (not stocked)

Revision ID: 6d1e0a4b9c27
Revises: 5b0c7e2d1a93
Create Date: 2026-12-07 15:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "6d1e0a4b9c27"
down_revision = "5b0c7e2d1a93"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("stock_transfer_lines", "delivery_lines"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("held", sa.Numeric(12, 4), nullable=True))


def downgrade() -> None:
    for table in ("stock_transfer_lines", "delivery_lines"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("held")
