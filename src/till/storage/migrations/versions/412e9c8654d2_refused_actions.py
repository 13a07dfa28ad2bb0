"""actions a till queued that the server refused, kept for a manager (issue 12 item 15)

Revision ID: 412e9c8654d2
Revises: a7585b6fc4cd
Create Date: 2026-12-07 11:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "412e9c8654d2"
down_revision = "a7585b6fc4cd"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "refused_actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("action_key", sa.String(length=80), nullable=True),
        sa.Column("register_code", sa.String(length=12), nullable=True),
        sa.Column("location_code", sa.String(length=32), nullable=True),
        sa.Column("device_id", sa.String(length=36), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("session_staff_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refused_actions")),
    )
    with op.batch_alter_table("refused_actions") as batch:
        batch.create_index("ix_refused_actions_received_at", ["received_at"])


def downgrade() -> None:
    op.drop_table("refused_actions")
