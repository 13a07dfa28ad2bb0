"""The README's first command, run as a person would: it starts, answers, and sells once."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_demo_command_serves_the_demo_store(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "TILL_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "TILL_SKIP_WEB_BUILD": "1",
        "TILL_PORT": str(port),
    }
    log = tmp_path / "demo.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(ROOT / "scripts" / "demo")],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the demo did not answer within 2 minutes\n" + log.read_text()
            time.sleep(0.5)
        printed = log.read_text()
        assert f"http://127.0.0.1:{port}/" in printed
        assert "maya" in printed and "1357" in printed, "the demo sign-ins are printed"

        with httpx.Client(base_url=base, timeout=30) as client:
            token = client.post(
                "/api/auth/sign-in", json={"username": "maya", "password": "maya-demo"}
            ).json()["token"]
            client.headers["Authorization"] = f"Bearer {token}"
            product = next(
                p for p in client.get("/api/products", params={"q": "e"}).json() if p["type"] == "simple"
            )
            me = client.get("/api/auth/me").json()
            sale = {
                "idempotency_key": f"demo-{uuid.uuid4()}",
                "register_code": "NYC1",
                "receipt_number": "NYC1-000001",
                "location_code": "NYC",
                "staff_id": me["id"],
                "created_at": "2026-11-25T15:00:00+00:00",
                "lines": [{"sku": product["sku"], "qty": "1", "unit_price": product["price"]}],
                "payments": [{"method": "cash", "amount": "1000.00"}],
                "totals": {
                    "subtotal": product["price"],
                    "discount": "0.00",
                    "tax": "0.00",
                    "grand_total": "1000.00",
                },
            }
            first = client.post("/api/sync/push", json={"sales": [sale]}).json()["sales"][0]
            second = client.post("/api/sync/push", json={"sales": [sale]}).json()["sales"][0]
            found = client.get("/api/orders", params={"receipt_number": "NYC1-000001"}).json()
        assert first["status"] == "accepted" and second["status"] == "duplicate"
        assert first["order_id"] == second["order_id"]
        assert len(found) == 1
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


class _Receiver(BaseHTTPRequestHandler):
    """A shop's webhook receiver on this machine: keeps every delivery."""

    deliveries: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.deliveries.append({"topic": self.headers.get("Till-Topic"), "body": json.loads(body)})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


def test_the_demo_runs_a_worker_that_delivers_webhooks(tmp_path: Path) -> None:
    """The one demo command runs server and worker: a webhook to a receiver on this machine
    hears of a sale made through the API (issue 18 item 1)."""
    receiver = HTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.deliveries = []
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    port = _free_port()
    env = {
        **os.environ,
        "TILL_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "TILL_SKIP_WEB_BUILD": "1",
        "TILL_PORT": str(port),
    }
    env.pop("TILL_WEBHOOKS_ALLOW_PRIVATE", None)
    log = tmp_path / "demo.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(ROOT / "scripts" / "demo")],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the demo did not answer within 2 minutes\n" + log.read_text()
            time.sleep(0.5)
        with httpx.Client(base_url=base, timeout=30) as client:
            token = client.post(
                "/api/auth/sign-in", json={"username": "admin", "password": "admin-demo"}
            ).json()["token"]
            client.headers["Authorization"] = f"Bearer {token}"
            made = client.post(
                "/api/admin/webhooks",
                json={
                    "name": "receiver",
                    "url": f"http://127.0.0.1:{receiver.server_port}/till",
                    "topics": ["sale.placed"],
                },
            )
            assert made.status_code == 201, made.text
            product = next(
                p for p in client.get("/api/products", params={"q": "e"}).json() if p["type"] == "simple"
            )
            me = client.get("/api/auth/me").json()
            while not client.get("/api/admin/monitoring").json()["workers"]:
                assert time.monotonic() < deadline + 60, "no worker heartbeat\n" + log.read_text()
                time.sleep(0.5)
            # A worker reads the endpoints every 5 s and routes each event to the endpoints it
            # knows when it relays it: a sale in the first seconds after adding one is not sent to it.
            time.sleep(6)
            sale = {
                "idempotency_key": f"demo-{uuid.uuid4()}",
                "register_code": "NYC1",
                "receipt_number": "NYC1-000009",
                "location_code": "NYC",
                "staff_id": me["id"],
                "created_at": "2026-11-25T15:00:00+00:00",
                "lines": [{"sku": product["sku"], "qty": "1", "unit_price": product["price"]}],
                "payments": [{"method": "cash", "amount": "1000.00"}],
                "totals": {
                    "subtotal": product["price"],
                    "discount": "0.00",
                    "tax": "0.00",
                    "grand_total": "1000.00",
                },
            }
            [placed] = client.post("/api/sync/push", json={"sales": [sale]}).json()["sales"]
        assert placed["status"] == "accepted", placed
        deadline = time.monotonic() + 60
        while not _Receiver.deliveries:
            assert time.monotonic() < deadline, "no webhook within a minute\n" + log.read_text()
            assert process.poll() is None, log.read_text()
            time.sleep(0.5)
        [delivery] = _Receiver.deliveries
        assert delivery["topic"] == "sale.placed"
        assert placed["order_id"] in json.dumps(delivery["body"])
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        receiver.shutdown()
