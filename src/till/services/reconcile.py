"""Stock reconciliation: realign reservations with source quantities.

- Sales stored unfulfilled (by an older version of Till) are fulfilled now: their source
  quantity is deducted and their reservation compensated.
- Reservation sets that sum to zero (a fulfilled sale: −qty then +qty) are deleted, as
  Magento's `inventory_cleanup_reservations` cron does; salable quantity does not change.
- Fulfilled orders whose reservations do not sum to zero are counted and reported: that is
  stock a person must look at. (Against Magento, once connected, the connector compares
  source quantities with Magento's here too.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, and_, delete, func, select, tuple_

from till.services.sales import fulfil_orders
from till.storage.tables import orders, reservations


def reconcile(engine: Engine, older_than: timedelta = timedelta(minutes=5)) -> dict[str, int]:
    """Run the three steps; returns what each found."""
    cutoff = datetime.now(UTC) - older_than
    # Sales are fulfilled in the transaction that places them; only rows stored before that
    # (an older version of Till) can still be waiting.
    fulfilled = 0
    while done := fulfil_orders(engine):
        fulfilled += done
    with engine.begin() as conn:
        balanced = conn.execute(
            select(reservations.c.stock_id, reservations.c.sku, reservations.c.object_id)
            .where(reservations.c.object_type == "order")
            .group_by(reservations.c.stock_id, reservations.c.sku, reservations.c.object_id)
            .having(and_(func.sum(reservations.c.quantity) == 0, func.count() > 1))
            .limit(5000)
        ).all()
        cleaned = 0
        for start in range(0, len(balanced), 500):
            chunk = [tuple(row) for row in balanced[start : start + 500]]
            cleaned += conn.execute(
                delete(reservations).where(
                    tuple_(reservations.c.stock_id, reservations.c.sku, reservations.c.object_id).in_(chunk)
                )
            ).rowcount
        unbalanced = conn.execute(
            select(func.count()).select_from(
                select(reservations.c.object_id)
                .join(orders, orders.c.id == reservations.c.object_id)
                .where(orders.c.fulfilled_at.is_not(None), orders.c.fulfilled_at < cutoff)
                .group_by(reservations.c.stock_id, reservations.c.sku, reservations.c.object_id)
                .having(func.sum(reservations.c.quantity) != 0)
                .subquery()
            )
        ).scalar_one()
    return {"fulfilled": fulfilled, "reservations cleaned": int(cleaned), "unbalanced": int(unbalanced)}
