"""`till up`: app processes and workers from one command, supervised, stopped together."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select

from tests.e2e.conftest import _free_port
from tests.queue.conftest import wait_for
from till.demo.store import seed_demo
from till.storage.tables import outbox

TILL = str(Path(sys.executable).parent / "till")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes.
    return "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_up_serves_relays_restarts_a_dead_worker_and_stops_everything(engine: Engine, tmp_path: Path) -> None:
    store = seed_demo(engine)
    url = engine.url.render_as_string(hide_password=False)
    port = _free_port()
    log = tmp_path / "up.log"
    env = {
        **os.environ,
        "TILL_DATABASE_URL": url,
        "TILL_WEB_DIST": "/nonexistent",
        "TILL_QUEUE_TRANSPORT": "database",
    }
    with log.open("wb") as out:
        up = subprocess.Popen(
            [TILL, "up", "--app-processes", "2", "--workers", "1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            try:
                return httpx.get(f"{base}/api/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(healthy, timeout=60, what="the app processes to answer")
        member = store.staff_member("maya")
        token = httpx.post(
            f"{base}/api/auth/sign-in", json={"username": "maya", "password": member.password}
        ).json()["token"]
        customer = httpx.post(
            f"{base}/api/customers",
            json={"email": "up@example.com", "firstname": "Up", "lastname": "Test"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert customer.status_code == 201, customer.text

        def relayed() -> bool:
            with engine.connect() as conn:
                waiting = select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
                return conn.execute(waiting).scalar_one() == 0

        wait_for(relayed, timeout=60, what="the worker to relay the outbox")

        [worker_pid] = [int(p) for p in re.findall(r"started worker-1 \(pid (\d+)\)", log.read_text())]
        os.kill(worker_pid, signal.SIGKILL)
        wait_for(lambda: "worker-1 stopped; starting it again" in log.read_text(), what="the restart")
        wait_for(
            lambda: len(re.findall(r"worker-1", log.read_text())) >= 2 and _worker_count(up.pid) >= 1,
            what="a new worker",
        )
        children = _descendants(up.pid)
        assert children, "till up runs its processes as children"
    finally:
        up.send_signal(signal.SIGTERM)
        code = up.wait(timeout=60)
    assert code == 0, log.read_text()[-2000:]
    assert not [pid for pid in children if _alive(pid)], "every child stopped with till up"


def _descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return sorted(found)


def _worker_count(root: int) -> int:
    count = 0
    for pid in _descendants(root):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        count += " worker" in cmdline and _alive(pid)
    return count
