"""Measure the lost-update window of Till's stock writes to Magento (issue 13, item 12).

    uv run python bench/magento_source_item_race.py --sales 300 --shipments-per-second 20
    uv run python bench/magento_source_item_race.py --sales 300 --shipments-per-second 20 --till-pos

Till exports N sales of one unit each of one hot sku from the shop's source while a concurrent
writer (web shipments from the same source, MSI's `SourceDeductionService`) takes one unit at a
time from that source item, R times a second. Prints:

- REST path (absolute `POST /V1/inventory/source-items` after `GET`): the read-modify-write
  window, measured at the double from the moment its GET answered to the moment the POST arrived
  (median, p95, max, in ms): the connector's own part of the window (ledger transaction,
  Python, loopback). A live Magento adds its own time after its SELECT and before its UPDATE.
- how many of the writer's changes were lost (overwritten), against the figure expected from
  window × rate.
- with `--till-pos`, the same through the companion module's relative write: no window.

The double answers in-process and SQLite is local: the window on a live store is longer.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
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

HOT = ("24-MB01", "nyc_store")
START = 1_000_000.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sales", type=int, default=300)
    parser.add_argument("--shipments-per-second", type=float, default=20.0)
    parser.add_argument("--till-pos", action="store_true", help="the store has the companion module")
    args = parser.parse_args()

    double = seed_magento(MagentoDouble(till_pos=args.till_pos))
    double.source_items[HOT]["quantity"] = START
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(double.app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    double.url = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    settings = connector_settings(double, page_size=200, max_attempts=5)

    # The window, seen from Magento: GET answered -> the POST that writes what it read arrives.
    read_at: list[float] = []
    windows: list[float] = []

    def after(method: str, template: str) -> None:
        if (method, template) == ("GET", "/V1/inventory/source-items"):
            read_at.append(time.perf_counter())

    def before(method: str, template: str) -> None:
        if (method, template) == ("POST", "/V1/inventory/source-items") and read_at:
            windows.append(time.perf_counter() - read_at.pop())

    double.after_call.append(after)
    double.before_call.append(before)

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/till.sqlite3")
        upgrade(engine)
        staff = seed_till_shop(engine)

        async def pull_once() -> None:
            async with MagentoClient(settings) as client:
                await pull(engine, client, full=True)

        asyncio.run(pull_once())
        place_sales(
            engine,
            [
                make_sale(
                    engine,
                    key=f"race-sale-{n:06d}",
                    receipt=f"NYC1-{n + 1:06d}",
                    staff_id=staff["cashier"],
                    lines=[(HOT[0], Decimal(1))],
                )
                for n in range(args.sales)
            ],
        )
        with engine.connect() as conn:
            messages = [m for m in conn.execute(outbox.select()) if m.topic == "sale.placed"]

        stop = threading.Event()
        shipped = [0]

        def shipments() -> None:
            # Each one is MSI's deduction landing at once (its own window is Magento's affair).
            pause = 1 / args.shipments_per_second
            while not stop.wait(pause):
                item = double.source_items[HOT]
                item["quantity"] = item["quantity"] - 1
                shipped[0] += 1

        async def export() -> float:
            async with MagentoClient(settings) as client:
                exporter = MagentoExporter(engine, client)
                started = time.perf_counter()
                for m in messages:
                    await exporter.export(m.message_id, m.topic, m.payload)
                return time.perf_counter() - started

        writer = threading.Thread(target=shipments, daemon=True)
        writer.start()
        seconds = asyncio.run(export())
        stop.set()
        writer.join()

    final = double.source_items[HOT]["quantity"]
    expected = START - len(messages) - shipped[0]
    lost = final - expected
    path = "Till_Pos relative write" if args.till_pos else "REST absolute write"
    print(f"{path}: {len(messages)} sales exported in {seconds:.1f} s, {shipped[0]} concurrent shipments")
    if windows:
        ms = sorted(w * 1000 for w in windows)
        p95 = ms[int(len(ms) * 0.95) - 1]
        mean = statistics.fmean(ms)
        print(
            f"read-modify-write window (GET answered -> POST arrived): median {statistics.median(ms):.1f} ms, "
            f"p95 {p95:.1f} ms, max {ms[-1]:.1f} ms, mean {mean:.1f} ms"
        )
        exposed = len(windows) * mean / 1000
        print(
            f"time exposed: {exposed:.2f} s of {seconds:.1f} s; expected lost at "
            f"{args.shipments_per_second:g}/s: about {exposed * args.shipments_per_second:.1f}"
        )
    else:
        print("read-modify-write window: none (no read before the write)")
    print(f"shipments lost (overwritten by Till): {lost:g} of {shipped[0]}")
    server.should_exit = True


if __name__ == "__main__":
    main()
