"""Reservation totals per stock and sku; one change feed row per entity.

Revision ID: a7c31e5d9b20
Revises: f924adb3e9b3
Create Date: 2026-11-25 13:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a7c31e5d9b20"
down_revision = "f924adb3e9b3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reservation_totals",
        sa.Column("stock_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["stock_id"], ["stocks.id"], name=op.f("fk_reservation_totals_stock_id_stocks")
        ),
        sa.PrimaryKeyConstraint("stock_id", "sku", name=op.f("pk_reservation_totals")),
    )
    op.execute(
        "INSERT INTO reservation_totals (stock_id, sku, quantity) "
        "SELECT stock_id, sku, SUM(quantity) FROM reservations GROUP BY stock_id, sku"
    )
    # One row per entity from now on: keep each entity's newest change (the derived table lets
    # MariaDB delete from the table it reads).
    op.execute(
        "DELETE FROM change_log WHERE id NOT IN (SELECT id FROM (SELECT MAX(id) AS id FROM change_log "
        "GROUP BY dataset, entity_key) AS newest)"
    )
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_change_log_entity", ["dataset", "entity_key"])


def downgrade() -> None:
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.drop_constraint("uq_change_log_entity", type_="unique")
    op.drop_table("reservation_totals")
