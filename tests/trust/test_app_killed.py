"""SIGKILL the app (`till serve` on PostgreSQL) in the middle of a till's push, three times over
300 sales, and start it again each time. The till sends every unanswered batch again, whole, as
the PWA does; afterwards each sale is stored exactly once and salable stock is the start less
what was sold.

The kills land at the two moments that matter, not at random. The app reaches PostgreSQL through
a proxy that stops the push's transaction at its COMMIT, and the test kills the app there:
- before the COMMIT reaches the database: the transaction is open with the orders written;
  PostgreSQL rolls it back when the connection goes, the till hears nothing, and its retry to the
  new process stores the batch ("accepted");
- after the database committed, before the app heard: the batch is stored and the till never
  heard; its retry must come back "duplicate", with the orders already stored.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select

from tests.e2e.conftest import Live, _free_port
from tests.queue.conftest import wait_for
from tests.trust.db_proxy import DatabaseProxy
from tests.trust.tills import Till, assert_stock_moved_once, batches, count_sales, make_sales, stock_now
from till.demo.store import seed_demo
from till.storage.tables import orders

TILL = str(Path(sys.executable).parent / "till")
SALES = 300
BATCH = 25
#: Where each kill lands: before the push's COMMIT reaches the database, or after it committed.
KILLS = ("before commit", "after commit", "before commit")


class App:
    """`till serve` as a child process on a fixed port, killed and started again at will."""

    def __init__(self, database_url: str, port: int, log: Path) -> None:
        self.env = {
            **os.environ,
            "TILL_DATABASE_URL": database_url,
            "TILL_WEB_DIST": "/nonexistent",
            "TILL_QUEUE_TRANSPORT": "database",
        }
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> None:
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

        wait_for(healthy, timeout=timeout, what="till serve to answer")

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


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_killing_the_app_mid_push_three_times_loses_and_doubles_no_sale(
    engine: Engine, tmp_path: Path
) -> None:
    store = seed_demo(engine)
    proxy = DatabaseProxy(engine.url.host or "127.0.0.1", engine.url.port or 5432)
    through = engine.url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = App(through, _free_port(), tmp_path / "serve.log")
    app.start()
    try:
        live = Live(app.url, engine, store)
        sales = make_sales(live, SALES, tag="kill")
        start = stock_now(engine, sorted({s["lines"][0]["sku"] for s in sales}))
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
                # The sales' keys go to the database whether or not the statement is a prepared one.
                stopped = proxy.stop_at_commit(
                    b"sale-kill-", committed=moment == "after commit", hang_up=False
                )
                wait_for(stopped.is_set, what=f"a push stopped {moment}")
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
        proxy.close()

    assert interrupted == [(BATCH, moment == "after commit") for moment in KILLS]
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
