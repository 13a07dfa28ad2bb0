"""Backups and restore (docs/trust.md §5): a SQLite backup taken while tills sell restores
exactly the sales made before it, whole, and the server sells on it again; restore refuses
what is not a Till backup, what a newer Till made, what changed since, and a store a server
has open; an older backup is migrated forward; PostgreSQL and MariaDB round-trip through
pg_dump and mariadb-dump."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import ON_CI, _fresh_database
from tests.e2e.conftest import Live, _free_port, priced, sale_payload
from tests.integration.helpers import make_sale, sellable_skus
from tests.queue.conftest import wait_for
from till.demo.store import DemoStore, seed_demo
from till.services.pricing import PricingContext
from till.services.sales import place_sales
from till.storage.backup import backup_sqlite, head_revision
from till.storage.db import make_engine
from till.storage.migrate import upgrade
from till.storage.tables import audit_log, order_lines, orders, source_items
from till.storage.uow import UnitOfWork

TILL = str(Path(sys.executable).parent / "till")
ROOT = Path(__file__).resolve().parents[2]
#: When `sale_payload` says its sales were made.
SALE_TIME = datetime(2026, 11, 25, 15, 4, 5, tzinfo=UTC)


def till(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `till …` as a person would, on this database."""
    env = {**os.environ, "COLUMNS": "200", "TILL_DATABASE_URL": database_url}
    return subprocess.run([TILL, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)


@contextmanager
def serving(database_url: str) -> Iterator[str]:
    """`till serve` on the database, as its own process; yields its URL."""
    port = _free_port()
    env = {**os.environ, "TILL_DATABASE_URL": database_url, "TILL_WEB_DIST": "/nonexistent"}
    server = subprocess.Popen(
        [TILL, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return httpx.get(f"{base}/api/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            assert server.poll() is None, (
                f"till serve exited: {server.stderr.read() if server.stderr else ''!r}"
            )
            return False

    try:
        wait_for(healthy, 60, "till serve to answer")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def _sign_in(base: str, store: DemoStore, username: str) -> httpx.Client:
    member = store.staff_member(username)
    answer = httpx.post(f"{base}/api/auth/sign-in", json={"username": username, "password": member.password})
    assert answer.status_code == 200, answer.text
    return httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {answer.json()['token']}"}, timeout=30
    )


def _sales(live: Live, skus: list[str], first: int, count: int) -> list[dict[str, Any]]:
    """Priced one-line sales of NYC1 at catalog prices, sale n of skus[n % len(skus)]."""
    with UnitOfWork(live.engine) as uow:
        products = uow.catalog.products(skus)
        day = PricingContext.load(uow).location("NYC").business_day(SALE_TIME)
    price = {sku: str(products[sku].final_price(day, 0, Decimal(1))) for sku in skus}
    return [
        priced(
            live,
            sale_payload(
                live,
                key=f"backup-sale-{n:05d}",
                receipt=f"NYC1-{n:06d}",
                lines=[{"sku": skus[n % len(skus)], "qty": "1", "unit_price": price[skus[n % len(skus)]]}],
            ),
        )
        for n in range(first, first + count)
    ]


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _orders_by_key(engine: Engine) -> dict[str, tuple[Decimal, int]]:
    """Each stored sale's total and line count, by idempotency key."""
    with engine.connect() as conn:
        lines = dict(
            conn.execute(select(order_lines.c.order_id, func.count()).group_by(order_lines.c.order_id)).all()
        )
        return {
            row.idempotency_key: (Decimal(row.grand_total), int(lines[row.id]))
            for row in conn.execute(select(orders.c.id, orders.c.idempotency_key, orders.c.grand_total))
        }


def _on_hand(engine: Engine, source: str, skus: list[str]) -> dict[str, Decimal]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(source_items.c.sku, source_items.c.quantity).where(
                source_items.c.source_code == source, source_items.c.sku.in_(skus)
            )
        )
        return {sku: Decimal(qty) for sku, qty in rows}


# --- SQLite: the whole round trip ------------------------------------------------------------------


def test_a_backup_taken_while_tills_sell_restores_exactly_the_sales_before_it(tmp_path: Path) -> None:
    """Sales are pushed over HTTP to `till serve`, one after another, while the backup copies
    the file a few pages at a time; it waits, mid-copy, until the server has accepted more
    sales, which must not be in it. Five more sales follow. `till restore` then brings back
    exactly the first k sales for one k (counts, totals, lines and the stock they took), with
    SQLite's integrity check passing, and the server starts on it and sells."""
    database = tmp_path / "till.sqlite3"
    url = f"sqlite:///{database}"
    engine = make_engine(url)
    upgrade(engine)
    store = seed_demo(engine)
    skus = sellable_skus(engine, 3)
    nyc_source = next(loc.source_code for loc in store.locations if loc.code == "NYC")
    stock_before = _on_hand(engine, nyc_source, skus)
    backup = tmp_path / "till-backup.sqlite3"
    sent: list[str] = []
    accepted: list[str] = []
    during: dict[str, int] = {}
    failures: list[BaseException] = []

    with serving(url) as base:
        live = Live(base, engine, store)
        pushed = _sales(live, skus, 1, 400)
        later = _sales(live, skus, 5001, 5)
        stop = threading.Event()

        def push() -> None:
            try:
                with _sign_in(base, store, "maya") as till_client:
                    for sale in pushed:
                        if stop.is_set():
                            return
                        sent.append(sale["idempotency_key"])
                        [result] = till_client.post("/api/sync/push", json={"sales": [sale]}).json()["sales"]
                        assert result["status"] == "accepted", result
                        accepted.append(sale["idempotency_key"])
            except BaseException as exc:  # reported by the test thread
                failures.append(exc)
                raise

        pusher = threading.Thread(target=push)
        pusher.start()
        try:
            wait_for(lambda: len(accepted) >= 10, 60, "the first sales")

            def mid_copy(phase: str, done: int, total: int) -> None:
                if phase == "copy" and "first" not in during:
                    during["first"] = len(accepted)
                    # The server must commit sales while the copy is under way.
                    wait_for(lambda: len(accepted) >= during["first"] + 3, 60, "sales during the backup")

            before = len(accepted)
            manifest = backup_sqlite(database, backup, progress=mid_copy, pages_per_step=4)
            sent_by_end, accepted_by_end = len(sent), len(accepted)
        finally:
            stop.set()
            pusher.join(timeout=60)
        assert not failures, failures
        with _sign_in(base, store, "maya") as till_client:
            results = till_client.post("/api/sync/push", json={"sales": later}).json()["sales"]
        assert [r["status"] for r in results] == ["accepted"] * 5
        live_orders = _orders_by_key(engine)
    engine.dispose()
    assert set(live_orders) == set(accepted) | {s["idempotency_key"] for s in later}

    done = till(url, "restore", str(backup))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "restored" in done.stdout and "kept at" in done.stdout

    restored_engine = make_engine(url)
    try:
        restored = _orders_by_key(restored_engine)
        k = len(restored)
        # A consistent snapshot: exactly a prefix of the push sequence, between the sales
        # accepted before the backup began and those sent before it ended, missing at least
        # two the server accepted while the copy ran, and none of the later five.
        assert set(restored) == set(accepted[:k])
        assert before <= k <= sent_by_end and k <= accepted_by_end - 2
        assert k == manifest.row_counts["orders"]
        assert sum(total for total, _ in restored.values()) == sum(
            live_orders[key][0] for key in accepted[:k]
        )
        assert restored == {key: live_orders[key] for key in accepted[:k]}
        sold = {sku: Decimal(0) for sku in skus}
        for n in range(k):
            sold[skus[(n + 1) % len(skus)]] += 1
        assert _on_hand(restored_engine, nyc_source, skus) == {s: stock_before[s] - sold[s] for s in skus}
        with restored_engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
            assert (
                conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head_revision()
            )
            [line] = conn.execute(select(audit_log).where(audit_log.c.action == "store.restored")).all()
            assert line.detail["backup"] == backup.name
    finally:
        restored_engine.dispose()
    [kept] = [
        p for p in tmp_path.glob("till.sqlite3.before-restore-*") if not p.name.endswith(("-wal", "-shm"))
    ]
    kept_engine = make_engine(f"sqlite:///{kept}")
    assert _orders_by_key(kept_engine) == live_orders, "the store restore replaced is kept whole"
    kept_engine.dispose()

    final = make_engine(url)
    try:
        with serving(url) as base, _sign_in(base, store, "maya") as till_client:
            again = _sales(Live(base, final, store), skus, 9001, 1)
            [result] = till_client.post("/api/sync/push", json={"sales": again}).json()["sales"]
        assert result["status"] == "accepted"
        assert len(_orders_by_key(final)) == k + 1
    finally:
        final.dispose()
    print(
        f"\nbackup figures: {before} sales accepted before it began, {accepted_by_end} by its end "
        f"({accepted_by_end - k} of them after its snapshot), {len(accepted)} when pushing stopped, "
        f"{k} restored, {len(later)} made after, {len(live_orders)} in the store it replaced"
    )


# --- SQLite: refusals --------------------------------------------------------------------------


@pytest.fixture
def demo_file(tmp_path: Path) -> tuple[str, Path, Path]:
    """A demo store in a SQLite file, and a backup of it: (url, database, backup)."""
    database = tmp_path / "till.sqlite3"
    url = f"sqlite:///{database}"
    engine = make_engine(url)
    upgrade(engine)
    seed_demo(engine)
    place_sales(
        engine,
        [
            make_sale(
                engine,
                key="sale-kept-0001",
                receipt="NYC1-1",
                lines=[(sellable_skus(engine, 1)[0], Decimal(1))],
            )
        ],
    )
    engine.dispose()
    made = till(url, "backup", str(tmp_path / "good.till"))
    assert made.returncode == 0, made.stdout + made.stderr
    assert "backed up" in made.stdout and "1 sales" in made.stdout
    return url, database, tmp_path / "good.till"


def _variant(good: Path, name: str, sql: str) -> Path:
    bad = good.with_name(name)
    shutil.copyfile(good, bad)
    conn = sqlite3.connect(bad)
    conn.execute(sql)
    conn.commit()
    conn.close()
    return bad


def test_restore_refuses_what_is_not_a_whole_till_backup_of_a_known_schema(
    demo_file: tuple[str, Path, Path],
) -> None:
    """A text file, a Till database that is no backup, a backup from a newer Till, one changed
    after it was made, one cut short, a backup written over: each is refused with the reason,
    and the store is left exactly as it was."""
    url, database, good = demo_file
    folder = good.parent
    (folder / "notes.txt").write_text("not a database")
    half = folder / "half.till"
    half.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    cases = {
        folder / "notes.txt": "not a Till backup (not a SQLite file)",
        database: "not a Till backup (it has no manifest)",
        _variant(
            good,
            "newer.till",
            "UPDATE till_backup_manifest "
            "SET manifest = json_set(manifest, '$.schema_revision', 'ffffffffffff')",
        ): "made by a newer Till (schema ffffffffffff",
        _variant(good, "changed.till", "UPDATE staff SET role = 'admin' WHERE username = 'maya'"): (
            "does not match its manifest: staff changed"
        ),
        half: "damaged",
        folder / "missing.till": "there is no file",
    }
    before = _file_digest(database)
    for path, reason in cases.items():
        refused = till(url, "restore", str(path))
        assert refused.returncode == 1, (path, refused.stdout)
        assert reason in " ".join(refused.stdout.split()), (path, refused.stdout)
    assert _file_digest(database) == before
    assert (
        sorted(p.name for p in folder.iterdir() if "restoring" in p.name or "before-restore" in p.name) == []
    )
    again = till(url, "backup", str(good))
    assert again.returncode == 1 and "exists" in again.stdout


def test_restore_refuses_a_store_a_running_server_has_open_unless_forced(
    demo_file: tuple[str, Path, Path],
) -> None:
    url, _, good = demo_file
    with serving(url):
        refused = till(url, "restore", str(good))
        assert refused.returncode == 1 and "open in another process" in refused.stdout
        forced = till(url, "restore", "--force", str(good))
        assert forced.returncode == 0, forced.stdout + forced.stderr
    done = till(url, "restore", str(good))
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_older_backup_is_migrated_forward_and_its_audit_log_made_append_only(tmp_path: Path) -> None:
    """A backup of a store at the schema before the audit-log migration restores at the head
    revision: the old lines get their usernames, and the database refuses to change them."""
    database = tmp_path / "old.sqlite3"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine, "c3d4e5f6a7b8")
    store = seed_demo(engine)
    maya = store.staff_member("maya")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_log (at, staff_id, action, detail) "
                "VALUES ('2026-11-01 10:00:00', :staff, 'cash.out', '{\"amount\": \"5.00\"}')"
            ),
            {"staff": maya.id},
        )
    backup = tmp_path / "old.till"
    manifest = backup_sqlite(database, backup)
    engine.dispose()
    assert manifest.schema_revision == "c3d4e5f6a7b8"

    target = tmp_path / "till.sqlite3"
    done = till(f"sqlite:///{target}", "restore", str(backup))
    assert done.returncode == 0, done.stdout + done.stderr
    restored = make_engine(f"sqlite:///{target}")
    try:
        with restored.connect() as conn:
            assert (
                conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head_revision()
            )
            lines = {r.action: r for r in conn.execute(select(audit_log))}
        assert lines["cash.out"].username == "maya"
        assert lines["store.restored"].detail["schema_from"] == "c3d4e5f6a7b8"
        with pytest.raises(DBAPIError, match="append-only"), restored.begin() as conn:
            conn.execute(audit_log.delete())
    finally:
        restored.dispose()


# --- PostgreSQL and MariaDB: their own tools ------------------------------------------------------


@pytest.mark.parametrize("engine", ["postgresql", "mariadb"], indirect=True)
def test_a_server_store_round_trips_through_its_own_dump_tool(engine: Engine, tmp_path: Path) -> None:
    """`till backup` runs pg_dump -Fc (PostgreSQL) or mariadb-dump --single-transaction
    (MariaDB); more sales follow; `till restore` into a new, empty database brings back the
    sales of the backup, and its audit log is still append-only. Restoring over a database
    that holds a store is refused."""
    tool = "pg_dump" if engine.dialect.name == "postgresql" else "mariadb-dump"
    if shutil.which(tool) is None:
        message = f"{tool} is not installed (the database's client programs)"
        if ON_CI:
            pytest.fail(message + "; on CI a missing tool fails the test")
        pytest.skip(message)
    seed_demo(engine)
    skus = sellable_skus(engine, 2)
    sales = [
        make_sale(engine, key=f"sale-dump-{n:04d}", receipt=f"NYC1-{n}", lines=[(skus[n % 2], Decimal(1))])
        for n in range(12)
    ]
    place_sales(engine, sales[:8])
    url = engine.url.render_as_string(hide_password=False)
    dump = tmp_path / "till.dump"
    made = till(url, "backup", str(dump))
    assert made.returncode == 0, made.stdout + made.stderr
    assert f"with {tool}" in made.stdout
    backed_up = _orders_by_key(engine)
    place_sales(engine, sales[8:])
    assert len(_orders_by_key(engine)) == 12

    refused = till(url, "restore", str(dump))
    assert refused.returncode == 1 and "already holds" in " ".join(refused.stdout.split())

    target = _fresh_database("postgresql" if engine.dialect.name == "postgresql" else "mariadb", "restored")
    done = till(target, "restore", str(dump))
    assert done.returncode == 0, done.stdout + done.stderr
    restored = make_engine(target)
    try:
        assert _orders_by_key(restored) == backed_up and len(backed_up) == 8
        with restored.connect() as conn:
            assert (
                conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head_revision()
            )
        with pytest.raises(DBAPIError, match="append-only"), restored.begin() as conn:
            conn.execute(audit_log.update().values(action="x"))
    finally:
        restored.dispose()
