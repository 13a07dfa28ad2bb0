"""Receipts over HTTP on each database: printed on a register's network printer (a real TCP
receiver), the bytes the same as the till's own printer gets, the drawer kicked on cash; a
printer that is off, silent or out of paper answers a clear 502 within the timeout and the sale
is untouched; gift receipts without prices; managers set printers up, cashiers cannot."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from tests.e2e.conftest import Live, priced, sale_payload
from tests.e2e.printer import NetworkPrinter
from till.domain import escpos


@pytest.fixture
def printer() -> Iterator[NetworkPrinter]:
    running = NetworkPrinter().start()
    yield running
    running.stop()


def _sell(live: Live, till: httpx.Client, payments: list[dict[str, str]] | None = None) -> dict[str, object]:
    with live.sign_in("admin") as admin:
        found = admin.get("/api/products", params={"q": "a", "limit": 200}).json()
    product = next(
        p for p in found if p["type"] == "simple" and Decimal(p["price"]) > 0 and not p["special_price"]
    )
    number = f"NYC1-{uuid.uuid4().int % 10**6:06d}"
    payload = priced(
        live,
        sale_payload(
            live,
            key=f"sale-{uuid.uuid4()}",
            receipt=number,
            lines=[
                {"sku": product["sku"], "name": product["name"], "qty": "2", "unit_price": product["price"]}
            ],
        ),
    )
    if payments is None:
        # cash, rounded up to the next ten: change is due
        total = Decimal(payload["totals"]["grand_total"])
        payload["payments"] = [{"method": "cash", "amount": str((total // 10 + 1) * 10)}]
    answer = till.post("/api/orders", json=payload)
    assert answer.status_code == 201, answer.text
    return {"order_id": answer.json()["order_id"], "receipt_number": number, "name": product["name"]}


def _add_printer(live: Live, port: int, **extra: object) -> dict[str, object]:
    with live.sign_in("grace") as manager:
        answer = manager.post(
            "/api/printers",
            json={
                "register_code": "NYC1",
                "name": f"front {uuid.uuid4().hex[:6]}",
                "host": "127.0.0.1",
                "port": port,
                "drawer": True,
                **extra,
            },
        )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _wait(check: object, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_cash_sale_prints_on_the_network_printer_and_opens_the_drawer(
    live: Live, printer: NetworkPrinter
) -> None:
    setup = _add_printer(live, printer.port)
    with live.sign_in("maya") as till:
        sale = _sell(live, till)
        answer = till.post(f"/api/printers/{setup['id']}/print", json={"order_id": sale["order_id"]})
        usb = till.get(
            f"/api/orders/{sale['order_id']}/receipt", params={"format": "escpos", "open_drawer": True}
        )
        listed = till.get("/api/printers", params={"register_code": "NYC1"}).json()

    assert answer.status_code == 200, answer.text
    assert (
        answer.json()["drawer_opened"] is True and answer.json()["receipt_number"] == sale["receipt_number"]
    )
    _wait(lambda: printer.printed())
    [job] = printer.printed()
    assert job == usb.content, "the network printer and the till's own printer get the same bytes"
    assert job.startswith(escpos.INIT + escpos.CODE_PAGE + escpos.DRAWER_KICK) and job.endswith(
        escpos.FEED_AND_CUT
    )
    assert str(sale["receipt_number"]).encode() in job and b"TOTAL" in job and b"Change" in job
    assert [p["id"] for p in listed].count(setup["id"]) == 1


def test_a_card_sale_and_a_gift_receipt_leave_the_drawer_shut(live: Live, printer: NetworkPrinter) -> None:
    setup = _add_printer(live, printer.port)
    with live.sign_in("maya") as till:
        sale = _sell(live, till)
        gift = till.post(
            f"/api/printers/{setup['id']}/print", json={"order_id": sale["order_id"], "gift": True}
        )
        text = till.get(f"/api/orders/{sale['order_id']}/receipt", params={"gift": True}).text
    assert gift.status_code == 200 and gift.json()["drawer_opened"] is False
    _wait(lambda: printer.printed())
    [job] = printer.printed()
    assert escpos.DRAWER_KICK not in job and b"GIFT RECEIPT" in job and b"$" not in job
    assert "GIFT RECEIPT" in text and "Return or exchange by" in text and "$" not in text
    assert f"2 x {sale['name']}"[:30] in text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_printer_that_is_off_answers_a_clear_error_and_the_sale_is_kept(live: Live) -> None:
    setup = _add_printer(live, _free_port())
    with live.sign_in("maya") as till:
        sale = _sell(live, till)
        answer = till.post(f"/api/printers/{setup['id']}/print", json={"order_id": sale["order_id"]})
        order = till.get(f"/api/orders/{sale['order_id']}")
    assert answer.status_code == 502
    assert answer.json()["code"] == "device_unavailable"
    assert "refused the connection" in answer.json()["detail"]
    assert order.status_code == 200 and order.json()["receipt_number"] == sale["receipt_number"]


def test_a_silent_printer_times_out_and_a_reprint_works_once_it_answers(
    live: Live, printer: NetworkPrinter
) -> None:
    printer.mode = "silent"
    setup = _add_printer(live, printer.port)
    with live.sign_in("maya") as till:
        sale = _sell(live, till)
        started = time.monotonic()
        answer = till.post(f"/api/printers/{setup['id']}/print", json={"order_id": sale["order_id"]})
        took = time.monotonic() - started
        assert answer.status_code == 502, answer.text
        assert "did not answer within 5 s" in answer.json()["detail"]
        assert took < 8, f"the till waited {took:.1f} s"
        printer.mode = "ready"
        again = till.post(f"/api/printers/{setup['id']}/print", json={"order_id": sale["order_id"]})
    assert again.status_code == 200, again.text
    _wait(lambda: printer.printed())
    assert len(printer.printed()) == 1


def test_a_printer_out_of_paper_is_not_sent_the_receipt(live: Live, printer: NetworkPrinter) -> None:
    printer.mode = "out_of_paper"
    setup = _add_printer(live, printer.port)
    with live.sign_in("maya") as till:
        sale = _sell(live, till)
        answer = till.post(f"/api/printers/{setup['id']}/print", json={"order_id": sale["order_id"]})
    assert answer.status_code == 502 and "out of paper" in answer.json()["detail"]
    _wait(lambda: printer.jobs)
    assert printer.jobs == [escpos.STATUS_QUERY], "only the status request was sent"


def test_only_a_manager_sets_up_printers_and_bad_settings_are_refused(live: Live) -> None:
    body = {"register_code": "NYC1", "name": "front", "host": "127.0.0.1", "port": 9100}
    with live.sign_in("maya") as cashier:
        assert cashier.post("/api/printers", json=body).status_code == 403
    with live.sign_in("grace") as manager:
        assert manager.post("/api/printers", json={**body, "paper_mm": 72}).status_code == 422
        assert manager.post("/api/printers", json={**body, "host": "a b"}).status_code == 422
        assert manager.post("/api/printers", json={**body, "register_code": "NOPE"}).status_code == 404
        made = manager.post("/api/printers", json={**body, "name": f"p-{uuid.uuid4().hex[:6]}"})
        assert made.status_code == 201
        again = manager.post("/api/printers", json={**body, "name": made.json()["name"]})
        assert again.status_code == 409
        changed = manager.patch(f"/api/printers/{made.json()['id']}", json={"paper_mm": 58, "drawer": True})
        assert changed.status_code == 200 and changed.json()["paper_mm"] == 58
        assert manager.delete(f"/api/printers/{made.json()['id']}").status_code == 204
        assert (
            manager.post(f"/api/printers/{made.json()['id']}/print", json={"order_id": "x"}).status_code
            == 404
        )
    with live.sign_in("omar") as elsewhere:
        assert elsewhere.get("/api/orders/unknown/receipt").status_code == 404
        assert elsewhere.get("/api/printers", params={"register_code": "NYC1"}).status_code == 404
    with live.sign_in("maya") as till:
        sale = _sell(live, till)
        narrow = till.get(f"/api/orders/{sale['order_id']}/receipt", params={"paper_mm": 58})
        odd = till.get(f"/api/orders/{sale['order_id']}/receipt", params={"paper_mm": 60, "format": "escpos"})
    assert narrow.status_code == 200 and max(len(line) for line in narrow.text.splitlines()) <= 32
    assert odd.status_code == 422 and "80 or 58 mm" in odd.json()["detail"]
