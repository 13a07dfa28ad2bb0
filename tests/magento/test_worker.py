"""The connector inside `till worker`: pulls on the scheduler, exports through the queue."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from tests.integration.helpers import make_sale
from tests.magento.conftest import client_for, connector_settings, run
from tests.magento.double import MagentoDouble
from tests.magento.store import seed_till_shop
from tests.queue.conftest import queue_settings, start_worker, wait_for
from till.magento.export import ext_order_id
from till.magento.monitoring import EXPORT_QUEUE, magento_snapshot
from till.magento.pull import pull
from till.magento.worker import install
from till.queue import store
from till.queue.export import unregister_exporter
from till.queue.scheduler import change_job, list_jobs
from till.services.sales import place_sales
from till.storage.events import Actor
from till.storage.uow import UnitOfWork

__all__ = ["start_worker"]  # the fixture, used by name below


def _orders_of(magento: MagentoDouble, order_id: str) -> list[dict[str, Any]]:
    """Magento's orders made from one Till order."""
    return [o for o in magento.orders.values() if o.get("ext_order_id") == ext_order_id(order_id)]


def test_a_worker_pulls_magento_on_schedule_and_exports_each_sale_once(
    engine: Engine, magento: MagentoDouble, start_worker: Callable[..., Any]
) -> None:
    staff = seed_till_shop(engine)
    try:
        assert install(engine, connector_settings(magento))
        assert {"magento-pull", "magento-full-pull"} <= {job["name"] for job in list_jobs(engine)}
        change_job(engine, "magento-pull", run_now=True, by=Actor(via="tests"))
        start_worker(engine, queue_settings(engine))

        def pulled() -> bool:
            with UnitOfWork(engine) as uow:
                return bool(uow.catalog.products(["24-MB01"]))

        wait_for(pulled, what="the scheduled pull to bring Magento's catalog")
        [result] = place_sales(
            engine,
            [
                make_sale(
                    engine,
                    key="sale-worker-0001",
                    receipt="NYC1-000901",
                    staff_id=staff["cashier"],
                    lines=[("24-MB01", Decimal(2))],
                )
            ],
        )
        assert result.status == "accepted" and result.order_id

        def exported() -> list[dict[str, Any]]:
            return _orders_of(magento, result.order_id or "")

        [order] = wait_for(exported, what="the queue to export the sale to Magento")
        # Replaying the outbox (a second export of every message) makes no second order.
        change_job(engine, "magento-pull", run_now=True, by=Actor(via="tests"))
        wait_for(lambda: len(list_jobs(engine)) > 0, what="jobs")
    finally:
        unregister_exporter("magento")
    assert [item["sku"] for item in order["items"]] == ["24-MB01"]
    assert len(exported()) == 1


def test_a_dead_magento_export_is_replayed_by_retry_exports_and_makes_one_order(
    engine: Engine, magento: MagentoDouble, start_worker: Callable[..., Any]
) -> None:
    """The queue's generic `retry-exports` job covers `export.magento`: Magento away long enough
    for the sale's export to die, then back; the nightly-style retry makes exactly one order."""

    async def full_pull() -> None:
        async with client_for(magento) as client:
            await pull(engine, client, full=True)

    staff = seed_till_shop(engine)
    run(full_pull())
    magento.fail_before[("POST", "/V1/orders/")] = [503, 503]
    try:
        assert install(engine, connector_settings(magento))
        start_worker(engine, queue_settings(engine, queue_max_attempts=2))
        [result] = place_sales(
            engine,
            [
                make_sale(
                    engine,
                    key="sale-worker-0002",
                    receipt="NYC1-000902",
                    staff_id=staff["cashier"],
                    lines=[("24-MB01", Decimal(1))],
                )
            ],
        )
        assert result.status == "accepted" and result.order_id
        [letter] = wait_for(lambda: store.dead_letters(engine, EXPORT_QUEUE), what="the export to die")
        assert letter["topic"] == "sale.placed"
        assert magento_snapshot(engine, configured=True)["export"]["dead"] == 1
        assert not [o for o in magento.orders.values() if o.get("ext_order_id")]
        wait_for(lambda: "retry-exports" in {j["name"] for j in list_jobs(engine)}, what="default jobs")
        change_job(engine, "retry-exports", run_now=True, by=Actor(via="tests"))

        def exported() -> list[dict[str, Any]]:
            return _orders_of(magento, result.order_id or "")

        wait_for(exported, what="the replayed export to reach Magento")
        wait_for(
            lambda: (
                magento_snapshot(engine, configured=True)["export"]
                == {
                    "queue": EXPORT_QUEUE,
                    "waiting": 0,
                    "oldest_waiting_age_seconds": None,
                    "dead": 0,
                }
            ),
            what="the export to be recorded as applied",
        )
    finally:
        unregister_exporter("magento")
    assert len(exported()) == 1
    assert store.dead_letters(engine, EXPORT_QUEUE) == []
