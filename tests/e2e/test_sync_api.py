"""The sync protocol over HTTP on each database: bootstrap, paged pulls, pushes, live events."""

from __future__ import annotations

import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx

from tests.e2e.conftest import Live, priced, sale_payload
from till.domain.staff import DISCOUNT_LIMITS, ROLE_PERMISSIONS, Permission, Role
from till.services.sync import DATASETS


def _key(prefix: str = "sale") -> str:
    return f"{prefix}-{uuid.uuid4()}"


def _pull(
    client: httpx.Client, dataset: str, cursor: int, location: str = "NYC", limit: int | None = None
) -> dict[str, Any]:
    params: dict[str, Any] = {"location": location, "cursor": cursor}
    if limit is not None:
        params["limit"] = limit
    answer = client.get(f"/api/sync/{dataset}", params=params)
    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert page["dataset"] == dataset
    return page


def _pull_all(
    client: httpx.Client, dataset: str, location: str = "NYC", limit: int = 50
) -> tuple[list[dict[str, Any]], int, int]:
    """Every item of a data set from cursor 0, page by page; (items, final cursor, pages)."""
    items: list[dict[str, Any]] = []
    cursor, pages = 0, 0
    while True:
        page = _pull(client, dataset, cursor, location, limit)
        pages += 1
        assert len(page["items"]) <= limit
        assert page["cursor"] >= cursor
        items += page["items"]
        cursor = page["cursor"]
        if not page["has_more"]:
            return items, cursor, pages
        assert pages < 1000, "the pull never ends"


def _plain_product(client: httpx.Client) -> dict[str, Any]:
    """A simple product in stock at NYC, at one price for everybody."""
    found = client.get("/api/products", params={"q": "a", "limit": 200}).json()
    for product in found:
        if product["type"] != "simple" or Decimal(product["price"]) <= 0:
            continue
        if product["special_price"] is not None or product["tier_prices"]:
            continue
        salable = client.get(f"/api/stock/{product['sku']}").json()["salable_by_location"]
        if Decimal(salable["NYC"]) >= 5:
            return product
    raise AssertionError("no plain product in the demo store")


def _sale(live: Live, product: dict[str, Any], receipt: str, qty: str = "1", **extra: Any) -> dict[str, Any]:
    line = {"sku": product["sku"], "qty": qty, "unit_price": product["price"]}
    return priced(live, sale_payload(live, key=_key(), receipt=receipt, lines=[line], **extra))


def _customer(email: str, key: str, **extra: Any) -> dict[str, Any]:
    return {"email": email, "firstname": "Grace", "lastname": "Hopper", "client_key": key, **extra}


# --- bootstrap and pulls --------------------------------------------------------------------------


def test_bootstrap_gives_the_tills_reference_data_for_its_locations(live: Live) -> None:
    with live.sign_in("maya") as till:
        answer = till.get("/api/sync/bootstrap")
    with live.sign_in("admin") as admin:
        everything = admin.get("/api/sync/bootstrap").json()
    with live.client() as anonymous:
        refused = anonymous.get("/api/sync/bootstrap")
    assert answer.status_code == 200, answer.text
    boot = answer.json()
    assert [loc["code"] for loc in boot["locations"]] == ["NYC"]
    assert boot["locations"][0]["currency"] == "USD"
    assert sorted(r["code"] for r in boot["registers"]) == ["NYC1", "NYC2"]
    assert sorted(loc["code"] for loc in everything["locations"]) == ["NYC", "WH"]
    assert sorted(r["code"] for r in everything["registers"]) == ["NYC1", "NYC2", "WH1"]
    assert set(boot["datasets"]) >= {"products", "prices", "stock", "customers", "tax", "promotions", "staff"}
    assert boot["attributes"] and boot["categories"] and boot["attribute_sets"]
    assert 1 in {g["id"] for g in boot["customer_groups"]}
    assert boot["store"]["currency"] == "USD"
    assert isinstance(boot["feed_position"], int) and boot["feed_position"] > 0
    assert boot["roles"]["cashier"]["max_discount_percent"] == "10"
    assert "sell" in boot["roles"]["cashier"]["permissions"]
    assert "audit" in boot["roles"]["admin"]["permissions"]
    assert refused.status_code == 401


def test_bootstrap_carries_what_each_role_may_do_and_its_discount_limit(live: Live) -> None:
    # The till signs in offline and hides what a role may not do from this, not from a copy.
    with live.sign_in("maya") as till:
        roles = till.get("/api/sync/bootstrap").json()["roles"]
    assert set(roles) == {role.value for role in Role}
    for role in Role:
        assert roles[role.value] == {
            "permissions": [p.value for p in Permission if p in ROLE_PERMISSIONS[role]],
            "max_discount_percent": str(DISCOUNT_LIMITS[role]),
        }
    assert roles["cashier"]["max_discount_percent"] == "10"
    assert "refund" not in roles["cashier"]["permissions"] and "sell" in roles["cashier"]["permissions"]
    assert "audit" in roles["admin"]["permissions"] and "audit" not in roles["manager"]["permissions"]


def test_products_arrive_exactly_once_in_pages_and_the_final_cursor_is_quiet(live: Live) -> None:
    with live.sign_in("maya") as till:
        items, cursor, pages = _pull_all(till, "products", limit=50)
        again = _pull(till, "products", cursor, limit=50)
        boot = till.get("/api/sync/bootstrap").json()
    skus = [p["sku"] for p in items]
    assert len(skus) == len(set(skus)), "a product arrived twice"
    assert len(skus) == live.store.products
    assert pages >= -(-live.store.products // 50)
    assert {"ACC-WEEKENDER-LTH", "HOME-SKILLET"} <= set(skus)
    assert all(p["name"] and Decimal(p["price"]) >= 0 for p in items)
    assert again["items"] == []
    assert again["deleted"] == []
    assert again["has_more"] is False
    assert again["cursor"] == cursor
    assert cursor == boot["feed_position"]


def test_every_reference_data_set_reaches_a_fresh_till(live: Live) -> None:
    with live.sign_in("maya") as till:
        stock, _, _ = _pull_all(till, "stock", limit=500)
        customers, _, _ = _pull_all(till, "customers", limit=500)
        tax, _, _ = _pull_all(till, "tax", limit=500)
        promotions, _, _ = _pull_all(till, "promotions", limit=500)
        staff, _, _ = _pull_all(till, "staff", limit=500)
    assert len(stock) == live.store.sellable_products
    assert {s["stock_id"] for s in stock} == {2}  # only the NYC stock, each sku once
    assert len({s["sku"] for s in stock}) == len(stock)
    assert len(customers) == live.store.customers
    kinds = {t["kind"] for t in tax}
    assert kinds == {"config", "rate", "rule"}
    assert any(t["kind"] == "rate" and t["region"] == "NY" for t in tax)
    coupons = {p.get("coupon_code") for p in promotions}
    assert set(live.store.coupons) <= coupons
    assert {"WELCOME10", "SAVE5"} <= coupons
    # A NYC till learns who may sign in at NYC, never a hash (the offline PIN verifier only of
    # members who signed in on that till: tests/trust/test_offline_pins.py).
    assert sorted(s["username"] for s in staff) == ["admin", "grace", "maya"]
    assert all("pin_offline" in s and "pin_hash" not in s and "password_hash" not in s for s in staff)


def test_after_a_sale_the_stock_pull_from_the_last_cursor_has_the_new_salable(live: Live) -> None:
    with live.sign_in("admin") as admin:
        product = _plain_product(admin)
        before = Decimal(admin.get(f"/api/stock/{product['sku']}").json()["salable_by_location"]["NYC"])
    sale = _sale(live, product, "NYC1-000701", qty="3")
    with live.sign_in("omar") as wh:
        _, wh_cursor, _ = _pull_all(wh, "stock", location="WH", limit=500)
    with live.sign_in("maya") as till:
        _, cursor, _ = _pull_all(till, "stock", limit=500)
        [result] = till.post("/api/sync/push", json={"sales": [sale]}).json()["sales"]
        page = _pull(till, "stock", cursor)
        quiet = _pull(till, "stock", page["cursor"])
    with live.sign_in("omar") as wh:
        wh_page = _pull(wh, "stock", wh_cursor, location="WH")
    assert result["status"] == "accepted", result
    changed = {s["sku"]: s for s in page["items"]}
    assert set(changed) == {product["sku"]}
    assert changed[product["sku"]]["stock_id"] == 2
    assert Decimal(changed[product["sku"]]["salable"]) == before - 3
    assert page["cursor"] > cursor
    assert quiet["items"] == []
    # The warehouse's stock did not change: its till hears nothing of this sku.
    assert product["sku"] not in {s["sku"] for s in wh_page["items"]}
    assert wh_page["deleted"] == []


def test_a_new_customer_reaches_the_customers_pull(live: Live) -> None:
    with live.sign_in("maya") as till:
        _, cursor, _ = _pull_all(till, "customers", limit=500)
        created = till.post("/api/customers", json=_customer("new.one@example.com", _key("cust")))
        page = _pull(till, "customers", cursor)
    assert created.status_code == 201, created.text
    assert [c["id"] for c in page["items"]] == [created.json()["id"]]
    assert page["items"][0]["email"] == "new.one@example.com"


def _news(till: httpx.Client, cursors: dict[str, int], want: set[str], within: float) -> list[str]:
    """Ask which data sets changed until `want` are among them or `within` seconds pass."""
    deadline = time.monotonic() + within
    while True:
        answer = till.post("/api/sync/changes", json={"cursors": cursors})
        assert answer.status_code == 200, answer.text
        changed: list[str] = answer.json()["changed"]
        if want <= set(changed) or time.monotonic() > deadline:
            return changed
        time.sleep(0.1)


def test_one_question_names_the_data_sets_that_changed_after_the_tills_cursors(live: Live) -> None:
    with live.sign_in("maya") as till:
        pulled = {name: _pull_all(till, name, limit=500) for name in DATASETS}
        cursors = {name: cursor for name, (_, cursor, _) in pulled.items()}
        first = till.post("/api/sync/changes", json={"cursors": {}}).json()
        quiet = _news(till, cursors, set(), 0)
        product = _plain_product(till)
        [sold] = till.post("/api/sync/push", json={"sales": [_sale(live, product, "NYC1-001401")]}).json()[
            "sales"
        ]
        assert sold["status"] == "accepted", sold
        assert (
            till.post("/api/customers", json=_customer("news@example.com", _key("cust"))).status_code == 201
        )
        # Each process reads the heads at most every 2.5 s: the news is there within that.
        after = _news(till, cursors, {"stock", "customers"}, 3.0)
        refused = [
            till.post("/api/sync/changes", json={"cursors": {"planets": 0}}),
            till.post("/api/sync/changes", json={"cursors": {"stock": -1}}),
            till.post("/api/sync/changes", json={"cursors": {"stock": 1.5}}),
        ]
    # A fresh till hears of every data set that holds something, in pull order.
    assert first["changed"] == [name for name in DATASETS if pulled[name][0]]
    assert first["feed_position"] >= max(cursors.values())
    assert quiet == []
    assert after == ["stock", "customers"], after  # in the pull order of DATASETS
    assert [a.status_code for a in refused] == [422] * 3
    assert "planets" in refused[0].json()["detail"]
    with live.client() as anonymous:
        assert anonymous.post("/api/sync/changes", json={"cursors": {}}).status_code == 401


# --- push -------------------------------------------------------------------------------------


def test_a_customer_pushed_offline_is_attached_to_the_sale_that_names_it(live: Live) -> None:
    with live.sign_in("admin") as admin:
        product = _plain_product(admin)
    key = _key("cust")
    sale = _sale(live, product, "NYC1-000801", customer_key=key)
    batch = {
        "customers": [_customer("grace.hopper@example.com", key, phone="+1 212-555-0142")],
        "sales": [sale],
    }
    with live.sign_in("maya") as till:
        first = till.post("/api/sync/push", json=batch)
        replay = till.post("/api/sync/push", json=batch)
        found = till.get("/api/customers", params={"q": "hopper"}).json()
    assert first.status_code == 200, first.text
    [made] = first.json()["customers"]
    [sold] = first.json()["sales"]
    assert made["client_key"] == key
    assert made["created"] is True
    assert made["error"] is None
    assert sold["status"] == "accepted", sold
    assert replay.status_code == 200, replay.text
    [made_again] = replay.json()["customers"]
    [sold_again] = replay.json()["sales"]
    assert made_again["customer_id"] == made["customer_id"]
    assert made_again["created"] is False
    assert sold_again["status"] == "duplicate"
    assert sold_again["order_id"] == sold["order_id"]
    assert [c["id"] for c in found] == [made["customer_id"]]
    with live.sign_in("maya") as till:
        order = till.get(f"/api/orders/{sold['order_id']}").json()
    assert order["customer_id"] == made["customer_id"]


def test_a_pushed_customer_with_a_known_email_links_to_the_known_customer(live: Live) -> None:
    with live.sign_in("maya") as till:
        [olivia] = till.get("/api/customers", params={"q": "olivia.smith@"}).json()
        product = _plain_product(till)
    key = _key("cust")
    sale = _sale(live, product, "NYC1-000901", customer_key=key)
    offline = _customer("Olivia.Smith@example.com", key, firstname="Liv", lastname="Smith")
    with live.sign_in("maya") as till:
        answer = till.post("/api/sync/push", json={"customers": [offline], "sales": [sale]})
        replay = till.post("/api/sync/push", json={"customers": [offline], "sales": [sale]})
        found = till.get("/api/customers", params={"q": "smith@"}).json()
    assert answer.status_code == 200, answer.text
    [linked] = answer.json()["customers"]
    [sold] = answer.json()["sales"]
    assert linked["customer_id"] == olivia["id"]
    assert linked["created"] is False
    assert sold["status"] == "accepted", sold
    assert replay.json()["customers"][0]["customer_id"] == olivia["id"]
    assert replay.json()["sales"][0]["status"] == "duplicate"
    assert [c["id"] for c in found if c["email"] == "olivia.smith@example.com"] == [olivia["id"]]
    assert len([c for c in found if c["email"].lower() == "olivia.smith@example.com"]) == 1
    with live.sign_in("maya") as till:
        order = till.get(f"/api/orders/{sold['order_id']}").json()
    assert order["customer_id"] == olivia["id"]


def test_a_sale_naming_a_customer_never_pushed_is_rejected_and_kept(live: Live) -> None:
    with live.sign_in("admin") as admin:
        product = _plain_product(admin)
    sale = _sale(live, product, "NYC1-001001", customer_key=_key("cust"))
    with live.sign_in("maya") as till:
        [result] = till.post("/api/sync/push", json={"sales": [sale]}).json()["sales"]
        listed = till.get("/api/orders", params={"receipt_number": "NYC1-001001"}).json()
    assert result["status"] == "rejected"
    assert sale["customer_key"] in result["reason"]
    assert listed == []


def test_a_pushed_customer_that_cannot_be_saved_gets_an_error_not_a_500(live: Live) -> None:
    key = _key("cust")
    with live.sign_in("maya") as till:
        answer = till.post(
            "/api/sync/push",
            json={
                "customers": [_customer("no-at-sign", key), _customer("ok.person@example.com", _key("cust"))]
            },
        )
        found = till.get("/api/customers", params={"q": "no-at-sign"}).json()
    assert answer.status_code == 200, answer.text
    bad, good = answer.json()["customers"]
    assert bad["client_key"] == key
    assert bad["customer_id"] is None
    assert "e-mail" in bad["error"]
    assert good["created"] is True
    assert found == []


def test_malformed_pushes_are_422_and_change_nothing(live: Live) -> None:
    with live.sign_in("admin") as admin:
        product = _plain_product(admin)
    sale = _sale(live, product, "NYC1-001101")
    with live.sign_in("maya") as till:
        refused = [
            till.post("/api/sync/push", json=body)
            for body in (
                {"sales": [sale], "refunds": []},
                {"sales": [sale], "customers": [{"email": "half@example.com", "firstname": "Half"}]},
                {"sales": [sale], "customers": [_customer("x.y@example.com", _key("cust"), loyalty=3)]},
                {"sales": {"not": "a list"}},
            )
        ]
        not_json = till.post("/api/sync/push", content=b"[", headers={"Content-Type": "application/json"})
        listed = till.get("/api/orders", params={"receipt_number": "NYC1-001101"}).json()
        half = till.get("/api/customers", params={"q": "half@"}).json()
        xy = till.get("/api/customers", params={"q": "x.y@"}).json()
    for answer in [*refused, not_json]:
        assert answer.status_code == 422, (answer.request.content[:200], answer.text)
        assert answer.json()["detail"]
    assert "refunds" in str(refused[0].json()["detail"])
    assert "lastname" in str(refused[1].json()["detail"])
    assert "loyalty" in str(refused[2].json()["detail"])
    assert listed == []
    assert half == []
    assert xy == []


def test_a_float_amount_in_a_pushed_sale_is_rejected_with_a_message(live: Live) -> None:
    with live.sign_in("admin") as admin:
        product = _plain_product(admin)
    sale = _sale(live, product, "NYC1-001201")
    sale["payments"] = [{"method": "cash", "amount": float(sale["totals"]["grand_total"])}]
    with live.sign_in("maya") as till:
        answer = till.post("/api/sync/push", json={"sales": [sale]})
        listed = till.get("/api/orders", params={"receipt_number": "NYC1-001201"}).json()
    assert answer.status_code == 200, answer.text
    [result] = answer.json()["sales"]
    assert result["status"] == "rejected"
    assert "decimal strings" in result["reason"]
    assert listed == []


# --- refusals ---------------------------------------------------------------------------------


def test_pull_refusals_unknown_dataset_negative_cursor_foreign_location(live: Live) -> None:
    with live.sign_in("maya") as till:
        unknown = till.get("/api/sync/orders", params={"location": "NYC"})
        negative = till.get("/api/sync/products", params={"location": "NYC", "cursor": -1})
        huge = till.get("/api/sync/products", params={"location": "NYC", "limit": 100000})
        zero = till.get("/api/sync/products", params={"location": "NYC", "limit": 0})
        words = till.get("/api/sync/products", params={"location": "NYC", "cursor": "start"})
        no_location = till.get("/api/sync/products")
        foreign = till.get("/api/sync/products", params={"location": "WH"})
        foreign_events = till.get("/api/sync/events", params={"location": "WH"})
    with live.sign_in("admin") as admin:
        nowhere = admin.get("/api/sync/products", params={"location": "MARS"})
    with live.client() as anonymous:
        anonymous_pull = anonymous.get("/api/sync/products", params={"location": "NYC"})
    assert unknown.status_code == 404
    for answer in (negative, huge, zero, words, no_location):
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"]
    assert "cursor" in str(negative.json()["detail"])
    assert foreign.status_code == 403
    assert "WH" in foreign.json()["detail"]
    assert foreign_events.status_code == 403
    assert nowhere.status_code == 404
    assert "MARS" in nowhere.json()["detail"]
    assert anonymous_pull.status_code == 401


# --- live events ------------------------------------------------------------------------------


class _Listener:
    """Reads a Server-Sent Events stream on a thread and keeps every event with its arrival time."""

    def __init__(self, client: httpx.Client, location: str) -> None:
        self.client = client
        self.location = location
        self.events: list[tuple[str, dict[str, Any], float]] = []
        self.status: int | None = None
        self.ready = threading.Event()
        self.changed = threading.Condition()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            with self.client.stream("GET", "/api/sync/events", params={"location": self.location}) as answer:
                self.status = answer.status_code
                if answer.status_code != 200:
                    self.ready.set()
                    return
                event = "message"
                for line in answer.iter_lines():
                    if self.stop.is_set():
                        return
                    if line.startswith("event:"):
                        event = line[len("event:") :].strip()
                    elif line.startswith("data:"):
                        data = json.loads(line[len("data:") :].strip() or "{}")
                        # A `changes` event carries every entity of a dataset changed since
                        # the last one: keep each as (dataset, entity, arrival).
                        heard = (
                            [(data["dataset"], item) for item in data["items"]]
                            if event == "changes"
                            else [(event, data)]
                        )
                        with self.changed:
                            self.events.extend((kind, item, time.monotonic()) for kind, item in heard)
                            self.changed.notify_all()
                        if event == "ready":
                            self.ready.set()
                    elif not line:
                        event = "message"
        except httpx.HTTPError:
            pass
        finally:
            self.ready.set()

    def wait_for(self, predicate: Any, timeout: float) -> tuple[str, dict[str, Any], float] | None:
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for item in self.events:
                    if predicate(item):
                        return item
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.changed.wait(left)


def test_the_live_stream_tells_a_till_of_a_stock_change_within_two_seconds(live: Live) -> None:
    with live.sign_in("admin") as admin:
        product = _plain_product(admin)
        before = Decimal(admin.get(f"/api/stock/{product['sku']}").json()["salable_by_location"]["NYC"])
    # Sold at another till by the manager signed in there (a session sells as its own member).
    sale = _sale(live, product, "NYC1-001301", qty="2", staff_username="grace")
    listening = live.sign_in("maya")
    listener = _Listener(listening, "NYC")
    listener.thread.start()
    try:
        assert listener.ready.wait(10), "the event stream did not open"
        assert listener.status == 200
        with live.sign_in("grace") as other_till:
            started = time.monotonic()
            [result] = other_till.post("/api/sync/push", json={"sales": [sale]}).json()["sales"]
        assert result["status"] == "accepted", result
        heard = listener.wait_for(
            lambda e: e[0] == "stock" and e[1].get("sku") == product["sku"], timeout=2.5
        )
    finally:
        listener.stop.set()
        listening.close()
        listener.thread.join(timeout=5)
    assert heard is not None, f"no stock event for {product['sku']}: {listener.events}"
    _, data, arrived = heard
    assert arrived - started <= 2.0
    assert data["stock_id"] == 2
    stock_events = [e[1] for e in listener.events if e[0] == "stock" and e[1].get("sku") == product["sku"]]
    assert Decimal(stock_events[-1]["salable"]) == before - 2


def test_the_live_stream_announces_news_of_data_sets_it_does_not_carry(live: Live) -> None:
    listening = live.sign_in("maya")
    listener = _Listener(listening, "NYC")
    listener.thread.start()
    try:
        assert listener.ready.wait(10), "the event stream did not open"
        with live.sign_in("grace") as manager:
            started = time.monotonic()
            made = manager.post("/api/customers", json=_customer("stream@example.com", _key("cust")))
        assert made.status_code == 201, made.text
        heard = listener.wait_for(lambda e: e[0] == "news" and "customers" in e[1]["datasets"], timeout=2.5)
    finally:
        listener.stop.set()
        listening.close()
        listener.thread.join(timeout=5)
    assert heard is not None, f"no news of customers: {listener.events}"
    assert heard[2] - started <= 2.0
    assert "stock" not in heard[1]["datasets"]  # stock and prices come whole, as `changes`


def test_racing_pushes_of_one_offline_customer_from_two_tills_link_to_one(live: Live) -> None:
    with live.sign_in("maya") as till:
        token = till.headers["Authorization"]

    def push(body: dict[str, Any]) -> httpx.Response:
        with httpx.Client(base_url=live.url, headers={"Authorization": token}, timeout=30) as client:
            return client.post("/api/sync/push", json=body)

    for round_ in range(6):
        email = f"walk.in.{round_}@example.com"
        bodies = [{"customers": [_customer(email, _key("cust"))]} for _ in range(8)]
        with ThreadPoolExecutor(len(bodies)) as pool:
            answers = list(pool.map(push, bodies))
        assert [a.status_code for a in answers] == [200] * 8, [a.text[:100] for a in answers]
        ids = {a.json()["customers"][0]["customer_id"] for a in answers}
        assert len(ids) == 1 and None not in ids
        assert sum(a.json()["customers"][0]["created"] for a in answers) == 1
