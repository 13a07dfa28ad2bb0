"""The change feed, the outbox and the append-only audit log."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from till.storage.tables.types import (
    metadata,
    timestamp,
)

# --- change feed and outbox -----------------------------------------------------------------------

#: One row per change to a synced entity. `seq` is stamped after commit by one serialized
#: step (see docs/sync.md), so readers paging by `seq` never skip a late-committing row.
change_log = Table(
    "change_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("seq", BigInteger, nullable=True),
    Column("dataset", String(16), nullable=False),
    Column("entity_key", String(128), nullable=False),
    Column("op", String(8), nullable=False),
    #: For stock: the location whose tills care; NULL means every till.
    Column("scope", String(32), nullable=True),
    timestamp("created_at"),
    Index("ix_change_log_seq", "seq"),
    Index("ix_change_log_dataset_seq", "dataset", "seq"),
    UniqueConstraint("dataset", "entity_key", name="uq_change_log_entity"),
)

feed_sequencer = Table(
    "feed_sequencer",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_seq", BigInteger, nullable=False),
)

#: The transactional outbox: an event row written in the same transaction as its change.
outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("message_id", String(36), nullable=False, unique=True),
    Column("topic", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    timestamp("created_at"),
    timestamp("published_at", nullable=True),
    Index("ix_outbox_published", "published_at"),
)

#: The audit log: who did what, when and where. Append-only: the database itself refuses an
#: UPDATE or DELETE of a row (triggers, migration d4e5f6a7b8c9; docs/trust.md). Who is kept as
#: the staff id and the username at the time, so a line reads the same for ever.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    timestamp("at"),
    Column("staff_id", Integer, nullable=True),
    Column("location_code", String(32), nullable=True),
    Column("register_code", String(12), nullable=True),
    Column("action", String(64), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("username", String(64), nullable=True),
    Column("device_id", String(36), nullable=True),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_staff", "staff_id", "id"),
    Index("ix_audit_log_action", "action", "id"),
)
