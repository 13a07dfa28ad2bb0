"""The fast path: a Magento webhook extension tells Till what changed, Till re-reads it.

`POST /api/magento/webhook` with a JSON body such as
`{"events": [{"entity": "product", "sku": "24-MB01"}, {"entity": "stock", "sku": "24-MB01"},
{"entity": "customer", "id": 42}]}` and the header
`X-Till-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the shared secret>`.

The body only names what changed; Till fetches the current state from Magento's API itself, so
a forged or stale payload could at most make Till re-read something. A signature older than
five minutes is refused (a captured request cannot be replayed later). The work runs after the
answer (202), in a worker thread; the scheduled delta pull remains the path that never misses.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from till.api.schemas import Problem
from till.magento.client import MagentoClient
from till.magento.pull import pull_customer_ids, pull_skus
from till.magento.settings import MagentoSettings, get_magento_settings
from till.queue.webhooks import InvalidSignature, verify_signature

log = logging.getLogger("till.magento.webhook")
router = APIRouter(tags=["magento"])
TOLERANCE_SECONDS = 300
ENTITIES = ("product", "stock", "customer")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header value a sender puts on `body` at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, now: float | None = None) -> str | None:
    """None if the signature is good and fresh, else why not (the scheme of Till's own
    webhooks: `till.queue.webhooks.verify_signature`)."""
    try:
        verify_signature(secret, header, body, tolerance=TOLERANCE_SECONDS, now=now)
    except InvalidSignature as exc:
        return f"X-Till-Signature: {exc}"
    return None


def _problem(status: int, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": message})


def _settings(request: Request) -> MagentoSettings:
    found = getattr(request.app.state, "magento_settings", None)
    return found if isinstance(found, MagentoSettings) else get_magento_settings()


@router.post(
    "/api/magento/webhook",
    status_code=202,
    responses={
        401: {"model": Problem, "description": "the signature is missing, wrong or too old"},
        404: {"model": Problem, "description": "Magento webhooks are off (no secret set)"},
        413: {"model": Problem, "description": "the body is over the size limit"},
        422: {"model": Problem, "description": "the body is not a list of events"},
    },
)
async def magento_webhook(
    request: Request,
    tasks: BackgroundTasks,
    x_till_signature: Annotated[str | None, Header()] = None,
) -> Any:
    """Accept a signed change notice from Magento; re-read the named entities after answering."""
    settings = _settings(request)
    if not settings.configured or not settings.webhook_secret:
        return _problem(404, "Magento webhooks are off: set TILL_MAGENTO_WEBHOOK_SECRET")
    body = await request.body()
    if not x_till_signature:
        return _problem(401, "sign the request: X-Till-Signature header missing")
    why = verify(settings.webhook_secret, x_till_signature, body)
    if why is not None:
        return _problem(401, why)
    try:
        events = json.loads(body)["events"]
        skus = sorted({str(e["sku"]) for e in events if e["entity"] in ("product", "stock")})
        ids = sorted({int(e["id"]) for e in events if e["entity"] == "customer"})
        unknown = sorted({str(e["entity"]) for e in events} - set(ENTITIES))
    except (ValueError, KeyError, TypeError):
        return _problem(
            422,
            'the body is {"events": [{"entity": "product"|"stock", "sku": …} | '
            '{"entity": "customer", "id": …}]}',
        )
    if unknown:
        return _problem(422, f"unknown entities {unknown}; use {', '.join(ENTITIES)}")
    engine: Engine = request.app.state.engine
    tasks.add_task(run_in_threadpool, refresh, engine, settings, skus, ids)
    return {"accepted": {"skus": skus, "customers": ids}}


def refresh(engine: Engine, settings: MagentoSettings, skus: list[str], customer_ids: list[int]) -> None:
    """Re-read named products/stock and customers from Magento (in a worker thread)."""

    async def go() -> None:
        async with MagentoClient(settings) as client:
            if skus:
                await pull_skus(engine, client, skus)
            if customer_ids:
                await pull_customer_ids(engine, client, customer_ids)

    try:
        asyncio.run(go())
    except Exception:
        # The scheduled delta pull catches up; a webhook is only a shortcut.
        log.exception("magento webhook refresh failed for %s / %s", skus, customer_ids)
