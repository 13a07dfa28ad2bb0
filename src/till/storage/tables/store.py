"""Store-wide settings: one JSON value per key."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    String,
    Table,
)

from till.storage.tables.types import (
    metadata,
)

settings = Table(
    "store_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
)
