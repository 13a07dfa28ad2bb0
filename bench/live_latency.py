"""Benchmark: how long a stock change takes to reach every open live stream.

Opens N event streams (`GET /api/sync/events`, as N tills at one location would), waits until
each has said `ready`, then makes stock changes one at a time (a manager receives one unit of
a different sku each time) and times, for every stream, from just before the change request
until the stream's frame naming that sku arrives. Every stream must hear every change.

The streams are plain sockets (one coroutine each), not an HTTP client per stream, so the
measuring side stays light beside the server on the same two cores.

    uv run till serve --port 8841 --workers 2     # on PostgreSQL, the demo store
    uv run python bench/live_latency.py --url http://127.0.0.1:8841 --streams 1000 --changes 20
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from urllib.parse import urlsplit

import httpx


class Stream:
    """One till's live stream over a raw HTTP/1.1 connection."""

    def __init__(self) -> None:
        self.ready = asyncio.Event()
        self.heard: dict[str, float] = {}
        self.failed: str | None = None

    async def run(self, host: str, port: int, token: str, location: str, watch: list[str]) -> None:
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
                self.failed = status.decode().strip()
                self.ready.set()
                return
            while True:
                line = await reader.readline()
                if not line:
                    self.failed = "closed"
                    return
                if line.startswith(b"event: ready"):
                    self.ready.set()
                elif line.startswith(b"data:"):
                    now = time.monotonic()
                    text = line.decode()
                    for sku in watch:
                        if sku not in self.heard and f'"sku":"{sku}"' in text:
                            self.heard[sku] = now
        except OSError as exc:
            self.failed = str(exc)
            self.ready.set()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8841")
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between changes")
    parser.add_argument("--location", default="NYC")
    args = parser.parse_args()
    split = urlsplit(args.url)
    host, port = split.hostname or "127.0.0.1", split.port or 80

    async with httpx.AsyncClient(base_url=args.url, timeout=30) as client:

        async def token(username: str) -> str:
            answer = await client.post(
                "/api/auth/sign-in", json={"username": username, "password": f"{username}-demo"}
            )
            answer.raise_for_status()
            return str(answer.json()["token"])

        cashier, manager = await token("maya"), await token("grace")
        auth = {"Authorization": f"Bearer {manager}"}
        locations = (await client.get("/api/admin/locations", headers=auth)).json()
        source = next(loc["source_code"] for loc in locations if loc["code"] == args.location)
        products = (await client.get("/api/sync/products", params={"location": args.location}, headers=auth)).json()
        skus = [p["sku"] for p in products["items"] if p.get("type", "simple") == "simple"][: args.changes]
        if len(skus) < args.changes:
            raise SystemExit(f"only {len(skus)} simple products to change")

        streams = [Stream() for _ in range(args.streams)]
        started = time.monotonic()
        tasks = [asyncio.create_task(s.run(host, port, cashier, args.location, skus)) for s in streams]
        await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in streams)), timeout=120)
        failed = [s.failed for s in streams if s.failed]
        if failed:
            raise SystemExit(f"{len(failed)} streams did not open: {failed[:3]}")
        print(f"{args.streams} streams open in {time.monotonic() - started:.1f} s")
        await asyncio.sleep(1.0)  # every app process's poller has taken its starting position

        latencies: list[float] = []
        missing = 0
        for sku in skus:
            sent = time.monotonic()
            answer = await client.post(
                "/api/stock/adjustments",
                json={"sku": sku, "source_code": source, "reason": "receive", "quantity": "1", "note": "bench"},
                headers=auth,
            )
            answer.raise_for_status()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not all(sku in s.heard for s in streams):
                await asyncio.sleep(0.01)
            heard = [s.heard[sku] - sent for s in streams if sku in s.heard]
            missing += len(streams) - len(heard)
            latencies += heard
            await asyncio.sleep(args.pause)
        for task in tasks:
            task.cancel()

    ms = [x * 1000 for x in latencies]
    print(
        f"{args.streams} streams x {len(skus)} stock changes: {len(ms)} deliveries, {missing} missing; "
        f"latency from the change request: p50 {statistics.median(ms):.0f} ms, "
        f"p95 {_percentile(ms, 0.95):.0f} ms, p99 {_percentile(ms, 0.99):.0f} ms, max {max(ms):.0f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
