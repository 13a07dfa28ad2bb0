"""The `till` command tells the truth (issue 18 item 4): exit codes a script can rely on
(0 ok, 1 failure, 2 usage), whole identifiers in an 80-column terminal, JSON listings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine

from till.queue import store
from till.queue.messages import Message

ROOT = Path(__file__).resolve().parents[2]


def till(engine: Engine, *args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "COLUMNS": str(columns),
        "TILL_DATABASE_URL": engine.url.render_as_string(hide_password=False),
    }
    return subprocess.run(
        [sys.executable, "-m", "till.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_replaying_a_missing_dead_letter_fails_and_counts_nothing(sqlite_engine: Engine) -> None:
    replayed = till(sqlite_engine, "deadletters", "replay", "67")
    assert replayed.returncode == 1, replayed.stdout + replayed.stderr
    assert "no dead letter 67" in replayed.stderr
    assert "replayed 1" not in replayed.stdout and "replayed 0" in replayed.stdout


def test_exit_codes_ok_failure_usage(sqlite_engine: Engine) -> None:
    assert till(sqlite_engine, "jobs", "list").returncode == 0
    assert till(sqlite_engine, "deadletters", "show", "999").returncode == 1
    assert till(sqlite_engine, "webhooks", "remove", "999").returncode == 1
    assert till(sqlite_engine, "jobs", "set", "no-such-job", "--now").returncode == 1
    assert till(sqlite_engine, "jobs", "set", "purge-outbox", "--schedule", "99 * * * *").returncode == 2
    assert till(sqlite_engine, "deadletters", "replay").returncode == 2
    assert till(sqlite_engine, "jobs", "list", "--no-such-option").returncode == 2


def test_the_demo_without_serving_prints_no_url(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "COLUMNS": "80",
        "TILL_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
    }
    seeded = subprocess.run(
        [sys.executable, "-m", "till.cli", "demo", "--no-serve"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert seeded.returncode == 0, seeded.stderr
    assert "http://" not in seeded.stdout and "maya" in seeded.stdout


def test_listings_keep_identifiers_whole_in_80_columns(sqlite_engine: Engine) -> None:
    engine = sqlite_engine
    message_id = "0b7f3d0e-2a47-4c1e-9d55-6f1c2b8a9e01"
    store.record_dead_letter(
        engine,
        Message(message_id, "customer.updated", {"id": 1}, "webhooks.delivery", attempt=8),
        "HTTP 502 " * 20,
    )
    jobs = json.loads(till(engine, "jobs", "list", "--json").stdout)
    names = [job["name"] for job in jobs]
    assert "special-prices" in names
    listed = till(engine, "jobs", "list").stdout
    for name in names:
        assert name in listed, f"{name} cut:\n{listed}"
    letters = till(engine, "deadletters", "list").stdout
    assert message_id in letters and "webhooks.delivery" in letters and "customer.updated" in letters
    status = till(engine, "status").stdout
    for queue in json.loads(till(engine, "status", "--json").stdout)["queues"]:
        assert queue in status, f"{queue} cut:\n{status}"


def test_listing_commands_speak_json(sqlite_engine: Engine) -> None:
    engine = sqlite_engine
    added = till(engine, "webhooks", "add", "erp", "https://erp.example.com/till", "--topic", "sale.placed")
    assert added.returncode == 0, added.stderr
    [endpoint] = json.loads(till(engine, "webhooks", "list", "--json").stdout)
    assert endpoint["name"] == "erp" and endpoint["topics"] == ["sale.placed"] and "secret" not in endpoint
    assert isinstance(json.loads(till(engine, "jobs", "list", "--json").stdout), list)
    assert isinstance(json.loads(till(engine, "deadletters", "list", "--json").stdout), list)
    assert isinstance(json.loads(till(engine, "staff", "list", "--json").stdout), list)
    assert "queues" in json.loads(till(engine, "status", "--json").stdout)


def test_status_says_plainly_when_no_worker_runs(sqlite_engine: Engine) -> None:
    status = till(sqlite_engine, "status")
    assert status.returncode == 0, status.stderr
    assert "no worker is running" in status.stdout
    store.heartbeat(sqlite_engine, "shop-1", {"webhooks": (0, 0)})
    assert "no worker is running" not in till(sqlite_engine, "status").stdout


def test_serve_counts_processes_and_keeps_workers_as_a_deprecated_alias(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """`--workers` means queue workers (`till worker`, `till up`); `till serve` takes
    `--processes`, and the old `--workers` still works with a one-line warning (item 5)."""
    import signal
    import socket
    import time

    import httpx

    shown = till(sqlite_engine, "serve", "--help", columns=200).stdout
    assert "--processes" in shown and "--workers" not in shown
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {**os.environ, "TILL_DATABASE_URL": sqlite_engine.url.render_as_string(hide_password=False)}
    errors = tmp_path / "serve.err"
    with errors.open("w") as err:
        server = subprocess.Popen(
            [sys.executable, "-m", "till.cli", "serve", "--workers", "1", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, errors.read_text()
            time.sleep(0.3)
        warned = [line for line in errors.read_text().splitlines() if "deprecated" in line]
        assert len(warned) == 1 and "--processes" in warned[0]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_status_counts_a_worker_that_only_relays_and_schedules(sqlite_engine: Engine) -> None:
    """`till worker --no-consume` holds no queue, yet it runs: status must not say no worker."""
    env = {**os.environ, "TILL_DATABASE_URL": sqlite_engine.url.render_as_string(hide_password=False)}
    worker = subprocess.Popen(
        [sys.executable, "-m", "till.cli", "worker", "--no-consume"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            status = json.loads(till(sqlite_engine, "status", "--json").stdout)
            if status["workers"] or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert len(status["workers"]) == 1, "the relaying worker is counted"
        assert "" not in status["queues"], "the worker's own heartbeat is not a queue"
        assert "no worker is running" not in till(sqlite_engine, "status").stdout
    finally:
        worker.terminate()
        worker.wait(timeout=30)
