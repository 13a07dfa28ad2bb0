"""Connected tills that are not selling: each holds its live stream open and, as the PWA's safety
net, asks `POST /api/sync/changes` every few minutes (docs/sync.md §5).

The streams are plain sockets, one coroutine each, not an HTTP client each: ten thousand of
them must cost the measuring side little beside the server on the same two cores.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import resource
import time
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Engine

from till.security import new_token, token_digest
from till.services.sync import DATASETS
from till.storage.uow import UnitOfWork


def raise_file_limit(wanted: int) -> int:
    """Raise this process's open-file limit towards `wanted` (never past the hard limit, never
    for the machine); a child started afterwards inherits it. Returns the soft limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def mint_tokens(engine: Engine, username: str, count: int) -> list[str]:
    """`count` sessions of one member, written straight into the database as sign-in would:
    one token per till, without `count` password checks (and sign-in's rate limit)."""
    tokens = [new_token() for _ in range(count)]
    with UnitOfWork(engine) as uow:
        found = uow.staff.by_username(username)
        if found is None:
            raise LookupError(f"no member {username}")
        member = found[0]
        for token in tokens:
            uow.devices.add_token(token_digest(token), member.id, None, timedelta(hours=12))
        uow.commit()
    return tokens


@dataclass
class Streams:
    """What the open streams heard."""

    ready: int = 0
    refused: list[str] = field(default_factory=list)
    closed: int = 0
    pings: int = 0
    #: Arrival times of `changes` frames, per stream, by the text they must hold.
    heard: dict[str, list[float]] = field(default_factory=dict)
    watch: list[str] = field(default_factory=list)
    opened: asyncio.Event = field(default_factory=asyncio.Event)


async def hold_stream(
    host: str, port: int, token: str, location: str, streams: Streams, signal: asyncio.Event
) -> None:
    """One till's stream, open until cancelled; `signal` is set once it answered (ready or not)."""
    writer: asyncio.StreamWriter | None = None
    try:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(
            (
                f"GET /api/sync/events?location={location} HTTP/1.1\r\nHost: {host}\r\n"
                f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        status = await reader.readline()
        if b" 200 " not in status:
            streams.refused.append(status.decode(errors="replace").strip() or "no answer")
            return
        while True:
            line = await reader.readline()
            if not line:
                streams.closed += 1
                return
            if line.startswith(b"event: ready"):
                streams.ready += 1
                signal.set()
            elif line.startswith(b": ping"):
                streams.pings += 1
            elif line.startswith(b"data:") and streams.watch:
                now = time.monotonic()
                for text in streams.watch:
                    if text.encode() in line:
                        streams.heard.setdefault(text, []).append(now)
    except OSError as exc:
        streams.refused.append(f"{type(exc).__name__}: {exc}")
    finally:
        signal.set()
        if writer is not None:
            writer.close()


async def open_streams(
    url: str, tokens: list[str], location: str, count: int, streams: Streams, *, step: int = 200
) -> list[asyncio.Task[None]]:
    """Open `count` streams (till n uses token n mod len(tokens)), `step` at a time so the
    server's listen backlog never overflows; returns once each has answered."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    tasks: list[asyncio.Task[None]] = []
    for start in range(0, count, step):
        signals = []
        for n in range(start, min(count, start + step)):
            signal = asyncio.Event()
            signals.append(signal)
            tasks.append(
                asyncio.create_task(
                    hold_stream(host, port, tokens[n % len(tokens)], location, streams, signal)
                )
            )
        await asyncio.gather(*(s.wait() for s in signals))
    streams.opened.set()
    return tasks


async def close_streams(tasks: list[asyncio.Task[None]]) -> None:
    """Close every stream."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


@dataclass
class SafetyNet:
    """What the tills' safety-net questions got."""

    asked: int = 0
    answered: int = 0
    news: int = 0
    failed: list[str] = field(default_factory=list)


async def safety_net(
    url: str, tokens: list[str], tills: int, every: float, stop: asyncio.Event, net: SafetyNet, position: int
) -> None:
    """Each till asks which data sets changed once every `every` seconds, at its own phase, with
    cursors at `position` (a till that is up to date)."""
    cursors = {name: position for name in DATASETS}
    rng = random.Random(15)
    due = sorted((rng.uniform(0, every), n) for n in range(tills))
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=httpx.Limits(max_connections=50)) as client:
        pending: set[asyncio.Task[None]] = set()

        async def ask(n: int) -> None:
            net.asked += 1
            try:
                answer = await client.post(
                    "/api/sync/changes",
                    json={"cursors": cursors},
                    headers={"Authorization": f"Bearer {tokens[n % len(tokens)]}"},
                )
            except httpx.HTTPError as exc:
                net.failed.append(f"{type(exc).__name__}: {exc}")
                return
            if answer.status_code != 200:
                net.failed.append(f"{answer.status_code} {answer.text[:200]}")
                return
            net.answered += 1
            net.news += bool(answer.json()["changed"])

        rounds = 0
        while not stop.is_set():
            for at, n in due:
                wait = started + rounds * every + at - time.monotonic()
                if wait > 0:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(wait):
                            await stop.wait()
                if stop.is_set():
                    break
                task = asyncio.create_task(ask(n))
                pending.add(task)
                task.add_done_callback(pending.discard)
            rounds += 1
        if pending:
            await asyncio.gather(*pending)
