"""Fixtures: the Magento double served over real HTTP on a loopback port, and a connector
configured against it."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from tests.magento.double import VERSIONS, MagentoDouble
from tests.magento.store import seed_magento
from till.magento.client import MagentoClient
from till.magento.settings import LocationMapping, MagentoSettings

T = TypeVar("T")


class _Swappable:
    """One server for the session; each test puts its own double behind it."""

    def __init__(self) -> None:
        self.double: MagentoDouble | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            message = await receive()
            while message["type"] != "lifespan.shutdown":
                await send({"type": message["type"] + ".complete"})
                message = await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        assert self.double is not None, "no Magento double for this test"
        await self.double.app(scope, receive, send)


@pytest.fixture(scope="session")
def magento_server() -> Iterator[tuple[str, _Swappable]]:
    holder = _Swappable()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(holder, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the Magento double did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", holder
    server.should_exit = True
    thread.join(timeout=5)


def _serve(magento_server: tuple[str, _Swappable], version: str) -> MagentoDouble:
    url, holder = magento_server
    double = seed_magento(MagentoDouble(version=version))
    double.url = url  # type: ignore[attr-defined]
    holder.double = double
    return double


@pytest.fixture
def magento(magento_server: tuple[str, _Swappable]) -> MagentoDouble:
    """A freshly seeded Magento 2.4.7 store, served at `magento.url`."""
    return _serve(magento_server, "2.4.7")


@pytest.fixture(params=VERSIONS)
def any_magento(request: pytest.FixtureRequest, magento_server: tuple[str, _Swappable]) -> MagentoDouble:
    """The same store as each Magento release 2.4.4 to 2.4.8 behaves (where they differ)."""
    return _serve(magento_server, str(request.param))


def connector_settings(magento: MagentoDouble, **overrides: Any) -> MagentoSettings:
    """Settings of a connector that signs in with the double's integration (OAuth 1.0a)."""
    values: dict[str, Any] = {
        "base_url": magento.url,  # type: ignore[attr-defined]
        "store_code": "default",
        "consumer_key": magento.consumer_key,
        "consumer_secret": magento.consumer_secret,
        "access_token": magento.access_token,
        "access_token_secret": magento.access_token_secret,
        "locations": {"NYC": LocationMapping(source="nyc_store", stock_id=2)},
        # Every tender mapped to a method the test store declares (stock offline methods), as
        # `till magento check` requires; the export tests of item 9 set their own.
        "payment_methods": {
            "cash": "cashondelivery",
            "card": "purchaseorder",
            "other": "checkmo",
            "gift_card": "checkmo",
            "store_credit": "checkmo",
            "on_account": "purchaseorder",
        },
        "page_size": 2,  # small pages, so every list is paged
        "backoff_seconds": 0.0,
        "max_attempts": 3,
        **overrides,
    }
    return MagentoSettings(_env_file=None, **values)  # type: ignore[call-arg]


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end (the tests are synchronous)."""
    return asyncio.run(coro)


def client_for(magento: MagentoDouble, **overrides: Any) -> MagentoClient:
    """A client of the double (create it inside the coroutine that uses it)."""
    return MagentoClient(connector_settings(magento, **overrides))
