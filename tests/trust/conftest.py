"""Fixtures for the fault tests: a Till app served on a loopback port over an engine of the
test's choosing (e.g. one that reaches the database through a proxy the test can cut), and the
queue tests' fixtures (broker, worker, webhook receiver), shared rather than copied."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
import uvicorn
from sqlalchemy import Engine

from tests.e2e.conftest import _free_port, live  # noqa: F401
from tests.queue.conftest import amqp_prefix, receiver, start_worker  # noqa: F401
from till.api.app import create_app
from till.settings import Settings


@pytest.fixture
def serve() -> Iterator[Callable[[Engine], str]]:
    """Serve Till over `engine` on a free port; returns the base URL. Stopped after the test."""
    running: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(engine: Engine) -> str:
        port = _free_port()
        settings = Settings(
            database_url=engine.url.render_as_string(hide_password=False), web_dist="/nonexistent"
        )
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings, engine), host="127.0.0.1", port=port, log_level="error")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "the test server did not start"
            time.sleep(0.02)
        running.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in running:
        server.should_exit = True
        thread.join(timeout=10)
