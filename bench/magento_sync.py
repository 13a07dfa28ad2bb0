"""Measure the Magento connector against the contract double over loopback HTTP.

    uv run python bench/magento_sync.py --products 2000 --sales 200

Prints: a full pull (products/s, calls), a delta pull with nothing changed, and the export of
N POS sales (orders, invoices and source-item writes per second). SQLite in a temporary folder.
The double answers in-process, so the numbers are the connector's own cost (and SQLite's), not a
real Magento's, which is far slower per call: read them as an upper bound on throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import socket
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.helpers import make_sale
from tests.magento.conftest import connector_settings
from tests.magento.double import MagentoDouble
from tests.magento.store import seed_magento, seed_till_shop

from till.magento.client import MagentoClient
from till.magento.export import MagentoExporter
from till.magento.pull import pull
from till.services.sales import place_sales
from till.storage.db import make_engine
from till.storage.migrate import upgrade
from till.storage.tables import outbox


def _grow(double: MagentoDouble, count: int) -> None:
    template = double.products["24-MB01"]
    for n in range(count):
        sku = f"BENCH-{n:06d}"
        product = copy.deepcopy(template)
        product.update(id=100_000 + n, sku=sku, name=f"Bench product {n}")
        double.products[sku] = product
        double.source_items[(sku, "nyc_store")] = {
            "sku": sku,
            "source_code": "nyc_store",
            "quantity": 500.0,
            "status": 1,
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--sales", type=int, default=200)
    parser.add_argument("--page-size", type=int, default=200)
    args = parser.parse_args()

    double = seed_magento(MagentoDouble())
    _grow(double, args.products)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(double.app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    double.url = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    settings = connector_settings(double, page_size=args.page_size, max_attempts=5)

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/till.sqlite3")
        upgrade(engine)
        staff = seed_till_shop(engine)

        async def pull_once(full: bool) -> tuple[float, int]:
            async with MagentoClient(settings) as client:
                started = time.perf_counter()
                await pull(engine, client, full=full)
                return time.perf_counter() - started, client.stats.calls

        seconds, calls = asyncio.run(pull_once(True))
        products = len(double.products)
        print(
            f"full pull: {products} products, {len(double.source_items)} source items "
            f"in {seconds:.2f} s ({products / seconds:.0f} products/s, {calls} calls)"
        )
        seconds, calls = asyncio.run(pull_once(False))
        print(f"delta pull, nothing changed: {seconds:.2f} s ({calls} calls)")

        skus = [f"BENCH-{n:06d}" for n in range(min(args.sales, args.products))]
        sales = [
            make_sale(
                engine,
                key=f"bench-sale-{n:06d}",
                receipt=f"NYC1-{n + 1:06d}",
                staff_id=staff["cashier"],
                lines=[(skus[n % len(skus)], Decimal(1)), ("24-MB01", Decimal(1))],
            )
            for n in range(args.sales)
        ]
        place_sales(engine, sales)
        with engine.connect() as conn:
            messages = [m for m in conn.execute(outbox.select()) if m.topic == "sale.placed"]

        async def export_all() -> tuple[float, int]:
            async with MagentoClient(settings) as client:
                exporter = MagentoExporter(engine, client)
                started = time.perf_counter()
                for m in messages:
                    await exporter.export(m.message_id, m.topic, m.payload)
                return time.perf_counter() - started, client.stats.calls

        seconds, calls = asyncio.run(export_all())
        print(
            f"export: {len(messages)} sales -> {len(double.orders)} orders, {len(double.invoices)} invoices "
            f"in {seconds:.2f} s ({len(messages) / seconds:.1f} sales/s, {calls} calls, one at a time)"
        )
        seconds, calls = asyncio.run(export_all())
        print(
            f"replay of the same {len(messages)} messages: {seconds:.2f} s, "
            f"{len(double.orders)} orders ({calls} calls)"
        )
    server.should_exit = True


if __name__ == "__main__":
    main()
