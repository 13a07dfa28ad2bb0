"""who signed in on which till (only those tills get a member's offline PIN verifier), and a
version of each member's PIN so tills drop an old verifier

Revision ID: a7585b6fc4cd
Revises: a1b2c3d4e5f6
Create Date: 2026-12-07 10:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a7585b6fc4cd"
down_revision = "a1b2c3d4e5f6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("pin_version", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "staff_devices",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("first_signed_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_signed_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_staff_devices_staff_id_staff")),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_staff_devices_device_id_devices")
        ),
        sa.PrimaryKeyConstraint("staff_id", "device_id", name=op.f("pk_staff_devices")),
    )


def downgrade() -> None:
    op.drop_table("staff_devices")
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("pin_version")
