"""Stock that moves in bulk: what transfers (`transfers`), deliveries (here) and counts
(`stock_counts`) share, and deliveries received at a till by scanning.

Each step that moves stock changes source items in the step's transaction, announces the
change to tills (the stock feed) and to Magento (`stock.moved`: the signed changes per source
item, keyed by the step so a retried export applies them once), and writes the audit log. A
step is taken by a conditional state change: a retried send, receive or approval finds the
step done and answers what it did, moving nothing again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from till.domain.inventory import InventoryError
from till.domain.locations import Location
from till.domain.staff import Permission, PermissionDenied
from till.domain.stock_moves import (
    ReceivedLine,
    merged_lines,
    receipt,
)
from till.services.auth import Principal
from till.services.errors import NotFound
from till.storage.uow import UnitOfWork

Lines = Sequence[tuple[str, Decimal]]


def works_at(by: Principal, location_code: str | None) -> None:
    """A list asked for a shop the caller does not work at is refused, not answered empty."""
    if location_code is not None and not by.staff.works_at(location_code):
        raise PermissionDenied(f"{by.staff.username} does not work at {location_code}")


def location_of(uow: UnitOfWork, code: str) -> Location:
    location = uow.reference.location(code)
    if location is None:
        raise NotFound(f"no location {code}")
    return location


def known_skus(uow: UnitOfWork, skus: Iterable[str]) -> None:
    wanted = sorted(set(skus))
    missing = [sku for sku in wanted if sku not in uow.catalog.products(wanted)]
    if missing:
        raise NotFound(f"no product {', '.join(missing)}")


def move_stock(
    uow: UnitOfWork,
    by: Principal,
    movement: str,
    location_code: str,
    moves: Sequence[tuple[str, str, Decimal]],
    *,
    refuse_below_zero: bool = False,
) -> None:
    """Apply (source, sku, delta) changes, tell the tills and Magento."""
    moves = sorted((source, sku, delta) for source, sku, delta in moves if delta != 0)
    for source, sku, delta in moves:
        uow.stock.change_source_quantity(sku, source, delta, refuse_below_zero=refuse_below_zero)
    stocks = {source: uow.stock.stocks_of_source(source) for source, _, _ in moves}
    uow.stock_changed((sku, stock_id) for source, sku, _ in moves for stock_id in stocks[source])
    if moves:
        uow.events.publish(
            "stock.moved",
            {
                "movement": movement,
                "location_code": location_code,
                "moves": [
                    {"sku": sku, "source_code": source, "delta": str(delta)} for source, sku, delta in moves
                ],
            },
        )


def received_json(line: ReceivedLine, held: Decimal | None) -> dict[str, Any]:
    return {
        "sku": line.sku,
        "expected": line.expected,
        "received": line.received,
        "damaged": line.damaged,
        "discrepancies": [{"kind": kind, "quantity": q} for kind, q in line.discrepancies.items()],
        "held_for_manager": held,
    }


def receipt_lines(rows: list[dict[str, Any]], expected_column: str) -> list[dict[str, Any]]:
    """A header's lines as a receiver sees them, with discrepancies once received and the units
    held for a manager (recorded, not stocked) once known."""
    out = []
    for row in rows:
        if row["received"] is None:
            out.append(
                {
                    "sku": row["sku"],
                    "expected": row[expected_column],
                    "received": None,
                    "damaged": None,
                    "discrepancies": [],
                    "held_for_manager": None,
                }
            )
        else:
            line = ReceivedLine(row["sku"], row[expected_column], row["received"], row["damaged"])
            out.append(received_json(line, row["held"]))
    return out


def may_add_stock(by: Principal, location_code: str) -> bool:
    """Whether the receiver's scans may raise stock beyond what was announced or sent."""
    return by.staff.can(Permission.STOCK_ADJUST, location_code)


def receipt_detail(lines: Iterable[ReceivedLine], *, may_add: bool) -> dict[str, Any]:
    """The audit detail of a receipt: its discrepancies and the units held for a manager."""
    lines = list(lines)
    return {
        "discrepancies": [
            {"sku": line.sku, "kind": kind, "quantity": str(q)}
            for line in lines
            for kind, q in line.discrepancies.items()
        ],
        "held_for_manager": [
            {"sku": line.sku, "quantity": str(line.held_for_manager(may_add=may_add))}
            for line in lines
            if line.held_for_manager(may_add=may_add)
        ],
    }


# --- deliveries ------------------------------------------------------------------------------


def _delivery_json(uow: UnitOfWork, header: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: header[k] for k in ("id", "location_code", "supplier", "reference", "state")},
        **{k: header[k] for k in ("created_at", "received_at")},
        "lines": receipt_lines(uow.stock_moves.delivery_lines(int(header["id"])), "expected"),
    }


def _delivery_for(uow: UnitOfWork, by: Principal, delivery_id: int) -> dict[str, Any]:
    header = uow.stock_moves.delivery(delivery_id)
    if header is None or not by.staff.works_at(header["location_code"]):
        raise NotFound(f"no delivery {delivery_id}")
    return header


def create_delivery(
    engine: Engine, by: Principal, location_code: str, supplier: str, reference: str, lines: Lines
) -> dict[str, Any]:
    """An expected delivery to a shop (stock_adjust), or with no lines an ad-hoc one (stock_receive):
    everything scanned on it is over what was announced, stocked only by a manager."""
    per_sku = merged_lines(lines, what="delivery") if lines else {}
    with UnitOfWork(engine) as uow:
        location = location_of(uow, location_code)
        # Announcing what will arrive sets what a cashier's receipt may stock: a manager's act.
        by.staff.require(Permission.STOCK_ADJUST if per_sku else Permission.STOCK_RECEIVE, location.code)
        known_skus(uow, per_sku)
        delivery_id = uow.stock_moves.create_delivery(
            {
                "location_code": location.code,
                "source_code": location.source_code,
                "supplier": supplier,
                "reference": reference,
                "created_by": by.staff.id,
                "created_at": datetime.now(UTC),
            },
            per_sku,
        )
        header = uow.stock_moves.delivery(delivery_id)
        assert header is not None
        uow.events.audit("stock.delivery_created", {"delivery_id": delivery_id}, by.actor(location.code))
        view = _delivery_json(uow, header)
        uow.commit()
        return view


def delivery(engine: Engine, by: Principal, delivery_id: int) -> dict[str, Any]:
    """A delivery."""
    with UnitOfWork(engine) as uow:
        return _delivery_json(uow, _delivery_for(uow, by, delivery_id))


def deliveries(
    engine: Engine, by: Principal, location_code: str | None, states: Sequence[str] | None
) -> list[Any]:
    """Deliveries to the shops the caller works at."""
    works_at(by, location_code)
    with UnitOfWork(engine) as uow:
        rows = uow.stock_moves.deliveries_at(location_code, states)
        return [_delivery_json(uow, r) for r in rows if by.staff.works_at(r["location_code"])]


def receive_delivery(
    engine: Engine, by: Principal, delivery_id: int, scanned: Lines, damaged: Lines = ()
) -> dict[str, Any]:
    """Add what arrived good to the shop's source; record short, over and damaged lines. Good units
    beyond what was announced are stocked only by a receiver with stock_adjust, else held."""
    with UnitOfWork(engine) as uow:
        header = _delivery_for(uow, by, delivery_id)
        by.staff.require(Permission.STOCK_RECEIVE, header["location_code"])
        known_skus(uow, [sku for sku, _ in [*scanned, *damaged]])
        now = datetime.now(UTC)
        if not uow.stock_moves.move_delivery(
            delivery_id, "expected", state="received", received_by=by.staff.id, received_at=now
        ):
            current = uow.stock_moves.delivery(delivery_id)
            assert current is not None
            return _delivery_json(uow, current)  # a retried receipt: counted once
        expected = {line["sku"]: line["expected"] for line in uow.stock_moves.delivery_lines(delivery_id)}
        lines = receipt(expected, scanned, damaged)
        if not any(line.received or line.damaged for line in lines):
            raise InventoryError("scan what arrived before receiving the delivery")
        may_add = may_add_stock(by, header["location_code"])
        uow.stock_moves.record_delivery_receipt(
            delivery_id,
            [(ln.sku, ln.received, ln.damaged, ln.held_for_manager(may_add=may_add)) for ln in lines],
        )
        move_stock(
            uow,
            by,
            f"delivery:{delivery_id}:receive",
            header["location_code"],
            [(header["source_code"], line.sku, line.stocked(may_add=may_add)) for line in lines],
        )
        detail = {"delivery_id": delivery_id, **receipt_detail(lines, may_add=may_add)}
        uow.events.audit("stock.delivery_received", detail, by.actor(header["location_code"]))
        current = uow.stock_moves.delivery(delivery_id)
        assert current is not None
        view = _delivery_json(uow, current)
        uow.commit()
        return view
