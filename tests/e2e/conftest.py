"""A real Till server over HTTP (uvicorn on a loopback port) per database backend."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine

from till.api.app import create_app
from till.demo.store import DemoStore, seed_demo
from till.settings import Settings


@dataclass
class Live:
    """A running server on a seeded database, and ways to talk to it."""

    url: str
    engine: Engine
    store: DemoStore

    def client(self, token: str | None = None, device_token: str | None = None) -> httpx.Client:
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if device_token:
            headers["X-Device-Token"] = device_token
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def sign_in(self, username: str) -> httpx.Client:
        member = self.store.staff_member(username)
        with self.client() as anonymous:
            answer = anonymous.post(
                "/api/auth/sign-in", json={"username": username, "password": member.password}
            )
        assert answer.status_code == 200, answer.text
        return self.client(answer.json()["token"])

    def forget_sessions(self) -> None:
        """Make the server look every session up again, as it does `TILL_AUTH_CACHE_SECONDS`
        after a change it did not make itself (a test that edits the database directly)."""
        app = _apps.get(self.url)
        if app is not None:
            app.state.sessions.forget_all()

    def username(self, role: str, location: str | None = None) -> str:
        for member in self.store.staff:
            if member.role == role and (location is None or location in member.locations):
                return member.username
        raise LookupError(role)


_servers: dict[int, tuple[str, uvicorn.Server, threading.Thread]] = {}
#: The app behind each test server's URL.
_apps: dict[str, FastAPI] = {}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_for(engine: Engine) -> str:
    key = id(engine)
    if key not in _servers:
        port = _free_port()
        settings = Settings(database_url=str(engine.url), web_dist="/nonexistent")
        app = create_app(settings, engine)
        _apps[f"http://127.0.0.1:{port}"] = app
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        _servers[key] = (f"http://127.0.0.1:{port}", server, thread)
    return _servers[key][0]


@pytest.fixture
def live(engine: Engine) -> Live:
    """The demo store on each backend, served over real HTTP."""
    store = seed_demo(engine)
    return Live(_server_for(engine), engine, store)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for _, server, thread in _servers.values():
        server.should_exit = True
        thread.join(timeout=5)


def sale_payload(
    live: Live,
    *,
    key: str,
    receipt: str,
    lines: list[dict[str, Any]],
    register: str = "NYC1",
    location: str = "NYC",
    staff_username: str | None = None,
    payments: list[dict[str, Any]] | None = None,
    totals: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A sale as a till sends it; totals default to what the server's own engine computes."""
    username = staff_username or live.username("cashier", location)
    member = live.store.staff_member(username)
    payload: dict[str, Any] = {
        "idempotency_key": key,
        "register_code": register,
        "receipt_number": receipt,
        "location_code": location,
        "staff_id": member.id,
        "created_at": "2026-11-25T15:04:05+00:00",
        "lines": lines,
        "payments": payments or [],
        "totals": totals or {"subtotal": "0.00", "discount": "0.00", "tax": "0.00", "grand_total": "0.00"},
        **extra,
    }
    return payload


def priced(live: Live, payload: dict[str, Any]) -> dict[str, Any]:
    """Fill in the totals and a cash payment the way a till computes them (the shared engine)."""
    from till.api.convert import pushed_sale
    from till.api.schemas import SaleIn
    from till.services.pricing import PricingContext
    from till.storage.uow import UnitOfWork

    draft = {**payload, "payments": [{"method": "card", "amount": "0.01"}]}
    sale = pushed_sale(SaleIn.model_validate(draft)).sale
    assert sale is not None
    with UnitOfWork(live.engine) as uow:
        context = PricingContext.load(uow)
        location = context.location(sale.location_code)
        products = uow.catalog.products(line.sku for line in sale.lines)
        group = 0
        if sale.customer_id is not None:
            row = uow.customers.get(sale.customer_id)
            assert row is not None
            group = int(row["group_id"])
        totals = context.price(sale, products, location, group, location.business_day(sale.created_at)).totals
    filled = {
        **payload,
        "totals": {
            "subtotal": str(totals.subtotal),
            "discount": str(totals.discount),
            "tax": str(totals.tax),
            "grand_total": str(totals.grand_total),
        },
    }
    if not payload.get("payments"):
        filled["payments"] = (
            [{"method": "cash", "amount": str(totals.grand_total)}] if totals.grand_total else []
        )
    return filled
