"""After a load test: is every acknowledged sale on the server exactly once, and does stock add up?"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Engine, select

from till.loadtest.plan import Plan
from till.loadtest.tills import Ledger
from till.services.sales import fulfil_orders
from till.storage.tables import orders, refunds
from till.storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Consistency:
    """What the server holds against what the tills were told."""

    acknowledged: int
    stored: int
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    refunds_done: int = 0
    refunds_stored: int = 0
    refunds_missing: list[str] = field(default_factory=list)
    #: sku -> (expected salable, actual salable)
    stock_off: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    skus_checked: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing is lost, doubled or miscounted."""
        return not (self.missing or self.unexpected or self.refunds_missing or self.stock_off)


def check(engine: Engine, plan: Plan, ledger: Ledger) -> Consistency:
    """Compare the server's orders, refunds and salable quantities with the ledger.

    Salable quantity must equal start − sold + restocked for every sku the run could touch,
    counting every sale and refund the server stored (answered or not).
    Orders whose fulfilment a crash left pending are fulfilled first (what `till fulfil` does),
    though fulfilment does not change salable quantity: it moves a sale's hold to the source.
    """
    while fulfil_orders(engine):
        pass
    acknowledged = {k for k, s in ledger.sales.items() if s.status in ("accepted", "duplicate")}
    done_refunds = {k for k, r in ledger.refunds.items() if r.done}
    like = f"{plan.key_prefix}%"
    with UnitOfWork(engine) as uow:
        stored = set(
            uow.conn.execute(
                select(orders.c.idempotency_key).where(orders.c.idempotency_key.like(like))
            ).scalars()
        )
        stored_refunds = set(
            uow.conn.execute(
                select(refunds.c.idempotency_key).where(refunds.c.idempotency_key.like(like))
            ).scalars()
        )
        # Stock follows what the server stored: a sale whose answer was lost (a timed-out push
        # still in an outbox when the run ended) moved stock all the same.
        expected = dict(plan.salable_before)
        for key in stored & set(ledger.sales):
            for sku, qty in ledger.sales[key].basket.qty_by_sku.items():
                expected[sku] -= qty
        for key in stored_refunds & set(ledger.refunds):
            refund = ledger.refunds[key]
            if refund.restock:
                expected[refund.sku] += 1
        actual = uow.stock.salable(plan.stock_id, expected)
    return Consistency(
        acknowledged=len(acknowledged),
        stored=len(stored),
        missing=sorted(acknowledged - stored),
        # Only a sale no till made would be a fault; one stored but not yet answered is pending.
        unexpected=sorted(stored - set(ledger.sales)),
        refunds_done=len(done_refunds),
        refunds_stored=len(stored_refunds),
        refunds_missing=sorted(done_refunds - stored_refunds),
        stock_off={sku: (expected[sku], actual[sku]) for sku in expected if expected[sku] != actual[sku]},
        skus_checked=len(expected),
    )
