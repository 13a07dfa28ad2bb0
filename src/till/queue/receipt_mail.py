"""Receipt e-mails: the consumer of `receipt.email_requested` that sends each over SMTP.

A request is written with its outbox event in the till's request (`services.receipts`); the
worker sends it here, so a slow or absent SMTP server never holds up a till. A failure is
retried with backoff, then dead-lettered like any export (docs/queue.md). The mail carries a
Message-ID made from the request key, so even a mail sent twice (a worker killed between
the server's 250 and the processed mark) is one message to the reader's mail program.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from email.message import EmailMessage
from typing import Any

from sqlalchemy import Engine

from till.domain import receipts as layout
from till.storage.receipts import ReceiptMailRepository, receipt_of

log = logging.getLogger("till.receipt_mail")

TOPIC = "receipt.email_requested"


class MailFailed(Exception):
    """The SMTP server did not take the mail (a retry follows)."""


class ReceiptMailer:
    """Sends requested receipt e-mails (an exporter of the worker: queue `export.receipt-mail`)."""

    name = "receipt-mail"
    topics = frozenset({TOPIC})

    def __init__(self, engine: Engine, settings: Any) -> None:
        self.engine = engine
        self.settings = settings

    async def export(self, message_id: str, topic: str, payload: dict[str, Any]) -> None:
        """Send one requested receipt; raise MailFailed to retry."""
        await asyncio.to_thread(self._send, payload)

    def _send(self, payload: dict[str, Any]) -> None:
        key = str(payload["request_key"])
        try:
            mail = self.compose(payload)
            self._deliver(mail)
        except (MailFailed, OSError, smtplib.SMTPException) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            log.warning("receipt mail %s to %s: %s", key, payload.get("to"), reason)
            with self.engine.begin() as conn:
                ReceiptMailRepository(conn).mark(key, error=reason[:1000])
            raise MailFailed(reason) from exc
        with self.engine.begin() as conn:
            ReceiptMailRepository(conn).mark(key)
        log.info("receipt mail %s for order %s sent to %s", key, payload["order_id"], payload["to"])

    def compose(self, payload: dict[str, Any]) -> EmailMessage:
        """The mail for a request: the receipt as plain text and as HTML, the same rows."""
        settings = self.settings
        if not settings.smtp_host or not settings.smtp_from:
            raise MailFailed("receipt e-mails need TILL_SMTP_HOST and TILL_SMTP_FROM")
        with self.engine.connect() as conn:
            found = receipt_of(
                conn,
                str(payload["order_id"]),
                gift=bool(payload.get("gift")),
                return_days=settings.return_days,
            )
        if found is None:
            raise MailFailed(f"no order {payload['order_id']}")
        receipt, _ = found
        mail = EmailMessage()
        kind = "Gift receipt" if receipt.gift else "Receipt"
        mail["Subject"] = f"{kind} {receipt.receipt_number} · {receipt.store_name}"
        mail["From"] = settings.smtp_from
        mail["To"] = str(payload["to"])
        domain = settings.smtp_from.rsplit("@", 1)[-1].strip("> ") or "till"
        mail["Message-ID"] = f"<receipt.{payload['request_key']}@{domain}>"
        mail.set_content(layout.text(receipt, 48))
        mail.add_alternative(layout.html_document(receipt), subtype="html")
        return mail

    def _deliver(self, mail: EmailMessage) -> None:
        settings = self.settings
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(mail)
