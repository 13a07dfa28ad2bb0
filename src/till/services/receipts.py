"""Receipts that leave the till: e-mailed by the server, printed on a register's network
printer (raw TCP, port 9100), or encoded for the till's own USB or serial printer.

Every path draws the one receipt layout (`domain.receipts`) and the one ESC/POS encoder
(`domain.escpos`), so a printed, e-mailed and reprinted receipt say the same thing.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from till.domain import escpos
from till.domain.errors import Conflict, DeviceUnavailable, Invalid, NotFound
from till.domain.receipts import WIDTHS, Receipt
from till.domain.staff import Permission
from till.services.auth import Principal
from till.services.refunds import may_read
from till.storage.customers import CustomerRepository
from till.storage.events import EventRepository
from till.storage.receipts import PrinterRepository, ReceiptMailRepository, receipt_of
from till.storage.reference import ReferenceRepository
from till.storage.sales import SalesRepository

#: The topic a receipt e-mail request is announced on (the worker's `receipt-mail` sends it).
MAIL_TOPIC = "receipt.email_requested"

# One @, no spaces, a dot in the domain: what a mail server would try to deliver to.
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def receipt(engine: Engine, by: Principal, order_id: str, *, gift: bool, return_days: int) -> Receipt:
    """The receipt of a sale the member may read (NotFound otherwise: no sale is revealed)."""
    with engine.connect() as conn:
        found = receipt_of(conn, order_id, gift=gift, return_days=return_days)
    if found is None or not may_read(by, found[1]):
        raise NotFound(f"no order {order_id}")
    return found[0]


def check_address(address: str) -> str:
    """A typed e-mail address, trimmed, or Invalid saying what is wrong with it."""
    address = address.strip()
    if len(address) > 254 or not _ADDRESS.match(address):
        raise Invalid(f"{address!r} is not an e-mail address (name@example.com)", code="invalid_email")
    return address


@dataclass(frozen=True, slots=True)
class MailRequest:
    """A receipt e-mail asked for, and where it stands."""

    request_key: str
    order_id: str
    to: str
    gift: bool
    sent: bool
    last_error: str | None
    created: bool


def _request(row: dict[str, Any], created: bool) -> MailRequest:
    return MailRequest(
        row["request_key"],
        row["order_id"],
        row["to_address"],
        bool(row["gift"]),
        row["sent_at"] is not None,
        row["last_error"],
        created,
    )


def request_mail(
    engine: Engine, by: Principal, order_id: str, *, request_key: str, to: str | None, gift: bool
) -> MailRequest:
    """Ask for a receipt e-mail to `to`, or to the sale's customer when no address is given.
    The request and its outbox event are one transaction; the same key again answers the
    first request and sends nothing more (a different sale or address under it is a Conflict)."""
    with engine.connect() as conn:
        order = SalesRepository(conn).get(order_id)
        if order is None or not may_read(by, order.location_code):
            raise NotFound(f"no order {order_id}")
        if to is None:
            customer = None if order.customer_id is None else CustomerRepository(conn).get(order.customer_id)
            if customer is None or not customer.get("email"):
                raise Invalid(
                    "this sale has no customer with an e-mail: type an address", code="invalid_email"
                )
            to = str(customer["email"])
    address = check_address(to)
    try:
        with engine.begin() as conn:
            ReceiptMailRepository(conn).add(request_key, order_id, address, gift, by.staff.id)
            EventRepository(conn).publish(
                MAIL_TOPIC, {"request_key": request_key, "order_id": order_id, "to": address, "gift": gift}
            )
    except IntegrityError:
        with engine.connect() as conn:
            first = ReceiptMailRepository(conn).get(request_key)
        if first is None:
            raise
        if first["order_id"] != order_id or first["to_address"] != address or bool(first["gift"]) != gift:
            raise Conflict(f"request key {request_key} was used for another receipt e-mail") from None
        return _request(first, created=False)
    with engine.connect() as conn:
        row = ReceiptMailRepository(conn).get(request_key)
    assert row is not None
    return _request(row, created=True)


def mail_requests(engine: Engine, by: Principal, order_id: str) -> list[MailRequest]:
    """The receipt e-mails asked for a sale, oldest first."""
    with engine.connect() as conn:
        order = SalesRepository(conn).get(order_id)
        if order is None or not may_read(by, order.location_code):
            raise NotFound(f"no order {order_id}")
        return [_request(row, created=False) for row in ReceiptMailRepository(conn).of_order(order_id)]


# --- printers -------------------------------------------------------------------------------------


def printers(engine: Engine, by: Principal, register_code: str | None) -> list[dict[str, Any]]:
    """The network printers of a register (or every register) at the member's locations; a
    register elsewhere is NotFound, as a register that does not exist."""
    with engine.connect() as conn:
        if register_code is not None:
            register = ReferenceRepository(conn).register(register_code)
            if register is None or not by.staff.works_at(register.location_code):
                raise NotFound(f"no register {register_code}")
        found = PrinterRepository(conn).all(register_code)
    return [p for p in found if by.staff.works_at(p["location_code"])]


def _printer_of(engine: Engine, by: Principal, printer_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        found = PrinterRepository(conn).get(printer_id)
    if found is None or not by.staff.works_at(found["location_code"]):
        raise NotFound(f"no printer {printer_id}")
    return found


def _check_printer(host: str, port: int, paper_mm: int) -> None:
    if not host or len(host) > 255 or any(c.isspace() or c in "/@?#" for c in host):
        raise Invalid(f"printer host {host!r}: give a host name or IP address")
    if not 1 <= port <= 65535:
        raise Invalid(f"printer port {port}: 1 to 65535 (raw printing is 9100)")
    if paper_mm not in WIDTHS:
        _bad_paper(paper_mm)


def _bad_paper(paper_mm: int) -> None:
    raise Invalid(f"paper {paper_mm} mm: a receipt printer takes 80 or 58 mm")


def columns_for(paper_mm: int) -> int:
    """Characters on a line of this paper, or Invalid (422) for a width that is not 80 or 58 mm."""
    if paper_mm not in WIDTHS:
        _bad_paper(paper_mm)
    return WIDTHS[paper_mm]


def add_printer(
    engine: Engine,
    by: Principal,
    *,
    register_code: str,
    name: str,
    host: str,
    port: int,
    paper_mm: int,
    drawer: bool,
) -> dict[str, Any]:
    """Set up a network printer on a register (a manager at that register's location)."""
    _check_printer(host, port, paper_mm)
    with engine.begin() as conn:
        register = ReferenceRepository(conn).register(register_code)
        if register is None or not by.staff.works_at(register.location_code):
            raise NotFound(f"no register {register_code}")
        location = register.location_code
        by.staff.require(Permission.MANAGE_DEVICES, location)
        try:
            with conn.begin_nested():
                printer_id = PrinterRepository(conn).add(register_code, name, host, port, paper_mm, drawer)
        except IntegrityError:
            raise Conflict(f"register {register_code} has a printer named {name!r} already") from None
        EventRepository(conn).audit(
            "printer.added",
            {"printer_id": printer_id, "register_code": register_code, "host": host, "port": port},
            by.actor(location, register_code),
        )
    return _printer_of(engine, by, printer_id)


def change_printer(engine: Engine, by: Principal, printer_id: int, **changes: Any) -> dict[str, Any]:
    """Change a printer's name, host, port, paper or drawer (None leaves a field alone)."""
    current = _printer_of(engine, by, printer_id)
    by.staff.require(Permission.MANAGE_DEVICES, current["location_code"])
    values = {k: v for k, v in changes.items() if v is not None}
    merged = {**current, **values}
    _check_printer(merged["host"], merged["port"], merged["paper_mm"])
    with engine.begin() as conn:
        PrinterRepository(conn).change(printer_id, **values)
        EventRepository(conn).audit(
            "printer.changed",
            {"printer_id": printer_id, "changes": values},
            by.actor(current["location_code"], current["register_code"]),
        )
    return _printer_of(engine, by, printer_id)


def remove_printer(engine: Engine, by: Principal, printer_id: int) -> None:
    """Forget a printer."""
    current = _printer_of(engine, by, printer_id)
    by.staff.require(Permission.MANAGE_DEVICES, current["location_code"])
    with engine.begin() as conn:
        PrinterRepository(conn).remove(printer_id)
        EventRepository(conn).audit(
            "printer.removed",
            {"printer_id": printer_id, "host": current["host"]},
            by.actor(current["location_code"], current["register_code"]),
        )


@dataclass(frozen=True, slots=True)
class Printed:
    """What was sent to a printer."""

    printer_id: int
    receipt_number: str
    size: int
    drawer_opened: bool


def receipt_bytes(
    engine: Engine, by: Principal, order_id: str, *, paper_mm: int, gift: bool, drawer: bool, return_days: int
) -> tuple[bytes, Receipt]:
    """The ESC/POS bytes of a sale's receipt (for a printer the till drives itself)."""
    if paper_mm not in WIDTHS:
        _bad_paper(paper_mm)
    found = receipt(engine, by, order_id, gift=gift, return_days=return_days)
    return escpos.encode(found, paper_mm, open_drawer=drawer), found


async def print_receipt(
    engine: Engine,
    by: Principal,
    printer_id: int,
    order_id: str,
    *,
    gift: bool,
    open_drawer: bool,
    return_days: int,
    timeout: float,
) -> Printed:
    """Print a sale's receipt on a register's network printer: connect, send, close, each
    within `timeout` seconds. The drawer opens when asked, the printer has one and cash was
    taken. A printer that is off, refuses or does not take the bytes in time raises
    DeviceUnavailable with the reason: the sale itself is untouched."""
    printer = await asyncio.to_thread(_printer_of, engine, by, printer_id)
    data, found = await asyncio.to_thread(
        receipt_bytes,
        engine,
        by,
        order_id,
        paper_mm=printer["paper_mm"],
        gift=gift,
        drawer=open_drawer and printer["drawer"],
        return_days=return_days,
    )
    await send_raw(printer["host"], printer["port"], data, timeout, printer["name"])
    kicked = escpos.kicks_drawer(found, open_drawer and printer["drawer"])
    return Printed(printer_id, found.receipt_number, len(data), kicked)


async def send_raw(host: str, port: int, data: bytes, timeout: float, name: str = "printer") -> None:
    """Send bytes to a raw TCP (JetDirect, port 9100) ESC/POS printer. The printer is asked
    first for its status (DLE EOT 1 and 4, answered at once even while busy): one that does
    not answer within `timeout` seconds, is offline or out of paper is not sent the receipt.
    Raises DeviceUnavailable with the reason."""
    where = f"{name} ({host}:{port})"
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except TimeoutError:
        raise DeviceUnavailable(f"{where} did not answer within {timeout:g} s: is it on?") from None
    except OSError as exc:
        reason = "refused the connection" if isinstance(exc, ConnectionRefusedError) else str(exc)
        raise DeviceUnavailable(f"{where} {reason}: is it on and on the network?") from None
    try:
        writer.write(escpos.STATUS_QUERY)
        await asyncio.wait_for(writer.drain(), timeout)
        status = await asyncio.wait_for(reader.readexactly(2), timeout)
        problem = escpos.status_problem(status)
        if problem:
            raise DeviceUnavailable(f"{where}: {problem}")
        writer.write(data)
        await asyncio.wait_for(writer.drain(), timeout)
    except TimeoutError:
        raise DeviceUnavailable(f"{where} did not answer within {timeout:g} s: is it on and ready?") from None
    except asyncio.IncompleteReadError:
        raise DeviceUnavailable(f"{where} closed the connection without a status") from None
    except OSError as exc:
        raise DeviceUnavailable(f"{where} dropped the connection: {exc}") from None
    finally:
        writer.close()
        with contextlib.suppress(TimeoutError, OSError):
            await asyncio.wait_for(writer.wait_closed(), timeout)
