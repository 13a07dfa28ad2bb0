"""The queue's rows in the database: the database transport's queue itself, consumer
dedupe, running totals, worker heartbeats and the dead letters of both transports.

Claim SQL (see docs/queue.md): on PostgreSQL and MariaDB a consumer locks the next ready
rows with `SELECT … ORDER BY id LIMIT n FOR UPDATE SKIP LOCKED` and marks them running
with a lease in the same short transaction; rows another consumer holds are skipped, not
waited for. SQLite has no row locks: its write transaction (BEGIN IMMEDIATE) is the lock,
which is safe with one worker (and correct, only slower, with more).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from till.queue.messages import Message, RetryPolicy, Route, RouteSource
from till.storage.db import update_or_insert
from till.storage.events import Actor, EventRepository
from till.storage.tables import (
    outbox,
    processed_messages,
    queue_messages,
    queue_totals,
    worker_heartbeats,
)

READY, RUNNING, DONE, DEAD, DISCARDED = "ready", "running", "done", "dead", "discarded"


def utcnow() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message a consumer holds, with its row in `queue_messages`."""

    row_id: int
    message: Message


# --- relay: outbox → queue rows ---------------------------------------------------------------


def claim_outbox(conn: Connection, limit: int) -> list[dict[str, Any]]:
    """Lock the oldest unsent outbox rows (skipping rows another relay holds)."""
    query = (
        select(outbox.c.id, outbox.c.message_id, outbox.c.topic, outbox.c.payload, outbox.c.created_at)
        .where(outbox.c.published_at.is_(None))
        .order_by(outbox.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def mark_sent(conn: Connection, ids: Sequence[int]) -> None:
    """Mark outbox rows sent (after the transport has them)."""
    if ids:
        conn.execute(update(outbox).where(outbox.c.id.in_(list(ids))).values(published_at=utcnow()))


def routes_at(conn: Connection, routes: RouteSource) -> Sequence[Route]:
    """The routes, read in the relay's own transaction when they are given as a function."""
    return routes(conn) if callable(routes) else routes


def relay_to_database(engine: Engine, routes: RouteSource, limit: int = 500) -> int:
    """Move unsent outbox events into the queue rows of every route that takes them, and
    mark them sent, in one transaction. Returns the number of events relayed."""
    with engine.begin() as conn:
        rows = claim_outbox(conn, limit)
        if not rows:
            return 0
        routes = routes_at(conn, routes)
        now = utcnow()
        copies = [
            {
                "queue": route.queue,
                "message_id": row["message_id"],
                "topic": row["topic"],
                "payload": row["payload"],
                "status": READY,
                "attempts": 0,
                "available_at": now,
                "created_at": row["created_at"] or now,
            }
            for row in rows
            for route in routes
            if route.takes(row["topic"])
        ]
        if copies:
            conn.execute(insert(queue_messages), copies)
        mark_sent(conn, [row["id"] for row in rows])
        return len(rows)


# --- consumers: claim, complete, fail ---------------------------------------------------------


def claim(engine: Engine, queue: str, worker: str, limit: int, lease_seconds: float) -> list[Claimed]:
    """Claim up to `limit` messages of a queue: ready ones whose time has come, and running
    ones whose lease ran out (their worker died: this is the redelivery)."""
    now = utcnow()
    with engine.begin() as conn:
        rows = conn.execute(
            select(
                queue_messages.c.id,
                queue_messages.c.message_id,
                queue_messages.c.topic,
                queue_messages.c.payload,
                queue_messages.c.attempts,
                queue_messages.c.created_at,
            )
            .where(
                queue_messages.c.queue == queue,
                or_(
                    and_(queue_messages.c.status == READY, queue_messages.c.available_at <= now),
                    and_(queue_messages.c.status == RUNNING, queue_messages.c.lease_until < now),
                ),
            )
            .order_by(queue_messages.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            return []
        conn.execute(
            update(queue_messages)
            .where(queue_messages.c.id.in_([r.id for r in rows]))
            .values(
                status=RUNNING,
                claimed_by=worker,
                lease_until=now + timedelta(seconds=lease_seconds),
                attempts=queue_messages.c.attempts + 1,
            )
        )
    return [
        Claimed(
            int(r.id),
            Message(
                r.message_id,
                r.topic,
                dict(r.payload),
                queue,
                attempt=int(r.attempts) + 1,
                created_at=_iso(r.created_at),
            ),
        )
        for r in rows
    ]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def release(engine: Engine, row_ids: Sequence[int], worker: str) -> None:
    """Give claimed messages back untouched (a worker stopping, or a lease running short)."""
    if not row_ids:
        return
    with engine.begin() as conn:
        conn.execute(
            update(queue_messages)
            .where(
                queue_messages.c.id.in_(list(row_ids)),
                queue_messages.c.claimed_by == worker,
                queue_messages.c.status == RUNNING,
            )
            .values(status=READY, attempts=queue_messages.c.attempts - 1, lease_until=None)
        )


def is_processed(engine: Engine, queue: str, message_id: str) -> bool:
    """True if this queue's consumer already applied the message (a redelivery)."""
    with engine.connect() as conn:
        found = conn.execute(
            select(processed_messages.c.message_id).where(
                processed_messages.c.queue == queue, processed_messages.c.message_id == message_id
            )
        ).first()
        return found is not None


def _bump_totals(conn: Connection, queue: str, **deltas: Any) -> None:
    values = {name: getattr(queue_totals.c, name) + delta for name, delta in deltas.items()}
    if conn.execute(update(queue_totals).where(queue_totals.c.queue == queue).values(**values)).rowcount:
        return
    try:
        with conn.begin_nested():
            conn.execute(
                insert(queue_totals).values(
                    queue=queue, **{"processed": 0, "total_ms": 0, "failures": 0, "dead": 0, **deltas}
                )
            )
    except IntegrityError:  # another process made the row a moment ago
        conn.execute(update(queue_totals).where(queue_totals.c.queue == queue).values(**values))


def complete(
    engine: Engine, message: Message, duration_ms: float, *, row_id: int | None = None, worker: str = ""
) -> bool:
    """Record a message as applied (once: the dedupe row) and finish its queue row.

    Returns False if it had been applied already (a duplicate delivery)."""
    now = utcnow()
    with engine.begin() as conn:
        first = True
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(processed_messages).values(
                        queue=message.queue,
                        message_id=message.message_id,
                        finished_at=now,
                        duration_ms=Decimal(f"{duration_ms:.3f}"),
                    )
                )
        except IntegrityError:
            first = False
        if first:
            _bump_totals(conn, message.queue, processed=1, total_ms=Decimal(f"{duration_ms:.3f}"))
        if row_id is not None:
            query = update(queue_messages).where(queue_messages.c.id == row_id)
            if worker:
                query = query.where(queue_messages.c.claimed_by == worker)
            conn.execute(query.values(status=DONE, finished_at=now, lease_until=None, last_error=None))
    return first


def fail(engine: Engine, claimed: Claimed, error: str, policy: RetryPolicy, worker: str) -> bool:
    """A handler failed: schedule a retry after backoff, or dead-letter the message.
    Returns True if it became a dead letter."""
    attempt = claimed.message.attempt
    dead = policy.gives_up(attempt)
    now = utcnow()
    with engine.begin() as conn:
        values: dict[str, Any] = {"last_error": error[:4000], "lease_until": None}
        if dead:
            values.update(status=DEAD, finished_at=now)
        else:
            values.update(status=READY, available_at=now + timedelta(seconds=policy.delay(attempt)))
        conn.execute(
            update(queue_messages)
            .where(queue_messages.c.id == claimed.row_id, queue_messages.c.claimed_by == worker)
            .values(**values)
        )
        _bump_totals(conn, claimed.message.queue, failures=1, dead=1 if dead else 0)
    return dead


def record_failure(engine: Engine, queue: str, *, dead: bool = False) -> None:
    """Count a failed try (RabbitMQ transport: the broker holds the message)."""
    with engine.begin() as conn:
        _bump_totals(conn, queue, failures=1, dead=1 if dead else 0)


def record_dead_letter(engine: Engine, message: Message, error: str) -> None:
    """Keep a message the broker dead-lettered, so a person can inspect and replay it."""
    now = utcnow()
    with engine.begin() as conn:
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(queue_messages).values(
                        queue=message.queue,
                        message_id=message.message_id,
                        topic=message.topic,
                        payload=message.payload,
                        status=DEAD,
                        attempts=message.attempt,
                        available_at=now,
                        created_at=now,
                        finished_at=now,
                        last_error=error[:4000],
                    )
                )
        except IntegrityError:  # dead again after a replay: one row, newest error
            conn.execute(
                update(queue_messages)
                .where(
                    queue_messages.c.queue == message.queue,
                    queue_messages.c.message_id == message.message_id,
                )
                .values(status=DEAD, attempts=message.attempt, finished_at=now, last_error=error[:4000])
            )


# --- dead letters -------------------------------------------------------------------------------


def _dead_json(row: Any) -> dict[str, Any]:
    return {
        "id": int(row.id),
        "queue": row.queue,
        "message_id": row.message_id,
        "topic": row.topic,
        "payload": row.payload,
        "attempts": int(row.attempts),
        "last_error": row.last_error,
        "created_at": _iso(row.created_at),
        "dead_at": _iso(row.finished_at),
    }


def dead_letters(engine: Engine, queue: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Dead letters, newest first."""
    query = (
        select(queue_messages)
        .where(queue_messages.c.status == DEAD)
        .order_by(queue_messages.c.id.desc())
        .limit(limit)
    )
    if queue:
        query = query.where(queue_messages.c.queue == queue)
    with engine.connect() as conn:
        return [_dead_json(row) for row in conn.execute(query)]


def dead_letter(engine: Engine, row_id: int) -> dict[str, Any] | None:
    """One dead letter."""
    with engine.connect() as conn:
        row = conn.execute(
            select(queue_messages).where(queue_messages.c.id == row_id, queue_messages.c.status == DEAD)
        ).first()
        return None if row is None else _dead_json(row)


def requeue_dead(engine: Engine, row_id: int) -> bool:
    """Database transport: put a dead letter back in its queue with fresh tries."""
    with engine.begin() as conn:
        return bool(
            conn.execute(
                update(queue_messages)
                .where(queue_messages.c.id == row_id, queue_messages.c.status == DEAD)
                .values(status=READY, attempts=0, available_at=utcnow(), claimed_by=None, finished_at=None)
            ).rowcount
        )


def discard_dead(engine: Engine, row_id: int, *, by: Actor) -> bool:
    """Give up on a dead letter for good (the row stays, marked discarded), audited as `by`'s."""
    with engine.begin() as conn:
        letter = conn.execute(
            select(queue_messages.c.queue, queue_messages.c.message_id, queue_messages.c.topic).where(
                queue_messages.c.id == row_id, queue_messages.c.status == DEAD
            )
        ).first()
        if (
            letter is None
            or not conn.execute(
                update(queue_messages)
                .where(queue_messages.c.id == row_id, queue_messages.c.status == DEAD)
                .values(status=DISCARDED)
            ).rowcount
        ):
            return False
        EventRepository(conn).audit(
            "deadletter.discarded",
            {"id": row_id, "queue": letter.queue, "message_id": letter.message_id, "topic": letter.topic},
            by,
        )
        return True


def forget_dead(engine: Engine, row_id: int) -> bool:
    """RabbitMQ transport: a replayed dead letter is back in the broker; drop its row."""
    with engine.begin() as conn:
        return bool(
            conn.execute(
                delete(queue_messages).where(queue_messages.c.id == row_id, queue_messages.c.status == DEAD)
            ).rowcount
        )


# --- heartbeats and housekeeping --------------------------------------------------------------------


#: The heartbeat row of the worker itself, written whatever queues it consumes (a worker that
#: only relays and schedules holds none, and still runs).
WORKER_ITSELF = ""


def heartbeat(engine: Engine, worker: str, counts: dict[str, tuple[int, int | None]]) -> None:
    """Record that a worker runs, and what it holds per queue: (in flight, waiting at the
    broker or None)."""
    now = utcnow()
    with engine.begin() as conn:
        for queue, (in_flight, waiting) in sorted({WORKER_ITSELF: (0, None), **counts}.items()):
            update_or_insert(
                conn,
                worker_heartbeats,
                {"worker": worker, "queue": queue},
                {"in_flight": in_flight, "waiting": waiting, "seen_at": now},
            )


def forget_worker(engine: Engine, worker: str) -> None:
    """A worker that stops cleanly removes its heartbeats."""
    with engine.begin() as conn:
        conn.execute(delete(worker_heartbeats).where(worker_heartbeats.c.worker == worker))


def purge(engine: Engine, older_than: timedelta) -> dict[str, int]:
    """Delete sent outbox rows, finished queue rows and dedupe rows older than the retention."""
    cutoff = utcnow() - older_than
    with engine.begin() as conn:
        sent = conn.execute(
            delete(outbox).where(outbox.c.published_at.is_not(None), outbox.c.published_at < cutoff)
        ).rowcount
        done = conn.execute(
            delete(queue_messages).where(
                queue_messages.c.status.in_([DONE, DISCARDED]), queue_messages.c.finished_at < cutoff
            )
        ).rowcount
        dedupe = conn.execute(
            delete(processed_messages).where(processed_messages.c.finished_at < cutoff)
        ).rowcount
        conn.execute(
            delete(worker_heartbeats).where(worker_heartbeats.c.seen_at < utcnow() - timedelta(hours=1))
        )
    return {"outbox": int(sent), "queue_messages": int(done), "processed_messages": int(dedupe)}


def unsent_count(conn: Connection) -> int:
    """Outbox events not yet handed to the transport."""
    return int(conn.execute(select(func.count()).where(outbox.c.published_at.is_(None))).scalar_one())
