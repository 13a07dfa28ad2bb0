"""Shifts and the cash moved in and out of the drawer."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
)

from till.storage.tables.types import (
    metadata,
    money,
    timestamp,
)

# --- shifts ---------------------------------------------------------------------------------------

shifts = Table(
    "shifts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("register_code", ForeignKey("registers.code"), nullable=False),
    # Set while the shift is open, NULL once closed: at most one open shift per register.
    Column("open_register", String(12), nullable=True, unique=True),
    Column("opened_by", ForeignKey("staff.id"), nullable=False),
    timestamp("opened_at"),
    money("opening_float"),
    Column("closed_by", ForeignKey("staff.id"), nullable=True),
    timestamp("closed_at", nullable=True),
    money("counted_cash", nullable=True),
    Column("z_report", JSON, nullable=True),
)

cash_movements = Table(
    "cash_movements",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shift_id", ForeignKey("shifts.id"), nullable=False, index=True),
    Column("kind", String(3), nullable=False),
    money("amount"),
    Column("reason", String(255), nullable=False),
    Column("staff_id", ForeignKey("staff.id"), nullable=False),
    timestamp("created_at"),
)
