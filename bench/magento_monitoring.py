"""What the connector's monitoring costs per scrape, and the reconcile job's pending-sku scan,
with a week of outbox rows (the retention) of which a share is not exported yet.

    uv run python bench/magento_monitoring.py --db postgresql --rows 100000 --waiting 1000
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import create_engine, insert, text

from till.magento.monitoring import EXPORT_QUEUE, magento_snapshot
from till.magento.reconcile import pending_skus
from till.storage.db import make_engine
from till.storage.migrate import upgrade
from till.storage.tables import outbox, processed_messages

SERVERS = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
    "mariadb": "mysql+pymysql://root@127.0.0.1:3306/{name}",
}
NAME = "till_bench_magento_monitoring"


def fresh(kind: str) -> str:
    if kind == "sqlite":
        return "sqlite:////tmp/till_bench_magento_monitoring.sqlite3"
    admin = create_engine(SERVERS[kind].format(name="test"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if kind == "postgresql":
            conn.execute(text(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{NAME}"'))
        else:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{NAME}`"))
            conn.execute(text(f"CREATE DATABASE `{NAME}` CHARACTER SET utf8mb4"))
    admin.dispose()
    return SERVERS[kind].format(name=NAME)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql", "mariadb"], default="postgresql")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--waiting", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    if args.db == "sqlite":
        import pathlib

        pathlib.Path("/tmp/till_bench_magento_monitoring.sqlite3").unlink(missing_ok=True)
    engine = make_engine(fresh(args.db))
    upgrade(engine)
    start = datetime.now(UTC) - timedelta(days=7)
    rows, done = [], []
    for n in range(args.rows):
        message_id = str(uuid.uuid4())
        moment = start + timedelta(seconds=n * 6)
        rows.append(
            {
                "message_id": message_id,
                "topic": "stock.adjusted" if n % 10 == 0 else "sale.placed",
                "payload": {"sku": f"SKU-{n % 5000}"} if n % 10 == 0 else {"order_id": f"o-{n}"},
                "created_at": moment,
                "published_at": moment,
            }
        )
        if n < args.rows - args.waiting:
            done.append(
                {
                    "queue": EXPORT_QUEUE,
                    "message_id": message_id,
                    "finished_at": moment,
                    "duration_ms": Decimal(5),
                }
            )
    with engine.begin() as conn:
        for at in range(0, len(rows), 5000):
            conn.execute(insert(outbox), rows[at : at + 5000])
        for at in range(0, len(done), 5000):
            conn.execute(insert(processed_messages), done[at : at + 5000])
    if args.db == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()

    def timed(function: object) -> list[float]:
        spent = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            function()  # type: ignore[operator]
            spent.append((time.perf_counter() - began) * 1000)
        return spent

    snap = magento_snapshot(engine, configured=True)
    assert snap["export"]["waiting"] == args.waiting, snap["export"]
    scrape = timed(lambda: magento_snapshot(engine, configured=True))

    def scan() -> None:
        with engine.connect() as conn:
            pending_skus(conn)

    pending = timed(scan)
    print(f"{args.db}: {args.rows} outbox rows, {args.waiting} not exported, {args.repeat} runs each")
    print(
        f"  magento_snapshot (per scrape): median {statistics.median(scrape):.1f} ms, max {max(scrape):.1f} ms"
    )
    print(
        f"  pending_skus (per reconcile):  median {statistics.median(pending):.1f} ms, max {max(pending):.1f} ms"
    )


if __name__ == "__main__":
    main()
