"""Benchmark: sales pushed over HTTP in batches, as tills push their outboxes.

Starts `till serve` on a fresh database of the chosen backend with the demo store, then pushes
`--sales` sales in batches of `--batch` from `--tills` concurrent clients, and prints throughput
and batch latency percentiles. Server and generator share this machine's cores.

    uv run python bench/push_sales.py --db sqlite --sales 2000 --batch 50 --tills 4
    uv run python bench/push_sales.py --db postgresql --sales 5000 --batch 50 --tills 8
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
SERVERS = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
    "mariadb": "mysql+pymysql://root@127.0.0.1:3306/{name}",
}


def fresh_database(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.sqlite3'}"
    admin_url = SERVERS[kind].format(name="test")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if kind == "postgresql":
            conn.execute(text('DROP DATABASE IF EXISTS "till_bench" WITH (FORCE)'))
            conn.execute(text('CREATE DATABASE "till_bench"'))
        else:
            conn.execute(text("DROP DATABASE IF EXISTS `till_bench`"))
            conn.execute(text("CREATE DATABASE `till_bench` CHARACTER SET utf8mb4"))
    admin.dispose()
    return SERVERS[kind].format(name="till_bench")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sale(staff_id: int, register: str, number: int, products: list[dict[str, Any]]) -> dict[str, Any]:
    """A cash sale of 1–8 lines at catalog price; totals left for the server to check."""
    lines = [
        {"sku": p["sku"], "qty": str(random.randint(1, 3)), "unit_price": p["price"]}
        for p in random.sample(products, random.randint(1, 8))
    ]
    subtotal = sum(Decimal(line["unit_price"]) * Decimal(line["qty"]) for line in lines)
    cash = f"{subtotal * Decimal('1.2'):.2f}"  # covers any tax; the change is recorded
    return {
        "idempotency_key": f"bench-{uuid.uuid4()}",
        "register_code": register,
        "receipt_number": f"{register}-{number:09d}",
        "location_code": "NYC",
        "staff_id": staff_id,
        "created_at": "2026-11-25T15:00:00+00:00",
        "lines": lines,
        "payments": [{"method": "cash", "amount": cash}],
        "totals": {"subtotal": f"{subtotal:.2f}", "discount": "0.00", "tax": "0.00", "grand_total": f"{subtotal:.2f}"},
    }


async def run(base: str, sales: int, batch: int, tills: int) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        signed = (await client.post("/api/auth/sign-in", json={"username": "maya", "password": "maya-demo"})).json()
        client.headers["Authorization"] = f"Bearer {signed['token']}"
        products = [
            p
            for q in "aeiou"
            for p in (await client.get("/api/products", params={"q": q, "limit": 200})).json()
            if p["type"] == "simple" and Decimal(p["price"]) > 0
        ]
        products = list({p["sku"]: p for p in products}.values())
        staff_id = signed["staff"]["id"]
        latencies: list[float] = []
        counter = iter(range(1, sales + 1))
        accepted = 0

        async def till(index: int) -> None:
            nonlocal accepted
            register = "NYC1" if index % 2 == 0 else "NYC2"
            while True:
                numbers = [n for _, n in zip(range(batch), counter, strict=False)]
                if not numbers:
                    return
                body = {"sales": [sale(staff_id, register, n * tills + index, products) for n in numbers]}
                started = time.perf_counter()
                answer = await client.post("/api/sync/push", json=body)
                latencies.append(time.perf_counter() - started)
                answer.raise_for_status()
                accepted += sum(1 for r in answer.json()["sales"] if r["status"] == "accepted")

        started = time.perf_counter()
        await asyncio.gather(*(till(i) for i in range(tills)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    pct = {p: latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] * 1000 for p in (50, 95, 99)}
    print(f"sales accepted: {accepted}/{sales} in {elapsed:.1f} s → {accepted / elapsed:.0f} sales/s")
    print(
        f"batch of {batch} latency ms: p50 {pct[50]:.0f}  p95 {pct[95]:.0f}  p99 {pct[99]:.0f}  "
        f"mean {statistics.mean(latencies) * 1000:.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "mariadb"], default="sqlite")
    parser.add_argument("--sales", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--tills", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    random.seed(7)
    with tempfile.TemporaryDirectory() as tmp:
        url = fresh_database(args.db, Path(tmp))
        port = free_port()
        env = {**os.environ, "TILL_DATABASE_URL": url, "TILL_PORT": str(port), "TILL_MAX_BATCH_SALES": "1000"}
        subprocess.run([sys.executable, "-m", "till.cli", "demo", "--no-serve"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        server = subprocess.Popen(
            [sys.executable, "-m", "till.cli", "serve", "--processes", str(args.workers)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    if httpx.get(f"{base}/api/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            print(f"{args.db}, {args.workers} app process(es), {args.tills} tills, batches of {args.batch}")
            asyncio.run(run(base, args.sales, args.batch, args.tills))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
