"""The Z report of a closed shift as a document to print or e-mail: plain text and HTML.

Built from the figures stored with the shift when it closed, so the document says what the
close said. Sending is not done here: `ZReportSender` is the seam an e-mail transport fills
(the SMTP receipts' sender), and `send_z_report` hands it the document.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Engine

from till.domain.staff import Permission
from till.services.auth import Principal
from till.services.errors import NotFound
from till.storage.uow import UnitOfWork

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
#: Characters across an 80 mm receipt printer's line in its standard font.
WIDTH = 42


@dataclass(frozen=True, slots=True)
class ZReportDocument:
    """One Z report as a subject line, a plain-text body and an HTML body."""

    shift_id: int
    subject: str
    text: str
    html: str


class ZReportSender(Protocol):
    """Sends a Z report document to an address (an SMTP transport, a test's outbox, …)."""

    def send(self, to: str, document: ZReportDocument) -> None:
        """Send it, or raise to say why not."""
        ...


def _amount(currency: str, value: str | None) -> str:
    if value is None:
        return ""
    symbol = _SYMBOLS.get(currency, f"{currency} ")
    return f"-{symbol}{value[1:]}" if value.startswith("-") else f"{symbol}{value}"


def _rows(z: dict[str, Any], currency: str, closed_by: str) -> list[tuple[str, str]]:
    def money(key: str) -> str:
        return _amount(currency, z.get(key))

    difference = z.get("difference") or "0.00"
    verdict = "Short" if difference.startswith("-") else "Over" if difference != "0.00" else "Balanced"
    rows = [
        ("Opened", str(z["opened_at"])),
        ("Closed", str(z["closed_at"])),
        ("Closed by", closed_by),
        ("Opening float", money("opening_float")),
        (f"Sales ({z['sales_count']})", money("gross_sales")),
        (f"Refunds ({z['refunds_count']})", money("refunds")),
        ("Net sales", money("net_sales")),
        ("Tax", money("tax")),
        ("Discounts", money("discounts")),
    ]
    rows += [
        (f"Taken by {method}", _amount(currency, value)) for method, value in z["payments_by_method"].items()
    ]
    rows += [
        ("Cash in", money("cash_in")),
        ("Cash out", money("cash_out")),
        ("Expected cash", money("expected_cash")),
        ("Counted cash", money("counted_cash")),
        (f"Difference ({verdict})", money("difference")),
    ]
    return rows


def _text(title: str, rows: list[tuple[str, str]], count: dict[str, int], note: str, currency: str) -> str:
    def line(label: str, value: str) -> str:
        return f"{label}{' ' * max(1, WIDTH - len(label) - len(value))}{value}"

    out = [title.center(WIDTH), "=" * WIDTH, *(line(k, v) for k, v in rows)]
    if count:
        out += ["-" * WIDTH, "Counted by note and coin"]
        out += [line(f"{qty} x {_amount(currency, face)}", "") for face, qty in count.items()]
    if note:
        out += ["-" * WIDTH, "Note:", note]
    return "\n".join(out) + "\n"


def _html(title: str, rows: list[tuple[str, str]], count: dict[str, int], note: str, currency: str) -> str:
    e = html.escape
    body = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows)
    counted = "".join(
        f"<tr><th>{qty} × {e(_amount(currency, face))}</th><td></td></tr>" for face, qty in count.items()
    )
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{e(title)}</title>"
        "<style>body{font-family:monospace;width:72mm;margin:0 auto}"
        "table{width:100%;border-collapse:collapse}th{text-align:left;font-weight:normal}"
        "td{text-align:right;white-space:nowrap}@page{size:80mm auto;margin:4mm}</style>"
        f'</head><body><h1 style="font-size:1.1em;text-align:center">{e(title)}</h1>'
        f"<table>{body}</table>"
        + (
            f'<h2 style="font-size:1em">Counted by note and coin</h2><table>{counted}</table>'
            if count
            else ""
        )
        + (f'<h2 style="font-size:1em">Note</h2><p>{e(note)}</p>' if note else "")
        + "</body></html>"
    )


def z_report_document(engine: Engine, by: Principal, shift_id: int) -> ZReportDocument:
    """The document of a closed shift's Z report, for a manager of its location."""
    with UnitOfWork(engine) as uow:
        shift = uow.shifts.get(shift_id)
        if shift is None or shift["z_report"] is None:
            raise NotFound(f"no closed shift {shift_id}")
        register = uow.reference.register(shift["register_code"])
        location = None if register is None else uow.reference.location(register.location_code)
        if location is None:
            raise NotFound(f"no register {shift['register_code']}")
        by.staff.require(Permission.REPORTS, location.code)
        closer = uow.staff.by_id(shift["closed_by"]) if shift["closed_by"] is not None else None
        store = (uow.reference.setting("store") or {}).get("name", "")
    z = dict(shift["z_report"])
    title = f"Z report · {z['register_code']} · {location.name}"
    rows = _rows(z, location.currency, closer.name if closer else "")
    count = dict(z.get("counted_by_denomination") or {})
    note = str(z.get("note") or "")
    day = str(z["closed_at"])[:10]
    return ZReportDocument(
        shift_id=shift_id,
        subject=f"{store + ' · ' if store else ''}Z report {z['register_code']} {day}",
        text=_text(title, rows, count, note, location.currency),
        html=_html(title, rows, count, note, location.currency),
    )


def send_z_report(engine: Engine, by: Principal, shift_id: int, to: str, sender: ZReportSender) -> None:
    """Send a closed shift's Z report to an address through the given sender (the seam for
    e-mail: this module never talks SMTP itself)."""
    sender.send(to, z_report_document(engine, by, shift_id))
