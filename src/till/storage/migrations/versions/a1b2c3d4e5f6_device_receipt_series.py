"""a receipt-number series per device: tills sharing a register never make the same number

Revision ID: a1b2c3d4e5f6
Revises: e5a1c9d2b7f3
Create Date: 2026-12-02 02:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a1b2c3d4e5f6"
down_revision = "e5a1c9d2b7f3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("receipt_series", sa.String(length=3), nullable=True))
        batch.create_unique_constraint("uq_devices_register_series", ["register_code", "receipt_series"])


def downgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.drop_constraint("uq_devices_register_series", type_="unique")
        batch.drop_column("receipt_series")
