"""Two tills on one register never make the same receipt number (issue 12 item 16).

Seen: a second till set up on a register while the first still held offline sales went on from
the register's newest number on the server, reused the first till's offline numbers, and the
first till's sale was refused as "receipt number already used". Now each device gets its own
series on its register when it is registered (`NYC1-A-…`, `NYC1-B-…`); a till numbers from 1 in
its series, so no number made offline can be another till's. Old numbers (`NYC1-000042`) are
still accepted.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.e2e.conftest import Live
from tests.trust.tills import make_sales
from till.api.app import create_app
from till.settings import Settings


def _register_till(live: Live, register: str = "NYC1") -> dict[str, Any]:
    with live.sign_in("grace") as grace:
        answer = grace.post(
            "/api/devices", json={"name": f"till {uuid.uuid4().hex[:6]}", "register_code": register}
        )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _sign_in_on(live: Live, device: dict[str, Any]) -> str:
    maya = live.store.staff_member("maya")
    with live.client(device_token=device["device_token"]) as till:
        answer = till.post("/api/auth/pin", json={"username": "maya", "pin": maya.pin})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


def test_two_tills_on_one_register_selling_offline_never_collide(live: Live) -> None:
    first = _register_till(live)
    # The first till sells offline (nothing pushed yet) while a second is set up on the register.
    first_sales = make_sales(live, 3, tag=f"a-{uuid.uuid4().hex[:6]}")
    second = _register_till(live)
    second_sales = make_sales(live, 3, tag=f"b-{uuid.uuid4().hex[:6]}")
    assert first["receipt_series"] != second["receipt_series"]
    for device, sales in ((first, first_sales), (second, second_sales)):
        for n, sale in enumerate(sales, start=1):
            sale["receipt_number"] = f"NYC1-{device['receipt_series']}-{n:06d}"
    # The second till pushes first, then the first comes back online.
    results = []
    for device, sales in ((second, second_sales), (first, first_sales)):
        with live.client(_sign_in_on(live, device), device_token=device["device_token"]) as till:
            answer = till.post("/api/sync/push", json={"sales": sales})
        assert answer.status_code == 200, answer.text
        results += answer.json()["sales"]
    assert [r["status"] for r in results] == ["accepted"] * 6, results
    assert len({r["receipt_number"] for r in results}) == 6


def test_series_are_given_in_order_and_old_numbers_are_still_accepted(live: Live) -> None:
    series = [_register_till(live, "NYC2")["receipt_series"] for _ in range(3)]
    assert all(re.fullmatch(r"[A-Z]{1,3}", s) for s in series)
    assert len(set(series)) == 3
    [old] = make_sales(live, 1, tag=f"old-{uuid.uuid4().hex[:6]}")
    old["receipt_number"] = "NYC1-770001"
    with live.sign_in("maya") as till:
        [result] = till.post("/api/sync/push", json={"sales": [old]}).json()["sales"]
    assert result["status"] == "accepted", result


def test_the_openapi_pattern_takes_both_forms() -> None:
    spec = create_app(Settings(database_url="sqlite://", web_dist="/nonexistent")).openapi()
    pattern = spec["components"]["schemas"]["SaleIn"]["properties"]["receipt_number"]["pattern"]
    assert re.fullmatch(pattern.strip("^$"), "NYC1-000042")
    assert re.fullmatch(pattern.strip("^$"), "NYC1-B-000042")
    assert not re.fullmatch(pattern.strip("^$"), "NYC1-b-000042")
    assert "receipt_series" in spec["components"]["schemas"]["DeviceRegistered"]["required"]
