"""The back office's Today page over HTTP on each database: a manager's day of known sales
summed by the database, per location, per staff member and by item, in exact money."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tests.e2e.conftest import Live, priced, sale_payload
from tests.e2e.test_shifts_api import _price, _products, _push


def _sale(
    live: Live, lines: list[tuple[dict[str, Any], str]], receipt: str, who: str, location: str
) -> dict[str, Any]:
    register = {"NYC": "NYC1", "WH": "WH1"}[location]
    payload = sale_payload(
        live,
        key=f"sale-{uuid.uuid4()}",
        receipt=f"{register}-{receipt}",
        lines=[{"sku": p["sku"], "qty": qty, "unit_price": _price(p)} for p, qty in lines],
        register=register,
        location=location,
        staff_username=who,
        created_at=datetime.now(UTC).isoformat(),
    )
    return priced(live, payload)


def _total(*sales: dict[str, Any]) -> Decimal:
    return sum((Decimal(s["totals"]["grand_total"]) for s in sales), Decimal("0.00"))


def _average(total: Decimal, count: int) -> str:
    return str((total / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def test_a_managers_today_sums_the_days_sales_by_location_staff_and_item(live: Live) -> None:
    first, second = _products(live)[:2]
    maya_1 = _sale(live, [(first, "2")], "900001", "maya", "NYC")
    maya_2 = _sale(live, [(first, "1"), (second, "1")], "900002", "maya", "NYC")
    grace_1 = _sale(live, [(second, "1")], "900003", "grace", "NYC")
    omar_1 = _sale(live, [(first, "1")], "900004", "omar", "WH")
    with live.sign_in("maya") as till:
        _push(till, maya_1, maya_2)
        refused = till.get("/api/admin/today")
    with live.sign_in("grace") as manager:
        _push(manager, grace_1)
    with live.sign_in("omar") as wh:
        _push(wh, omar_1)
    with live.sign_in("grace") as manager:
        everywhere = manager.get("/api/admin/today")
        nyc = manager.get("/api/admin/today", params={"location": "NYC"})
    assert refused.status_code == 403
    assert everywhere.status_code == 200, everywhere.text
    day = everywhere.json()
    total = _total(maya_1, maya_2, grace_1, omar_1)
    assert day["currency"] == "USD"
    assert day["locale"] == "en-US"
    assert day["transactions"] == 4
    assert day["sales"] == f"{total:.2f}"
    assert day["net_sales"] == f"{total:.2f}"
    assert day["average_basket"] == _average(total, 4)
    by_place = {loc["code"]: loc for loc in day["locations"]}
    assert by_place["NYC"]["transactions"] == 3
    assert by_place["NYC"]["sales"] == f"{_total(maya_1, maya_2, grace_1):.2f}"
    assert by_place["WH"]["transactions"] == 1
    assert by_place["WH"]["sales"] == f"{_total(omar_1):.2f}"
    staff = {s["username"]: s for s in day["staff"]}
    assert staff["maya"]["transactions"] == 2
    assert staff["maya"]["sales"] == f"{_total(maya_1, maya_2):.2f}"
    assert staff["grace"]["sales"] == f"{_total(grace_1):.2f}"
    assert staff["omar"]["name"] == "Omar Haddad"
    top = day["top_items"]
    assert top[0]["sku"] == first["sku"]
    assert Decimal(top[0]["qty"]) == 4
    assert Decimal(top[1]["qty"]) == 2
    assert top[1]["sku"] == second["sku"]

    assert nyc.status_code == 200, nyc.text
    assert nyc.json()["transactions"] == 3
    assert [loc["code"] for loc in nyc.json()["locations"]] == ["NYC"]
    assert {s["username"] for s in nyc.json()["staff"]} == {"maya", "grace"}


def test_a_day_with_no_sales_is_zeros_and_another_shops_figures_are_refused(live: Live) -> None:
    with live.sign_in("grace") as manager:
        empty = manager.get("/api/admin/today", params={"location": "WH"})
    with live.sign_in("admin") as admin:
        unknown = admin.get("/api/admin/today", params={"location": "NOPE"})
    assert empty.status_code == 200, empty.text
    assert empty.json()["sales"] == "0.00"
    assert empty.json()["average_basket"] == "0.00"
    assert empty.json()["top_items"] == []
    assert unknown.status_code == 404
