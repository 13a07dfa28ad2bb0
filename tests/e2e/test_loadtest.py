"""The load generator as a smoke test: 100 tills for about a minute against a real server process.

It checks consistency, not speed: every acknowledged sale is stored exactly once, every refund
once, and salable quantity equals start − sold + restocked for every sku the tills sold.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from tests.e2e.conftest import _free_port
from till.demo.store import seed_demo

#: The `till` command of this environment.
TILL = str(Path(sys.executable).parent / "till")


def _serve(database_url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TILL_DATABASE_URL": database_url, "TILL_WEB_DIST": "/nonexistent"}
    server = subprocess.Popen(
        [TILL, "serve", "--port", str(port), "--processes", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"the server did not start: {server.stderr.read().decode() if server.stderr else ''}")


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_minute_of_100_tills_loses_and_doubles_nothing(engine: Engine, tmp_path: Path) -> None:
    seed_demo(engine)
    url = engine.url.render_as_string(hide_password=False)
    port = _free_port()
    server = _serve(url, port, workers=2)
    figures_file = tmp_path / "figures.json"
    try:
        run = subprocess.run(
            [
                TILL, "loadtest",
                "--url", f"http://127.0.0.1:{port}",
                "--tills", "100",
                "--duration", "45",
                "--think", "3",
                "--batch", "10",
                "--offline-share", "0.2",
                "--offline-seconds", "15",
                "--refund-share", "0.05",
                "--pull-every", "20",
                "--stock", "0",
                "--server-pid", str(server.pid),
                "--json", str(figures_file),
            ],
            env={**os.environ, "TILL_DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=600,
        )  # fmt: skip
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    figures = json.loads(figures_file.read_text())
    verdict = figures["consistency"]
    assert verdict["ok"], verdict
    assert figures["drained"] and figures["sales_pending"] == 0
    # The run did what tills do: sold a lot, some of it offline, refunded some, oversold the
    # demo store's thin stock (accepted and flagged), and heard stock changes live.
    assert figures["sales_acknowledged"] >= 1000
    assert verdict["stored"] == figures["sales_acknowledged"]
    assert figures["refunds_done"] > 0 and verdict["refunds_stored"] == figures["refunds_done"]
    assert figures["flags"].get("oversold", 0) > 0
    assert figures["live_events"] > 0 and figures["pulled_items"] > 0
    assert figures["rejected"] == {}
    assert not [kind for kind in figures["errors"] if "HTTP 5" in kind], figures["errors"]
