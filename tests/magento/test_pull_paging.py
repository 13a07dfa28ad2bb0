"""Delta pulls that neither stop nor skip (issue 13 items 1 and 13): one failing data set does
not stop the others, lists are paged by key, and changes Magento does not stamp still arrive."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine

from tests.magento.conftest import client_for, run
from tests.magento.double import MagentoDouble
from tests.magento.store import seed_till_shop
from till.magento.pull import PullFailed, pull, pull_states
from till.storage.uow import UnitOfWork


def _pull(engine: Engine, magento: MagentoDouble, *, full: bool = False, **settings: object) -> None:
    async def go() -> None:
        async with client_for(magento, **settings) as client:
            await pull(engine, client, full=full)

    run(go())


def _price(engine: Engine, sku: str) -> Decimal:
    with UnitOfWork(engine) as uow:
        return uow.catalog.products([sku])[sku].price


def test_one_failing_data_set_does_not_stop_the_others(engine: Engine, magento: MagentoDouble) -> None:
    seed_till_shop(engine)
    _pull(engine, magento, full=True)
    # Categories break in Magento (an extension's bug, a removed scope…); a price changes and
    # the shop counts its bags.
    magento.fail_before[("GET", "/V1/categories/list")] = [400] * 10
    magento.products["24-MB01"]["price"] = 39.0
    magento.products["24-MB01"]["updated_at"] = "2026-11-25 12:00:00"
    magento.source_items[("24-MB01", "nyc_store")]["quantity"] = 6.0

    with pytest.raises(PullFailed, match="categories") as failed:
        _pull(engine, magento)
    assert list(failed.value.report.failed) == ["categories"]
    assert _price(engine, "24-MB01") == Decimal("39.00")
    with UnitOfWork(engine) as uow:
        assert uow.stock.salable(2, ["24-MB01"])["24-MB01"] == Decimal("6.0000")
    states = {s["dataset"]: s for s in pull_states(engine)}
    assert states["categories"]["last_error"] and not states["products"]["last_error"]
