"""Where sales happen and who makes them: locations, registers, staff, devices and tokens."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Table,
    UniqueConstraint,
)

from till.storage.tables.types import (
    metadata,
    timestamp,
)

# --- locations, registers, devices, staff ----------------------------------------------------

locations = Table(
    "locations",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("source_code", ForeignKey("sources.code"), nullable=False),
    Column("stock_id", ForeignKey("stocks.id"), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("country", String(2), nullable=False),
    Column("region", String(64), nullable=False, default=""),
    Column("postcode", String(16), nullable=False, default=""),
    Column("currency", String(3), nullable=False, default="USD"),
)

registers = Table(
    "registers",
    metadata,
    Column("code", String(12), primary_key=True),
    Column("location_code", ForeignKey("locations.code"), nullable=False),
    Column("name", String(128), nullable=False),
)

staff = Table(
    "staff",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("name", String(128), nullable=False),
    Column("role", String(16), nullable=False),
    #: `info={"secret": True}`: no report may read the column (till.storage.reports).
    Column("password_hash", String(255), nullable=False, info={"secret": True}),
    Column("pin_hash", String(255), nullable=False, info={"secret": True}),
    #: PBKDF2 verifier a till can check with WebCrypto for an offline PIN sign-in.
    Column("pin_offline", String(255), nullable=False, default="", info={"secret": True}),
    #: Bumped at each PIN change or reset: a till replaces its verifier when the version moves.
    Column("pin_version", Integer, nullable=False, server_default="1"),
    Column("locations", JSON, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("discount_limit", Numeric(5, 2), nullable=True),
    Column("failed_attempts", Integer, nullable=False, default=0),
    timestamp("locked_until", nullable=True),
    timestamp("updated_at"),
)

devices = Table(
    "devices",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("register_code", ForeignKey("registers.code"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True, info={"secret": True}),
    timestamp("created_at"),
    timestamp("revoked_at", nullable=True),
    #: The device's own receipt-number series on its register (A, B, …, Z, AA, …): numbers a
    #: till makes offline are REGISTER-SERIES-NUMBER, so tills sharing a register never collide.
    #: NULL for devices registered before series existed (REGISTER-NUMBER).
    Column("receipt_series", String(3), nullable=True),
    UniqueConstraint("register_code", "receipt_series", name="uq_devices_register_series"),
)

#: Who has signed in online on which till: only those tills are sent the member's offline PIN
#: verifier (services.sync), so a cashier's till holds no manager's verifier it never saw.
staff_devices = Table(
    "staff_devices",
    metadata,
    Column("staff_id", ForeignKey("staff.id"), primary_key=True),
    Column("device_id", ForeignKey("devices.id"), primary_key=True),
    timestamp("first_signed_in_at"),
    timestamp("last_signed_in_at"),
)

auth_tokens = Table(
    "auth_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True, info={"secret": True}),
    Column("staff_id", ForeignKey("staff.id"), nullable=False),
    Column("device_id", ForeignKey("devices.id"), nullable=True),
    timestamp("created_at"),
    timestamp("expires_at"),
    timestamp("revoked_at", nullable=True),
)

#: Sign-in attempts by source address (and username): the rate limit per source (username
#: ""), a member's lock from one source, and the refusals counted for the audit log's bound.
signin_attempts = Table(
    "signin_attempts",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("username", String(64), primary_key=True),
    timestamp("window_start"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("failures", Integer, nullable=False, default=0),
    timestamp("locked_until", nullable=True),
)
