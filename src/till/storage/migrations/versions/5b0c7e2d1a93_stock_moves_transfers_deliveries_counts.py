"""stock moves: transfers between shops, deliveries received, stock counts (issue 17 items 3, 4)

Revision ID: 5b0c7e2d1a93
Revises: c9e1f0a2b3d4
Create Date: 2026-12-07 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "5b0c7e2d1a93"
down_revision = "c9e1f0a2b3d4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stock_transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_location", sa.String(length=32), nullable=False),
        sa.Column("to_location", sa.String(length=32), nullable=False),
        sa.Column("from_source", sa.String(length=32), nullable=False),
        sa.Column("to_source", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_by", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_by", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["from_location"], ["locations.code"], name=op.f("fk_stock_transfers_from_location_locations")
        ),
        sa.ForeignKeyConstraint(
            ["to_location"], ["locations.code"], name=op.f("fk_stock_transfers_to_location_locations")
        ),
        sa.ForeignKeyConstraint(
            ["from_source"], ["sources.code"], name=op.f("fk_stock_transfers_from_source_sources")
        ),
        sa.ForeignKeyConstraint(
            ["to_source"], ["sources.code"], name=op.f("fk_stock_transfers_to_source_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_transfers")),
    )
    op.create_index("ix_stock_transfers_to_state", "stock_transfers", ["to_location", "state"])
    op.create_index("ix_stock_transfers_from_state", "stock_transfers", ["from_location", "state"])
    op.create_table(
        "stock_transfer_lines",
        sa.Column("transfer_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Numeric(12, 4), nullable=False),
        sa.Column("received", sa.Numeric(12, 4), nullable=True),
        sa.Column("damaged", sa.Numeric(12, 4), nullable=True),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["stock_transfers.id"],
            name=op.f("fk_stock_transfer_lines_transfer_id_stock_transfers"),
        ),
        sa.PrimaryKeyConstraint("transfer_id", "sku", name=op.f("pk_stock_transfer_lines")),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_code", sa.String(length=32), nullable=False),
        sa.Column("source_code", sa.String(length=32), nullable=False),
        sa.Column("supplier", sa.String(length=128), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_by", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["location_code"], ["locations.code"], name=op.f("fk_deliveries_location_code_locations")
        ),
        sa.ForeignKeyConstraint(
            ["source_code"], ["sources.code"], name=op.f("fk_deliveries_source_code_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
    )
    op.create_index("ix_deliveries_location_state", "deliveries", ["location_code", "state"])
    op.create_table(
        "delivery_lines",
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("expected", sa.Numeric(12, 4), nullable=False),
        sa.Column("received", sa.Numeric(12, 4), nullable=True),
        sa.Column("damaged", sa.Numeric(12, 4), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["deliveries.id"], name=op.f("fk_delivery_lines_delivery_id_deliveries")
        ),
        sa.PrimaryKeyConstraint("delivery_id", "sku", name=op.f("pk_delivery_lines")),
    )
    op.create_table(
        "stock_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_code", sa.String(length=32), nullable=False),
        sa.Column("source_code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("blind", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_by", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["location_code"], ["locations.code"], name=op.f("fk_stock_counts_location_code_locations")
        ),
        sa.ForeignKeyConstraint(
            ["source_code"], ["sources.code"], name=op.f("fk_stock_counts_source_code_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_counts")),
    )
    op.create_index("ix_stock_counts_location_state", "stock_counts", ["location_code", "state"])
    op.create_table(
        "stock_count_lines",
        sa.Column("count_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("snapshot", sa.Numeric(12, 4), nullable=False),
        sa.Column("counted", sa.Numeric(12, 4), nullable=True),
        sa.Column("book_at_scan", sa.Numeric(12, 4), nullable=True),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sold_late", sa.Numeric(12, 4), nullable=True),
        sa.Column("adjustment", sa.Numeric(12, 4), nullable=True),
        sa.ForeignKeyConstraint(
            ["count_id"], ["stock_counts.id"], name=op.f("fk_stock_count_lines_count_id_stock_counts")
        ),
        sa.PrimaryKeyConstraint("count_id", "sku", name=op.f("pk_stock_count_lines")),
    )


def downgrade() -> None:
    for table in (
        "stock_count_lines",
        "stock_counts",
        "delivery_lines",
        "deliveries",
        "stock_transfer_lines",
        "stock_transfers",
    ):
        op.drop_table(table)
