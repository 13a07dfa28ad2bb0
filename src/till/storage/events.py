"""The transactional outbox and the audit log: rows written in the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from till.storage.tables import audit_log, outbox


class EventRepository:
    """Events others must hear of, and the audit trail of sensitive actions."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def publish(self, topic: str, payload: dict[str, Any]) -> str:
        """Write an outbox event in the same transaction as the change it announces."""
        message_id = str(uuid.uuid4())
        self.conn.execute(
            insert(outbox).values(
                message_id=message_id, topic=topic, payload=payload, created_at=datetime.now(UTC)
            )
        )
        return message_id

    def publish_many(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        """Write several outbox events (topic, payload) in one statement."""
        if events:
            now = datetime.now(UTC)
            self.conn.execute(
                insert(outbox),
                [
                    {"message_id": str(uuid.uuid4()), "topic": topic, "payload": payload, "created_at": now}
                    for topic, payload in events
                ],
            )

    def audit(
        self,
        action: str,
        detail: dict[str, Any],
        *,
        staff_id: int | None = None,
        location_code: str | None = None,
        register_code: str | None = None,
    ) -> None:
        """Append one line to the audit log."""
        self.conn.execute(
            insert(audit_log).values(
                at=datetime.now(UTC),
                staff_id=staff_id,
                location_code=location_code,
                register_code=register_code,
                action=action,
                detail=detail,
            )
        )

    def events(self, topic: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Outbox events, oldest first."""
        query = select(outbox).order_by(outbox.c.id).limit(limit)
        if topic:
            query = query.where(outbox.c.topic == topic)
        return [dict(r._mapping) for r in self.conn.execute(query)]

    def audit_entries(self, limit: int = 200) -> list[dict[str, Any]]:
        """Audit log, newest first."""
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        return [dict(r._mapping) for r in self.conn.execute(query)]
