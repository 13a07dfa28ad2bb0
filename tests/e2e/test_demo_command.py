"""The README's first command, run as a person would: it starts, answers, and sells once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

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
