"""Receipts that leave the till: the receipt printers of each register, and e-mails asked for."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint

from till.storage.tables.types import metadata, precise_timestamp

#: A network receipt printer (raw TCP, port 9100) a manager set up for a register.
printers = Table(
    "printers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("register_code", ForeignKey("registers.code"), nullable=False, index=True),
    Column("name", String(64), nullable=False),
    Column("host", String(255), nullable=False),
    Column("port", Integer, nullable=False, default=9100),
    Column("paper_mm", Integer, nullable=False, default=80),
    Column("drawer", Boolean, nullable=False, default=False),
    precise_timestamp("created_at"),
    UniqueConstraint("register_code", "name", name="uq_printers_register_name"),
)

#: A receipt e-mail asked for: one row per request key, so a retried request sends one mail.
receipt_mails = Table(
    "receipt_mails",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("request_key", String(80), nullable=False, unique=True),
    Column("order_id", String(36), nullable=False, index=True),
    Column("to_address", String(254), nullable=False),
    Column("gift", Boolean, nullable=False, default=False),
    Column("staff_id", Integer, nullable=True),
    precise_timestamp("requested_at"),
    precise_timestamp("sent_at", nullable=True),
    Column("last_error", Text, nullable=True),
)
