"""Signed webhooks: endpoints per event type, the signature, and delivery.

A delivery is `POST url` with the raw JSON body `{"id", "topic", "created_at", "payload"}`
and the headers `Till-Message-Id`, `Till-Topic`, `Till-Timestamp` (Unix seconds) and
`Till-Signature: t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`.
A receiver recomputes the HMAC over the exact bytes it got, compares in constant time and
refuses a timestamp older than its tolerance (five minutes by default): a captured request
replayed later fails. `verify_signature` does exactly that (standard library only, so a
receiver may copy it). Any 2xx is success; anything else (or no answer) is retried with
backoff and jitter, then dead-lettered. `Till-Message-Id` stays the same across retries,
so a receiver can drop a repeat.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import httpx
from sqlalchemy import Connection, Engine, delete, insert, select, update

from till.domain.errors import Invalid, NotFound
from till.queue.messages import Message, Route, webhook_queue
from till.storage.events import Actor, EventRepository
from till.storage.tables import webhook_endpoints

#: One INFO line per delivery, with its outcome: a level a shop can leave on.
log = logging.getLogger("till.webhooks")

DEFAULT_TOLERANCE_SECONDS = 300


class WebhookFailed(Exception):
    """The endpoint did not take the event (a retry follows)."""


class InvalidSignature(ValueError):
    """A webhook request that must be refused: the message says why."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `Till-Signature` header value for a body sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(
    secret: str,
    header: str | None,
    body: bytes,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> None:
    """Check a `Till-Signature` header against the exact raw body received; raise
    InvalidSignature unless it was made with `secret` over these bytes within `tolerance`
    seconds of now (either way: a clock ahead is as suspect as a replay).

    A receiver calls it before parsing the body::

        try:
            verify_signature(SECRET, request.headers.get("Till-Signature"), raw_body)
        except InvalidSignature as exc:
            return 401, str(exc)
    """
    parts = dict(part.strip().split("=", 1) for part in (header or "").split(",") if "=" in part)
    stamp, given = parts.get("t", ""), parts.get("v1", "")
    if not stamp.isdigit() or not given:
        raise InvalidSignature("the signature header must be t=<unix seconds>,v1=<hex HMAC-SHA256>")
    timestamp = int(stamp)
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise InvalidSignature(f"the signature is more than {tolerance} s old (or ahead of the clock)")
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, given):
        raise InvalidSignature("the signature does not match the body")


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True if the signature header matches the raw body and is fresh (what a receiver does)."""
    try:
        verify_signature(secret, header, body, tolerance=tolerance, now=now)
    except InvalidSignature:
        return False
    return True


def body_of(message: Message) -> bytes:
    """The exact bytes sent (and signed) for a message."""
    document = {
        "id": message.message_id,
        "topic": message.topic,
        "created_at": message.created_at,
        "payload": message.payload,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


async def deliver(
    client: httpx.AsyncClient,
    endpoint: dict[str, Any],
    message: Message,
    timeout: float = 10.0,
    *,
    allow_private: bool = False,
) -> None:
    """POST one signed event; raise WebhookFailed unless the endpoint answers 2xx.

    The endpoint's host is resolved first and refused if any of its addresses is loopback,
    private, link-local or otherwise not public (unless `allow_private`): a webhook cannot be
    pointed at the server's own network. Logs one line saying how it went."""
    started = time.perf_counter()
    try:
        status = await _post(client, endpoint, message, timeout, allow_private)
    except WebhookFailed as exc:
        _log_delivery(endpoint, message, f"failed: {exc}", started)
        raise
    _log_delivery(endpoint, message, str(status), started)


def _log_delivery(endpoint: dict[str, Any], message: Message, outcome: str, started: float) -> None:
    log.info(
        "webhook %s %s %s %s: %s (attempt %d, %.0f ms)",
        endpoint.get("name", endpoint.get("id")),
        endpoint["url"],
        message.topic,
        message.message_id,
        outcome,
        message.attempt,
        (time.perf_counter() - started) * 1000,
    )


async def _post(
    client: httpx.AsyncClient, endpoint: dict[str, Any], message: Message, timeout: float, allow_private: bool
) -> int:
    if not allow_private:
        await _refuse_private_host(endpoint["url"])
    body = body_of(message)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Till-Webhooks/1",
        "Till-Message-Id": message.message_id,
        "Till-Topic": message.topic,
        "Till-Timestamp": str(timestamp),
        "Till-Signature": sign(endpoint["secret"], timestamp, body),
        "Till-Attempt": str(message.attempt),
    }
    try:
        answer = await client.post(endpoint["url"], content=body, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise WebhookFailed(f"{endpoint['url']}: {type(exc).__name__}: {exc}") from exc
    if not 200 <= answer.status_code < 300:
        raise WebhookFailed(f"{endpoint['url']} answered {answer.status_code}: {answer.text[:200]}")
    return answer.status_code


# --- endpoints ----------------------------------------------------------------------------------


def not_public(address: str) -> bool:
    """True for an address a webhook may not reach: loopback (127/8, ::1), private (10/8,
    172.16/12, 192.168/16, fc00::/7), link-local (169.254/16, fe80::/10), 0.0.0.0, shared,
    reserved and multicast ranges, and IPv4 addresses wrapped in IPv6."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


_PRIVATE_REFUSED = "set TILL_WEBHOOKS_ALLOW_PRIVATE=true to allow private addresses"


def _literal_host(url: str) -> str | None:
    host = urlparse(url).hostname or ""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    return host


async def _refuse_private_host(url: str) -> None:
    host = urlparse(url).hostname or ""
    port = urlparse(url).port or (443 if url.startswith("https") else 80)
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise WebhookFailed(f"{url}: cannot resolve {host}: {exc}") from exc
    for *_, sockaddr in found:
        if not_public(str(sockaddr[0])):
            raise WebhookFailed(f"{url}: {host} is {sockaddr[0]}, not a public address; {_PRIVATE_REFUSED}")


def _check(url: str, topics: list[str], allow_private: bool = False) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise Invalid(f"webhook url {url!r}: give an absolute http(s) URL")
    if not allow_private:
        host = (parsed.hostname or "").lower()
        literal = _literal_host(url)
        if host == "localhost" or host.endswith(".localhost") or (literal and not_public(literal)):
            raise Invalid(f"webhook url {url!r}: {host} is not a public address; {_PRIVATE_REFUSED}")
    if not topics or not all(isinstance(t, str) and t and len(t) <= 64 for t in topics):
        raise Invalid("name at least one topic (or '*' for every topic)")


def endpoint_json(row: Any, *, with_secret: bool = False) -> dict[str, Any]:
    """An endpoint as the API shows it; the secret only when it is first made."""
    found = {
        "id": int(row.id),
        "name": row.name,
        "url": row.url,
        "topics": list(row.topics),
        "active": bool(row.active),
        "queue": webhook_queue(int(row.id)),
        "created_at": row.created_at.isoformat() if row.created_at else None,
    }
    if with_secret:
        found["secret"] = row.secret
    return found


def list_endpoints(engine: Engine) -> list[dict[str, Any]]:
    """Every webhook endpoint."""
    with engine.connect() as conn:
        rows = conn.execute(select(webhook_endpoints).order_by(webhook_endpoints.c.id))
        return [endpoint_json(row) for row in rows]


def get_endpoint(engine: Engine, endpoint_id: int, *, with_secret: bool = False) -> dict[str, Any]:
    """One endpoint, or NotFound."""
    with engine.connect() as conn:
        row = conn.execute(select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)).first()
    if row is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}")
    return endpoint_json(row, with_secret=with_secret)


def add_endpoint(
    engine: Engine,
    name: str,
    url: str,
    topics: list[str],
    secret: str | None = None,
    *,
    by: Actor,
    allow_private: bool = False,
) -> dict[str, Any]:
    """Add an endpoint; answers it with its signing secret (shown this once, never audited).
    A URL naming a loopback or private address (or localhost) is refused unless
    `allow_private`; names are resolved and checked again at each delivery."""
    _check(url, topics, allow_private)
    with engine.begin() as conn:
        result = conn.execute(
            insert(webhook_endpoints).values(
                name=name,
                url=url,
                secret=secret or secrets.token_hex(32),
                topics=sorted(set(topics)),
                active=True,
                created_at=datetime.now(UTC),
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        EventRepository(conn).audit(
            "webhook.created",
            {"endpoint_id": int(key[0]), "name": name, "url": url, "topics": sorted(set(topics))},
            by,
        )
    return get_endpoint(engine, int(key[0]), with_secret=True)


def change_endpoint(
    engine: Engine, endpoint_id: int, *, by: Actor, allow_private: bool = False, **changes: Any
) -> dict[str, Any]:
    """Change an endpoint's name, url, topics or active flag (None leaves a field alone)."""
    current = get_endpoint(engine, endpoint_id)
    values = {k: v for k, v in changes.items() if v is not None}
    if "topics" in values:
        values["topics"] = sorted(set(values["topics"]))
    _check(
        values.get("url", current["url"]),
        values.get("topics", current["topics"]),
        allow_private or "url" not in values,
    )
    if values:
        with engine.begin() as conn:
            conn.execute(
                update(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id).values(**values)
            )
            EventRepository(conn).audit(
                "webhook.changed",
                {
                    "endpoint_id": endpoint_id,
                    "name": current["name"],
                    "changes": {k: [current[k], v] for k, v in values.items() if current[k] != v},
                },
                by,
            )
    return get_endpoint(engine, endpoint_id)


def remove_endpoint(engine: Engine, endpoint_id: int, *, by: Actor) -> None:
    """Delete an endpoint (its undelivered messages stay in its queue as they are)."""
    current = get_endpoint(engine, endpoint_id)
    with engine.begin() as conn:
        if not conn.execute(delete(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)).rowcount:
            raise NotFound(f"no webhook endpoint {endpoint_id}")
        EventRepository(conn).audit(
            "webhook.deleted",
            {"endpoint_id": endpoint_id, "name": current["name"], "url": current["url"]},
            by,
        )


def active_endpoints(conn: Connection) -> dict[int, dict[str, Any]]:
    """Active endpoints with their secrets, by id (for the worker)."""
    rows = conn.execute(select(webhook_endpoints).where(webhook_endpoints.c.active.is_(True)))
    return {int(row.id): endpoint_json(row, with_secret=True) for row in rows}


def webhook_routes(endpoints: dict[int, dict[str, Any]]) -> list[Route]:
    """One route per active endpoint."""
    return [Route(webhook_queue(i), frozenset(e["topics"])) for i, e in sorted(endpoints.items())]
