"""Sales storage: orders, their lines and payments, refunds, flags and rejected sales.

A batch of sales is inserted skipping rows that clash with a unique key: the idempotency key
decides who wins a race, and the loser reads the winner's order instead of making a second one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Connection, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from till.domain.sales import Order, OrderLine, OrderState, Payment, PaymentMethod, SoldCard
from till.storage.db import insert_skipping_clashes
from till.storage.tables import (
    gift_card_entries,
    gift_cards,
    order_flags,
    order_lines,
    order_payments,
    orders,
    refund_lines,
    refunds,
    rejected_sales,
)


@dataclass(frozen=True, slots=True)
class Rejection:
    """A sale the server could not accept, and why."""

    idempotency_key: str
    reason: str


class SalesRepository:
    """Orders and refunds inside one transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_many(self, entries: Sequence[tuple[Order, dict[str, Any]]]) -> dict[str, str]:
        """Insert sales, each exactly once; returns the order now holding each key.

        One INSERT for the batch that skips rows clashing with a unique key: the idempotency key
        (a racing process stored the sale: its id comes back instead of ours) or the register's
        receipt number (the key is then absent from the answer). No savepoint per sale.
        """
        if not entries:
            return {}
        now = datetime.now(UTC)
        rows = [
            {
                "id": order.id,
                "idempotency_key": order.idempotency_key,
                "receipt_number": order.receipt_number,
                "register_code": order.register_code,
                "location_code": order.location_code,
                "staff_id": order.staff_id,
                "customer_id": order.customer_id,
                "state": order.state,
                "created_at": order.created_at,
                "received_at": now,
                # Handed over in the same transaction (services.sales.place_sales).
                "fulfilled_at": now,
                "subtotal": order.subtotal,
                "discount": order.discount,
                "tax": order.tax,
                "grand_total": order.grand_total,
                "total_refunded": order.total_refunded,
                "gift_cards_sold": order.gift_cards_sold,
                "coupon_code": order.coupon_code,
                "flags": ",".join(sorted(order.flags)),
                **extra,
            }
            for order, extra in entries
        ]
        self.conn.execute(insert_skipping_clashes(self.conn, orders), rows)
        return self.ids_for_keys([order.idempotency_key for order, _ in entries])

    def add_details(self, placed: Sequence[Order]) -> None:
        """Insert the lines and payments of sales that `add_many` stored."""
        lines = [
            {
                "order_id": order.id,
                "line_no": line.line_no,
                "sku": line.sku,
                "name": line.name,
                "qty": line.qty,
                "price": line.price,
                "price_incl_tax": line.price_incl_tax,
                "row_total": line.row_total,
                "discount": line.discount,
                "tax": line.tax,
                "discount_tax_compensation": line.discount_tax_compensation,
                "row_grand_total": line.row_grand_total,
                "qty_refunded": line.qty_refunded,
                "amount_refunded": line.amount_refunded,
            }
            for order in placed
            for line in order.lines
        ]
        if lines:  # none when every sale sold gift cards only
            self.conn.execute(insert(order_lines), lines)
        payments = [
            {"order_id": order.id, "seq": n, "method": p.method, "amount": p.amount, "reference": p.reference}
            for order in placed
            for n, p in enumerate(order.payments, start=1)
        ]
        if payments:
            self.conn.execute(insert(order_payments), payments)

    def flag_many(self, flags: Sequence[tuple[str, str, dict[str, Any]]]) -> None:
        """Record flags of new sales whose `flags` column already names them."""
        if flags:
            now = datetime.now(UTC)
            self.conn.execute(
                insert(order_flags),
                [
                    {
                        "order_id": order_id,
                        "flag": flag,
                        "detail": detail,
                        "created_at": now,
                        "resolved": False,
                    }
                    for order_id, flag, detail in flags
                ],
            )

    def flag(self, order_id: str, flag: str, detail: dict[str, Any]) -> None:
        """Record something a manager must look at; the sale stands."""
        self.conn.execute(
            insert(order_flags).values(
                order_id=order_id, flag=flag, detail=detail, created_at=datetime.now(UTC), resolved=False
            )
        )
        current = self.conn.execute(select(orders.c.flags).where(orders.c.id == order_id)).scalar_one()
        names = set(filter(None, str(current).split(","))) | {flag}
        self.conn.execute(update(orders).where(orders.c.id == order_id).values(flags=",".join(sorted(names))))

    def flags(self, *, unresolved_only: bool = True, limit: int = 200) -> list[dict[str, Any]]:
        """Flags for the manager's list, newest first."""
        query = (
            select(order_flags, orders.c.receipt_number, orders.c.location_code)
            .join(orders, orders.c.id == order_flags.c.order_id)
            .order_by(order_flags.c.id.desc())
            .limit(limit)
        )
        if unresolved_only:
            query = query.where(order_flags.c.resolved.is_(False))
        return [dict(row._mapping) for row in self.conn.execute(query)]

    def unfulfilled(self, limit: int) -> list[tuple[str, str]]:
        """(order id, location code) of sales whose goods were not handed over yet, oldest first."""
        query = select(orders.c.id, orders.c.location_code).where(orders.c.fulfilled_at.is_(None))
        rows = self.conn.execute(query.order_by(orders.c.id).limit(limit))
        return [(order_id, code) for order_id, code in rows]

    def claim_fulfilment(self, order_id: str, at: datetime) -> bool:
        """Mark a sale fulfilled unless it already is; False when another sweep claimed it first."""
        return bool(
            self.conn.execute(
                update(orders)
                .where(orders.c.id == order_id, orders.c.fulfilled_at.is_(None))
                .values(fulfilled_at=at)
            ).rowcount
        )

    def line_quantities(self, order_id: str) -> list[tuple[str, Decimal]]:
        """(sku, quantity) of each line of a sale."""
        rows = self.conn.execute(
            select(order_lines.c.sku, order_lines.c.qty).where(order_lines.c.order_id == order_id)
        )
        return [(sku, Decimal(qty)) for sku, qty in rows]

    def id_for_key(self, idempotency_key: str) -> str | None:
        """The order that holds an idempotency key."""
        return self.conn.execute(
            select(orders.c.id).where(orders.c.idempotency_key == idempotency_key)
        ).scalar()

    def ids_for_keys(self, keys: Sequence[str]) -> dict[str, str]:
        """Orders holding any of the keys, by key: one query for a whole batch."""
        if not keys:
            return {}
        rows = self.conn.execute(
            select(orders.c.idempotency_key, orders.c.id).where(orders.c.idempotency_key.in_(list(keys)))
        )
        return {key: order_id for key, order_id in rows}

    def get(self, order_id: str) -> Order | None:
        """An order with its lines and payments."""
        row = self.conn.execute(select(orders).where(orders.c.id == order_id)).first()
        if row is None:
            return None
        return self._order(row._mapping)

    def get_many(self, order_ids: Sequence[str]) -> dict[str, Order]:
        """Orders by id."""
        if not order_ids:
            return {}
        rows = self.conn.execute(select(orders).where(orders.c.id.in_(list(order_ids)))).all()
        return {row.id: self._order(row._mapping) for row in rows}

    def find(
        self,
        *,
        location_code: str | None = None,
        register_code: str | None = None,
        receipt_number: str | None = None,
        before: datetime | None = None,
        after: tuple[datetime, str] | None = None,
        idempotency_key: str | None = None,
        limit: int = 50,
    ) -> list[Order]:
        """Recent orders, newest first, filtered. Paged by (created_at, id), a unique key: pass
        the last order's pair as `after` for the next page, so sales stamped the same second are
        never skipped (`before`, a time alone, is kept for older callers)."""
        query = select(orders).order_by(orders.c.created_at.desc(), orders.c.id.desc()).limit(limit)
        if after is not None:
            at, order_id = after
            query = query.where(
                or_(orders.c.created_at < at, and_(orders.c.created_at == at, orders.c.id < order_id))
            )
        if idempotency_key:
            query = query.where(orders.c.idempotency_key == idempotency_key)
        if location_code:
            query = query.where(orders.c.location_code == location_code)
        if register_code:
            query = query.where(orders.c.register_code == register_code)
        if receipt_number:
            query = query.where(orders.c.receipt_number == receipt_number)
        if before:
            query = query.where(orders.c.created_at < before)
        return [self._order(row._mapping) for row in self.conn.execute(query)]

    def _order(self, row: Any) -> Order:
        lines = [
            OrderLine(
                line_no=line.line_no,
                sku=line.sku,
                name=line.name,
                qty=line.qty,
                price=line.price,
                price_incl_tax=line.price_incl_tax,
                row_total=line.row_total,
                discount=line.discount,
                tax=line.tax,
                discount_tax_compensation=line.discount_tax_compensation,
                row_grand_total=line.row_grand_total,
                qty_refunded=line.qty_refunded,
                amount_refunded=line.amount_refunded,
            )
            for line in self.conn.execute(
                select(order_lines).where(order_lines.c.order_id == row["id"]).order_by(order_lines.c.line_no)
            )
        ]
        payments = [
            Payment(cast(PaymentMethod, p.method), p.amount, p.reference)
            for p in self.conn.execute(
                select(order_payments)
                .where(order_payments.c.order_id == row["id"])
                .order_by(order_payments.c.seq)
            )
        ]
        cards = [
            SoldCard(c.last4, c.amount, c.kind)
            for c in self.conn.execute(
                select(gift_cards.c.last4, gift_cards.c.kind, gift_card_entries.c.amount)
                .join(gift_cards, gift_cards.c.id == gift_card_entries.c.card_id)
                .where(
                    gift_card_entries.c.order_id == row["id"],
                    gift_card_entries.c.kind.in_(("sold", "reloaded")),
                )
                .order_by(gift_card_entries.c.id)
            )
        ]
        return Order(
            id=row["id"],
            idempotency_key=row["idempotency_key"],
            receipt_number=row["receipt_number"],
            register_code=row["register_code"],
            location_code=row["location_code"],
            staff_id=row["staff_id"],
            created_at=row["created_at"],
            state=cast(OrderState, row["state"]),
            subtotal=row["subtotal"],
            discount=row["discount"],
            tax=row["tax"],
            grand_total=row["grand_total"],
            lines=lines,
            payments=payments,
            customer_id=row["customer_id"],
            coupon_code=row["coupon_code"],
            flags=set(filter(None, str(row["flags"]).split(","))),
            total_refunded=row["total_refunded"],
            gift_cards=cards,
        )

    def extra(self, order_id: str) -> dict[str, Any]:
        """The stored columns an Order does not carry (client figures, change due, dtc)."""
        row = self.conn.execute(
            select(
                orders.c.client_subtotal,
                orders.c.client_discount,
                orders.c.client_tax,
                orders.c.client_grand_total,
                orders.c.change_due,
                orders.c.discount_tax_compensation,
                orders.c.business_day,
                orders.c.shift_id,
            ).where(orders.c.id == order_id)
        ).one()
        return dict(row._mapping)

    # --- rejected sales ---------------------------------------------------------------------

    def reject(self, key: str, register_code: str, reason: str, payload: dict[str, Any]) -> str:
        """Keep a refused sale whole; a replay finds the first reason again."""
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(rejected_sales).values(
                        idempotency_key=key,
                        register_code=register_code,
                        reason=reason,
                        payload=payload,
                        received_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            return self.rejection(key) or reason
        return reason

    def rejection(self, key: str) -> str | None:
        """Why a sale with this key was refused before, if it was."""
        return self.conn.execute(
            select(rejected_sales.c.reason).where(rejected_sales.c.idempotency_key == key)
        ).scalar()

    def rejections_for(self, keys: Sequence[str]) -> dict[str, str]:
        """Why sales with any of these keys were refused before, by key: one query per batch."""
        if not keys:
            return {}
        rows = self.conn.execute(
            select(rejected_sales.c.idempotency_key, rejected_sales.c.reason).where(
                rejected_sales.c.idempotency_key.in_(list(keys))
            )
        )
        return {key: reason for key, reason in rows}

    def rejections(
        self, limit: int = 200, before: tuple[datetime, str] | None = None
    ) -> list[dict[str, Any]]:
        """Refused sales, newest first, paged by (received_at, idempotency key): pass the last
        row's pair as `before` for the next page."""
        query = select(rejected_sales)
        if before is not None:
            at, key = before
            query = query.where(
                or_(
                    rejected_sales.c.received_at < at,
                    and_(rejected_sales.c.received_at == at, rejected_sales.c.idempotency_key < key),
                )
            )
        query = query.order_by(
            rejected_sales.c.received_at.desc(), rejected_sales.c.idempotency_key.desc()
        ).limit(limit)
        return [dict(row._mapping) for row in self.conn.execute(query)]

    def rejected(self, key: str) -> dict[str, Any] | None:
        """One refused sale, whole, by its idempotency key."""
        row = self.conn.execute(select(rejected_sales).where(rejected_sales.c.idempotency_key == key)).first()
        return None if row is None else dict(row._mapping)

    # --- refunds -------------------------------------------------------------------------------

    def refund_id_for_key(self, key: str) -> str | None:
        """The refund that holds an idempotency key."""
        return self.conn.execute(select(refunds.c.id).where(refunds.c.idempotency_key == key)).scalar()

    def take_refund_qty(self, order_id: str, line_no: int, qty: Decimal, amount: Decimal) -> bool:
        """Count `qty` more units of a line as refunded, only if that stays within what was sold.

        The check is in the UPDATE itself, so two refunds racing on one line cannot both win.
        """
        changed = self.conn.execute(
            update(order_lines)
            .where(
                and_(
                    order_lines.c.order_id == order_id,
                    order_lines.c.line_no == line_no,
                    order_lines.c.qty_refunded + qty <= order_lines.c.qty,
                )
            )
            .values(
                qty_refunded=order_lines.c.qty_refunded + qty,
                amount_refunded=order_lines.c.amount_refunded + amount,
            )
        ).rowcount
        return bool(changed)

    def refunded_so_far(self, order_id: str) -> dict[int, dict[str, Decimal]]:
        """Per line of an order: the quantity and amounts its refunds gave back so far."""
        query = (
            select(
                refund_lines.c.line_no,
                func.sum(refund_lines.c.qty),
                func.sum(refund_lines.c.row_total),
                func.sum(refund_lines.c.discount),
                func.sum(refund_lines.c.tax),
                func.sum(refund_lines.c.discount_tax_compensation),
            )
            .join(refunds, refunds.c.id == refund_lines.c.refund_id)
            .where(refunds.c.order_id == order_id)
            .group_by(refund_lines.c.line_no)
        )
        return {
            int(no): {
                "qty": q,
                "row_total": rt,
                "discount": d,
                "tax": t,
                "discount_tax_compensation": dtc,
            }
            for no, q, rt, d, t, dtc in self.conn.execute(query)
        }

    def add_refund(self, refund: dict[str, Any], lines: list[dict[str, Any]]) -> None:
        """Insert a refund and its lines, and add its total to the order's (in SQL)."""
        self.conn.execute(insert(refunds).values(**refund))
        self.conn.execute(insert(refund_lines), [{"refund_id": refund["id"], **line} for line in lines])
        fully = (
            self.conn.execute(
                select(order_lines.c.line_no).where(
                    order_lines.c.order_id == refund["order_id"],
                    order_lines.c.qty_refunded < order_lines.c.qty,
                )
            ).first()
            is None
        )
        values: dict[str, Any] = {"total_refunded": orders.c.total_refunded + refund["total"]}
        if fully:
            values["state"] = "closed"
        self.conn.execute(update(orders).where(orders.c.id == refund["order_id"]).values(**values))

    def refund(self, refund_id: str) -> dict[str, Any] | None:
        """A refund with its lines."""
        row = self.conn.execute(select(refunds).where(refunds.c.id == refund_id)).first()
        if row is None:
            return None
        result = dict(row._mapping)
        result["lines"] = [
            dict(line._mapping)
            for line in self.conn.execute(
                select(refund_lines)
                .where(refund_lines.c.refund_id == refund_id)
                .order_by(refund_lines.c.line_no)
            )
        ]
        return result

    def refunds_of(self, order_id: str) -> list[dict[str, Any]]:
        """Refunds of one order, oldest first."""
        ids = self.conn.execute(
            select(refunds.c.id).where(refunds.c.order_id == order_id).order_by(refunds.c.created_at)
        ).scalars()
        return [r for i in list(ids) if (r := self.refund(i)) is not None]
