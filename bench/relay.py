"""Benchmark: the outbox relay's throughput to RabbitMQ with publisher confirms (events/s).

Fills the outbox of a fresh database with `--events` sale events (the size of a 3-line sale),
then relays them in batches of `--batch` rows with the production relay: rows claimed with
FOR UPDATE SKIP LOCKED, published to the durable topic exchange as persistent messages,
every confirm awaited, then the rows marked sent in the same transaction. One durable queue
is bound so the broker really stores each message. `--relays N` runs N relays at once (as N
workers would). `--transport database` measures the database queue's relay instead.

    uv run python bench/relay.py --db postgresql --events 20000 --batch 500
    uv run python bench/relay.py --db postgresql --events 20000 --batch 500 --relays 2
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from push_sales import fresh_database

from till.queue.messages import RetryPolicy, Route
from till.queue.rabbitmq import RabbitTransport
from till.queue.transport import DatabaseTransport, Transport
from till.storage.db import make_engine
from till.storage.migrate import upgrade
from till.storage.tables import outbox

console = Console()


def payload(n: int) -> dict[str, object]:
    return {
        "order_id": str(uuid.uuid4()),
        "idempotency_key": f"bench-{n}",
        "receipt_number": f"NYC1-{n:09d}",
        "register_code": "NYC1",
        "location_code": "NYC",
        "stock_id": 2,
        "grand_total": "123.45",
        "lines": [{"sku": f"SKU-{n % 97}-{i}", "qty": "1.0000"} for i in range(3)],
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "mariadb"], default="postgresql")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--relays", type=int, default=1)
    parser.add_argument("--transport", choices=["rabbitmq", "database"], default="rabbitmq")
    parser.add_argument("--amqp", default="amqp://guest:guest@127.0.0.1:5672/")
    args = parser.parse_args()

    import tempfile

    workdir = Path(tempfile.mkdtemp(prefix="till-relay-"))
    engine = make_engine(fresh_database(args.db, workdir), pool_size=max(4, args.relays * 2))
    upgrade(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for start in range(0, args.events, 5000):
            conn.execute(
                insert(outbox),
                [
                    {
                        "message_id": str(uuid.uuid4()),
                        "topic": "sale.placed",
                        "payload": payload(n),
                        "created_at": now,
                    }
                    for n in range(start, min(args.events, start + 5000))
                ],
            )
    prefix = f"tillbench-{uuid.uuid4().hex[:6]}"
    routes = [Route("export.bench", frozenset({"sale.placed"}))]
    policy = RetryPolicy()
    transports: list[Transport] = [
        RabbitTransport(engine, policy, f"bench-{i}", args.amqp, prefix=prefix)
        if args.transport == "rabbitmq"
        else DatabaseTransport(engine, policy, f"bench-{i}")
        for i in range(args.relays)
    ]
    for transport in transports:
        await transport.prepare(routes)
    sent = 0
    with Progress(
        TextColumn("relaying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("relay", total=args.events)

        async def relay(transport: Transport) -> None:
            nonlocal sent
            while True:
                done = await transport.relay(routes, args.batch)
                if not done:
                    return
                sent += done
                progress.update(task, completed=sent)

        started = time.perf_counter()
        await asyncio.gather(*(relay(t) for t in transports))
        elapsed = time.perf_counter() - started
    with engine.connect() as conn:
        unsent = conn.execute(select(func.count()).where(outbox.c.published_at.is_(None))).scalar_one()
    waiting = None
    if args.transport == "rabbitmq":
        waiting = (await transports[0].waiting(["export.bench"]))["export.bench"]
        rabbit = transports[0]
        assert isinstance(rabbit, RabbitTransport)
        channel = await rabbit._channel()
        await channel.queue_delete(rabbit.queue_name("export.bench"))
        await channel.exchange_delete(rabbit.events_exchange)
        await channel.exchange_delete(rabbit.dead_name)
        await channel.queue_delete(rabbit.dead_name)
    for transport in transports:
        await transport.close()
    console.print(
        f"{args.transport} relay, {args.db}, batch {args.batch}, {args.relays} relay(s): "
        f"{sent} events in {elapsed:.2f} s → [bold]{sent / elapsed:,.0f} events/s[/]"
        + ("" if waiting is None else f"; broker holds {waiting}")
        + f"; unsent after: {unsent}"
    )


if __name__ == "__main__":
    asyncio.run(main())
