"""Receipts that leave the till: a sale read as its receipt, the registers' network printers,
and the receipt e-mails asked for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, delete, insert, select, update

from till.domain.receipts import Receipt, ReceiptLine, Tender
from till.domain.refunds import TenderError, change_due
from till.storage.reference import ReferenceRepository
from till.storage.sales import SalesRepository
from till.storage.tables import customers, locations, printers, receipt_mails, registers, staff


def receipt_of(
    conn: Connection, order_id: str, *, gift: bool = False, return_days: int = 30
) -> tuple[Receipt, str] | None:
    """The receipt of a sale and its location code, or None if there is no such sale. Times
    are in the location's own time zone, as the till printed them."""
    order = SalesRepository(conn).get(order_id)
    if order is None:
        return None
    place = conn.execute(select(locations).where(locations.c.code == order.location_code)).one()
    store = ReferenceRepository(conn).setting("store") or {}
    # The name the till prints (web storeNameOf): the store's, then the location's.
    brand = store.get("name") if isinstance(store, dict) else None
    store_name = " · ".join(filter(None, [brand, place.name]))
    seller = conn.execute(select(staff.c.name).where(staff.c.id == order.staff_id)).scalar() or ""
    customer = ""
    if order.customer_id is not None:
        row = conn.execute(
            select(customers.c.firstname, customers.c.lastname).where(customers.c.id == order.customer_id)
        ).first()
        customer = f"{row.firstname} {row.lastname}".strip() if row else ""
    sold_at = order.created_at.astimezone(ZoneInfo(place.timezone))
    try:
        change = change_due(order.grand_total, order.payments)
    except TenderError:
        change = Decimal(0)  # a sale accepted short of its total (flagged) hands nothing back
    receipt = Receipt(
        store_name=store_name or "Till",
        receipt_number=order.receipt_number,
        sold_at=sold_at,
        staff_name=seller,
        lines=[ReceiptLine(line.name, line.qty, line.row_total, line.discount) for line in order.lines],
        subtotal=order.subtotal,
        discount=order.discount,
        tax=order.tax,
        grand_total=order.grand_total,
        tenders=[Tender(p.method, p.amount) for p in order.payments],
        change=change,
        currency=place.currency,
        customer_name=customer,
        coupon_code=order.coupon_code,
        gift=gift,
        return_by=(sold_at + timedelta(days=return_days)).date(),
    )
    return receipt, order.location_code


# --- printers -------------------------------------------------------------------------------------


def _printer(row: Any) -> dict[str, Any]:
    return {
        "id": int(row.id),
        "register_code": row.register_code,
        "location_code": row.location_code,
        "name": row.name,
        "host": row.host,
        "port": int(row.port),
        "paper_mm": int(row.paper_mm),
        "drawer": bool(row.drawer),
    }


_PRINTER_COLUMNS = (*printers.c, registers.c.location_code)


class PrinterRepository:
    """The network receipt printers of the registers."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def all(self, register_code: str | None = None) -> list[dict[str, Any]]:
        """Printers, of one register or all, by register then name."""
        query = select(*_PRINTER_COLUMNS).join(registers, registers.c.code == printers.c.register_code)
        if register_code is not None:
            query = query.where(printers.c.register_code == register_code)
        return [
            _printer(r) for r in self.conn.execute(query.order_by(printers.c.register_code, printers.c.name))
        ]

    def get(self, printer_id: int) -> dict[str, Any] | None:
        """One printer with its register's location."""
        row = self.conn.execute(
            select(*_PRINTER_COLUMNS)
            .join(registers, registers.c.code == printers.c.register_code)
            .where(printers.c.id == printer_id)
        ).first()
        return None if row is None else _printer(row)

    def add(self, register_code: str, name: str, host: str, port: int, paper_mm: int, drawer: bool) -> int:
        """A new printer's id."""
        result = self.conn.execute(
            insert(printers).values(
                register_code=register_code,
                name=name,
                host=host,
                port=port,
                paper_mm=paper_mm,
                drawer=drawer,
                created_at=datetime.now(UTC),
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def change(self, printer_id: int, **values: Any) -> None:
        """Set some of a printer's fields."""
        if values:
            self.conn.execute(update(printers).where(printers.c.id == printer_id).values(**values))

    def remove(self, printer_id: int) -> None:
        """Forget a printer."""
        self.conn.execute(delete(printers).where(printers.c.id == printer_id))


# --- receipt e-mails ------------------------------------------------------------------------------


class ReceiptMailRepository:
    """Receipt e-mails asked for, one per request key."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, request_key: str, order_id: str, to_address: str, gift: bool, staff_id: int | None) -> None:
        """Record a request; a key already used raises IntegrityError (the caller's replay)."""
        self.conn.execute(
            insert(receipt_mails).values(
                request_key=request_key,
                order_id=order_id,
                to_address=to_address,
                gift=gift,
                staff_id=staff_id,
                requested_at=datetime.now(UTC),
            )
        )

    def get(self, request_key: str) -> dict[str, Any] | None:
        """A request by its key."""
        row = self.conn.execute(
            select(receipt_mails).where(receipt_mails.c.request_key == request_key)
        ).first()
        return None if row is None else dict(row._mapping)

    def of_order(self, order_id: str) -> list[dict[str, Any]]:
        """The requests for one sale, oldest first."""
        query = select(receipt_mails).where(receipt_mails.c.order_id == order_id).order_by(receipt_mails.c.id)
        return [dict(r._mapping) for r in self.conn.execute(query)]

    def mark(self, request_key: str, *, error: str | None = None) -> None:
        """Record the outcome of a try: sent (no error) or why it failed."""
        values: dict[str, Any] = {"last_error": error}
        if error is None:
            values["sent_at"] = datetime.now(UTC)
        self.conn.execute(
            update(receipt_mails).where(receipt_mails.c.request_key == request_key).values(**values)
        )
