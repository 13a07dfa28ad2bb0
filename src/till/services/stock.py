"""Stock use cases: levels across locations and adjustments with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Engine

from till.domain.inventory import StockAdjustment
from till.domain.staff import Permission
from till.services.auth import Principal
from till.services.errors import NotFound
from till.storage.stock import SourceLevel
from till.storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class StockView:
    """A sku's stock: per source on hand, salable per location, and sent to a location but
    not received there yet (on neither source: salable nowhere)."""

    sku: str
    sources: list[SourceLevel]
    salable_by_location: dict[str, Decimal]
    in_transit_to: dict[str, Decimal]


def stock_of(engine: Engine, sku: str) -> StockView:
    """Where a sku is and how much of it each location can sell."""
    with UnitOfWork(engine) as uow:
        if not uow.catalog.products([sku]):
            raise NotFound(f"no product {sku}")
        salable = {loc.code: uow.stock.salable(loc.stock_id, [sku])[sku] for loc in uow.reference.locations()}
        return StockView(sku, uow.stock.levels(sku), salable, uow.stock_moves.in_transit(sku))


def adjust_stock(engine: Engine, by: Principal, adjustment: StockAdjustment) -> None:
    """Apply a count, damage, receipt, correction or transfer to source quantities."""
    with UnitOfWork(engine) as uow:
        if not uow.catalog.products([adjustment.sku]):
            raise NotFound(f"no product {adjustment.sku}")
        involved = [adjustment.source_code] + (
            [adjustment.to_source_code] if adjustment.to_source_code else []
        )
        for code in involved:
            if not uow.stock.source_exists(code):
                raise NotFound(f"no source {code}")
        locations = [loc for loc in uow.reference.locations() if loc.source_code in involved]
        scopes: list[str | None] = [loc.code for loc in locations] or [None]
        for scope in scopes:
            by.staff.require(Permission.STOCK_ADJUST, scope)
        if adjustment.reason == "count":
            before = uow.stock.set_source_quantity(
                adjustment.sku, adjustment.source_code, adjustment.quantity
            )
            detail_delta = adjustment.quantity - before
        else:
            # Sorted by source so two transfers in opposite directions lock in one order.
            for source_code, delta in sorted(adjustment.deltas()):
                uow.stock.change_source_quantity(adjustment.sku, source_code, delta, refuse_below_zero=True)
            detail_delta = adjustment.deltas()[0][1]
        uow.stock.record_adjustment(adjustment, by.staff.id, datetime.now(UTC))
        stocks = sorted({s for code in involved for s in uow.stock.stocks_of_source(code)})
        uow.stock_changed((adjustment.sku, s) for s in stocks)
        payload = {
            "sku": adjustment.sku,
            "source_code": adjustment.source_code,
            "reason": adjustment.reason,
            "quantity": str(adjustment.quantity),
            "delta": str(detail_delta),
            "to_source_code": adjustment.to_source_code,
            "note": adjustment.note,
        }
        uow.events.publish("stock.adjusted", payload)
        # One action per kind (stock.receive, .transfer, .damage, .count, …) to filter on.
        uow.events.audit(
            f"stock.{adjustment.reason}",
            payload,
            by.actor(locations[0].code if locations else None),
        )
        uow.commit()
