"""Benchmark: the server CPU that connected tills cost while nobody sells.

Each of N tills holds its live stream open (`GET /api/sync/events`) and asks
`POST /api/sync/changes` once every `--every` seconds, at its own phase: the PWA's safety net
while its stream is connected (docs/sync.md §5). Each till has its own session (tokens are
written into the database as sign-in would, without N password checks). After every stream
said `ready`, the server's CPU (its processes, from /proc) is read over `--window` seconds;
the answer is CPU milliseconds per till per second, and what 10,000 tills would cost in cores.
The generator's own CPU is printed beside it. The database's CPU is every PostgreSQL process
on the machine: on a shared machine it includes other people's work.

    TILL_DATABASE_URL=postgresql+psycopg://…/till uv run till serve --port 8841
    TILL_DATABASE_URL=postgresql+psycopg://…/till uv run python bench/idle_tills.py \\
        --url http://127.0.0.1:8841 --tills 10000 --window 120
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time

import httpx

from till.loadtest.cpu import sample, server_pids
from till.loadtest.idle import (
    SafetyNet,
    Streams,
    close_streams,
    mint_tokens,
    open_streams,
    raise_file_limit,
    safety_net,
)
from till.settings import Settings
from till.storage.db import make_engine


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run(args: argparse.Namespace) -> dict[str, object]:
    engine = make_engine(Settings().database_url)
    tokens = mint_tokens(engine, args.username, args.tokens or args.tills)
    print(f"{len(tokens)} sessions written; opening {args.tills} streams", file=sys.stderr, flush=True)
    with httpx.Client(base_url=args.url, headers={"Authorization": f"Bearer {tokens[0]}"}) as client:
        position = int(client.get("/api/sync/bootstrap").json()["feed_position"])
    streams = Streams()
    opened = time.monotonic()
    tasks = await open_streams(args.url, tokens, args.location, args.tills, streams)
    opened_s = time.monotonic() - opened
    print(f"{streams.ready} streams ready in {opened_s:.0f} s; measuring", file=sys.stderr, flush=True)
    stop = asyncio.Event()
    net = SafetyNet()
    polling = asyncio.create_task(safety_net(args.url, tokens, args.tills, args.every, stop, net, position))
    await asyncio.sleep(args.settle)
    pids = server_pids(args.pid or None)
    before, own_before, started = sample(pids), _own_cpu(), time.monotonic()
    asked_before, pings_before = net.asked, streams.pings
    await asyncio.sleep(args.window)
    after, own_after, elapsed = sample(pids), _own_cpu(), time.monotonic() - started
    asked, pings = net.asked - asked_before, streams.pings - pings_before
    answered = net.answered
    load = os.getloadavg()
    print("measured; closing the streams", file=sys.stderr, flush=True)
    app_s, db_s = after.app - before.app, after.database - before.database
    per_till_ms = 1000 * app_s / elapsed / args.tills
    figures: dict[str, object] = {
        "tills": args.tills,
        "ready": streams.ready,
        "refused": len(streams.refused),
        "opened_s": round(opened_s, 1),
        "window_s": round(elapsed, 1),
        "safety_net_every_s": args.every,
        "questions_in_window": asked,
        "pings_in_window": pings,
        "failed_questions": len(net.failed),
        "app_processes": after.app_processes,
        "app_cpu_s": round(app_s, 2),
        "db_cpu_s_all_postgres": round(db_s, 2),
        "app_ms_per_till_per_s": round(per_till_ms, 4),
        "app_cores_per_10000_tills": round(per_till_ms * 10, 3),
        "db_ms_per_till_per_s": round(1000 * db_s / elapsed / args.tills, 4),
        "generator_cpu_s": round(own_after - own_before, 2),
        "load_average": [round(x, 2) for x in load],
        "answered_so_far": answered,
    }
    # The figures are printed before the streams close: closing ten thousand takes a while.
    print(json.dumps(figures, indent=2), flush=True)
    stop.set()
    await polling
    await close_streams(tasks)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8841")
    parser.add_argument("--tills", type=int, default=1000)
    parser.add_argument("--window", type=float, default=60.0, help="seconds the CPU is measured over")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds after the streams opened")
    parser.add_argument(
        "--every", type=float, default=300.0, help="the safety net: seconds between questions"
    )
    parser.add_argument("--username", default="maya", help="the member whose sessions the tills hold")
    parser.add_argument("--tokens", type=int, default=0, help="sessions shared by the tills (0: one each)")
    parser.add_argument("--location", default="NYC")
    parser.add_argument("--pid", type=int, action="append", help="the server's pid (default: found)")
    args = parser.parse_args()
    raise_file_limit(args.tills + 1000)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
