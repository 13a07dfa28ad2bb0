"""Transfers between shops, deliveries and stock counts over HTTP, on each database."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from tests.e2e.conftest import Live, priced, sale_payload

D = Decimal


def _levels(client: httpx.Client, sku: str) -> dict[str, Decimal]:
    stock = client.get(f"/api/stock/{sku}").json()
    return {s["source_code"]: D(s["quantity"]) for s in stock["sources"]}


def _stock(client: httpx.Client, sku: str) -> dict[str, Any]:
    answer = client.get(f"/api/stock/{sku}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def _sources(live: Live) -> tuple[str, str]:
    by_code = {loc.code: loc.source_code for loc in live.store.locations}
    return by_code["NYC"], by_code["WH"]


def _skus_in_stock(client: httpx.Client, source: str, at_least: int, how_many: int) -> list[str]:
    found: list[str] = []
    for product in client.get("/api/products", params={"q": "a", "limit": 200}).json():
        if product["type"] != "simple" or D(product["price"]) <= 0:
            continue
        if _levels(client, product["sku"]).get(source, D(0)) >= at_least:
            found.append(str(product["sku"]))
            if len(found) == how_many:
                return found
    raise AssertionError(f"the demo store has too few skus with {at_least} at {source}")


def _sell(live: Live, sku: str, qty: int, receipt: str, *, at: datetime | None = None) -> None:
    with live.sign_in("maya") as till:
        price = till.get(f"/api/products/{sku}").json()["price"]
        line = {"sku": sku, "qty": str(qty), "unit_price": price}
        moment = (at or datetime.now(UTC)).isoformat()
        sale = priced(
            live,
            sale_payload(live, key=f"sale-{uuid.uuid4()}", receipt=receipt, lines=[line], created_at=moment),
        )
        [result] = till.post("/api/sync/push", json={"sales": [sale]}).json()["sales"]
    assert result["status"] == "accepted", result


def _ok(answer: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    return body


# --- transfers -------------------------------------------------------------------------------


def test_a_transfer_retried_at_each_step_moves_stock_once(live: Live) -> None:
    nyc, wh = _sources(live)
    with live.sign_in("grace") as manager:
        bag, mug = _skus_in_stock(manager, nyc, 4, 2)
        before = {sku: _levels(manager, sku) for sku in (bag, mug)}
        salable_before = {sku: _stock(manager, sku)["salable_by_location"] for sku in (bag, mug)}
        body = {
            "from_location": "NYC",
            "to_location": "WH",
            "lines": [{"sku": bag, "quantity": "3"}, {"sku": mug, "quantity": "2"}],
        }
        transfer = _ok(manager.post("/api/transfers", json=body), 201)
        assert transfer["state"] == "draft"
        # Two sends at once (a double tap) and one retried later: the stock leaves once.
        with ThreadPoolExecutor(2) as pool:
            sends = list(pool.map(lambda _: manager.post(f"/api/transfers/{transfer['id']}/send"), range(2)))
        assert [s.status_code for s in sends] == [200, 200], [s.text for s in sends]
        _ok(manager.post(f"/api/transfers/{transfer['id']}/send"))
        in_transit = _stock(manager, bag)
    assert _levels_of(in_transit)[nyc] == before[bag][nyc] - 3
    assert _levels_of(in_transit).get(wh, D(0)) == before[bag].get(wh, D(0))
    # In transit: visible at both ends, salable at neither.
    assert {k: D(v) for k, v in in_transit["in_transit_to"].items()} == {"WH": 3}
    assert D(in_transit["salable_by_location"]["NYC"]) == D(salable_before[bag]["NYC"]) - 3
    assert D(in_transit["salable_by_location"]["WH"]) == D(salable_before[bag]["WH"])
    with live.sign_in("omar") as receiver:
        arriving = receiver.get("/api/transfers", params={"location": "WH", "state": "sent"}).json()
        assert [t["id"] for t in arriving] == [transfer["id"]]
        # Two of three bags arrived; both mugs, one broken.
        receipt = {
            "scanned": [
                {"sku": bag, "quantity": "1"},
                {"sku": bag, "quantity": "1"},
                {"sku": mug, "quantity": "1"},
            ],
            "damaged": [{"sku": mug, "quantity": "1"}],
        }
        first = _ok(receiver.post(f"/api/transfers/{transfer['id']}/receive", json=receipt))
        again = _ok(receiver.post(f"/api/transfers/{transfer['id']}/receive", json=receipt))
        after = {sku: _levels(receiver, sku) for sku in (bag, mug)}
        done = _stock(receiver, bag)
    assert first == again and first["state"] == "received"
    lines = {line["sku"]: line for line in first["lines"]}
    assert D(lines[bag]["received"]) == 2 and _found(lines[bag]) == {"short": 1}
    assert D(lines[mug]["received"]) == 1 and _found(lines[mug]) == {"damaged": 1}
    assert after[bag][wh] == before[bag].get(wh, D(0)) + 2
    assert after[mug][wh] == before[mug].get(wh, D(0)) + 1
    assert after[bag][nyc] == before[bag][nyc] - 3 and after[mug][nyc] == before[mug][nyc] - 2
    assert done["in_transit_to"] == {}


def _found(line: dict[str, Any]) -> dict[str, Decimal]:
    return {d["kind"]: D(d["quantity"]) for d in line["discrepancies"]}


def _levels_of(stock: dict[str, Any]) -> dict[str, Decimal]:
    return {s["source_code"]: D(s["quantity"]) for s in stock["sources"]}


def test_who_may_send_and_receive_and_what_cannot_be_sent(live: Live) -> None:
    nyc, _ = _sources(live)
    with live.sign_in("grace") as manager:
        [bag] = _skus_in_stock(manager, nyc, 1, 1)
        held = _levels(manager, bag)[nyc]
        too_many = {
            "from_location": "NYC",
            "to_location": "WH",
            "lines": [{"sku": bag, "quantity": str(held + 1)}],
        }
        transfer = _ok(manager.post("/api/transfers", json=too_many), 201)
        refused = manager.post(f"/api/transfers/{transfer['id']}/send")
        same = manager.post("/api/transfers", json={**too_many, "to_location": "NYC"})
        early = manager.post(f"/api/transfers/{transfer['id']}/receive", json={"scanned": []})
        unchanged = _levels(manager, bag)[nyc]
    with live.sign_in("maya") as cashier:
        not_hers = cashier.post("/api/transfers", json=too_many)
        nothing = cashier.get(f"/api/transfers/{transfer['id']}")
    assert refused.status_code == 422 and "cannot be taken out" in refused.json()["detail"], refused.text
    assert unchanged == held
    assert same.status_code == 422 and "two different" in same.json()["detail"]
    assert early.status_code == 409, early.text
    assert not_hers.status_code == 403
    assert nothing.status_code == 200  # maya works at NYC, the sending end


# --- deliveries ------------------------------------------------------------------------------


def test_a_delivery_received_by_scanning_adds_what_arrived_once(live: Live) -> None:
    nyc, _ = _sources(live)
    with live.sign_in("grace") as manager:
        bag, mug = _skus_in_stock(manager, nyc, 1, 2)
        before = {sku: _levels(manager, sku)[nyc] for sku in (bag, mug)}
    with live.sign_in("grace") as manager:
        expected = _ok(
            manager.post(
                "/api/deliveries",
                json={
                    "location_code": "NYC",
                    "supplier": "Acme",
                    "reference": "PO-1",
                    "lines": [{"sku": bag, "quantity": "6"}],
                },
            ),
            201,
        )
    with live.sign_in("maya") as till:
        receipt = {"scanned": [{"sku": bag, "quantity": "5"}, {"sku": mug, "quantity": "2"}]}
        first = _ok(till.post(f"/api/deliveries/{expected['id']}/receive", json=receipt))
        _ok(till.post(f"/api/deliveries/{expected['id']}/receive", json=receipt))
        ad_hoc = _ok(till.post("/api/deliveries", json={"location_code": "NYC"}), 201)
        empty = till.post(f"/api/deliveries/{ad_hoc['id']}/receive", json={"scanned": []})
        _ok(
            till.post(
                f"/api/deliveries/{ad_hoc['id']}/receive", json={"scanned": [{"sku": mug, "quantity": "1"}]}
            )
        )
        after = {sku: _levels(till, sku)[nyc] for sku in (bag, mug)}
    lines = {line["sku"]: line for line in first["lines"]}
    assert _found(lines[bag]) == {"short": 1}
    assert _found(lines[mug]) == {"over": 2}
    assert empty.status_code == 422
    # The cashier stocks what was announced; the unannounced mugs wait for a manager.
    assert D(lines[bag]["held_for_manager"]) == 0 and D(lines[mug]["held_for_manager"]) == 2
    assert after == {bag: before[bag] + 5, mug: before[mug]}


def test_a_cashier_never_stocks_more_than_a_manager_announced_or_another_shop_sent(live: Live) -> None:
    """Red-team: an ad-hoc delivery of 500 and a 1-unit transfer received as 400 by cashiers."""
    nyc, _ = _sources(live)
    with live.sign_in("grace") as manager:
        [bag] = _skus_in_stock(manager, nyc, 2, 1)
        transfer = _ok(
            manager.post(
                "/api/transfers",
                json={"from_location": "NYC", "to_location": "WH", "lines": [{"sku": bag, "quantity": "1"}]},
            ),
            201,
        )
        _ok(manager.post(f"/api/transfers/{transfer['id']}/send"))
        salable = D(_stock(manager, bag)["salable_by_location"]["NYC"])
        wh_salable = D(_stock(manager, bag)["salable_by_location"]["WH"])
    with live.sign_in("maya") as cashier:
        announced = cashier.post(
            "/api/deliveries", json={"location_code": "NYC", "lines": [{"sku": bag, "quantity": "500"}]}
        )
        ad_hoc = _ok(cashier.post("/api/deliveries", json={"location_code": "NYC", "supplier": "me"}), 201)
        got = _ok(
            cashier.post(
                f"/api/deliveries/{ad_hoc['id']}/receive", json={"scanned": [{"sku": bag, "quantity": "500"}]}
            )
        )
        after_delivery = D(_stock(cashier, bag)["salable_by_location"]["NYC"])
    with live.sign_in("omar") as wh_cashier:
        over = _ok(
            wh_cashier.post(
                f"/api/transfers/{transfer['id']}/receive",
                json={"scanned": [{"sku": bag, "quantity": "400"}]},
            )
        )
        after_transfer = D(_stock(wh_cashier, bag)["salable_by_location"]["WH"])
    assert announced.status_code == 403, announced.text  # announcing a delivery is a manager's
    assert after_delivery == salable
    [line] = got["lines"]
    assert _found(line) == {"over": 500} and D(line["held_for_manager"]) == 500
    assert after_transfer == wh_salable + 1
    [line] = over["lines"]
    assert _found(line) == {"over": 399} and D(line["held_for_manager"]) == 399


def test_a_manager_receiving_stocks_what_arrived_beyond_what_was_announced(live: Live) -> None:
    nyc, _ = _sources(live)
    with live.sign_in("grace") as manager:
        [bag] = _skus_in_stock(manager, nyc, 1, 1)
        before = _levels(manager, bag)[nyc]
        ad_hoc = _ok(manager.post("/api/deliveries", json={"location_code": "NYC"}), 201)
        got = _ok(
            manager.post(
                f"/api/deliveries/{ad_hoc['id']}/receive", json={"scanned": [{"sku": bag, "quantity": "4"}]}
            )
        )
        after = _levels(manager, bag)[nyc]
    [line] = got["lines"]
    assert _found(line) == {"over": 4} and D(line["held_for_manager"]) == 0
    assert after == before + 4


# --- counts ----------------------------------------------------------------------------------


def test_a_blind_count_with_sales_during_it_loses_no_sale(live: Live) -> None:
    nyc, _ = _sources(live)
    with live.sign_in("grace") as manager:
        [bag] = _skus_in_stock(manager, nyc, 6, 1)
        start = _levels(manager, bag)[nyc]
        count = _ok(
            manager.post("/api/stock-counts", json={"location_code": "NYC", "kind": "cycle", "skus": [bag]}),
            201,
        )
    _sell(live, bag, 2, "NYC1-007001")  # before the counter reaches the shelf
    with live.sign_in("maya") as counter:
        seen = _ok(counter.get(f"/api/stock-counts/{count['id']}"))
        # The shelf holds the book less the two sold, less one gone missing.
        on_shelf = start - 2 - 1
        _ok(counter.put(f"/api/stock-counts/{count['id']}/lines/{bag}", json={"counted": str(on_shelf)}))
        time.sleep(1.1)  # MariaDB keeps whole seconds: the next sale is plainly after the scan
        _sell(live, bag, 1, "NYC1-007002")  # after the scan: the shelf and the book both lose it
        early = counter.post(f"/api/stock-counts/{count['id']}/approve")
        _ok(counter.post(f"/api/stock-counts/{count['id']}/submit"))
    with live.sign_in("grace") as manager:
        review = _ok(manager.get(f"/api/stock-counts/{count['id']}"))
        approved = _ok(manager.post(f"/api/stock-counts/{count['id']}/approve"))
        _ok(manager.post(f"/api/stock-counts/{count['id']}/approve"))  # retried: adjusted once
        end = _levels(manager, bag)[nyc]
    [blind] = seen["lines"]
    assert blind == {
        "sku": bag,
        "counted": None,
        "scanned_at": None,
        "snapshot": None,
        "moved_since_start": None,
        "sold_late": None,
        "expected": None,
        "variance": None,
    }
    assert early.status_code == 403
    [line] = review["lines"]
    assert (D(line["snapshot"]), D(line["moved_since_start"]), D(line["expected"])) == (start, -2, start - 2)
    assert D(line["counted"]) == on_shelf and D(line["variance"]) == -1
    assert approved["state"] == "approved"
    # The shelf: start − 2 sold − 1 missing − 1 sold after the scan. No sale is lost.
    assert end == start - 2 - 1 - 1 == on_shelf - 1


def test_a_sale_made_offline_before_the_scan_and_pushed_after_it_is_not_counted_twice(live: Live) -> None:
    nyc, _ = _sources(live)
    with live.sign_in("grace") as manager:
        [bag] = _skus_in_stock(manager, nyc, 3, 1)
        start = _levels(manager, bag)[nyc]
        count = _ok(manager.post("/api/stock-counts", json={"location_code": "NYC", "kind": "full"}), 201)
    sold_at = datetime.now(UTC) - timedelta(seconds=5)  # the till was offline: the shelf is short 2
    with live.sign_in("maya") as counter:
        _ok(counter.put(f"/api/stock-counts/{count['id']}/lines/{bag}", json={"counted": str(start - 2)}))
        time.sleep(1.1)
        _sell(live, bag, 2, "NYC1-007003", at=sold_at)  # reaches the server after the scan
        _ok(counter.post(f"/api/stock-counts/{count['id']}/submit"))
    with live.sign_in("grace") as manager:
        approved = _ok(manager.post(f"/api/stock-counts/{count['id']}/approve"))
        end = _levels(manager, bag)[nyc]
    line = next(ln for ln in approved["lines"] if ln["sku"] == bag)
    assert (D(line["sold_late"]), D(line["variance"])) == (2, 0)
    assert end == start - 2
