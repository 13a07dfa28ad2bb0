"""Tills whose clocks are hours off (one 5 h fast, one 7 h slow) push their sales.

A till stamps each sale with its own clock (`created_at`) and each push with its clock at
sending (`sent_at`). The server measures the till's offset from `sent_at` and places each sale
at its moment on the server's clock: the order list, the business day (sales-by-day reports)
and the prices of the day follow the server's time, and the till's own reading is kept on the
sale's `clock_skew` flag for a manager. A sale made offline hours ago on a till with a right
clock keeps its time. Shifts (X and Z reports) take a sale into the shift open when it arrives,
whatever the clocks say, and the change feed is numbered by the server alone.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Live
from tests.trust.tills import make_sales
from till.domain.locations import Location
from till.domain.sales import sale_moment
from till.storage.uow import UnitOfWork

FAST = timedelta(hours=5)
SLOW = timedelta(hours=-7)
#: A push takes well under this on the test machine; sale times are checked to within it.
SLACK = timedelta(seconds=20)


def _nyc(live: Live) -> Location:
    with UnitOfWork(live.engine) as uow:
        location = uow.reference.location("NYC")
    assert location is not None
    return location


def _at(sale: dict[str, Any], moment: datetime) -> dict[str, Any]:
    return {**sale, "created_at": moment.isoformat()}


def _push(
    client: httpx.Client, sales: list[dict[str, Any]], sent_at: datetime | None
) -> list[dict[str, Any]]:
    body: dict[str, Any] = {"sales": sales}
    if sent_at is not None:
        body["sent_at"] = sent_at.isoformat()
    answer = client.post("/api/sync/push", json=body)
    assert answer.status_code == 200, answer.text
    results = answer.json()["sales"]
    assert [r["status"] for r in results] == ["accepted"] * len(sales), results
    return list(results)


def _when(order: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(order["created_at"]).astimezone(UTC)


def _orders(client: httpx.Client) -> list[dict[str, Any]]:
    answer = client.get("/api/orders", params={"location_code": "NYC", "limit": 50})
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def _sales_by_day(client: httpx.Client) -> dict[str, int]:
    answer = client.get("/api/reports/sales-by-day", params={"location": "NYC"})
    assert answer.status_code == 200, answer.text
    return {str(day): int(sales) for day, sales, *_ in answer.json()["rows"]}


def _flag(client: httpx.Client, order_id: str) -> dict[str, Any]:
    answer = client.get("/api/admin/flags", params={"kind": "clock_skew"})
    assert answer.status_code == 200, answer.text
    [flag] = [f for f in answer.json() if f["order_id"] == order_id]
    return dict(flag["detail"])


def test_tills_hours_off_are_ordered_reported_and_counted_on_server_time(live: Live) -> None:
    nyc = _nyc(live)
    fast = make_sales(live, 2, tag="fast-till", register="NYC1", kinds=1)
    slow = make_sales(live, 1, tag="slow-till", register="NYC2", kinds=1)
    with live.sign_in("grace") as manager, live.sign_in("maya") as cashier:
        for register in ("NYC1", "NYC2"):
            assert (
                manager.post(f"/api/registers/{register}/shift", json={"opening_float": "100.00"}).status_code
                == 201
            )
        stock_cursor = manager.get("/api/sync/bootstrap").json()["feed_position"]
        now = datetime.now(UTC)
        # Made offline 30, 20 and 10 minutes ago, in this order; each till stamps its own clock.
        made = {
            fast[0]["idempotency_key"]: now - timedelta(minutes=30),
            slow[0]["idempotency_key"]: now - timedelta(minutes=20),
            fast[1]["idempotency_key"]: now - timedelta(minutes=10),
        }
        fast = [_at(s, made[s["idempotency_key"]] + FAST) for s in fast]
        slow = [_at(s, made[s["idempotency_key"]] + SLOW) for s in slow]
        results = _push(cashier, fast, datetime.now(UTC) + FAST) + _push(
            cashier, slow, datetime.now(UTC) + SLOW
        )
        ids = {r["idempotency_key"]: r["order_id"] for r in results}

        orders = [o for o in _orders(manager) if o["id"] in ids.values()]
        # Newest first by when the sales were made, not by what the tills' clocks said.
        assert [o["idempotency_key"] for o in orders] == sorted(made, key=made.__getitem__, reverse=True)
        for order in orders:
            real = made[order["idempotency_key"]]
            assert abs(_when(order) - real) < SLACK, "the sale is placed at its moment on the server's clock"
            assert "clock_skew" in order["flags"]
            till_time = datetime.fromisoformat(_flag(manager, order["id"])["till_time"])
            skew = FAST if order["register_code"] == "NYC1" else SLOW
            assert till_time == real + skew, "the till's own reading is kept for a manager"

        # Reports by business day count each sale on the day it was made, on the server's clock.
        expected_days = Counter(nyc.business_day(moment).isoformat() for moment in made.values())
        by_day = _sales_by_day(manager)
        assert {day: by_day.get(day, 0) for day in expected_days} == dict(expected_days)
        assert sum(by_day.values()) == 3

        # Shifts take the sales that arrived while they were open, whatever the clocks say.
        assert manager.get("/api/registers/NYC1/shift").json()["sales_count"] == 2
        assert manager.get("/api/registers/NYC2/shift").json()["sales_count"] == 1
        closed = manager.post("/api/registers/NYC1/shift/close", json={"counted_cash": "100.00"})
        assert closed.status_code == 200, closed.text
        assert closed.json()["kind"] == "Z" and closed.json()["sales_count"] == 2

        # The change feed is numbered by the server: the stock the sales moved comes after the
        # cursor taken before them, whatever the tills' clocks said.
        page = manager.get("/api/sync/stock", params={"location": "NYC", "cursor": stock_cursor}).json()
        sold = {line["sku"] for sale in fast + slow for line in sale["lines"]}
        assert sold <= {item["sku"] for item in page["items"]}


@pytest.mark.parametrize("skew", ["fast past midnight", "slow before midnight"])
def test_a_till_whose_clock_is_on_another_day_reports_on_the_servers_day(live: Live, skew: str) -> None:
    nyc = _nyc(live)
    now = datetime.now(UTC)
    local = nyc.local_time(now)
    midnight = datetime.combine(local.date(), datetime.min.time(), tzinfo=local.tzinfo)
    # Hours off, as far as it takes to put the till's clock an hour into the next (or previous) day.
    if skew.startswith("fast"):
        offset = (midnight + timedelta(days=1) - local) + timedelta(hours=1)
    else:
        offset = -((local - midnight) + timedelta(hours=1))
    till_day = nyc.business_day(now + offset)
    assert till_day != local.date()
    [sale] = make_sales(live, 1, tag="other-day", kinds=1)
    with live.sign_in("maya") as cashier, live.sign_in("grace") as manager:
        [result] = _push(cashier, [_at(sale, now + offset)], now + offset)
        [order] = [o for o in _orders(manager) if o["id"] == result["order_id"]]
        assert abs(_when(order) - now) < SLACK
        assert _sales_by_day(manager) == {local.date().isoformat(): 1}, f"not on the till's {till_day}"


def test_a_sale_made_offline_hours_ago_on_a_right_clock_keeps_its_time(live: Live) -> None:
    [sale] = make_sales(live, 1, tag="offline", kinds=1)
    made = datetime.now(UTC) - timedelta(hours=7)
    with live.sign_in("maya") as cashier, live.sign_in("grace") as manager:
        [result] = _push(cashier, [_at(sale, made)], datetime.now(UTC))
        [order] = [o for o in _orders(manager) if o["id"] == result["order_id"]]
    assert _when(order) == made.replace(microsecond=_when(order).microsecond)
    assert "clock_skew" not in order["flags"]


def test_without_the_tills_clock_a_sale_from_the_future_is_placed_when_it_arrives(live: Live) -> None:
    sales = make_sales(live, 2, tag="no-clock", kinds=1)
    now = datetime.now(UTC)
    future, past = _at(sales[0], now + FAST), _at(sales[1], now + SLOW)
    with live.sign_in("maya") as cashier, live.sign_in("grace") as manager:
        answers = [cashier.post("/api/orders", json=sale) for sale in (future, past)]
        assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
        orders = {o["id"]: o for o in _orders(manager)}
        ahead, behind = (orders[a.json()["order_id"]] for a in answers)
        # A sale cannot be made after the server received it: it is placed when it arrived.
        assert abs(_when(ahead) - now) < SLACK and "clock_skew" in ahead["flags"]
        assert datetime.fromisoformat(_flag(manager, ahead["id"])["till_time"]) == now + FAST
        # Seven hours ago may be a sale made offline: without the till's clock it keeps its time.
        assert (
            abs(_when(behind) - (now + SLOW)) < timedelta(seconds=1) and "clock_skew" not in behind["flags"]
        )


ARRIVED = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("made_at", "till_clock", "placed_at"),
    [
        # 5 h fast, made 10 minutes before sending: 10 minutes before it arrived.
        (ARRIVED + FAST - timedelta(minutes=10), ARRIVED + FAST, ARRIVED - timedelta(minutes=10)),
        # 7 h slow, likewise.
        (ARRIVED + SLOW - timedelta(minutes=10), ARRIVED + SLOW, ARRIVED - timedelta(minutes=10)),
        # A minute off is within the tolerance: the till's time stands.
        (ARRIVED - timedelta(minutes=9), ARRIVED + timedelta(minutes=1), ARRIVED - timedelta(minutes=9)),
        # Made offline seven hours ago on a right clock: kept.
        (ARRIVED + SLOW, ARRIVED, ARRIVED + SLOW),
        # No reading: the past stands (it may be offline), the future is placed at the arrival.
        (ARRIVED + SLOW, None, ARRIVED + SLOW),
        (ARRIVED + FAST, None, ARRIVED),
        # The clock was put right between the sale and the push: still not after its arrival.
        (ARRIVED + FAST, ARRIVED, ARRIVED),
    ],
)
def test_sale_moment_places_a_sale_on_the_servers_clock(
    made_at: datetime, till_clock: datetime | None, placed_at: datetime
) -> None:
    assert sale_moment(made_at, ARRIVED, till_clock) == placed_at
