"""Stock and price changes reach tills connected to different app processes (each app has
its own live poller; with RabbitMQ the worker's nudge reaches every one of them)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine

from tests.e2e.test_sync_api import _Listener
from tests.integration.helpers import sellable_skus
from tests.queue.conftest import WorkerThread, queue_settings
from till.api.app import create_app
from till.api.live import LiveHub
from till.settings import Settings

HUBS: list[LiveHub] = []


def _serve(settings: Settings, engine: Engine) -> tuple[str, uvicorn.Server]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    app = create_app(settings, engine)
    HUBS.append(app.state.live)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the app did not start"
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}", server


def _client(url: str, username: str) -> httpx.Client:
    token = httpx.post(
        f"{url}/api/auth/sign-in", json={"username": username, "password": f"{username}-demo"}
    ).json()["token"]
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


@pytest.fixture
def apps() -> Iterator[Callable[[Settings, Engine], str]]:
    servers: list[uvicorn.Server] = []

    def start(settings: Settings, engine: Engine) -> str:
        url, server = _serve(settings, engine)
        servers.append(server)
        return url

    yield start
    for server in servers:
        server.should_exit = True


@pytest.mark.parametrize("transport", ["database", "rabbitmq"])
def test_tills_on_two_app_processes_both_hear_a_stock_change(
    pg_demo_engine: Engine,
    transport: str,
    apps: Callable[[Settings, Engine], str],
    start_worker: Callable[..., WorkerThread],
    request: pytest.FixtureRequest,
) -> None:
    engine = pg_demo_engine  # the fan-out does not depend on the database: run once
    extra = {}
    if transport == "rabbitmq":
        # A fallback poll of a minute: only the broker's nudge can deliver within seconds.
        extra = {"amqp_prefix": request.getfixturevalue("amqp_prefix"), "live_fallback_seconds": 60.0}
    settings = queue_settings(engine, queue_transport=transport, **extra)
    HUBS.clear()
    first, second = apps(settings, engine), apps(settings, engine)
    start_worker(engine, settings, schedule=False)
    if transport == "rabbitmq":
        deadline = time.monotonic() + 10
        while not all(hub.interval == 60.0 for hub in HUBS):
            assert time.monotonic() < deadline, "the apps did not bind to the nudges"
            time.sleep(0.05)
    else:
        # No broker: on PostgreSQL the commit's NOTIFY must wake both pollers, so a poll of a
        # minute cannot be what delivers the change.
        for hub in HUBS:
            hub.interval = 60.0

    sku = sellable_skus(engine, 1)[0]
    listeners = [_Listener(_client(url, "maya"), "NYC") for url in (first, second)]
    for listener in listeners:
        listener.thread.start()
    try:
        for listener in listeners:
            assert listener.ready.wait(10) and listener.status == 200
        time.sleep(0.5)  # both pollers have taken their starting position (and a 60 s wait)
        with _client(first, "grace") as manager:
            source = manager.get("/api/admin/locations").json()
            nyc = next(loc for loc in source if loc["code"] == "NYC")["source_code"]
            changed = manager.post(
                "/api/stock/adjustments",
                json={
                    "sku": sku,
                    "source_code": nyc,
                    "reason": "receive",
                    "quantity": "5",
                    "note": "delivery",
                },
            )
            assert changed.status_code == 204, changed.text
        started = time.monotonic()
        heard = [
            listener.wait_for(lambda e: e[0] == "stock" and e[1].get("sku") == sku, timeout=5.0)
            for listener in listeners
        ]
    finally:
        for listener in listeners:
            listener.stop.set()
            listener.client.close()
    assert all(heard), f"a till did not hear the change: {[len(x.events) for x in listeners]}"
    assert all(h[2] - started < 5.0 for h in heard if h)
