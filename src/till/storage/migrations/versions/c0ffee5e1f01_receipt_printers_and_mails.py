"""receipts that leave the till: network printers per register, receipt e-mails (issue 14)

Revision ID: c0ffee5e1f01
Revises: b8d2f4a6c1e3
Create Date: 2026-12-07 14:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "c0ffee5e1f01"
down_revision = "b8d2f4a6c1e3"
branch_labels = None
depends_on = None

PRECISE = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "printers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("register_code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("paper_mm", sa.Integer(), nullable=False),
        sa.Column("drawer", sa.Boolean(), nullable=False),
        sa.Column("created_at", PRECISE, nullable=False),
        sa.ForeignKeyConstraint(
            ["register_code"], ["registers.code"], name=op.f("fk_printers_register_code_registers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_printers")),
        sa.UniqueConstraint("register_code", "name", name="uq_printers_register_name"),
    )
    op.create_index(op.f("ix_printers_register_code"), "printers", ["register_code"])
    op.create_table(
        "receipt_mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_key", sa.String(length=80), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("gift", sa.Boolean(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", PRECISE, nullable=False),
        sa.Column("sent_at", PRECISE, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt_mails")),
        sa.UniqueConstraint("request_key", name=op.f("uq_receipt_mails_request_key")),
    )
    op.create_index(op.f("ix_receipt_mails_order_id"), "receipt_mails", ["order_id"])


def downgrade() -> None:
    op.drop_table("receipt_mails")
    op.drop_table("printers")
