"""Queued actions of a till (refunds, cash movements, shift steps) the server refused, kept for a
manager: a till never holds the only record of what it did (issue 12 item 15)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from till.api.deps import EngineDep, ManagerDep
from till.api.routes.rejected_sales import _AsciiJSON
from till.api.schemas import ActedByIn, problems
from till.domain.acting import ActedBy
from till.domain.errors import Conflict, DomainError, NotFound
from till.domain.staff import PermissionDenied
from till.services.acting import keep_refused
from till.services.auth import Principal
from till.storage.refused import RefusedActions
from till.storage.uow import UnitOfWork

router = APIRouter(prefix="/api", tags=["monitoring"])


def acted_by(body: ActedByIn | None) -> ActedBy | None:
    """Who the till says did a queued action, as the services take it."""
    return None if body is None else ActedBy(body.staff_id, body.sign_in, body.at)


@contextmanager
def kept_if_refused(
    engine: Any,
    principal: Principal,
    *,
    kind: str,
    register_code: str,
    body: Any,
    key: str | None = None,
    keep_conflict: bool = True,
) -> Iterator[None]:
    """Run an action; if the server refuses it (403, 404, 409, 422), keep it for a manager with
    the reason before the refusal is answered."""
    refusals: tuple[type[Exception], ...] = (PermissionDenied, NotFound, DomainError)
    if keep_conflict:
        refusals += (Conflict,)
    try:
        yield
    except refusals as exc:
        named = getattr(body, "acted_by", None)
        keep_refused(
            engine,
            principal,
            kind=kind,
            key=key,
            register_code=register_code,
            staff_id=None if named is None else named.staff_id,
            reason=str(exc),
            payload=body.model_dump(mode="json"),
        )
        raise


_REFUSED_ACTION = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "kind": {"type": "string", "enum": ["refund", "shift_open", "cash", "shift_close", "customer"]},
        "action_key": {"type": ["string", "null"]},
        "register_code": {"type": ["string", "null"]},
        "location_code": {"type": ["string", "null"]},
        "device_id": {"type": ["string", "null"]},
        "staff_id": {"type": ["integer", "null"], "description": "who the till said did it"},
        "session_staff_id": {"type": ["integer", "null"], "description": "whose session sent it"},
        "reason": {"type": "string"},
        "payload": {"type": "object"},
        "received_at": {"type": "string"},
    },
}


@router.get(
    "/refused-actions",
    response_class=_AsciiJSON,
    response_model=None,
    responses=problems(
        403,
        422,
        also={
            200: {
                "description": "a page of refused actions, newest first",
                "content": {"application/json": {"schema": {"type": "array", "items": _REFUSED_ACTION}}},
            }
        },
    ),
)
def refused_actions(
    engine: EngineDep,
    principal: ManagerDep,
    before: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="the X-Next-Before of the last page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    """Refunds, cash movements and shift steps a till sent that the server refused, with the
    reason, who the till said did it and whose session sent it, newest first (managers of the
    location; an action naming no known register, staff of every location)."""
    locations = tuple(sorted(principal.staff.locations)) or None
    with UnitOfWork(engine) as uow:
        rows = RefusedActions(uow.conn).page(locations=locations, before_id=before, limit=limit + 1)
    page = rows[:limit]
    headers = {"X-Next-Before": str(page[-1]["id"])} if len(rows) > limit else {}
    return _AsciiJSON(page, headers=headers)
