"""The `till` commands of the async integration, run as a person runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from till.queue import store
from till.queue.messages import Message

ROOT = Path(__file__).resolve().parents[2]


def till(engine: Engine, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "COLUMNS": "200",
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


def test_dead_letters_status_webhooks_and_jobs_from_the_command_line(sqlite_engine: Engine) -> None:
    engine = sqlite_engine
    for n in (1, 2):
        store.record_dead_letter(
            engine,
            Message(f"m-{n}", "sale.placed", {"order_id": f"o-{n}"}, "export.magento", attempt=8),
            "HTTP 502",
        )
    listed = till(engine, "deadletters", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    letters = json.loads(listed.stdout)
    assert [letter["message_id"] for letter in letters] == ["m-2", "m-1"]
    shown = json.loads(till(engine, "deadletters", "show", str(letters[0]["id"])).stdout)
    assert shown["payload"] == {"order_id": "o-2"} and shown["last_error"] == "HTTP 502"

    assert till(engine, "deadletters", "replay", str(letters[0]["id"])).returncode == 0
    assert till(engine, "deadletters", "discard", str(letters[1]["id"])).returncode == 0
    assert store.dead_letters(engine) == []
    [ready] = store.claim(engine, "export.magento", "test", 10, 30)
    assert ready.message.message_id == "m-2" and ready.message.attempt == 1, "replayed with fresh tries"
    missing = till(engine, "deadletters", "show", "999")
    assert missing.returncode != 0 and "no dead letter 999" in missing.stderr

    status = json.loads(till(engine, "status", "--json").stdout)
    assert status["queues"]["export.magento"]["in_flight"] == 1
    table = till(engine, "status")
    assert table.returncode == 0 and "export.magento" in table.stdout

    added = till(engine, "webhooks", "add", "erp", "https://erp.example.com/till", "--topic", "sale.placed")
    assert added.returncode == 0 and "signing secret" in added.stdout
    assert "erp.example.com" in till(engine, "webhooks", "list").stdout
    jobs = till(engine, "jobs", "list")
    assert jobs.returncode == 0 and "special-prices" in jobs.stdout and "purge-outbox" in jobs.stdout
    changed = till(engine, "jobs", "set", "purge-outbox", "--schedule", "0 4 * * *")
    assert changed.returncode == 0 and "0 4 * * *" in changed.stdout
    assert till(engine, "jobs", "set", "purge-outbox", "--schedule", "99 * * * *").returncode != 0
