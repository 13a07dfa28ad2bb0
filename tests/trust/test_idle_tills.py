"""Ten thousand connected tills on one app process: every live stream opens, and a stock change
reaches every one of them (issue 15, "idle tills cost nothing"; the CPU they cost is measured by
bench/idle_tills.py).

The open-file limit is raised inside the test (`resource.setrlimit`, up to the hard limit) and
inherited by the `till serve` it starts; nothing on the machine is changed.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from tests.conftest import _engine_for, reset
from tests.e2e.conftest import Live, _free_port
from tests.trust.test_app_killed import App
from tests.trust.tills import make_sales
from till.demo.store import seed_demo
from till.loadtest.idle import Streams, close_streams, mint_tokens, open_streams, raise_file_limit

#: `TILL_TEST_IDLE_TILLS` makes it smaller, to try the test itself quickly.
TILLS = int(os.environ.get("TILL_TEST_IDLE_TILLS", "10000"))


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_ten_thousand_live_streams_open_on_one_process_and_each_hears_a_stock_change(
    database_urls: dict[str, str], tmp_path: Path
) -> None:
    limit = raise_file_limit(TILLS + 1_000)
    assert limit >= TILLS + 200, f"the hard open-file limit ({limit}) is below {TILLS} streams"
    engine: Engine = _engine_for("postgresql", database_urls)
    reset(engine)
    store = seed_demo(engine)
    app = App(engine.url.render_as_string(hide_password=False), _free_port(), tmp_path / "serve.log")
    app.start(timeout=180)  # the machine is shared: a start under load can take a while
    try:
        live = Live(app.url, engine, store)
        [sale] = make_sales(live, 1, tag="idle")
        sku = sale["lines"][0]["sku"]
        tokens = mint_tokens(engine, live.username("cashier", "NYC"), 100)
        assert app.process is not None
        figures = asyncio.run(_hold(app.url, tokens, sku, sale, live, app.process.pid))
    finally:
        app.stop()
    print(f"\n{TILLS} streams: {figures}")
    assert figures["refused"] == [], figures["refused"][:5]
    assert figures["ready"] == TILLS
    assert figures["heard"] == TILLS, "every stream hears the change, once"
    assert figures["slowest_s"] <= 20


async def _hold(
    url: str, tokens: list[str], sku: str, sale: dict[str, Any], live: Live, pid: int
) -> dict[str, Any]:
    streams = Streams()
    started = time.monotonic()
    tasks = await open_streams(url, tokens, "NYC", TILLS, streams)
    opened_s = time.monotonic() - started
    rss = _rss_mib(pid)
    streams.watch = [f'"sku":"{sku}"']
    try:
        seller = await asyncio.to_thread(live.sign_in, live.username("cashier", "NYC"))

        def push() -> dict[str, object]:
            answer = seller.post("/api/sync/push", json={"sales": [sale]}, timeout=60)
            assert answer.status_code == 200, answer.text
            return dict(answer.json()["sales"][0])

        pushed_at = time.monotonic()
        result = await asyncio.to_thread(push)
        seller.close()
        assert result["status"] == "accepted", result["reason"]
        deadline = time.monotonic() + 30
        while len(streams.heard.get(streams.watch[0], [])) < TILLS and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        arrivals = streams.heard.get(streams.watch[0], [])
    finally:
        await close_streams(tasks)
    return {
        "ready": streams.ready,
        "refused": streams.refused,
        "opened_s": round(opened_s, 1),
        "server_rss_mib": round(rss),
        "heard": len(arrivals),
        "slowest_s": round(max(arrivals) - pushed_at, 2) if arrivals else None,
        "fastest_s": round(min(arrivals) - pushed_at, 2) if arrivals else None,
    }
