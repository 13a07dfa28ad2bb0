"""The connector inside `till worker`: pulls on the scheduler, exports through the queue."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from tests.integration.helpers import make_sale
from tests.magento.conftest import connector_settings
from tests.magento.double import MagentoDouble
from tests.magento.store import seed_till_shop
from tests.queue.conftest import queue_settings, start_worker, wait_for
from till.magento.export import ext_order_id
from till.magento.worker import install
from till.queue.export import unregister_exporter
from till.queue.scheduler import change_job, list_jobs
from till.services.sales import place_sales
from till.storage.uow import UnitOfWork

__all__ = ["start_worker"]  # the fixture, used by name below


def test_a_worker_pulls_magento_on_schedule_and_exports_each_sale_once(
    engine: Engine, magento: MagentoDouble, start_worker: Callable[..., Any]
) -> None:
    staff = seed_till_shop(engine)
    try:
        assert install(engine, connector_settings(magento))
        assert {"magento-pull", "magento-full-pull"} <= {job["name"] for job in list_jobs(engine)}
        change_job(engine, "magento-pull", run_now=True)
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
            return [
                o
                for o in magento.orders.values()
                if o.get("ext_order_id") == ext_order_id(result.order_id or "")
            ]

        [order] = wait_for(exported, what="the queue to export the sale to Magento")
        # Replaying the outbox (a second export of every message) makes no second order.
        change_job(engine, "magento-pull", run_now=True)
        wait_for(lambda: len(list_jobs(engine)) > 0, what="jobs")
    finally:
        unregister_exporter("magento")
    assert [item["sku"] for item in order["items"]] == ["24-MB01"]
    assert len(exported()) == 1
