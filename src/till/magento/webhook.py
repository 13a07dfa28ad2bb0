"""The fast path: a Magento webhook extension tells Till what changed, Till re-reads it.

The connector's side (signature, reading the notice, the re-read); the HTTP route is
`till.api.routes.magento`.

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

from sqlalchemy import Engine

from till.magento.client import MagentoClient
from till.magento.pull import pull_customer_ids, pull_skus
from till.magento.settings import MagentoSettings
from till.queue.webhooks import InvalidSignature, verify_signature

log = logging.getLogger("till.magento.webhook")

TOLERANCE_SECONDS = 300
ENTITIES = ("product", "stock", "customer")


class BadNotice(ValueError):
    """A webhook body that is not a list of known events."""


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


def read_notice(body: bytes) -> tuple[list[str], list[int]]:
    """The SKUs (products, stock) and customer ids a notice names; BadNotice if it is not one."""
    try:
        events = json.loads(body)["events"]
        skus = sorted({str(e["sku"]) for e in events if e["entity"] in ("product", "stock")})
        ids = sorted({int(e["id"]) for e in events if e["entity"] == "customer"})
        unknown = sorted({str(e["entity"]) for e in events} - set(ENTITIES))
    except (ValueError, KeyError, TypeError):
        raise BadNotice(
            'the body is {"events": [{"entity": "product"|"stock", "sku": …} | '
            '{"entity": "customer", "id": …}]}'
        ) from None
    if unknown:
        raise BadNotice(f"unknown entities {unknown}; use {', '.join(ENTITIES)}")
    return skus, ids


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
