"""One log line per webhook delivery, with its outcome, and no HTTP client chatter in the
worker (issue 18 item 8)."""

from __future__ import annotations

import asyncio
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest

from till.queue.messages import Message
from till.queue.webhooks import WebhookFailed, deliver


class _Answer(BaseHTTPRequestHandler):
    status = 204

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


def test_each_delivery_is_one_info_line_with_its_outcome(caplog: pytest.LogCaptureFixture) -> None:
    from till.cli.server import worker_logging

    worker_logging()
    receiver = HTTPServer(("127.0.0.1", 0), _Answer)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    endpoint = {
        "id": 7,
        "name": "erp",
        "url": f"http://127.0.0.1:{receiver.server_port}/till",
        "secret": "s3cret",
    }
    message = Message("m-42", "sale.placed", {"order_id": "o-1"}, "webhook.7", attempt=3)

    async def send_twice() -> None:
        async with httpx.AsyncClient() as client:
            await deliver(client, endpoint, message, allow_private=True)
            _Answer.status = 503
            with pytest.raises(WebhookFailed):
                await deliver(client, endpoint, message, allow_private=True)

    try:
        with caplog.at_level(logging.INFO):
            asyncio.run(send_twice())
    finally:
        receiver.shutdown()
        _Answer.status = 204
    lines = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert [r.name for r in lines] == ["till.webhooks", "till.webhooks"], [r.getMessage() for r in lines]
    ok, failed = (r.getMessage() for r in lines)
    for text in (ok, failed):
        assert "erp" in text and endpoint["url"] in text and "sale.placed" in text and "m-42" in text
        assert "attempt 3" in text and " ms" in text
    assert "204" in ok and "503" in failed
    assert all(r.levelno == logging.INFO for r in lines)
