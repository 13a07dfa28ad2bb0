"""Stock counts by scanner while selling goes on; see `till.domain.stock_moves` for the adjustment."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from till.domain.inventory import InventoryError
from till.domain.staff import Permission
from till.domain.stock_moves import (
    CountKind,
    CountLine,
    check_counted,
    count_adjustments,
)
from till.services.auth import Principal
from till.services.errors import Conflict, NotFound
from till.services.stock_moves import known_skus, location_of, move_stock, works_at
from till.storage.uow import UnitOfWork

# --- counts ----------------------------------------------------------------------------------


def _count_lines(uow: UnitOfWork, header: dict[str, Any]) -> list[CountLine]:
    approved = header["state"] == "approved"
    out = []
    for row in uow.stock_moves.count_lines(int(header["id"])):
        sold_late = row["sold_late"]
        if sold_late is None:
            sold_late = (
                uow.stock_moves.sold_late(header["location_code"], row["sku"], row["scanned_at"])
                if row["scanned_at"] is not None and not approved
                else Decimal(0)
            )
        out.append(CountLine(row["sku"], row["snapshot"], row["counted"], row["book_at_scan"], sold_late))
    return out


def _count_json(uow: UnitOfWork, by: Principal, header: dict[str, Any]) -> dict[str, Any]:
    """A count; a blind one shows a counter only what they counted, a manager everything."""
    reviewer = by.staff.can(Permission.STOCK_ADJUST, header["location_code"])
    shown = reviewer or not header["blind"]
    rows = {row["sku"]: row for row in uow.stock_moves.count_lines(int(header["id"]))}
    lines = []
    for line in _count_lines(uow, header):
        row = rows[line.sku]
        entry: dict[str, Any] = {"sku": line.sku, "counted": line.counted, "scanned_at": row["scanned_at"]}
        if shown:
            entry |= {
                "snapshot": line.snapshot,
                "moved_since_start": line.moved_since_start,
                "sold_late": line.sold_late,
                "expected": line.expected,
                "variance": _variance(header, line, row["adjustment"]),
            }
        lines.append(entry)
    return {
        **{k: header[k] for k in ("id", "location_code", "kind", "blind", "state")},
        **{k: header[k] for k in ("started_at", "submitted_at", "approved_at")},
        "lines": lines,
    }


def _variance(header: dict[str, Any], line: CountLine, settled: Decimal | None) -> Decimal | None:
    """counted − expected once known: settled at approval, else from the scans so far."""
    if settled is not None:
        return settled
    if line.counted is not None:
        return line.counted - line.expected
    if header["kind"] == "full" and header["state"] != "counting":
        return line.adjustment("full")  # never found: counted as none
    return None


def _count_for(uow: UnitOfWork, by: Principal, count_id: int, *, lock: bool = False) -> dict[str, Any]:
    header = uow.stock_moves.count(count_id, lock=lock)
    if header is None or not by.staff.works_at(header["location_code"]):
        raise NotFound(f"no count {count_id}")
    return header


def start_count(
    engine: Engine, by: Principal, location_code: str, kind: CountKind, skus: Sequence[str], blind: bool
) -> dict[str, Any]:
    """Start a full count (every sku the shop's source holds) or a cycle count (`skus`),
    snapshotting each sku's source quantity now."""
    if kind == "cycle" and not skus:
        raise InventoryError("a cycle count needs the skus to count")
    if kind == "full" and skus:
        raise InventoryError("a full count covers every sku; name skus only for a cycle count")
    with UnitOfWork(engine) as uow:
        location = location_of(uow, location_code)
        by.staff.require(Permission.STOCK_COUNT, location.code)
        if kind == "cycle":
            known_skus(uow, skus)
        snapshot = uow.stock_moves.quantities_at(location.source_code, skus if kind == "cycle" else None)
        count_id = uow.stock_moves.create_count(
            {
                "location_code": location.code,
                "source_code": location.source_code,
                "kind": kind,
                "blind": blind,
                "started_by": by.staff.id,
                "started_at": datetime.now(UTC),
            },
            snapshot,
        )
        header = uow.stock_moves.count(count_id)
        assert header is not None
        uow.events.audit("stock.count_started", {"count_id": count_id, "kind": kind}, by.actor(location.code))
        view = _count_json(uow, by, header)
        uow.commit()
        return view


def stock_count(engine: Engine, by: Principal, count_id: int) -> dict[str, Any]:
    """A count, as the caller may see it."""
    with UnitOfWork(engine) as uow:
        return _count_json(uow, by, _count_for(uow, by, count_id))


def stock_counts(
    engine: Engine, by: Principal, location_code: str | None, states: Sequence[str] | None
) -> list[Any]:
    """Counts at the shops the caller works at."""
    works_at(by, location_code)
    with UnitOfWork(engine) as uow:
        rows = uow.stock_moves.counts_at(location_code, states)
        return [_count_json(uow, by, r) for r in rows if by.staff.works_at(r["location_code"])]


def record_count(engine: Engine, by: Principal, count_id: int, sku: str, counted: Decimal) -> dict[str, Any]:
    """Set the quantity counted of a sku, reading the book quantity at this moment with it."""
    check_counted(counted)
    with UnitOfWork(engine) as uow:
        header = _count_for(uow, by, count_id)
        by.staff.require(Permission.STOCK_COUNT, header["location_code"])
        if header["state"] != "counting":
            raise Conflict(f"count {count_id} is {header['state']}; counting has ended")
        lines = {row["sku"]: row for row in uow.stock_moves.count_lines(count_id)}
        if sku not in lines:
            if header["kind"] == "cycle":
                raise InventoryError(f"{sku} is not in this count")
            known_skus(uow, [sku])
        # Read under the source item's lock, the moment taken after it: a sale fulfilled
        # meanwhile is in this book, or reached the server after the scan (sold late).
        book = uow.stock_moves.quantities_at(header["source_code"], [sku], lock=True)[sku]
        uow.stock_moves.record_scan(
            count_id,
            sku,
            counted,
            book,
            datetime.now(UTC),
            snapshot=None if sku in lines else Decimal(0),
        )
        current = uow.stock_moves.count(count_id)
        assert current is not None
        view = _count_json(uow, by, current)
        uow.commit()
        return view


def submit_count(engine: Engine, by: Principal, count_id: int) -> dict[str, Any]:
    """End counting: the count waits for a manager's review. A full count reads the book of
    each sku never scanned now (it will be set to none)."""
    with UnitOfWork(engine) as uow:
        header = _count_for(uow, by, count_id)
        by.staff.require(Permission.STOCK_COUNT, header["location_code"])
        lines = uow.stock_moves.count_lines(count_id)
        unscanned = [row["sku"] for row in lines if row["counted"] is None]
        if header["state"] == "counting" and header["kind"] == "cycle" and unscanned:
            raise InventoryError(f"not counted yet: {', '.join(unscanned)} (zero is a count too)")
        now = datetime.now(UTC)
        if uow.stock_moves.move_count(count_id, "counting", state="review", submitted_at=now):
            books = uow.stock_moves.quantities_at(header["source_code"], unscanned)
            for sku in unscanned:
                uow.stock_moves.settle_count_line(count_id, sku, book_at_scan=books[sku], scanned_at=now)
            uow.events.audit(
                "stock.count_submitted", {"count_id": count_id}, by.actor(header["location_code"])
            )
        current = uow.stock_moves.count(count_id)
        assert current is not None
        if current["state"] not in ("review", "approved"):
            raise Conflict(f"count {count_id} is {current['state']}")
        view = _count_json(uow, by, current)
        uow.commit()
        return view


def approve_count(engine: Engine, by: Principal, count_id: int) -> dict[str, Any]:
    """A manager accepts the variance: each source item takes counted − expected."""
    with UnitOfWork(engine) as uow:
        header = _count_for(uow, by, count_id)
        by.staff.require(Permission.STOCK_ADJUST, header["location_code"])
        now = datetime.now(UTC)
        if not uow.stock_moves.move_count(
            count_id, "review", state="approved", approved_by=by.staff.id, approved_at=now
        ):
            current = uow.stock_moves.count(count_id)
            assert current is not None
            if current["state"] == "approved":
                return _count_json(uow, by, current)  # a retried approval: adjusted once
            raise Conflict(f"count {count_id} is {current['state']}; submit it for review first")
        lines = _count_lines(uow, header)
        kind: CountKind = header["kind"]
        for line in lines:
            uow.stock_moves.settle_count_line(
                count_id, line.sku, sold_late=line.sold_late, adjustment=line.adjustment(kind)
            )
        changes = count_adjustments(kind, lines)
        move_stock(
            uow,
            by,
            f"count:{count_id}",
            header["location_code"],
            [(header["source_code"], sku, delta) for sku, delta in changes.items()],
        )
        detail = {"count_id": count_id, "adjustments": {sku: str(d) for sku, d in changes.items()}}
        uow.events.audit("stock.count_approved", detail, by.actor(header["location_code"]))
        current = uow.stock_moves.count(count_id)
        assert current is not None
        view = _count_json(uow, by, current)
        uow.commit()
        return view


def cancel_count(engine: Engine, by: Principal, count_id: int) -> dict[str, Any]:
    """Drop a count before approval; nothing moves."""
    with UnitOfWork(engine) as uow:
        header = _count_for(uow, by, count_id)
        by.staff.require(Permission.STOCK_ADJUST, header["location_code"])
        for before in ("counting", "review"):
            if uow.stock_moves.move_count(count_id, before, state="cancelled"):
                uow.events.audit(
                    "stock.count_cancelled", {"count_id": count_id}, by.actor(header["location_code"])
                )
                break
        current = uow.stock_moves.count(count_id)
        assert current is not None
        if current["state"] != "cancelled":
            raise Conflict(f"count {count_id} is {current['state']}; it cannot be cancelled")
        view = _count_json(uow, by, current)
        uow.commit()
        return view
