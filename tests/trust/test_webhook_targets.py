"""Webhooks cannot be pointed at loopback or private addresses unless a setting allows it
(issue 12, item 13): refused when made, and at delivery after the name is resolved."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.e2e.conftest import Live
from tests.queue.conftest import Receiver
from till.queue.messages import Message
from till.queue.webhooks import WebhookFailed, deliver, not_public

PRIVATE = [
    "http://127.0.0.1:9/x",
    "http://127.9.9.9/x",
    "http://[::1]:8000/x",
    "http://10.0.0.7/x",
    "http://172.16.5.4/x",
    "http://172.31.255.1/x",
    "http://192.168.1.1/x",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fc00::1]/x",
    "http://[fd12:3456::1]/x",
    "http://0.0.0.0:8000/x",
    "http://[::ffff:127.0.0.1]/x",
    "http://localhost:8000/x",
    "https://till.localhost/x",
]


@pytest.mark.db
def test_a_webhook_to_a_private_address_is_refused_when_made_or_changed(live: Live) -> None:
    with live.sign_in("admin") as admin:
        for url in PRIVATE:
            made = admin.post("/api/admin/webhooks", json={"name": "erp", "url": url, "topics": ["*"]})
            assert made.status_code in (400, 422), (url, made.text)
            assert "not a public address" in made.text, made.text
        assert admin.get("/api/admin/webhooks").json() == []
        public = admin.post(
            "/api/admin/webhooks",
            json={"name": "erp", "url": "https://erp.example.com/hook", "topics": ["*"]},
        )
        assert public.status_code == 201, public.text
        moved = admin.patch(f"/api/admin/webhooks/{public.json()['id']}", json={"url": "http://10.1.1.1/h"})
        assert moved.status_code in (400, 422) and "not a public address" in moved.text


def _send(url: str, *, allow_private: bool) -> None:
    message = Message("msg-1", "sale.placed", {"order_id": "o-1"}, "webhook.1")

    async def send() -> None:
        async with httpx.AsyncClient() as client:
            await deliver(client, {"url": url, "secret": "s"}, message, allow_private=allow_private)

    asyncio.run(send())


def test_a_delivery_to_a_name_that_resolves_to_loopback_is_refused(receiver: Receiver) -> None:
    """`localhost` stands for any name whose DNS answer is private (or rebinds to it later):
    the check runs on the resolved addresses at each delivery."""
    url = receiver.url.replace("127.0.0.1", "localhost")
    with pytest.raises(WebhookFailed, match="not a public address"):
        _send(url, allow_private=False)
    with pytest.raises(WebhookFailed, match="not a public address"):
        _send(receiver.url, allow_private=False)
    assert receiver.deliveries == [], "nothing reached the receiver"
    _send(url, allow_private=True)  # TILL_WEBHOOKS_ALLOW_PRIVATE=true
    assert len(receiver.deliveries) == 1


def test_which_addresses_are_public() -> None:
    assert all(not_public(a) for a in ("127.0.0.1", "::1", "10.1.2.3", "172.20.0.1", "192.168.0.9"))
    assert all(
        not_public(a) for a in ("169.254.1.1", "fc00::5", "0.0.0.0", "::ffff:10.0.0.1", "fe80::1%eth0")
    )
    assert not any(not_public(a) for a in ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"))
