"""Shifts over HTTP on each database: open with a float, cash in/out, sales, X and Z reports."""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx

from tests.e2e.conftest import Live, priced, sale_payload


def _key() -> str:
    return f"sale-{uuid.uuid4()}"


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


def _products(live: Live) -> list[dict[str, Any]]:
    with live.sign_in("admin") as admin:
        found = admin.get("/api/products", params={"q": "a", "limit": 200}).json()
    return [p for p in found if p["type"] == "simple" and Decimal(p["price"]) > 0]


def _price(product: dict[str, Any]) -> str:
    special = product["special_price"]
    if special and Decimal(special) < Decimal(product["price"]) and product["special_from"] is None:
        return str(special)
    return str(product["price"])


def _sale(
    live: Live, product: dict[str, Any], receipt: str, qty: str = "1", register: str = "NYC1"
) -> dict[str, Any]:
    line = {"sku": product["sku"], "qty": qty, "unit_price": _price(product)}
    return priced(live, sale_payload(live, key=_key(), receipt=receipt, lines=[line], register=register))


def _push(client: httpx.Client, *sales: dict[str, Any]) -> list[dict[str, Any]]:
    answer = client.post("/api/sync/push", json={"sales": list(sales)})
    assert answer.status_code == 200, answer.text
    results = answer.json()["sales"]
    assert [r["status"] for r in results] == ["accepted"] * len(sales), results
    return results


def _open(client: httpx.Client, register: str = "NYC1", float_: str = "100.00") -> int:
    answer = client.post(f"/api/registers/{register}/shift", json={"opening_float": float_})
    assert answer.status_code == 201, answer.text
    assert answer.json()["register_code"] == register
    return int(answer.json()["shift_id"])


def _x(client: httpx.Client, register: str = "NYC1") -> dict[str, Any]:
    answer = client.get(f"/api/registers/{register}/shift")
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_open_with_a_float_shows_an_empty_x_report(live: Live) -> None:
    with live.sign_in("maya") as till:
        _open(till, float_="150.00")
        report = _x(till)
    assert report["kind"] == "X"
    assert report["register_code"] == "NYC1"
    assert report["closed_at"] is None
    assert _d(report["opening_float"]) == Decimal("150.00")
    assert report["sales_count"] == 0
    assert report["refunds_count"] == 0
    assert _d(report["gross_sales"]) == 0
    assert _d(report["expected_cash"]) == Decimal("150.00")
    assert report["counted_cash"] is None
    assert report["difference"] is None


def test_a_second_open_on_the_same_register_is_409(live: Live) -> None:
    with live.sign_in("maya") as till:
        _open(till, float_="100.00")
        again = till.post("/api/registers/NYC1/shift", json={"opening_float": "5.00"})
        other = till.post("/api/registers/NYC2/shift", json={"opening_float": "20.00"})
        report = _x(till)
    assert again.status_code == 409
    assert "NYC1" in again.json()["detail"]
    assert other.status_code == 201, other.text
    # The first shift is untouched by the refused second open.
    assert _d(report["opening_float"]) == Decimal("100.00")


def test_no_open_shift_answers_409_for_x_report_cash_and_close(live: Live) -> None:
    with live.sign_in("maya") as till:
        report = till.get("/api/registers/NYC1/shift")
        cash = till.post(
            "/api/registers/NYC1/shift/cash", json={"kind": "in", "amount": "5.00", "reason": "change"}
        )
    with live.sign_in("grace") as manager:
        closed = manager.post("/api/registers/NYC1/shift/close", json={"counted_cash": "0.00"})
    assert report.status_code == 409
    assert cash.status_code == 409
    assert closed.status_code == 409
    for answer in (report, cash, closed):
        assert "no open shift" in answer.json()["detail"]


def test_unknown_register_and_foreign_register_are_refused(live: Live) -> None:
    with live.sign_in("maya") as till:
        unknown = till.post("/api/registers/NOPE1/shift", json={"opening_float": "10.00"})
        foreign = till.post("/api/registers/WH1/shift", json={"opening_float": "10.00"})
    assert unknown.status_code == 404
    assert foreign.status_code == 403
    with live.sign_in("omar") as wh:
        assert wh.get("/api/registers/WH1/shift").status_code == 409


def test_a_day_of_sales_and_cash_gives_the_right_x_and_z_reports(live: Live) -> None:
    first, second = _products(live)[:2]
    cash_sale = _sale(live, first, "NYC1-000101", qty="2")
    card_sale = _sale(live, second, "NYC1-000102")
    cash_total = Decimal(cash_sale["totals"]["grand_total"])
    card_total = Decimal(card_sale["totals"]["grand_total"])
    tendered = (cash_total + Decimal("20")).quantize(Decimal("1"))  # more than the total: change due
    change = tendered - cash_total
    assert change > 0
    cash_sale["payments"] = [{"method": "cash", "amount": f"{tendered:.2f}"}]
    card_sale["payments"] = [{"method": "card", "amount": str(card_total), "reference": "AUTH-42"}]
    other_register = _sale(live, first, "NYC2-000001", register="NYC2")

    with live.sign_in("maya") as till:
        _open(till, float_="100.00")
        assert (
            till.post(
                "/api/registers/NYC1/shift/cash",
                json={"kind": "in", "amount": "25.50", "reason": "more change"},
            ).status_code
            == 204
        )
        assert (
            till.post(
                "/api/registers/NYC1/shift/cash",
                json={"kind": "out", "amount": "10.25", "reason": "window cleaner"},
            ).status_code
            == 204
        )
        _push(till, cash_sale, card_sale, other_register)
        report = _x(till)

    expected_cash = Decimal("100.00") + cash_total + Decimal("25.50") - Decimal("10.25")
    tax = Decimal(cash_sale["totals"]["tax"]) + Decimal(card_sale["totals"]["tax"])
    assert report["kind"] == "X"
    assert report["sales_count"] == 2  # the NYC2 sale is not in NYC1's shift
    assert _d(report["gross_sales"]) == cash_total + card_total
    assert _d(report["net_sales"]) == cash_total + card_total
    assert _d(report["tax"]) == tax
    assert {k: _d(v) for k, v in report["payments_by_method"].items()} == {
        "cash": cash_total,
        "card": card_total,
    }
    assert _d(report["cash_in"]) == Decimal("25.50")
    assert _d(report["cash_out"]) == Decimal("10.25")
    assert _d(report["expected_cash"]) == expected_cash

    with live.sign_in("maya") as till:
        denied = till.post("/api/registers/NYC1/shift/close", json={"counted_cash": "1.00"})
        still_open = _x(till)
    assert denied.status_code == 403
    assert still_open["kind"] == "X"

    counted = expected_cash - Decimal("3.10")
    with live.sign_in("grace") as manager:
        closed = manager.post("/api/registers/NYC1/shift/close", json={"counted_cash": f"{counted:.2f}"})
        assert closed.status_code == 200, closed.text
        z = closed.json()
        after = manager.get("/api/registers/NYC1/shift")
        again = manager.post("/api/registers/NYC1/shift/close", json={"counted_cash": f"{counted:.2f}"})
    assert z["kind"] == "Z"
    assert z["closed_at"] is not None
    assert z["sales_count"] == 2
    assert _d(z["expected_cash"]) == expected_cash
    assert _d(z["counted_cash"]) == counted
    assert _d(z["difference"]) == Decimal("-3.10")
    assert {k: _d(v) for k, v in z["payments_by_method"].items()} == {"cash": cash_total, "card": card_total}
    assert after.status_code == 409  # no open shift any more
    assert again.status_code == 409


def test_the_stored_z_report_is_the_one_the_close_answered(live: Live) -> None:
    product = _products(live)[0]
    sale = _sale(live, product, "NYC1-000201")
    total = Decimal(sale["totals"]["grand_total"])
    with live.sign_in("maya") as till:
        shift_id = _open(till, float_="50.00")
        _push(till, sale)
        early = till.get(f"/api/shifts/{shift_id}/z-report")
    with live.sign_in("grace") as manager:
        not_yet = manager.get(f"/api/shifts/{shift_id}/z-report")
        z = manager.post(
            "/api/registers/NYC1/shift/close", json={"counted_cash": f"{Decimal('50.00') + total + 1:.2f}"}
        ).json()
        stored = manager.get(f"/api/shifts/{shift_id}/z-report")
        unknown = manager.get("/api/shifts/999999/z-report")
    assert early.status_code in (403, 404)
    assert not_yet.status_code == 404
    assert stored.status_code == 200, stored.text
    assert unknown.status_code == 404
    got = stored.json()
    assert got["kind"] == "Z"
    assert _d(got["difference"]) == Decimal("1.00")
    assert _d(got["expected_cash"]) == Decimal("50.00") + total
    for field in ("sales_count", "refunds_count", "register_code"):
        assert got[field] == z[field]
    for field in (
        "opening_float",
        "gross_sales",
        "net_sales",
        "tax",
        "expected_cash",
        "counted_cash",
        "difference",
    ):
        assert _d(got[field]) == _d(z[field]), field
    # The cashier cannot read reports; WH's cashier certainly not.
    with live.sign_in("maya") as till:
        assert till.get(f"/api/shifts/{shift_id}/z-report").status_code == 403
    with live.sign_in("omar") as wh:
        assert wh.get(f"/api/shifts/{shift_id}/z-report").status_code == 403


def test_a_new_shift_after_close_starts_from_its_own_float(live: Live) -> None:
    product = _products(live)[0]
    with live.sign_in("maya") as till:
        first_id = _open(till, float_="100.00")
        _push(till, _sale(live, product, "NYC1-000301"))
    with live.sign_in("grace") as manager:
        assert (
            manager.post("/api/registers/NYC1/shift/close", json={"counted_cash": "100.00"}).status_code
            == 200
        )
    with live.sign_in("maya") as till:
        second_id = _open(till, float_="80.00")
        report = _x(till)
    assert second_id != first_id
    assert report["sales_count"] == 0
    assert _d(report["expected_cash"]) == Decimal("80.00")


def test_bad_amounts_are_422_and_change_nothing(live: Live) -> None:
    with live.sign_in("maya") as till:
        refused_opens = [
            till.post("/api/registers/NYC1/shift", json=body)
            for body in (
                {"opening_float": "-5.00"},
                {"opening_float": 100.5},
                {"opening_float": "1.005"},
                {"opening_float": "lots"},
                {},
                {"opening_float": "10.00", "note": "extra"},
            )
        ]
        nothing_open = till.get("/api/registers/NYC1/shift")
        _open(till, float_="100.00")
        refused_cash = [
            till.post("/api/registers/NYC1/shift/cash", json=body)
            for body in (
                {"kind": "in", "amount": "-5.00", "reason": "x"},
                {"kind": "in", "amount": "0.00", "reason": "x"},
                {"kind": "out", "amount": 5.5, "reason": "x"},
                {"kind": "in", "amount": "5.125", "reason": "x"},
                {"kind": "sideways", "amount": "5.00", "reason": "x"},
                {"kind": "in", "amount": "5.00", "reason": ""},
                {"kind": "in", "amount": "5.00"},
                {"kind": "in", "amount": "5.00", "reason": "x", "by": "me"},
            )
        ]
        after_cash = _x(till)
    with live.sign_in("grace") as manager:
        refused_close = [
            manager.post("/api/registers/NYC1/shift/close", json=body)
            for body in (
                {"counted_cash": "-1.00"},
                {"counted_cash": 99.99},
                {"counted_cash": "99.999"},
                {},
                {"counted_cash": "100.00", "force": True},
            )
        ]
        still_open = manager.get("/api/registers/NYC1/shift")

    for answer in refused_opens + refused_cash + refused_close:
        assert answer.status_code == 422, (answer.request.content, answer.text)
        assert answer.json()["detail"]
    assert "decimal strings" in str(refused_opens[1].json()["detail"])
    assert nothing_open.status_code == 409
    assert _d(after_cash["cash_in"]) == 0
    assert _d(after_cash["cash_out"]) == 0
    assert _d(after_cash["expected_cash"]) == Decimal("100.00")
    assert still_open.status_code == 200
    assert still_open.json()["kind"] == "X"


def test_split_payment_change_and_a_cash_refund_net_out_of_the_drawer(live: Live) -> None:
    product = _products(live)[0]
    sale = _sale(live, product, "NYC1-000401", qty="3")
    total = Decimal(sale["totals"]["grand_total"])
    card_part = (total / 2).quantize(Decimal("0.01"))
    cash_part = (total - card_part + Decimal("7.00")).quantize(Decimal("0.01"))  # 7.00 change due
    sale["payments"] = [
        {"method": "card", "amount": str(card_part)},
        {"method": "cash", "amount": str(cash_part)},
    ]
    with live.sign_in("maya") as till:
        _open(till, float_="40.00")
        [sold] = _push(till, sale)
    with live.sign_in("grace") as manager:
        refund = manager.post(
            f"/api/orders/{sold['order_id']}/refunds",
            json={
                "idempotency_key": _key(),
                "register_code": "NYC1",
                "lines": [{"line_no": 1, "qty": "1", "restock": True}],
                "method": "cash",
            },
        )
        assert refund.status_code == 201, refund.text
        refunded = Decimal(refund.json()["total"])
        report = _x(manager)

    cash_kept = cash_part - Decimal("7.00")
    assert report["sales_count"] == 1
    assert report["refunds_count"] == 1
    assert _d(report["gross_sales"]) == total
    assert _d(report["refunds"]) == refunded
    assert _d(report["net_sales"]) == total - refunded
    assert _d(report["payments_by_method"]["card"]) == card_part
    assert _d(report["payments_by_method"]["cash"]) == cash_kept - refunded
    assert _d(report["expected_cash"]) == Decimal("40.00") + cash_kept - refunded


def test_a_wh_cashier_cannot_see_or_touch_a_nyc_shift(live: Live) -> None:
    with live.sign_in("maya") as till:
        _open(till, float_="100.00")
    with live.sign_in("omar") as wh:
        report = wh.get("/api/registers/NYC1/shift")
        cash = wh.post(
            "/api/registers/NYC1/shift/cash", json={"kind": "out", "amount": "50.00", "reason": "lunch"}
        )
    assert report.status_code == 403
    assert cash.status_code == 403
    with live.sign_in("maya") as till:
        assert _d(_x(till)["cash_out"]) == 0


MONEY_FIELDS = (
    "opening_float",
    "gross_sales",
    "refunds",
    "net_sales",
    "tax",
    "discounts",
    "cash_in",
    "cash_out",
    "expected_cash",
)


def _money_texts(report: dict[str, Any]) -> dict[str, str]:
    texts = {field: report[field] for field in MONEY_FIELDS}
    texts.update({f"payments_by_method.{k}": v for k, v in report["payments_by_method"].items()})
    for field in ("counted_cash", "difference"):
        if report[field] is not None:
            texts[field] = report[field]
    return texts


def test_reports_show_money_in_cents_and_the_close_answer_is_the_stored_z_report(live: Live) -> None:
    with live.sign_in("maya") as till:
        shift_id = _open(till, float_="100")
        assert (
            till.post(
                "/api/registers/NYC1/shift/cash", json={"kind": "in", "amount": "5", "reason": "coins"}
            ).status_code
            == 204
        )
        x = _x(till)
    with live.sign_in("grace") as manager:
        z = manager.post("/api/registers/NYC1/shift/close", json={"counted_cash": "105"}).json()
        stored = manager.get(f"/api/shifts/{shift_id}/z-report").json()
    cents = re.compile(r"^-?\d+\.\d{2}$")
    for report in (x, z, stored):
        wrong = {k: v for k, v in _money_texts(report).items() if not cents.match(str(v))}
        assert wrong == {}, f"{report['kind']} report money not in cents: {wrong}"
    assert stored == z


def test_racing_opens_of_one_register_open_exactly_one_shift(live: Live) -> None:
    with live.sign_in("maya") as till:
        token = till.headers["Authorization"]

    def open_once(n: int) -> int:
        with httpx.Client(base_url=live.url, headers={"Authorization": token}, timeout=30) as client:
            return client.post("/api/registers/NYC1/shift", json={"opening_float": f"{n}.00"}).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(open_once, range(1, 9)))
    assert statuses == [201] + [409] * 7
    with live.sign_in("maya") as till:
        assert _x(till)["kind"] == "X"
