"""SIGKILL the app (`till serve` on PostgreSQL) in the middle of a till's push, three times over
300 sales, and start it again each time. The till sends every unanswered batch again, whole, as
the PWA does; afterwards each sale is stored exactly once and salable stock is the start less
what was sold.

The kills land at the two moments that matter, not at random. The test holds a row lock the
push needs, waits until the app is stuck behind it (pg_stat_activity, under the app's own
application_name), kills it and lets go:
- the Manhattan stock rows: the push has stored its orders but not committed; PostgreSQL rolls
  the transaction back, the till hears nothing, and its retry stores the batch ("accepted");
- the change feed's sequencer row, which the app stamps after its commit and before it answers:
  the batch is committed and the till never heard; its retry must come back "duplicate", with
  the orders already stored.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, Select, select, text

from tests.e2e.conftest import Live, _free_port
from tests.queue.conftest import wait_for
from tests.trust.tills import Till, assert_stock_moved_once, batches, count_sales, make_sales, stock_now
from till.demo.store import NYC_SOURCE, seed_demo
from till.storage.tables import feed_sequencer, orders, source_items

TILL = str(Path(sys.executable).parent / "till")
SALES = 300
BATCH = 25
#: Where each kill lands: in the push's open write transaction ("writing"), or after its commit.
KILLS = ("writing", "committed", "writing")
APP_NAME = "till-kill-test"


class App:
    """`till serve` as a child process on a fixed port, killed and started again at will."""

    def __init__(self, engine: Engine, port: int, log: Path) -> None:
        url = engine.url.update_query_dict({"application_name": APP_NAME})
        self.env = {
            **os.environ,
            "TILL_DATABASE_URL": url.render_as_string(hide_password=False),
            "TILL_WEB_DIST": "/nonexistent",
            "TILL_QUEUE_TRANSPORT": "database",
        }
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [TILL, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

        def healthy() -> bool:
            try:
                return httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(healthy, timeout=60, what="till serve to answer")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _app_waits_for_a_lock(engine: Engine) -> bool:
    with engine.connect() as conn:
        waiting = conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = :name AND wait_event_type = 'Lock'"
            ),
            {"name": APP_NAME},
        )
        return bool(waiting.scalar_one())


@contextlib.contextmanager
def _holding(engine: Engine, lock: Select[Any]) -> Iterator[None]:
    """Hold the rows `lock` selects FOR UPDATE until the block ends."""
    with engine.connect() as conn:
        conn.execute(lock)
        yield


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_killing_the_app_mid_push_three_times_loses_and_doubles_no_sale(
    engine: Engine, tmp_path: Path
) -> None:
    store = seed_demo(engine)
    app = App(engine, _free_port(), tmp_path / "serve.log")
    app.start()
    try:
        live = Live(app.url, engine, store)
        sales = make_sales(live, SALES, tag="kill")
        skus = sorted({s["lines"][0]["sku"] for s in sales})
        start = stock_now(engine, skus)
        interrupted: list[tuple[int, bool]] = []
        with live.sign_in("maya") as client:
            # A killed app answers nothing; any answer but 200 (a 5xx) fails the test.
            till = Till(client, retry_statuses=frozenset(), pause=0.1)
            failures: list[BaseException] = []

            def push_everything() -> None:
                try:
                    for batch in batches(sales, BATCH):
                        till.push(batch)
                except BaseException as exc:
                    failures.append(exc)

            pusher = threading.Thread(target=push_everything)
            pusher.start()
            for kill, moment in enumerate(KILLS, start=1):
                before = kill * SALES // (len(KILLS) + 1)
                wait_for(lambda n=before: len(till.answers) >= n, what=f"{before} sales before kill {kill}")
                if moment == "writing":
                    lock = select(source_items).where(
                        source_items.c.source_code == NYC_SOURCE, source_items.c.sku.in_(skus)
                    )
                else:
                    lock = select(feed_sequencer)
                with _holding(engine, lock.with_for_update()):
                    wait_for(
                        lambda: till.in_flight.is_set() and _app_waits_for_a_lock(engine),
                        what=f"a push stuck {moment}",
                    )
                    on_wire = list(till.sending)
                    app.kill()
                with engine.connect() as conn:
                    kept = conn.execute(
                        select(orders.c.id).where(orders.c.idempotency_key.in_(on_wire))
                    ).all()
                interrupted.append((len(on_wire), bool(kept)))
                app.start()
            pusher.join(120)
            assert not pusher.is_alive() and not failures, failures
    finally:
        app.stop()

    assert interrupted == [(BATCH, moment == "committed") for moment in KILLS]
    unanswered = sum(n for outcome, n in till.tries.items() if outcome not in ("200", "ConnectError"))
    assert unanswered >= len(KILLS), f"each kill cut a push off before its answer: {till.tries}"
    # The batch killed after its commit is replayed: its sales answer "duplicate", once each.
    assert dict(till.results) == {"accepted": SALES - BATCH, "duplicate": BATCH}
    count = count_sales(engine, sales, till)
    assert (count.made, count.stored, count.lost, count.doubled) == (SALES, SALES, 0, 0)
    assert_stock_moved_once(engine, start, sales)
    print(
        f"\n{SALES} sales, {len(KILLS)} kills (batch on the wire, committed before the kill: {interrupted}), "
        f"pushes {dict(till.tries)}, sale results {dict(till.results)}"
    )
