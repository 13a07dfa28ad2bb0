"""Stock levels and adjustments, customers, and who may read which orders, over HTTP."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx

from tests.e2e.conftest import Live, priced, sale_payload

#: Seeded in the demo store: none at the Manhattan shop, four at the warehouse.
WEEKENDER = "ACC-WEEKENDER-LTH"
#: Seeded sold out everywhere.
SKILLET = "HOME-SKILLET"


def _key(prefix: str = "sale") -> str:
    return f"{prefix}-{uuid.uuid4()}"


def _sources(live: Live) -> tuple[str, str]:
    by_code = {loc.code: loc.source_code for loc in live.store.locations}
    return by_code["NYC"], by_code["WH"]


def _stock(client: httpx.Client, sku: str) -> dict[str, Any]:
    answer = client.get(f"/api/stock/{sku}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def _levels(client: httpx.Client, sku: str) -> dict[str, Decimal]:
    return {s["source_code"]: Decimal(s["quantity"]) for s in _stock(client, sku)["sources"]}


def _salable(client: httpx.Client, sku: str) -> dict[str, Decimal]:
    return {code: Decimal(qty) for code, qty in _stock(client, sku)["salable_by_location"].items()}


def _in_stock_sku(client: httpx.Client, nyc_source: str) -> str:
    found = client.get("/api/products", params={"q": "a", "limit": 200}).json()
    for product in found:
        if product["type"] != "simple" or Decimal(product["price"]) <= 0:
            continue
        levels = _stock(client, product["sku"])["sources"]
        if any(
            s["source_code"] == nyc_source and s["in_stock"] and Decimal(s["quantity"]) >= 5 for s in levels
        ):
            return str(product["sku"])
    raise AssertionError("the demo store has no simple product with stock in NYC")


def _adjust(client: httpx.Client, **body: Any) -> httpx.Response:
    return client.post("/api/stock/adjustments", json=body)


# --- stock -----------------------------------------------------------------------------------


def test_stock_of_a_sku_across_sources_and_salable_by_location(live: Live) -> None:
    nyc, wh = _sources(live)
    with live.sign_in("maya") as till:
        stock = _stock(till, WEEKENDER)
    assert stock["sku"] == WEEKENDER
    levels = {s["source_code"]: s for s in stock["sources"]}
    assert set(levels) == {nyc, wh}
    assert Decimal(levels[nyc]["quantity"]) == 0
    assert levels[nyc]["in_stock"] is False
    assert Decimal(levels[wh]["quantity"]) == 4
    assert levels[wh]["in_stock"] is True
    assert all(s["source_name"] for s in stock["sources"])
    assert {k: Decimal(v) for k, v in stock["salable_by_location"].items()} == {"NYC": 0, "WH": 4}


def test_an_unknown_sku_is_404(live: Live) -> None:
    nyc, _ = _sources(live)
    with live.sign_in("maya") as till:
        read = till.get("/api/stock/NO-SUCH-SKU")
    with live.sign_in("grace") as manager:
        adjusted = _adjust(manager, sku="NO-SUCH-SKU", source_code=nyc, reason="receive", quantity="5")
    assert read.status_code == 404
    assert "NO-SUCH-SKU" in read.json()["detail"]
    assert adjusted.status_code == 404
    assert "NO-SUCH-SKU" in adjusted.json()["detail"]


def test_a_cashier_cannot_adjust_stock(live: Live) -> None:
    nyc, _ = _sources(live)
    with live.sign_in("maya") as till:
        sku = _in_stock_sku(till, nyc)
        before = _levels(till, sku)
        denied = _adjust(till, sku=sku, source_code=nyc, reason="count", quantity="0")
        after = _levels(till, sku)
    assert denied.status_code == 403
    assert "stock adjust" in denied.json()["detail"]
    assert after == before


def test_a_managers_count_damage_receive_and_transfer_change_sources_exactly(live: Live) -> None:
    nyc, wh = _sources(live)
    with live.sign_in("grace") as manager:
        sku = _in_stock_sku(manager, nyc)
        start = _levels(manager, sku)

        assert (
            _adjust(
                manager, sku=sku, source_code=nyc, reason="count", quantity="7", note="shelf count"
            ).status_code
            == 204
        )
        counted = _levels(manager, sku)
        assert _adjust(manager, sku=sku, source_code=nyc, reason="damage", quantity="2").status_code == 204
        damaged = _levels(manager, sku)
        assert _adjust(manager, sku=sku, source_code=nyc, reason="receive", quantity="10").status_code == 204
        received = _levels(manager, sku)
        moved = _adjust(manager, sku=sku, source_code=nyc, reason="transfer", quantity="3", to_source_code=wh)
        assert moved.status_code == 204, moved.text
        transferred = _levels(manager, sku)
        assert (
            _adjust(manager, sku=sku, source_code=wh, reason="correction", quantity="-1").status_code == 204
        )
        corrected = _levels(manager, sku)
        salable = _salable(manager, sku)

    assert counted == {nyc: Decimal(7), wh: start[wh]}
    assert damaged == {nyc: Decimal(5), wh: start[wh]}
    assert received == {nyc: Decimal(15), wh: start[wh]}
    assert transferred == {nyc: Decimal(12), wh: start[wh] + 3}
    assert corrected == {nyc: Decimal(12), wh: start[wh] + 2}
    assert salable == {"NYC": Decimal(12), "WH": start[wh] + 2}


def test_received_stock_of_a_sold_out_item_becomes_salable(live: Live) -> None:
    nyc, _ = _sources(live)
    with live.sign_in("grace") as manager:
        assert _salable(manager, SKILLET)["NYC"] == 0
        received = _adjust(manager, sku=SKILLET, source_code=nyc, reason="receive", quantity="6")
        assert received.status_code == 204, received.text
        levels = _levels(manager, SKILLET)
        salable = _salable(manager, SKILLET)
    assert levels[nyc] == 6
    assert salable["NYC"] == 6


def test_bad_adjustments_are_422_and_change_nothing(live: Live) -> None:
    nyc, wh = _sources(live)
    with live.sign_in("grace") as manager:
        sku = _in_stock_sku(manager, nyc)
        before = _levels(manager, sku)
        refused = [
            _adjust(manager, **body)
            for body in (
                {"sku": sku, "source_code": nyc, "reason": "stolen", "quantity": "1"},
                {"sku": sku, "source_code": nyc, "reason": "receive", "quantity": 1.5},
                {"sku": sku, "source_code": nyc, "reason": "receive", "quantity": "1.00001"},
                {"sku": sku, "source_code": nyc, "reason": "receive", "quantity": "-3"},
                {"sku": sku, "source_code": nyc, "reason": "damage", "quantity": "0"},
                {"sku": sku, "source_code": nyc, "reason": "count", "quantity": "-1"},
                {"sku": sku, "source_code": nyc, "reason": "transfer", "quantity": "2"},
                {
                    "sku": sku,
                    "source_code": nyc,
                    "reason": "transfer",
                    "quantity": "2",
                    "to_source_code": nyc,
                },
                {"sku": sku, "source_code": nyc, "reason": "receive", "quantity": "2", "to_source_code": wh},
                {"sku": sku, "source_code": nyc, "reason": "receive", "quantity": "2", "who": "me"},
                {"sku": sku, "source_code": nyc, "reason": "receive"},
                {"sku": sku, "reason": "receive", "quantity": "2"},
            )
        ]
        unknown_source = _adjust(manager, sku=sku, source_code="mars", reason="receive", quantity="2")
        after = _levels(manager, sku)
    for answer in refused:
        assert answer.status_code == 422, (answer.request.content, answer.text)
        assert answer.json()["detail"]
    assert "stolen" in str(refused[0].json()["detail"]) or "reason" in str(refused[0].json()["detail"])
    assert "decimal strings" in str(refused[1].json()["detail"])
    assert unknown_source.status_code == 404
    assert after == before


def test_a_sale_lowers_salable_only_where_it_was_sold(live: Live) -> None:
    nyc, _ = _sources(live)
    with live.sign_in("admin") as admin:
        sku = _in_stock_sku(admin, nyc)
        product = admin.get(f"/api/products/{sku}").json()
        before = _salable(admin, sku)
    line = {"sku": sku, "qty": "2", "unit_price": product["price"]}
    sale = priced(live, sale_payload(live, key=_key(), receipt="NYC1-000501", lines=[line]))
    with live.sign_in("maya") as till:
        [result] = till.post("/api/sync/push", json={"sales": [sale]}).json()["sales"]
        after = _salable(till, sku)
    assert result["status"] == "accepted", result
    assert after == {"NYC": before["NYC"] - 2, "WH": before["WH"]}


def test_a_sold_out_item_sold_offline_stays_oversold_until_stock_arrives(live: Live) -> None:
    nyc, _ = _sources(live)
    with live.sign_in("admin") as admin:
        product = admin.get(f"/api/products/{SKILLET}").json()
    line = {"sku": SKILLET, "qty": "3", "unit_price": product["price"]}
    sale = priced(live, sale_payload(live, key=_key(), receipt="NYC1-000502", lines=[line]))
    with live.sign_in("maya") as till:
        [result] = till.post("/api/sync/push", json={"sales": [sale]}).json()["sales"]
    with live.sign_in("grace") as manager:
        oversold = _salable(manager, SKILLET)
        levels = _levels(manager, SKILLET)
        _adjust(manager, sku=SKILLET, source_code=nyc, reason="receive", quantity="5")
        received = _salable(manager, SKILLET)
    assert result["status"] == "accepted" and "oversold" in result["flags"], result
    assert levels[nyc] == -3  # shipped from the shelf: the units are owed
    assert oversold["NYC"] == -3
    assert received["NYC"] == 2


# --- customers --------------------------------------------------------------------------------


def _new_customer(email: str, client_key: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email": email,
        "firstname": "Ada",
        "lastname": "Lovelace",
        "phone": "+1 212-555-0199",
    }
    if client_key is not None:
        body["client_key"] = client_key
    return {**body, **extra}


def test_customer_search_by_name_email_and_phone(live: Live) -> None:
    with live.sign_in("maya") as till:
        by_first = till.get("/api/customers", params={"q": "olivia"})
        by_full = till.get("/api/customers", params={"q": "Olivia Smith"})
        by_mail = till.get("/api/customers", params={"q": "olivia.smith@"})
        by_phone = till.get("/api/customers", params={"q": "212-555-0100"})
        nobody = till.get("/api/customers", params={"q": "zzzz-nobody"})
        limited = till.get("/api/customers", params={"q": "example", "limit": 3})
        empty = till.get("/api/customers", params={"q": ""})
    for answer in (by_first, by_full, by_mail, by_phone, nobody, limited):
        assert answer.status_code == 200, answer.text
    assert {c["email"] for c in by_first.json()} >= {"olivia.smith@example.com"}
    assert [c["email"] for c in by_full.json()] == ["olivia.smith@example.com"]
    assert [c["email"] for c in by_mail.json()] == ["olivia.smith@example.com"]
    [olivia] = by_phone.json()
    assert olivia["firstname"] == "Olivia"
    assert olivia["lastname"] == "Smith"
    assert nobody.json() == []
    assert len(limited.json()) == 3
    assert empty.status_code == 422


def test_creating_a_customer_twice_with_one_client_key_makes_one_customer(live: Live) -> None:
    key = _key("cust")
    body = _new_customer("ada.lovelace@example.com", key)
    with live.sign_in("maya") as till:
        first = till.post("/api/customers", json=body)
        again = till.post("/api/customers", json=body)
        found = till.get("/api/customers", params={"q": "lovelace"}).json()
        fetched = till.get(f"/api/customers/{first.json()['id']}")
    assert first.status_code == 201, first.text
    assert again.status_code in (200, 201), again.text
    assert again.json()["id"] == first.json()["id"]
    assert [c["id"] for c in found] == [first.json()["id"]]
    assert fetched.status_code == 200
    assert fetched.json()["email"] == "ada.lovelace@example.com"
    assert fetched.json()["group_id"] == 1


def test_a_second_customer_with_a_known_email_is_409(live: Live) -> None:
    with live.sign_in("maya") as till:
        created = till.post("/api/customers", json=_new_customer("ada@example.com", _key("cust")))
        same = till.post("/api/customers", json=_new_customer("ada@example.com", _key("cust")))
        shouting = till.post("/api/customers", json=_new_customer("ADA@Example.COM"))
        seeded = till.post("/api/customers", json=_new_customer("olivia.smith@example.com"))
        found = till.get("/api/customers", params={"q": "ada@example.com"}).json()
    assert created.status_code == 201, created.text
    for answer in (same, shouting, seeded):
        assert answer.status_code == 409, answer.text
        assert "exists" in answer.json()["detail"]
    assert [c["id"] for c in found] == [created.json()["id"]]


def test_bad_customers_are_422_and_create_nothing(live: Live) -> None:
    with live.sign_in("maya") as till:
        refused = [
            till.post("/api/customers", json=body)
            for body in (
                _new_customer("not-an-email"),
                _new_customer("bad.group@example.com", group_id=4242),
                _new_customer("extra.field@example.com", vip=True),
                {"email": "no.names@example.com"},
                _new_customer("blank.name@example.com", firstname="   "),
                _new_customer("bad.key@example.com", client_key="short"),
            )
        ]
        found = till.get("/api/customers", params={"q": "lovelace"}).json()
    for answer in refused:
        assert answer.status_code == 422, (answer.request.content, answer.text)
        assert answer.json()["detail"]
    assert "e-mail" in str(refused[0].json()["detail"])
    assert "4242" in str(refused[1].json()["detail"])
    assert "vip" in str(refused[2].json()["detail"])
    assert found == []


def test_an_unknown_customer_is_404(live: Live) -> None:
    with live.sign_in("maya") as till:
        answer = till.get("/api/customers/99999999")
    assert answer.status_code == 404


# --- orders by location -------------------------------------------------------------------------


def test_a_nyc_cashier_cannot_read_wh_orders(live: Live) -> None:
    with live.sign_in("admin") as admin:
        found = admin.get("/api/products", params={"q": "a", "limit": 200}).json()
        product = next(
            p
            for p in found
            if p["type"] == "simple"
            and Decimal(p["price"]) > 0
            and p["special_price"] is None
            and not p["tier_prices"]
        )
    line = {"sku": product["sku"], "qty": "1", "unit_price": product["price"]}
    wh_sale = priced(
        live,
        sale_payload(live, key=_key(), receipt="WH1-000001", lines=[line], register="WH1", location="WH"),
    )
    nyc_sale = priced(live, sale_payload(live, key=_key(), receipt="NYC1-000601", lines=[line]))
    with live.sign_in("omar") as wh:
        [wh_result] = wh.post("/api/sync/push", json={"sales": [wh_sale]}).json()["sales"]
        assert wh.get(f"/api/orders/{wh_result['order_id']}").status_code == 200
    with live.sign_in("maya") as till:
        [nyc_result] = till.post("/api/sync/push", json={"sales": [nyc_sale]}).json()["sales"]
        one = till.get(f"/api/orders/{wh_result['order_id']}")
        refunds = till.get(f"/api/orders/{wh_result['order_id']}/refunds")
        by_location = till.get("/api/orders", params={"location_code": "WH"})
        mine = till.get("/api/orders")
        by_receipt = till.get("/api/orders", params={"receipt_number": "WH1-000001"})
    assert wh_result["status"] == "accepted", wh_result
    assert nyc_result["status"] == "accepted", nyc_result
    assert one.status_code in (403, 404)
    assert wh_result["receipt_number"] not in one.text
    assert refunds.status_code in (403, 404)
    assert by_location.status_code == 403
    assert mine.status_code == 200
    assert [o["id"] for o in mine.json()] == [nyc_result["order_id"]]
    assert by_receipt.status_code == 200
    assert by_receipt.json() == []
    with live.sign_in("grace") as manager:
        both = {o["id"] for o in manager.get("/api/orders").json()}
    assert both == {wh_result["order_id"], nyc_result["order_id"]}


def test_a_transfer_of_more_than_the_source_holds_is_refused(live: Live) -> None:
    nyc, wh = _sources(live)
    with live.sign_in("grace") as manager:
        before = _levels(manager, WEEKENDER)  # none at NYC, four at WH
        answer = _adjust(
            manager, sku=WEEKENDER, source_code=nyc, reason="transfer", quantity="10", to_source_code=wh
        )
        after = _levels(manager, WEEKENDER)
    assert answer.status_code == 422, answer.text
    assert after == before


def test_damage_of_more_than_the_source_holds_is_refused(live: Live) -> None:
    _, wh = _sources(live)
    with live.sign_in("grace") as manager:
        before = _levels(manager, WEEKENDER)
        answer = _adjust(manager, sku=WEEKENDER, source_code=wh, reason="damage", quantity="10")
        after = _levels(manager, WEEKENDER)
    assert answer.status_code == 422, answer.text
    assert after == before


# --- at once from many tills ------------------------------------------------------------------


def _at_once(
    live: Live, username: str, requests: list[tuple[str, str, dict[str, Any]]]
) -> list[httpx.Response]:
    with live.sign_in(username) as signed:
        token = signed.headers["Authorization"]

    def send(request: tuple[str, str, dict[str, Any]]) -> httpx.Response:
        method, path, body = request
        with httpx.Client(base_url=live.url, headers={"Authorization": token}, timeout=30) as client:
            return client.request(method, path, json=body)

    with ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(send, requests))


def test_racing_retries_of_one_new_customer_make_one_customer(live: Live) -> None:
    """A till that times out and retries while its first attempt is still running.

    Every answer must name the same customer: the retry is the same request, never a conflict.
    """
    for round_ in range(2):
        email = f"race.retry.{round_}@example.com"
        body = _new_customer(email, _key("cust"))
        answers = _at_once(live, "maya", [("POST", "/api/customers", body)] * 8)
        assert sorted(a.status_code for a in answers) == [200] * 7 + [201], [a.text[:100] for a in answers]
        assert len({a.json()["id"] for a in answers if a.status_code < 300}) == 1
        with live.sign_in("maya") as till:
            assert len(till.get("/api/customers", params={"q": email}).json()) == 1


def test_racing_creations_of_one_email_make_one_customer_and_409s(live: Live) -> None:
    for round_ in range(6):
        email = f"race.email.{round_}@example.com"
        bodies = [_new_customer(email, _key("cust")) for _ in range(4)] + [
            _new_customer(email) for _ in range(4)
        ]
        answers = _at_once(live, "maya", [("POST", "/api/customers", b) for b in bodies])
        assert sorted(a.status_code for a in answers) == [201] + [409] * 7, [a.text[:100] for a in answers]
        with live.sign_in("maya") as till:
            assert len(till.get("/api/customers", params={"q": email}).json()) == 1


def test_racing_adjustments_add_up_exactly(live: Live) -> None:
    nyc, wh = _sources(live)
    with live.sign_in("grace") as manager:
        sku = _in_stock_sku(manager, nyc)
        start = _levels(manager, sku)
    receive = {"sku": sku, "source_code": wh, "reason": "receive", "quantity": "1"}
    there = {"sku": sku, "source_code": nyc, "reason": "transfer", "quantity": "1", "to_source_code": wh}
    back = {"sku": sku, "source_code": wh, "reason": "transfer", "quantity": "2", "to_source_code": nyc}
    requests = [("POST", "/api/stock/adjustments", b) for b in [receive] * 4 + [there] * 4 + [back] * 4]
    answers = _at_once(live, "grace", requests)
    assert [a.status_code for a in answers] == [204] * 12, [a.text for a in answers]
    with live.sign_in("grace") as manager:
        end = _levels(manager, sku)
    assert end == {nyc: start[nyc] - 4 + 8, wh: start[wh] + 4 + 4 - 8}
