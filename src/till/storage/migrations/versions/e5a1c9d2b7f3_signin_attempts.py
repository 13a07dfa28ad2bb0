"""sign-in attempts per source address: rate limit, per-source lock, audit bound

Revision ID: e5a1c9d2b7f3
Revises: d4e5f6a7b8c9
Create Date: 2026-12-02 01:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e5a1c9d2b7f3"
down_revision = "d4e5f6a7b8c9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signin_attempts",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("source", "username", name=op.f("pk_signin_attempts")),
    )


def downgrade() -> None:
    op.drop_table("signin_attempts")
