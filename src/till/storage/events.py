"""The transactional outbox and the audit log: rows written in the caller's transaction."""

from __future__ import annotations

import getpass
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, insert, or_, select

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

    def audit(self, action: str, detail: dict[str, Any], by: Actor) -> None:
        """Append one line to the audit log, in the caller's transaction."""
        self.audit_many([(action, detail, by)])

    def audit_many(self, lines: Sequence[tuple[str, dict[str, Any], Actor]]) -> None:
        """Append lines (action, detail, who) with one INSERT executed for all of them (the
        driver's executemany, as the rest of the sale path), stamped with the server's clock."""
        if lines:
            self.conn.execute(insert(audit_log), [_audit_row(*line) for line in lines])

    def events(self, topic: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Outbox events, oldest first."""
        query = select(outbox).order_by(outbox.c.id).limit(limit)
        if topic:
            query = query.where(outbox.c.topic == topic)
        return [dict(r._mapping) for r in self.conn.execute(query)]

    def audit_entries(self, query: AuditQuery, limit: int = 100) -> list[dict[str, Any]]:
        """Audit lines matching the query, newest first, before `query.before_id` if given."""
        statement = select(audit_log).where(*query.conditions()).order_by(audit_log.c.id.desc()).limit(limit)
        return [_audit_json(row._mapping) for row in self.conn.execute(statement)]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something and where: a member of staff (maybe on a registered till), or a
    person at the server's command line (`via`), who has no staff id."""

    staff_id: int | None = None
    username: str | None = None
    device_id: str | None = None
    location_code: str | None = None
    register_code: str | None = None
    via: str | None = None

    def at(self, location_code: str | None = None, register_code: str | None = None) -> Actor:
        """The same person, acting at this location and register."""
        return replace(
            self,
            location_code=location_code or self.location_code,
            register_code=register_code or self.register_code,
        )

    @classmethod
    def command_line(cls, command: str = "till") -> Actor:
        """Whoever runs a `till` command on the server, named by their operating-system account."""
        try:
            account = getpass.getuser()
        except (KeyError, OSError):
            account = f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"
        return cls(via=f"{command} (as {account})")


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Filters of the audit log; an action filter matches the action and its family
    (`cash` matches `cash.in` and `cash.out`)."""

    since: datetime | None = None
    until: datetime | None = None
    staff_id: int | None = None
    action: str | None = None
    location_code: str | None = None
    register_code: str | None = None
    before_id: int | None = None
    #: When not empty, only lines of these locations (a manager's own).
    within_locations: tuple[str, ...] = ()

    def conditions(self) -> list[ColumnElement[bool]]:
        """The WHERE clauses of these filters."""
        found: list[ColumnElement[bool]] = []
        if self.since is not None:
            found.append(audit_log.c.at >= self.since.astimezone(UTC))
        if self.until is not None:
            found.append(audit_log.c.at < self.until.astimezone(UTC))
        if self.staff_id is not None:
            found.append(audit_log.c.staff_id == self.staff_id)
        if self.action:
            found.append(
                or_(
                    audit_log.c.action == self.action,
                    audit_log.c.action.startswith(self.action + ".", autoescape=True),
                )
            )
        if self.location_code:
            found.append(audit_log.c.location_code == self.location_code)
        if self.register_code:
            found.append(audit_log.c.register_code == self.register_code)
        if self.before_id is not None:
            found.append(audit_log.c.id < self.before_id)
        if self.within_locations:
            found.append(audit_log.c.location_code.in_(self.within_locations))
        return found


def _audit_row(action: str, detail: dict[str, Any], by: Actor) -> dict[str, Any]:
    return {
        # The server's clock, never a till's (which may be wrong, or replaying from offline).
        "at": datetime.now(UTC),
        "staff_id": by.staff_id,
        "username": by.username,
        "device_id": by.device_id,
        "location_code": by.location_code,
        "register_code": by.register_code,
        "action": action,
        "detail": {**detail, "via": by.via} if by.via else detail,
    }


def _audit_json(row: Any) -> dict[str, Any]:
    return {
        "id": int(row["id"]),
        "at": row["at"],
        "staff_id": row["staff_id"],
        "username": row["username"],
        "device_id": row["device_id"],
        "location_code": row["location_code"],
        "register_code": row["register_code"],
        "action": row["action"],
        "detail": row["detail"],
    }
