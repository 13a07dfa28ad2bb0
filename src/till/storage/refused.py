"""Queued actions of a till the server refused, kept whole for a manager."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from till.storage.tables import refused_actions


class RefusedActions:
    """Refunds, cash movements and shift steps a till sent that the server did not take."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def keep(self, row: dict[str, Any]) -> int:
        """Keep a refused action; the same action (kind and key) sent again is kept once."""
        key = row.get("action_key")
        if key is not None:
            found = self.conn.execute(
                select(refused_actions.c.id).where(
                    refused_actions.c.kind == row["kind"], refused_actions.c.action_key == key
                )
            ).scalar()
            if found is not None:
                return int(found)
        result = self.conn.execute(insert(refused_actions).values(**row, received_at=datetime.now(UTC)))
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def page(
        self, *, locations: tuple[str, ...] | None, before_id: int | None, limit: int
    ) -> list[dict[str, Any]]:
        """Newest first; `locations` None for every location (else only those)."""
        query = select(refused_actions).order_by(refused_actions.c.id.desc()).limit(limit)
        if locations is not None:
            query = query.where(refused_actions.c.location_code.in_(locations))
        if before_id is not None:
            query = query.where(refused_actions.c.id < before_id)
        return [dict(r._mapping) for r in self.conn.execute(query)]
