"""Sales the server refused, kept whole with the reason: a manager's page of them, and one whole."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError

from till.api.deps import EngineDep, ManagerDep
from till.api.schemas import problems
from till.services.auth import Principal
from till.services.errors import NotFound
from till.storage.uow import UnitOfWork

#: Refused sales keep their older path, outside the back office's prefix.
router = APIRouter(prefix="/api")


#: A refused sale's body larger than this (as JSON) is listed as a preview and its size;
#: `GET /api/rejected-sales/{key}` gives it whole.
REJECTED_PREVIEW_BYTES = 4096


class _AsciiJSON(Response):
    """JSON with every non-ASCII character escaped: a refused sale may hold a lone surrogate
    (`\\ud800`), which UTF-8 cannot encode but a JSON escape carries exactly."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(jsonable_encoder(content), ensure_ascii=True, separators=(",", ":")).encode()


def _cursor(row: dict[str, Any]) -> str:
    stamp = row["received_at"].isoformat()
    return base64.urlsafe_b64encode(json.dumps([stamp, row["idempotency_key"]]).encode()).decode()


def _uncursor(value: str) -> tuple[datetime, str]:
    try:
        stamp, key = json.loads(base64.urlsafe_b64decode(value.encode()))
        return datetime.fromisoformat(stamp), str(key)
    except (ValueError, TypeError) as exc:
        raise RequestValidationError(
            [{"loc": ("query", "before"), "msg": "not a cursor from X-Next-Before", "type": "value_error"}]
        ) from exc


def _summarised(row: dict[str, Any]) -> dict[str, Any]:
    text_form = json.dumps(row["payload"], ensure_ascii=True, separators=(",", ":"))
    if len(text_form) <= REJECTED_PREVIEW_BYTES:
        return {**row, "payload_bytes": len(text_form)}
    return {
        **row,
        "payload": None,
        "payload_bytes": len(text_form),
        "payload_preview": text_form[:REJECTED_PREVIEW_BYTES],
    }


def _may_see(uow: UnitOfWork, principal: Principal) -> Callable[[dict[str, Any]], bool]:
    at = {r.code: r.location_code for r in uow.reference.registers()}
    everywhere = {loc.code for loc in uow.reference.locations()}
    theirs = set(principal.staff.locations) or everywhere

    def sees(row: dict[str, Any]) -> bool:
        # A refused sale may name a register that does not exist: staff of every location see it.
        code = row["register_code"]
        return at[code] in theirs if code in at else everywhere <= theirs

    return sees


_REFUSED_SALE = {
    "type": "object",
    "properties": {
        "idempotency_key": {"type": "string"},
        "register_code": {"type": "string"},
        "reason": {"type": "string"},
        "payload": {"type": ["object", "null"]},
        "payload_bytes": {"type": "integer"},
        "payload_preview": {"type": "string"},
        "received_at": {"type": "string"},
    },
}


@router.get(
    "/rejected-sales",
    tags=["monitoring"],
    response_class=_AsciiJSON,
    response_model=None,
    responses=problems(
        403,
        422,
        also={
            200: {
                "description": "a page of refused sales, newest first",
                "content": {"application/json": {"schema": {"type": "array", "items": _REFUSED_SALE}}},
            }
        },
    ),
)
def rejected_sales(
    engine: EngineDep,
    principal: ManagerDep,
    before: Annotated[
        str | None, Query(max_length=400, description="the X-Next-Before of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    """Sales the server refused, with the reason, newest first, `limit` a page: the header
    `X-Next-Before` is the cursor of the next page (absent on the last). A body over 4 KiB is
    listed as `payload: null` with `payload_bytes` and a `payload_preview`;
    `GET /api/rejected-sales/{key}` gives it whole."""
    cursor = None if before is None else _uncursor(before)
    with UnitOfWork(engine) as uow:
        sees = _may_see(uow, principal)
        rows = uow.sales.rejections(limit + 1, cursor)
    page = rows[:limit]
    headers = {"X-Next-Before": _cursor(page[-1])} if len(rows) > limit else {}
    return _AsciiJSON([_summarised(r) for r in page if sees(r)], headers=headers)


@router.get(
    "/rejected-sales/{key}",
    tags=["monitoring"],
    response_class=_AsciiJSON,
    response_model=None,
    responses=problems(
        403,
        404,
        also={
            200: {
                "description": "the refused sale, whole",
                "content": {"application/json": {"schema": _REFUSED_SALE}},
            }
        },
    ),
)
def rejected_sale(
    key: Annotated[str, Path(max_length=80)], engine: EngineDep, principal: ManagerDep
) -> Response:
    """One refused sale, its body whole."""
    with UnitOfWork(engine) as uow:
        row = uow.sales.rejected(key)
        if row is None or not _may_see(uow, principal)(row):
            raise NotFound(f"no refused sale {key}")
    return _AsciiJSON(row)
