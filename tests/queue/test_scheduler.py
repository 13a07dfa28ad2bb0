"""The adjustment scheduler: schedules, and two schedulers running each due job once."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from tests.queue.conftest import queue_settings
from till import bootstrap
from till.queue import schedule, scheduler
from till.queue.scheduler import JOBS, JobContext, Scheduler
from till.storage.db import make_engine
from till.storage.tables import job_runs


def test_cron_and_every_schedules() -> None:
    at = datetime(2026, 11, 25, 13, 7, 30, tzinfo=UTC)
    assert schedule.next_run("*/15 * * * *", at) == datetime(2026, 11, 25, 13, 15, tzinfo=UTC)
    assert schedule.next_run("30 3 * * *", at) == datetime(2026, 11, 26, 3, 30, tzinfo=UTC)
    assert schedule.next_run("0 9 * * 1", at) == datetime(2026, 11, 30, 9, 0, tzinfo=UTC), "next Monday"
    assert schedule.next_run("0 0 1 1 *", at) == datetime(2027, 1, 1, tzinfo=UTC)
    assert schedule.next_run("@every 90s", at) == at + timedelta(seconds=90)
    for bad in ("* * *", "61 * * * *", "@every 0s", "*/0 * * * *", "0 0 31 2 *"):
        with pytest.raises(schedule.BadSchedule):
            schedule.check(bad)


@pytest.mark.db
def test_two_schedulers_run_each_due_time_once(engine: Engine) -> None:
    calls: list[str] = []
    lock = threading.Lock()

    async def probe(context: JobContext, params: dict[str, Any]) -> str:
        with lock:
            calls.append(params["tag"])
        await asyncio.sleep(0.05)
        return "probed"

    JOBS["probe"] = probe
    try:
        scheduler.add_job(engine, "probe-every-second", "probe", "@every 1s", {"tag": "p"})
        settings = queue_settings(engine)
        stop = threading.Event()
        ran: dict[str, list[str]] = {}

        def run(name: str) -> None:
            own = make_engine(engine.url.render_as_string(hide_password=False))
            runner = Scheduler(JobContext(own, settings), name)
            ran[name] = []

            async def loop() -> None:
                while not stop.is_set():
                    ran[name] += await runner.tick()
                    await asyncio.sleep(0.02)

            asyncio.run(loop())
            own.dispose()

        threads = [threading.Thread(target=run, args=(f"scheduler-{n}",)) for n in (1, 2)]
        for thread in threads:
            thread.start()
        time.sleep(4.5)
        stop.set()
        for thread in threads:
            thread.join(30)
    finally:
        JOBS.pop("probe", None)

    with engine.connect() as conn:
        runs = conn.execute(
            select(job_runs.c.due_at, job_runs.c.worker, job_runs.c.status).where(
                job_runs.c.job == "probe-every-second"
            )
        ).all()
    due_times = [r.due_at for r in runs]
    assert 3 <= len(calls) <= 6, f"about one run a second: {len(calls)}"
    assert len(calls) == len(runs) == len(set(due_times)), "each due time ran once, by one scheduler"
    assert sum(len(v) for v in ran.values()) == len(calls)
    assert {r.status for r in runs} <= {"ok", "running"}
    job = scheduler.get_job(engine, "probe-every-second")
    assert job["last_status"] == "ok" and job["last_result"] == "probed"


@pytest.mark.db
def test_purge_and_reconcile_jobs(demo_engine: Engine) -> None:
    from decimal import Decimal

    from tests.integration.helpers import make_sale, sellable_skus
    from till.services.sales import place_sales

    engine = demo_engine
    sku = sellable_skus(engine, 1)[0]
    place_sales(
        engine, [make_sale(engine, key="sale-recon-0001", receipt="NYC1-6001", lines=[(sku, Decimal(2))])]
    )
    context = JobContext(engine, queue_settings(engine))
    result = asyncio.run(bootstrap.reconcile_stock(context, {"older_than_minutes": 0}))
    assert "reservations cleaned 2" in result and "unbalanced 0" in result
    assert "outbox 0" in asyncio.run(scheduler.purge_outbox(context, {"retention_days": 0}))
