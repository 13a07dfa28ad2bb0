"""Stock reconciliation and the connector's monitoring, over the double on the real databases."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import Engine, select

from tests.integration.helpers import make_sale
from tests.magento.conftest import client_for, connector_settings, run
from tests.magento.double import MagentoDouble
from tests.magento.store import seed_till_shop
from till.magento.monitoring import EXPORT_QUEUE, MagentoCollector, magento_snapshot
from till.magento.pull import pull
from till.magento.reconcile import ReconcileReport, differences, reconcile
from till.magento.settings import LocationMapping
from till.magento.worker import QueuedMagentoExporter, install
from till.queue import store
from till.queue.export import unregister_exporter
from till.queue.messages import Message
from till.queue.scheduler import JOBS, JobContext, list_jobs
from till.services.sales import place_sales
from till.storage import tables as t
from till.storage.uow import UnitOfWork

#: The shop sells from Magento's website stock, so web orders and Till sales meet in one stock.
WEB_STOCK = {"NYC": LocationMapping(source="nyc_store", stock_id=1)}


def _pull(engine: Engine, magento: MagentoDouble, *, full: bool = False) -> None:
    async def go() -> None:
        async with client_for(magento, locations=WEB_STOCK) as client:
            await pull(engine, client, full=full)

    run(go())


def _reconcile(engine: Engine, magento: MagentoDouble, policy: str = "report") -> ReconcileReport:
    async def go() -> ReconcileReport:
        async with client_for(magento, locations=WEB_STOCK) as client:
            return await reconcile(engine, client, policy=policy)

    return run(go())


def _till_salable(engine: Engine, sku: str, stock_id: int = 1) -> Decimal:
    with UnitOfWork(engine) as uow:
        return uow.stock.salable(stock_id, [sku])[sku]


def _sell(engine: Engine, staff: dict[str, int], key: str, receipt: str, quantity: int) -> str:
    [result] = place_sales(
        engine,
        [
            make_sale(
                engine,
                key=key,
                receipt=receipt,
                staff_id=staff["cashier"],
                lines=[("24-MB01", Decimal(quantity))],
            )
        ],
    )
    assert result.status == "accepted" and result.order_id
    return result.order_id


def _export_through_queue(engine: Engine, magento: MagentoDouble) -> int:
    """What the `export.magento` consumer does with each waiting message: export, then record it
    as applied (the dedupe row)."""
    with engine.connect() as conn:
        waiting = conn.execute(select(t.outbox).order_by(t.outbox.c.id)).all()
    exporter = QueuedMagentoExporter(engine, connector_settings(magento, locations=WEB_STOCK))
    done = 0

    async def go() -> None:
        nonlocal done
        for row in waiting:
            if row.topic in exporter.topics:
                await exporter.export(row.message_id, row.topic, dict(row.payload))
                store.complete(
                    engine, Message(row.message_id, row.topic, dict(row.payload), EXPORT_QUEUE), 5.0
                )
                done += 1

    run(go())
    return done


def test_reconcile_reports_a_web_order_till_missed_and_pull_policy_fixes_it(
    engine: Engine, magento: MagentoDouble
) -> None:
    staff = seed_till_shop(engine)
    _pull(engine, magento, full=True)
    assert _reconcile(engine, magento).differences == []
    # A web order while Till was not pulling: Magento reserves 3, Till still says 110.
    magento.place_web_order([("24-MB01", Decimal(3))])
    report = _reconcile(engine, magento)
    assert [(d.sku, d.stock_id, d.till, d.magento, d.state) for d in report.differences] == [
        ("24-MB01", 1, Decimal("110.0000"), Decimal("107.0000"), "open")
    ]
    assert _till_salable(engine, "24-MB01") == Decimal("110.0000")  # `report` changes nothing
    [stored] = differences(engine)
    assert (stored["sku"], stored["stock_id"], stored["difference"], stored["state"]) == (
        "24-MB01",
        1,
        "3.0000",
        "open",
    )
    assert magento_snapshot(engine, configured=True)["reconcile"]["open"] == 1
    # `pull`: Till re-reads the sku and follows Magento.
    report = _reconcile(engine, magento, "pull")
    assert [(d.sku, d.state) for d in report.differences] == [("24-MB01", "pulled")]
    assert _till_salable(engine, "24-MB01") == Decimal("107.0000") == magento.salable("24-MB01", 1)
    assert [d["state"] for d in differences(engine)] == ["pulled"]
    assert differences(engine, state="open") == []
    assert _reconcile(engine, magento).differences == []
    assert differences(engine) == []  # agreeing again: the row is gone

    # A Till sale not exported yet is Till ahead of Magento, not drift.
    _sell(engine, staff, "sale-reconcile-0001", "NYC1-000951", 2)
    assert _till_salable(engine, "24-MB01") == Decimal("105.0000")
    assert magento.salable("24-MB01", 1) == Decimal("107.0000")
    report = _reconcile(engine, magento)
    assert report.differences == [] and report.pending == ["24-MB01"]
    assert differences(engine) == []
    # Exported (exactly once): both sides say 105, and nothing is skipped any more.
    assert _export_through_queue(engine, magento) == 1
    assert magento.salable("24-MB01", 1) == Decimal("105.0000")
    report = _reconcile(engine, magento)
    assert report.differences == [] and report.pending == []
    assert report.compared > 1


def _scrape(engine: Engine) -> dict[tuple[str, str], float]:
    """The connector's series as Prometheus reads them: (name, labels) -> value."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MagentoCollector(engine, configured=True))
    found: dict[tuple[str, str], float] = {}
    for line in generate_latest(registry).decode().splitlines():
        if line and not line.startswith("#"):
            name_labels, value = line.rsplit(" ", 1)
            name, _, labels = name_labels.partition("{")
            found[(name, labels.rstrip("}"))] = float(value)
    return found


def test_metrics_show_export_depth_pull_age_call_latency_and_differences(
    engine: Engine, magento: MagentoDouble
) -> None:
    staff = seed_till_shop(engine)
    settings = connector_settings(magento, locations=WEB_STOCK)
    try:
        assert install(engine, settings)
        assert "magento-reconcile" in {job["name"] for job in list_jobs(engine)}
        context = JobContext(engine=engine, settings=None)
        assert run(JOBS["magento_pull"](context, {"full": True})).startswith("changed")
        _sell(engine, staff, "sale-metrics-0001", "NYC1-000961", 1)
        before = magento_snapshot(engine, configured=True)
        assert before["export"]["waiting"] == 1
        assert before["export"]["oldest_waiting_age_seconds"] is not None
        assert before["pulls"]["stock"]["age_seconds"] < 60
        assert before["pulls"]["products"]["last_error"] is None
        pulled = before["calls"]["pull"]
        assert pulled["calls"] > 10 and pulled["errors"] == 0 and pulled["error_rate"] == 0
        assert pulled["mean_ms"] > 0
        assert "export" not in before["calls"]

        assert _export_through_queue(engine, magento) == 1
        magento.place_web_order([("24-MB01", Decimal(4))])
        result = run(JOBS["magento_reconcile"](context, {}))
        assert "1 differences (0 pulled, 1 open)" in result
    finally:
        unregister_exporter("magento")
    after = magento_snapshot(engine, configured=True)
    assert after["export"] == {
        "queue": EXPORT_QUEUE,
        "waiting": 0,
        "oldest_waiting_age_seconds": None,
        "dead": 0,
    }
    exported = after["calls"]["export"]
    assert exported["calls"] >= 3 and exported["errors"] == 0  # order, invoice, stock
    assert after["calls"]["reconcile"]["calls"] > 0
    assert after["reconcile"]["open"] == 1

    series = _scrape(engine)
    assert series[("till_magento_export_waiting", "")] == 0
    assert series[("till_magento_stock_differences", 'state="open"')] == 1
    assert series[("till_magento_calls_total", 'kind="export"')] == exported["calls"]
    assert series[("till_magento_call_errors_total", 'kind="pull"')] == 0
    assert series[("till_magento_call_seconds_mean", 'kind="pull"')] > 0
    assert 0 <= series[("till_magento_last_pull_age_seconds", 'dataset="stock"')] < 60
    assert ("till_magento_last_pull_timestamp_seconds", 'dataset="products"') in series


def test_a_dead_export_is_neither_waiting_nor_drift(engine: Engine, magento: MagentoDouble) -> None:
    """A sale whose export died waits for a person (retry-exports replays `export.*` queues),
    so it is not counted as a difference either."""
    staff = seed_till_shop(engine)
    _pull(engine, magento, full=True)
    _sell(engine, staff, "sale-dead-0001", "NYC1-000971", 2)
    with engine.connect() as conn:
        row = conn.execute(select(t.outbox).where(t.outbox.c.topic == "sale.placed")).one()
    message: dict[str, Any] = dict(row.payload)
    store.record_dead_letter(engine, Message(row.message_id, row.topic, message, EXPORT_QUEUE), "HTTP 503")
    figures = magento_snapshot(engine, configured=True)["export"]
    assert (figures["waiting"], figures["dead"]) == (0, 1)
    report = _reconcile(engine, magento)
    assert report.differences == [] and report.pending == ["24-MB01"]
    assert [letter["queue"] for letter in store.dead_letters(engine)] == [EXPORT_QUEUE]


def test_till_status_shows_the_connector(engine: Engine, magento: MagentoDouble) -> None:
    import json
    import os
    import subprocess
    import sys

    from tests.queue.test_cli import ROOT
    from till.magento.monitoring import record_calls

    seed_till_shop(engine)

    async def go() -> None:
        async with client_for(magento, locations=WEB_STOCK) as client:
            await pull(engine, client, full=True)
            record_calls(engine, "pull", client.stats)

    run(go())
    env = {
        **os.environ,
        "COLUMNS": "200",
        "TILL_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "TILL_MAGENTO_BASE_URL": magento.url,  # type: ignore[attr-defined]
    }

    def status(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "till.cli", "status", *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    data = json.loads(status("--json"))["magento"]
    assert data["configured"] is True and data["calls"]["pull"]["errors"] == 0
    assert data["pulls"]["stock"]["last_error"] is None
    shown = status()
    assert "magento exports waiting: 0" in shown and "stock differences open: 0" in shown
    assert "Magento pulls" in shown and "customers" in shown


def test_export_depth_counts_unrelayed_rows_at_any_age_and_relayed_ones_while_they_can_wait(
    engine: Engine,
) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert

    now = datetime.now(UTC)

    def row(message_id: str, made_hours_ago: float, relayed: bool) -> dict[str, Any]:
        made = now - timedelta(hours=made_hours_ago)
        return {
            "message_id": message_id,
            "topic": "sale.placed",
            "payload": {"order_id": message_id},
            "created_at": made,
            "published_at": made if relayed else None,
        }

    with engine.begin() as conn:
        conn.execute(
            insert(t.outbox),
            [
                row("worker-was-down", 30, relayed=False),  # waits, however old
                row("being-retried", 1, relayed=True),  # waits
                row("long-applied", 30, relayed=True),  # its dedupe row purged: not looked at
                row("applied", 0.5, relayed=True),
            ],
        )
        conn.execute(
            insert(t.outbox).values(**{**row("a-customer", 0.2, relayed=True), "topic": "till.other"})
        )
    store.complete(engine, Message("applied", "sale.placed", {}, EXPORT_QUEUE), 3.0)
    figures = magento_snapshot(engine, configured=True, now=now)["export"]
    assert figures["waiting"] == 2
    # MariaDB keeps whole seconds of a plain DATETIME: the age is right to the second.
    assert abs(figures["oldest_waiting_age_seconds"] - 30 * 3600) < 1
    assert magento_snapshot(engine, configured=False, now=now)["export"]["waiting"] == 0
