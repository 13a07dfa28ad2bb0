"""Two app nodes behind a real load balancer (HAProxy from Debian) on one PostgreSQL and one
RabbitMQ: one node is SIGKILLed while four tills push, and started again later. Every till goes
on through the other node; afterwards each sale is stored exactly once, salable stock moved by
exactly what was sold, every sale's event left the outbox through the broker, and the node that
came back takes traffic again.

HAProxy's configuration is the one docs/deploy.md gives: health checks on `/api/health`, a
retry on another node only where the request never reached one (`conn-failure`), so a push
that may have been written is never resent by the balancer; the till resends it, by its
idempotency keys, as the PWA does on a 5xx.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from tests.conftest import ON_CI
from tests.e2e.conftest import Live, _free_port
from tests.queue.conftest import AMQP_URL, WorkerThread, queue_settings, wait_for
from tests.trust.test_app_killed import App
from tests.trust.tills import Till, assert_stock_moved_once, batches, count_sales, make_sales, stock_now
from till.demo.store import seed_demo
from till.queue import store as queue_store

TILLS = 4
SALES_PER_TILL = 100
BATCH = 10

HAPROXY_CONFIG = """
global
    maxconn 2000
defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch 1
    retry-on conn-failure
frontend tills
    bind 127.0.0.1:{port}
    default_backend app
backend app
    balance roundrobin
    option httpchk GET /api/health
    http-check expect status 200
    default-server inter 250ms fall 2 rise 2
    server a 127.0.0.1:{a} check
    server b 127.0.0.1:{b} check
listen stats
    bind 127.0.0.1:{stats}
    stats enable
    stats uri /stats
"""


def _haproxy() -> str:
    found = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
    if found is None:
        message = "haproxy is not installed (./scripts/test installs Debian's package as root)"
        if ON_CI:
            pytest.fail(message + " (on CI a missing part fails the test)")
        pytest.skip(message)
    return found


class Balancer:
    """HAProxy in front of two nodes, with its statistics page."""

    def __init__(self, a: int, b: int, folder: Path) -> None:
        self.port, self.stats_port = _free_port(), _free_port()
        config = folder / "haproxy.cfg"
        config.write_text(HAPROXY_CONFIG.format(port=self.port, a=a, b=b, stats=self.stats_port))
        check = subprocess.run([_haproxy(), "-c", "-f", str(config)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        self.process = subprocess.Popen(
            [_haproxy(), "-db", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.url = f"http://127.0.0.1:{self.port}"

        def answers() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{self.stats_port}/stats", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(answers, timeout=20, what="HAProxy to listen")

    def servers(self) -> dict[str, dict[str, str]]:
        """Per node: its status (UP/DOWN) and the requests it was given (`stot`)."""
        answer = httpx.get(f"http://127.0.0.1:{self.stats_port}/stats;csv", timeout=5)
        rows = csv.DictReader(io.StringIO(answer.text.lstrip("# ")))
        return {row["svname"]: row for row in rows if row["pxname"] == "app" and row["svname"] in ("a", "b")}

    def sessions(self, node: str) -> int:
        return int(self.servers()[node]["stot"])

    def status(self, node: str) -> str:
        return self.servers()[node]["status"]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@contextmanager
def nodes(engine: Engine, tmp_path: Path, amqp_prefix: str) -> Iterator[tuple[App, App, Balancer]]:
    """Two `till serve` nodes on the database and the broker, behind HAProxy."""
    url = engine.url.render_as_string(hide_password=False)
    apps = [App(url, _free_port(), tmp_path / f"node-{name}.log") for name in ("a", "b")]
    for app in apps:
        app.env |= {
            "TILL_QUEUE_TRANSPORT": "rabbitmq",
            "TILL_AMQP_URL": AMQP_URL,
            "TILL_AMQP_PREFIX": amqp_prefix,
        }
        app.start()
    balancer = Balancer(apps[0].port, apps[1].port, tmp_path)
    try:
        wait_for(
            lambda: balancer.status("a") == "UP" and balancer.status("b") == "UP",
            timeout=30,
            what="both nodes up behind the balancer",
        )
        yield apps[0], apps[1], balancer
    finally:
        balancer.stop()
        for app in apps:
            app.stop()


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_node_killed_under_load_loses_and_doubles_no_sale(
    engine: Engine,
    tmp_path: Path,
    amqp_prefix: str,
    start_worker: Callable[..., WorkerThread],
) -> None:
    store = seed_demo(engine)
    settings = queue_settings(engine, queue_transport="rabbitmq", amqp_prefix=amqp_prefix)
    start_worker(engine, settings, schedule=False)
    with nodes(engine, tmp_path, amqp_prefix) as (node_a, _node_b, balancer):
        live = Live(balancer.url, engine, store)
        sales = make_sales(live, TILLS * SALES_PER_TILL, tag="nodes")
        start = stock_now(engine, sorted({s["lines"][0]["sku"] for s in sales}))
        tills: list[Till] = []
        failures: list[BaseException] = []
        with live.sign_in("maya") as client:
            # Each till sends three quarters of its sales, then waits for node a to be back and
            # sends the rest, so the node that came back is seen taking pushes again.
            node_back = threading.Event()

            def run(till: Till, own: list[dict[str, Any]]) -> None:
                try:
                    for n, batch in enumerate(batches(own, BATCH)):
                        if n == 3 * len(own) // (4 * BATCH):
                            node_back.wait(300)
                        till.push(batch)
                except BaseException as exc:
                    failures.append(exc)

            threads = []
            for n in range(TILLS):
                # A 502 or 503 from the balancer is a 5xx: the till keeps the batch and sends it again.
                till = Till(client, retry_statuses=frozenset({502, 503, 504}), pause=0.1)
                tills.append(till)
                own = sales[n * SALES_PER_TILL : (n + 1) * SALES_PER_TILL]
                threads.append(threading.Thread(target=run, args=(till, own)))
            for thread in threads:
                thread.start()

            def answered() -> int:
                return sum(len(t.answers) for t in tills)

            total = len(sales)
            wait_for(lambda: answered() >= total // 4, timeout=120, what="a quarter of the sales")
            assert balancer.sessions("a") > 0 and balancer.sessions("b") > 0, "both nodes took pushes"
            node_a.kill()
            killed_at = answered()
            wait_for(lambda: balancer.status("a").startswith("DOWN"), timeout=30, what="node a marked down")
            wait_for(
                lambda: answered() >= killed_at + total // 4, timeout=120, what="sales through node b alone"
            )
            while_down = answered() - killed_at
            node_a.start()
            wait_for(lambda: balancer.status("a") == "UP", timeout=30, what="node a back up")
            back = balancer.sessions("a")
            node_back.set()
            for thread in threads:
                thread.join(180)
            assert not failures, failures
            assert all(not thread.is_alive() for thread in threads)
            assert balancer.sessions("a") > back, "the node that came back takes traffic again"

    # What the four tills were told, together, against what the database holds.
    everyone = Till(client)
    for till in tills:
        everyone.answers |= till.answers
        everyone.results += till.results
    count = count_sales(engine, sales, everyone)
    assert (count.made, count.stored, count.lost, count.doubled) == (len(sales), len(sales), 0, 0)
    assert set(everyone.results) <= {"accepted", "duplicate"}, everyone.results
    assert_stock_moved_once(engine, start, sales)

    def outbox_empty() -> bool:
        with engine.connect() as conn:
            return queue_store.unsent_count(conn) == 0

    wait_for(outbox_empty, timeout=60, what="every sale's event relayed to RabbitMQ")
    failed = {k: v for t in tills for k, v in t.tries.items() if k != "200"}
    print(
        f"\n{len(sales)} sales by {TILLS} tills through HAProxy; node a killed after {killed_at} answers, "
        f"{while_down} answered while it was down; results {dict(everyone.results)}; failed tries {failed}"
    )
