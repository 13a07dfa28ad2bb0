"""Dead letters (back office): list, inspect, replay, discard."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from till.api.deps import (
    AdminDep,
    BigIdPath,
    EngineDep,
    TransportsDep,
)
from till.api.schemas import problems
from till.queue import deadletters, store

#: Every back-office route is for managers or admins: any may answer 403.
router = APIRouter(prefix="/api/admin", tags=["back office"], responses=problems(403))


@router.get("/dead-letters")
def list_dead_letters(
    engine: EngineDep,
    principal: AdminDep,
    queue: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Dead letters, newest first (payload, tries and the last error)."""
    return store.dead_letters(engine, queue, limit)


@router.get("/dead-letters/{letter_id}", responses=problems(404))
def get_dead_letter(letter_id: BigIdPath, engine: EngineDep, principal: AdminDep) -> dict[str, Any]:
    """One dead letter."""
    return deadletters.inspect(engine, letter_id)


@router.post("/dead-letters/{letter_id}/replay", responses=problems(404, 409))
async def replay_dead_letter(
    letter_id: BigIdPath, engine: EngineDep, transports: TransportsDep, principal: AdminDep
) -> dict[str, Any]:
    """Put a dead letter back in its queue with fresh tries."""
    letter = await deadletters.replay(engine, transports("replay"), letter_id, by=principal.actor())
    return {"replayed": letter["id"], "queue": letter["queue"], "message_id": letter["message_id"]}


@router.delete(
    "/dead-letters/{letter_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404, 409)
)
def discard_dead_letter(letter_id: BigIdPath, engine: EngineDep, principal: AdminDep) -> None:
    """Give up on a dead letter for good."""
    deadletters.discard(engine, letter_id, by=principal.actor())
