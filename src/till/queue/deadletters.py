"""Dead letters, for people: list, inspect, replay (with fresh tries), discard.

Both transports keep dead letters in `queue_messages` (status `dead`); replaying puts the
message back where its transport reads it: the same row made ready (database) or a new
confirmed publish to its queue (RabbitMQ).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from till.domain.errors import NotFound
from till.queue import store
from till.queue.transport import Transport
from till.storage.events import Actor, EventRepository


def inspect(engine: Engine, row_id: int) -> dict[str, Any]:
    """One dead letter, or NotFound."""
    found = store.dead_letter(engine, row_id)
    if found is None:
        raise NotFound(f"no dead letter {row_id}")
    return found


async def replay(engine: Engine, transport: Transport, row_id: int, *, by: Actor) -> dict[str, Any]:
    """Send a dead letter to its queue again through `transport` (closed after); answers the
    letter as it was.

    The audit line is written once the transport has taken the letter back (with RabbitMQ
    that is a broker publish, outside any database transaction), so it never claims a
    replay that did not happen."""
    import asyncio

    try:
        letter = await asyncio.to_thread(inspect, engine, row_id)
        await transport.replay(letter)
    finally:
        await transport.close()
    await asyncio.to_thread(_audit_replay, engine, letter, by)
    return letter


def _audit_replay(engine: Engine, letter: dict[str, Any], by: Actor) -> None:
    with engine.begin() as conn:
        EventRepository(conn).audit(
            "deadletter.replayed",
            {
                "id": letter["id"],
                "queue": letter["queue"],
                "message_id": letter["message_id"],
                "topic": letter["topic"],
                "attempts": letter["attempts"],
            },
            by,
        )


def discard(engine: Engine, row_id: int, *, by: Actor) -> None:
    """Give up on a dead letter."""
    if not store.discard_dead(engine, row_id, by=by):
        raise NotFound(f"no dead letter {row_id}")
