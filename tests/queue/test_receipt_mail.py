"""Receipt e-mails end to end on each database: asked for over HTTP, sent by a real worker to a
real SMTP server (aiosmtpd on a loopback port): once per request key whatever the retries, to
the typed address or the sale's customer, with the receipt's totals in text and HTML; with the
SMTP server down the mail is retried, then dead-lettered, and the sale is untouched."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine

from tests.e2e.conftest import Live, _server_for, priced, sale_payload
from tests.queue.conftest import WorkerThread, queue_settings, wait_for
from till.demo.store import seed_demo
from till.queue import store
from till.storage.tables import customers

pytestmark = pytest.mark.db


@dataclass
class Mailbox:
    """What a real SMTP server received: (envelope recipients, parsed message)."""

    host: str = "127.0.0.1"
    port: int = 0
    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def messages(self) -> list[tuple[list[str], EmailMessage]]:
        with self.lock:
            return list(self.received)


@pytest.fixture
def live(engine: Engine) -> Live:
    """The demo store on each backend, served over real HTTP (as in tests/e2e)."""
    return Live(_server_for(engine), engine, seed_demo(engine))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox(port=_free_port())
    controller = Controller(box, hostname=box.host, port=box.port)
    controller.start()
    yield box
    controller.stop()


def _smtp(port: int) -> dict[str, Any]:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_starttls": False,
        "smtp_from": "Manhattan Store <receipts@shop.example>",
    }


def _sell(live: Live, till: httpx.Client, customer_id: int | None = None) -> dict[str, Any]:
    with live.sign_in("admin") as admin:
        found = admin.get("/api/products", params={"q": "a", "limit": 200}).json()
    product = next(
        p for p in found if p["type"] == "simple" and Decimal(p["price"]) > 0 and not p["special_price"]
    )
    payload = priced(
        live,
        sale_payload(
            live,
            key=f"sale-{uuid.uuid4()}",
            receipt=f"NYC1-{uuid.uuid4().int % 10**6:06d}",
            lines=[
                {"sku": product["sku"], "name": product["name"], "qty": "3", "unit_price": product["price"]}
            ],
            customer_id=customer_id,
        ),
    )
    answer = till.post("/api/orders", json=payload)
    assert answer.status_code == 201, answer.text
    order = till.get(f"/api/orders/{answer.json()['order_id']}").json()
    return {**order, "product": product["name"]}


def test_a_receipt_asked_twice_arrives_once_with_its_totals(
    live: Live, mailbox: Mailbox, start_worker: Callable[..., WorkerThread]
) -> None:
    start_worker(live.engine, queue_settings(live.engine, **_smtp(mailbox.port)), schedule=False)
    key = f"mail-{uuid.uuid4()}"
    with live.sign_in("maya") as till:
        order = _sell(live, till)
        first = till.post(
            f"/api/orders/{order['id']}/receipt-mails", json={"request_key": key, "to": "ana@example.com"}
        )
        again = till.post(
            f"/api/orders/{order['id']}/receipt-mails", json={"request_key": key, "to": "ana@example.com"}
        )
        wait_for(lambda: mailbox.messages(), what="the receipt e-mail")
        wait_for(
            lambda: till.get(f"/api/orders/{order['id']}/receipt-mails").json()[0]["sent"],
            what="the sent mark",
        )
        time.sleep(1.0)  # time enough for a second mail, if one were coming
        listed = till.get(f"/api/orders/{order['id']}/receipt-mails").json()

    assert first.status_code == 202, first.text
    assert again.status_code == 200 and again.json()["request_key"] == key
    [(recipients, message)] = mailbox.messages()
    assert recipients == ["ana@example.com"] and message["To"] == "ana@example.com"
    assert order["receipt_number"] in message["Subject"] and "Manhattan Store" in message["Subject"]
    plain = message.get_body(("plain",))
    rich = message.get_body(("html",))
    assert plain is not None and rich is not None
    for body in (plain.get_content(), rich.get_content()):
        assert f"${order['grand_total']}" in body and f"${order['tax']}" in body
        assert order["receipt_number"] in body and order["product"][:20] in body
    assert [(m["to"], m["sent"], m["last_error"]) for m in listed] == [("ana@example.com", True, None)]


def test_with_no_address_it_goes_to_the_sales_customer_and_bad_input_is_refused(
    live: Live, mailbox: Mailbox, start_worker: Callable[..., WorkerThread]
) -> None:
    with live.engine.connect() as conn:
        customer_id, address = conn.execute(customers.select().limit(1)).first()[:2]  # type: ignore[index]
    start_worker(live.engine, queue_settings(live.engine, **_smtp(mailbox.port)), schedule=False)
    with live.sign_in("maya") as till:
        order = _sell(live, till, customer_id=customer_id)
        plain = _sell(live, till)
        url = f"/api/orders/{order['id']}/receipt-mails"
        sent = till.post(url, json={"request_key": f"mail-{uuid.uuid4()}", "gift": True})
        bad = till.post(url, json={"request_key": f"mail-{uuid.uuid4()}", "to": "ana@@example"})
        nobody = till.post(
            f"/api/orders/{plain['id']}/receipt-mails", json={"request_key": f"mail-{uuid.uuid4()}"}
        )
        reused = till.post(url, json={"request_key": sent.json()["request_key"], "to": "bob@example.com"})
        missing = till.post("/api/orders/nope/receipt-mails", json={"request_key": f"mail-{uuid.uuid4()}"})
    with live.sign_in("omar") as elsewhere:
        hidden = elsewhere.post(url, json={"request_key": f"mail-{uuid.uuid4()}", "to": "x@example.com"})
    assert sent.status_code == 202 and sent.json()["to"] == address
    assert bad.status_code == 422 and "not an e-mail address" in bad.json()["detail"]
    assert nobody.status_code == 422 and "type an address" in nobody.json()["detail"]
    assert reused.status_code == 409
    assert missing.status_code == 404 and hidden.status_code == 404
    wait_for(lambda: mailbox.messages(), what="the gift receipt e-mail")
    [(recipients, message)] = mailbox.messages()
    assert recipients == [address] and message["Subject"].startswith("Gift receipt")
    body = message.get_body(("plain",))
    assert body is not None
    assert "GIFT RECEIPT" in body.get_content() and "$" not in body.get_content()


def test_smtp_down_is_retried_then_dead_lettered_and_the_sale_is_kept(
    live: Live, start_worker: Callable[..., WorkerThread]
) -> None:
    settings = queue_settings(live.engine, queue_max_attempts=3, **_smtp(_free_port()))
    start_worker(live.engine, settings, schedule=False)
    with live.sign_in("maya") as till:
        order = _sell(live, till)
        asked = till.post(
            f"/api/orders/{order['id']}/receipt-mails",
            json={"request_key": f"mail-{uuid.uuid4()}", "to": "a@example.com"},
        )
        assert asked.status_code == 202
        [letter] = wait_for(
            lambda: store.dead_letters(live.engine, "export.receipt-mail"), what="the dead letter"
        )
        listed = till.get(f"/api/orders/{order['id']}/receipt-mails").json()
        kept = till.get(f"/api/orders/{order['id']}")
    assert letter["attempts"] == 3 and "Connection refused" in letter["last_error"]
    assert letter["payload"]["order_id"] == order["id"]
    assert listed[0]["sent"] is False and "Connection refused" in listed[0]["last_error"]
    assert kept.status_code == 200 and kept.json()["grand_total"] == order["grand_total"]
