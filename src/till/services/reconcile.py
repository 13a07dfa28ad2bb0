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

from sqlalchemy import Engine

from till.services.sales import fulfil_orders
from till.storage.stock import StockRepository


def reconcile(engine: Engine, older_than: timedelta = timedelta(minutes=5)) -> dict[str, int]:
    """Run the three steps; returns what each found."""
    cutoff = datetime.now(UTC) - older_than
    # Sales are fulfilled in the transaction that places them; only rows stored before that
    # (an older version of Till) can still be waiting.
    fulfilled = 0
    while done := fulfil_orders(engine):
        fulfilled += done
    with engine.begin() as conn:
        stock = StockRepository(conn)
        cleaned = stock.clean_balanced_reservations()
        unbalanced = stock.count_unbalanced(fulfilled_before=cutoff)
    return {"fulfilled": fulfilled, "reservations cleaned": cleaned, "unbalanced": unbalanced}
