"""Gift cards and customers' accounts over HTTP on each database (docs/ledgers.md): sold,
activated on payment, spent partly at another till, refunded to, reloaded; two tills offline
spending one card; store credit, sales on account and payments on account in the shift."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select

from tests.e2e.conftest import Live, priced, sale_payload
from tests.e2e.test_sync_api import _plain_product
from till.services.gift_cards import new_card_number
from till.storage.tables import gift_cards, order_payments, rejected_sales


def _key(prefix: str = "sale") -> str:
    return f"{prefix}-{uuid.uuid4()}"


def _register(live: Live, name: str, register: str) -> str:
    """A till registered by the admin on `register`; returns its device token."""
    with live.sign_in("admin") as admin:
        made = admin.post("/api/devices", json={"name": name, "register_code": register})
    assert made.status_code == 201, made.text
    return str(made.json()["device_token"])


def _on_till(live: Live, device_token: str, username: str) -> httpx.Client:
    """A session of `username` signed in by PIN on the till."""
    pin = live.store.staff_member(username).pin
    with live.client(device_token=device_token) as till:
        answer = till.post("/api/auth/pin", json={"username": username, "pin": pin})
    assert answer.status_code == 200, answer.text
    return live.client(answer.json()["token"], device_token)


def _push(client: httpx.Client, *sales: dict[str, Any]) -> list[dict[str, Any]]:
    answer = client.post("/api/sync/push", json={"sales": list(sales)})
    assert answer.status_code == 200, answer.text
    return list(answer.json()["sales"])


def _card_sale(
    live: Live, receipt: str, number: str, amount: str, register: str = "NYC1", seller: str | None = None
) -> dict[str, Any]:
    """A sale of one gift card and nothing else, paid in cash."""
    return sale_payload(
        live,
        staff_username=seller,
        key=_key(),
        receipt=receipt,
        lines=[],
        register=register,
        gift_cards=[{"number": number, "amount": amount, "kind": "e_card"}],
        payments=[{"method": "cash", "amount": amount}],
    )


def _goods_sale(
    live: Live, product: dict[str, Any], receipt: str, pay: list[dict[str, Any]], qty: str = "1", **extra: Any
) -> dict[str, Any]:
    """A one-line sale paid with `pay` then cash for the rest (the till's split payment)."""
    line = {"sku": product["sku"], "qty": qty, "unit_price": product["price"]}
    sale = priced(live, sale_payload(live, key=_key(), receipt=receipt, lines=[line], **extra))
    total = Decimal(sale["totals"]["grand_total"])
    rest = total - sum((Decimal(p["amount"]) for p in pay), Decimal(0))
    sale["payments"] = pay + ([{"method": "cash", "amount": str(rest)}] if rest > 0 else [])
    return sale


def _balance(client: httpx.Client, number: str) -> httpx.Response:
    return client.post("/api/gift-cards/balance", json={"number": number})


def _open_shift(client: httpx.Client, register: str) -> None:
    answer = client.post(f"/api/registers/{register}/shift", json={"opening_float": "100.00"})
    assert answer.status_code == 201, answer.text


def test_a_gift_card_sold_at_one_till_is_spent_partly_at_another_and_reported_as_a_liability(
    live: Live,
) -> None:
    cashier = live.username("cashier", "NYC")
    number = new_card_number()
    with live.sign_in(cashier) as till:
        _open_shift(till, "NYC1")
        _open_shift(till, "NYC2")
        # Not sold yet: no card.
        assert _balance(till, number).status_code == 404
        [sold] = _push(till, _card_sale(live, "NYC1-000001", number, "40.00"))
        assert sold["status"] == "accepted", sold
        card = _balance(till, number)
        assert card.status_code == 200, card.text
        assert card.json()["balance"] == "40.00"
        assert card.json()["card"] == f"**** {number[-4:]}"

        # Spent partly at the other register; the rest paid in cash.
        product = _plain_product(till)
        sale = _goods_sale(
            live,
            product,
            "NYC2-000001",
            [{"method": "gift_card", "amount": "15.00", "card_number": number}],
            register="NYC2",
        )
        [spent] = _push(till, sale)
        assert spent["status"] == "accepted", spent
        assert spent["flags"] == []
        assert _balance(till, number).json()["balance"] == "25.00"
        order = till.get(f"/api/orders/{spent['order_id']}").json()
        assert {"method": "gift_card", "amount": "15.00", "reference": f"**** {number[-4:]}"} in order[
            "payments"
        ]

        # The card's sale: a liability in its own row, not in sales; its cash is in the drawer.
        x1 = till.get("/api/registers/NYC1/shift").json()
        assert x1["gift_cards_sold"] == "40.00"
        assert x1["gross_sales"] == "0.00"
        assert x1["sales_count"] == 1
        assert x1["expected_cash"] == "140.00"
        # The redemption is a tender of the other shift.
        x2 = till.get("/api/registers/NYC2/shift").json()
        assert x2["payments_by_method"]["gift_card"] == "15.00"
        assert x2["gross_sales"] == sale["totals"]["grand_total"]
        assert x2["gift_cards_sold"] == "0.00"
        sold_order = till.get(f"/api/orders/{sold['order_id']}").json()
        assert sold_order["grand_total"] == "0.00"
        assert sold_order["gift_cards"] == [
            {"card": f"**** {number[-4:]}", "amount": "40.00", "kind": "e_card"}
        ]

    # The number is nowhere in the database: a digest and the last four only.
    with live.engine.connect() as conn:
        stored = conn.execute(select(gift_cards.c.number_digest, gift_cards.c.last4)).all()
        references = conn.execute(select(order_payments.c.reference)).scalars().all()
    assert [row.last4 for row in stored] == [number[-4:]]
    assert number not in {row.number_digest for row in stored}
    assert all(number not in r for r in references)


def test_two_offline_tills_spending_one_card_overspend_it_by_at_most_the_cap(live: Live) -> None:
    """Both tills last saw 60.00 on the card and went offline; each takes what the rules let it
    (min(balance seen, cap 50.00)). Both sales are kept; the card is overspent by 40.00, not more
    than the cap, and the later one is flagged with its shortfall."""
    cashier = live.username("cashier", "NYC")
    number = new_card_number()
    with live.sign_in(cashier) as office:
        _push(office, _card_sale(live, "NYC1-000001", number, "60.00"))
        seen = Decimal(_balance(office, number).json()["balance"])
        cap = Decimal(office.get("/api/ledger-rules").json()["gift_card_offline_cap"])
        product = _plain_product(office)
    assert (seen, cap) == (Decimal("60.00"), Decimal("50.00"))
    allowance = min(seen, cap)
    pushed = []
    for n, register in enumerate(("NYC1", "NYC2")):
        with _on_till(live, _register(live, f"till {n}", register), cashier) as till:
            sale = _goods_sale(
                live,
                product,
                f"{register}-000002",
                [{"method": "gift_card", "amount": str(allowance), "card_number": number}],
                qty=str(int(allowance / Decimal(product["price"])) + 1),
                register=register,
                sign_in="online",
            )
            pushed.append(_push(till, sale)[0])
    assert [p["status"] for p in pushed] == ["accepted", "accepted"], [p["reason"] for p in pushed]
    assert "gift_card_short" not in pushed[0]["flags"]
    assert "gift_card_short" in pushed[1]["flags"]
    with live.sign_in(live.username("manager", "NYC")) as manager:
        balance = Decimal(_balance(manager, number).json()["balance"])
        flags = manager.get("/api/admin/flags").json()
        assert isinstance(flags, list), flags
    overspend = -balance
    assert overspend == Decimal("40.00")
    assert overspend <= cap
    [short] = [f for f in flags if f["flag"] == "gift_card_short"]
    assert short["detail"]["shortfall"] == "40.00"
    assert short["detail"]["held"] == "10.00"
    assert short["detail"]["beyond_offline_cap"] is False


def test_a_card_is_refunded_to_and_reloaded_only_where_the_shop_allows(live: Live) -> None:
    cashier = live.username("cashier", "NYC")
    manager = live.username("manager", "NYC")
    number = new_card_number()
    with live.sign_in(manager) as till:
        product = _plain_product(till)
        [sale] = _push(till, _goods_sale(live, product, "NYC1-000001", [], staff_username=manager))
        refund = till.post(
            f"/api/orders/{sale['order_id']}/refunds",
            json={
                "idempotency_key": _key("refund"),
                "register_code": "NYC1",
                "lines": [{"line_no": 1, "qty": "1"}],
                "method": "gift_card",
                "card_number": number,
            },
        )
        assert refund.status_code == 201, refund.text
        total = refund.json()["total"]
        assert _balance(till, number).json()["balance"] == total
        # Reloading is allowed by default: selling the card again tops it up.
        [reload] = _push(till, _card_sale(live, "NYC1-000002", number, "10.00", seller=manager))
        assert reload["status"] == "accepted", reload
        assert Decimal(_balance(till, number).json()["balance"]) == Decimal(total) + 10
        rules = till.put(
            "/api/ledger-rules",
            json={
                "gift_card_offline_cap": "50.00",
                "gift_card_reload": False,
                "store_credit_offline_cap": "50.00",
            },
        )
        assert rules.status_code == 200, rules.text
        [refused] = _push(till, _card_sale(live, "NYC1-000003", number, "10.00", seller=manager))
        assert refused["status"] == "rejected"
        assert "does not reload" in refused["reason"]
    with live.sign_in(cashier) as till:
        # A cashier may not change the rules.
        assert till.put("/api/ledger-rules", json=rules.json()).status_code == 403
    # The refused sale is kept for a manager without the card's number.
    with live.engine.connect() as conn:
        kept = conn.execute(select(rejected_sales.c.payload)).scalars().all()
    assert all(number not in str(payload) for payload in kept)


def _customer(client: httpx.Client) -> int:
    made = client.post(
        "/api/customers",
        json={"email": f"{uuid.uuid4().hex[:10]}@example.com", "firstname": "Ada", "lastname": "Byron"},
    )
    assert made.status_code in (200, 201), made.text
    return int(made.json()["id"])


def test_store_credit_from_a_refund_pays_a_later_sale(live: Live) -> None:
    manager = live.username("manager", "NYC")
    with live.sign_in(manager) as till:
        customer = _customer(till)
        product = _plain_product(till)
        [sale] = _push(
            till, _goods_sale(live, product, "NYC1-000001", [], customer_id=customer, staff_username=manager)
        )
        # A refund to credit needs the sale's customer; this one has one.
        refund = till.post(
            f"/api/orders/{sale['order_id']}/refunds",
            json={
                "idempotency_key": _key("refund"),
                "register_code": "NYC1",
                "lines": [{"line_no": 1, "qty": "1"}],
                "method": "store_credit",
            },
        )
        assert refund.status_code == 201, refund.text
        credit = refund.json()["total"]
        account = till.get(f"/api/customers/{customer}/account").json()
        assert (account["balance"], account["credit"]) == (credit, credit)
        [paid] = _push(
            till,
            _goods_sale(
                live,
                product,
                "NYC1-000002",
                [{"method": "store_credit", "amount": credit}],
                customer_id=customer,
                staff_username=manager,
            ),
        )
        assert paid["status"] == "accepted" and paid["flags"] == [], paid
        assert till.get(f"/api/customers/{customer}/account").json()["balance"] == "0.00"
        # Credit without a customer cannot be spent: nobody's ledger to take it from.
        [nobody] = _push(
            till,
            _goods_sale(
                live,
                product,
                "NYC1-000003",
                [{"method": "store_credit", "amount": "1.00"}],
                staff_username=manager,
            ),
        )
        assert nobody["status"] == "rejected"


def test_a_sale_on_account_up_to_the_limit_and_a_payment_later_at_another_till(live: Live) -> None:
    cashier = live.username("cashier", "NYC")
    with live.sign_in(live.username("manager", "NYC")) as manager:
        customer = _customer(manager)
        product = _plain_product(manager)
        limit = manager.put(f"/api/customers/{customer}/account", json={"credit_limit": "100.00"})
        assert limit.status_code == 200, limit.text
    with live.sign_in(cashier) as till:
        # A cashier may not set a limit.
        assert (
            till.put(f"/api/customers/{customer}/account", json={"credit_limit": "1.00"}).status_code == 403
        )
        _open_shift(till, "NYC1")
        _open_shift(till, "NYC2")
        sale = _goods_sale(live, product, "NYC1-000001", [], customer_id=customer)
        total = sale["totals"]["grand_total"]
        sale["payments"] = [{"method": "on_account", "amount": total}]
        [charged] = _push(till, sale)
        assert charged["status"] == "accepted" and charged["flags"] == [], charged
        account = till.get(f"/api/customers/{customer}/account").json()
        assert Decimal(account["owed"]) == Decimal(total)
        assert Decimal(account["available_on_account"]) == 100 - Decimal(total)
        # The balance travels with the customer to every till.
        items = till.get("/api/sync/customers", params={"location": "NYC", "cursor": 0, "limit": 5000}).json()
        [mine] = [c for c in items["items"] if c["id"] == customer]
        assert Decimal(mine["account_balance"]) == -Decimal(total)

        # Paid back later in cash at the other register: counted in that shift.
        key = _key("pay")
        body = {"idempotency_key": key, "register_code": "NYC2", "amount": total, "method": "cash"}
        payment = till.post(f"/api/customers/{customer}/account/payments", json=body)
        assert payment.status_code == 201, payment.text
        again = till.post(f"/api/customers/{customer}/account/payments", json=body)
        assert again.status_code == 200 and again.json()["duplicate"] is True
        assert till.get(f"/api/customers/{customer}/account").json()["balance"] == "0.00"
        x2 = till.get("/api/registers/NYC2/shift").json()
        assert x2["account_payments"] == total
        assert Decimal(x2["expected_cash"]) == 100 + Decimal(total)
        assert x2["gross_sales"] == "0.00"
        x1 = till.get("/api/registers/NYC1/shift").json()
        assert x1["payments_by_method"]["on_account"] == total
        assert x1["expected_cash"] == "100.00"

        # Beyond the limit: the sale is kept (a till offline could not know) and flagged.
        over = _goods_sale(live, product, "NYC1-000002", [], customer_id=customer)
        over["payments"] = [{"method": "on_account", "amount": over["totals"]["grand_total"]}]
        for n in range(3, 3 + int(100 // Decimal(total)) + 1):
            over = {**over, "idempotency_key": _key(), "receipt_number": f"NYC1-{n:06d}"}
            [result] = _push(till, over)
            assert result["status"] == "accepted"
        assert "over_credit_limit" in result["flags"]


def test_a_till_takes_account_payments_only_into_its_own_registers_drawer(live: Live) -> None:
    """A payment on account is cash into a drawer: a till takes it on its own register only, as
    it does cash steps (docs/trust.md §6, gap d), and a refusal is kept for a manager."""
    with live.sign_in(live.username("manager", "NYC")) as manager:
        customer = _customer(manager)
        limit = manager.put(f"/api/customers/{customer}/account", json={"credit_limit": "50.00"})
        assert limit.status_code == 200, limit.text
        _open_shift(manager, "NYC2")
    device = _register(live, "account till", "NYC1")
    cashier = live.username("cashier", "NYC")
    with _on_till(live, device, cashier) as till:
        body = {"idempotency_key": _key("pay"), "register_code": "NYC2", "amount": "10.00", "method": "cash"}
        answer = till.post(f"/api/customers/{customer}/account/payments", json=body)
        assert answer.status_code == 403, answer.text
        assert "not this till's register" in answer.json()["detail"]
    with live.sign_in(live.username("manager", "NYC")) as manager:
        assert manager.get(f"/api/customers/{customer}/account").json()["balance"] == "0.00"
        assert manager.get("/api/registers/NYC2/shift").json()["account_payments"] == "0.00"
        refused = manager.get("/api/refused-actions").json()
        assert any(body["idempotency_key"] in str(r) for r in refused), refused


def _flags_of(live: Live, flag: str, order_ids: list[str]) -> list[dict[str, Any]]:
    """What the manager's flags list shows of `flag` for these sales, in their order."""
    with live.sign_in(live.username("manager", "NYC")) as manager:
        listed = manager.get("/api/admin/flags")
        assert listed.status_code == 200, listed.text
    by_order = {f["order_id"]: f["detail"] for f in listed.json() if f["flag"] == flag}
    return [by_order[o] for o in order_ids if o in by_order]


def test_one_till_spending_a_card_again_and_again_is_flagged_beyond_the_cap(live: Live) -> None:
    """A 60.00 card (cap 50.00) spent by one till on six sales: each alone is short by less than
    the cap, but once the card stands more than 50.00 below zero the flag says beyond the cap."""
    cashier = live.username("cashier", "NYC")
    number = new_card_number()
    with live.sign_in(cashier) as office:
        _push(office, _card_sale(live, "NYC1-000001", number, "60.00"))
        product = _plain_product(office)
    with _on_till(live, _register(live, "one till", "NYC1"), cashier) as till:
        sales = []
        for n in range(2, 8):
            sale = _goods_sale(live, product, f"NYC1-{n:06d}", [], register="NYC1", sign_in="online")
            sale["payments"] = [
                {"method": "gift_card", "amount": sale["totals"]["grand_total"], "card_number": number}
            ]
            sales.append(sale)
        pushed = _push(till, *sales)
        balance = Decimal(_balance(till, number).json()["balance"])
    assert [p["status"] for p in pushed] == ["accepted"] * 6
    spent = Decimal(sales[0]["totals"]["grand_total"])
    assert balance == Decimal("60.00") - 6 * spent
    flagged = _flags_of(live, "gift_card_short", [p["order_id"] for p in pushed])
    assert flagged, "the card was overspent"
    for detail in flagged:
        overspend = Decimal(detail["spent"]) - Decimal(detail["held"])
        assert detail["beyond_offline_cap"] is (overspend > Decimal("50.00")), detail
    assert flagged[-1]["beyond_offline_cap"] is True


def test_one_till_charging_an_account_again_and_again_is_flagged_beyond_the_cap(live: Live) -> None:
    """No credit limit, cap 50.00: charges on account kept and flagged; once the account stands
    more than 50.00 beyond its limit the flag says beyond the cap."""
    cashier = live.username("cashier", "NYC")
    with live.sign_in(live.username("manager", "NYC")) as manager:
        customer = _customer(manager)
        product = _plain_product(manager)
    with _on_till(live, _register(live, "one till", "NYC1"), cashier) as till:
        sales = []
        for n in range(1, 5):
            sale = _goods_sale(
                live, product, f"NYC1-{n:06d}", [], register="NYC1", sign_in="online", customer_id=customer
            )
            sale["payments"] = [{"method": "on_account", "amount": sale["totals"]["grand_total"]}]
            sales.append(sale)
        pushed = _push(till, *sales)
        balance = Decimal(till.get(f"/api/customers/{customer}/account").json()["balance"])
    assert [p["status"] for p in pushed] == ["accepted"] * 4
    assert all("over_credit_limit" in p["flags"] for p in pushed)
    assert balance == -4 * Decimal(sales[0]["totals"]["grand_total"])
    flagged = _flags_of(live, "over_credit_limit", [p["order_id"] for p in pushed])
    for detail in flagged:
        overspend = Decimal(detail["spent"]) - Decimal(detail["held"])
        assert detail["beyond_offline_cap"] is (overspend > Decimal("50.00")), detail
    assert flagged[-1]["beyond_offline_cap"] is True


def test_a_card_never_sold_is_kept_as_a_sale_flagged_beyond_the_cap_for_a_manager(live: Live) -> None:
    """No till can have seen a balance for a card that does not exist: the sale is kept (a fact)
    and the manager's flags list shows the card, the whole amount short and beyond the cap."""
    cashier = live.username("cashier", "NYC")
    number = new_card_number()
    with live.sign_in(cashier) as office:
        product = _plain_product(office)
        sale = _goods_sale(live, product, "NYC1-000001", [])
        total = sale["totals"]["grand_total"]
        sale["payments"] = [{"method": "gift_card", "amount": total, "card_number": number}]
        [pushed] = _push(office, sale)
        assert _balance(office, number).status_code == 404
    assert pushed["status"] == "accepted" and "gift_card_short" in pushed["flags"]
    [detail] = _flags_of(live, "gift_card_short", [pushed["order_id"]])
    assert detail["unknown_card"] is True
    assert detail["card"] == f"**** {number[-4:]}"
    assert detail["shortfall"] == sale["totals"]["grand_total"]
    assert detail["beyond_offline_cap"] is True
