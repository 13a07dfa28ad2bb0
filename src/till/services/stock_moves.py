"""Transfers between shops, deliveries received at a till, and stock counts by scanner.

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
    CountKind,
    CountLine,
    ReceivedLine,
    check_counted,
    check_transfer,
    count_adjustments,
    merged_lines,
    receipt,
)
from till.services.auth import Principal
from till.services.errors import Conflict, NotFound
from till.storage.uow import UnitOfWork

Lines = Sequence[tuple[str, Decimal]]


def _works_at(by: Principal, location_code: str | None) -> None:
    """A list asked for a shop the caller does not work at is refused, not answered empty."""
    if location_code is not None and not by.staff.works_at(location_code):
        raise PermissionDenied(f"{by.staff.username} does not work at {location_code}")


def _location(uow: UnitOfWork, code: str) -> Location:
    location = uow.reference.location(code)
    if location is None:
        raise NotFound(f"no location {code}")
    return location


def _known_skus(uow: UnitOfWork, skus: Iterable[str]) -> None:
    wanted = sorted(set(skus))
    missing = [sku for sku in wanted if sku not in uow.catalog.products(wanted)]
    if missing:
        raise NotFound(f"no product {', '.join(missing)}")


def _move_stock(
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


def _received_json(line: ReceivedLine) -> dict[str, Any]:
    return {
        "sku": line.sku,
        "expected": line.expected,
        "received": line.received,
        "damaged": line.damaged,
        "discrepancies": [{"kind": kind, "quantity": q} for kind, q in line.discrepancies.items()],
    }


def _receipt_lines(rows: list[dict[str, Any]], expected_column: str) -> list[dict[str, Any]]:
    """A header's lines as a receiver sees them, with discrepancies once received."""
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
                }
            )
        else:
            out.append(
                _received_json(
                    ReceivedLine(row["sku"], row[expected_column], row["received"], row["damaged"])
                )
            )
    return out


# --- transfers -------------------------------------------------------------------------------


def _transfer_json(uow: UnitOfWork, header: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: header[k] for k in ("id", "from_location", "to_location", "state", "note")},
        **{k: header[k] for k in ("created_at", "sent_at", "received_at")},
        "lines": _receipt_lines(uow.stock_moves.transfer_lines(int(header["id"])), "quantity"),
    }


def create_transfer(
    engine: Engine, by: Principal, from_location: str, to_location: str, lines: Lines, note: str = ""
) -> dict[str, Any]:
    """A draft transfer from one shop to another (stock_adjust at the sending shop)."""
    per_sku = merged_lines(lines, what="transfer")
    with UnitOfWork(engine) as uow:
        sender, receiver = _location(uow, from_location), _location(uow, to_location)
        by.staff.require(Permission.STOCK_ADJUST, sender.code)
        check_transfer(sender.source_code, receiver.source_code)
        _known_skus(uow, per_sku)
        transfer_id = uow.stock_moves.create_transfer(
            {
                "from_location": sender.code,
                "to_location": receiver.code,
                "from_source": sender.source_code,
                "to_source": receiver.source_code,
                "note": note,
                "created_by": by.staff.id,
                "created_at": datetime.now(UTC),
            },
            per_sku,
        )
        header = uow.stock_moves.transfer(transfer_id)
        assert header is not None
        view = _transfer_json(uow, header)
        uow.events.audit("stock.transfer_created", {"transfer_id": transfer_id}, by.actor(sender.code))
        uow.commit()
        return view


def _transfer_for(uow: UnitOfWork, by: Principal, transfer_id: int) -> dict[str, Any]:
    header = uow.stock_moves.transfer(transfer_id)
    at = {header["from_location"], header["to_location"]} if header else set()
    if header is None or not any(by.staff.works_at(code) for code in at):
        raise NotFound(f"no transfer {transfer_id}")
    return header


def _at_end(by: Principal, transfer_id: int, location_code: str, step: str) -> None:
    """A step of one end, asked by a member of the other end: the transfer is theirs to see,
    not this step to take (a clash with where it is, not a missing permission)."""
    if not by.staff.works_at(location_code):
        raise Conflict(f"transfer {transfer_id} is {step} at {location_code}, not at your shop")


def transfer(engine: Engine, by: Principal, transfer_id: int) -> dict[str, Any]:
    """A transfer, seen from either end."""
    with UnitOfWork(engine) as uow:
        return _transfer_json(uow, _transfer_for(uow, by, transfer_id))


def transfers(
    engine: Engine, by: Principal, location_code: str | None, states: Sequence[str] | None
) -> list[Any]:
    """Transfers from or to a location the caller works at."""
    _works_at(by, location_code)
    with UnitOfWork(engine) as uow:
        rows = uow.stock_moves.transfers_at(location_code, states)
        visible = [
            r for r in rows if by.staff.works_at(r["from_location"]) or by.staff.works_at(r["to_location"])
        ]
        return [_transfer_json(uow, r) for r in visible]


def send_transfer(engine: Engine, by: Principal, transfer_id: int) -> dict[str, Any]:
    """Take a draft transfer's stock off the sender's source: it is now in transit."""
    with UnitOfWork(engine) as uow:
        header = _transfer_for(uow, by, transfer_id)
        _at_end(by, transfer_id, header["from_location"], "sent")
        by.staff.require(Permission.STOCK_ADJUST, header["from_location"])
        now = datetime.now(UTC)
        if not uow.stock_moves.move_transfer(
            transfer_id, "draft", state="sent", sent_by=by.staff.id, sent_at=now
        ):
            current = uow.stock_moves.transfer(transfer_id)
            assert current is not None
            if current["state"] in ("sent", "received"):
                return _transfer_json(uow, current)  # a retried send: already on its way
            raise Conflict(f"transfer {transfer_id} is {current['state']}; it cannot be sent")
        lines = uow.stock_moves.transfer_lines(transfer_id)
        # A shop cannot send what its book says it does not hold (a count first, if it does).
        _move_stock(
            uow,
            by,
            f"transfer:{transfer_id}:send",
            header["from_location"],
            [(header["from_source"], line["sku"], -line["quantity"]) for line in lines],
            refuse_below_zero=True,
        )
        uow.events.audit(
            "stock.transfer_sent", {"transfer_id": transfer_id}, by.actor(header["from_location"])
        )
        current = uow.stock_moves.transfer(transfer_id)
        assert current is not None
        view = _transfer_json(uow, current)
        uow.commit()
        return view


def receive_transfer(
    engine: Engine, by: Principal, transfer_id: int, scanned: Lines, damaged: Lines = ()
) -> dict[str, Any]:
    """Add what arrived in good condition to the receiver's source; record short, over, damaged."""
    with UnitOfWork(engine) as uow:
        header = _transfer_for(uow, by, transfer_id)
        _at_end(by, transfer_id, header["to_location"], "received")
        by.staff.require(Permission.STOCK_RECEIVE, header["to_location"])
        _known_skus(uow, [sku for sku, _ in [*scanned, *damaged]])
        now = datetime.now(UTC)
        moved = uow.stock_moves.move_transfer(
            transfer_id, "sent", state="received", received_by=by.staff.id, received_at=now
        )
        if not moved:
            current = uow.stock_moves.transfer(transfer_id)
            assert current is not None
            if current["state"] == "received":
                return _transfer_json(uow, current)  # a retried receipt: counted once
            raise Conflict(f"transfer {transfer_id} is {current['state']}; only a sent transfer is received")
        expected = {line["sku"]: line["quantity"] for line in uow.stock_moves.transfer_lines(transfer_id)}
        lines = receipt(expected, scanned, damaged)
        uow.stock_moves.record_transfer_receipt(
            transfer_id, [(ln.sku, ln.received, ln.damaged) for ln in lines]
        )
        _move_stock(
            uow,
            by,
            f"transfer:{transfer_id}:receive",
            header["to_location"],
            [(header["to_source"], line.sku, line.received) for line in lines],
        )
        detail = {"transfer_id": transfer_id, "discrepancies": _discrepancy_detail(lines)}
        uow.events.audit("stock.transfer_received", detail, by.actor(header["to_location"]))
        current = uow.stock_moves.transfer(transfer_id)
        assert current is not None
        view = _transfer_json(uow, current)
        uow.commit()
        return view


def cancel_transfer(engine: Engine, by: Principal, transfer_id: int) -> dict[str, Any]:
    """Drop a draft transfer (nothing moved yet)."""
    with UnitOfWork(engine) as uow:
        header = _transfer_for(uow, by, transfer_id)
        _at_end(by, transfer_id, header["from_location"], "cancelled")
        by.staff.require(Permission.STOCK_ADJUST, header["from_location"])
        if not uow.stock_moves.move_transfer(transfer_id, "draft", state="cancelled"):
            current = uow.stock_moves.transfer(transfer_id)
            assert current is not None
            if current["state"] != "cancelled":
                raise Conflict(f"transfer {transfer_id} is {current['state']}; only a draft is cancelled")
        uow.events.audit(
            "stock.transfer_cancelled", {"transfer_id": transfer_id}, by.actor(header["from_location"])
        )
        current = uow.stock_moves.transfer(transfer_id)
        assert current is not None
        view = _transfer_json(uow, current)
        uow.commit()
        return view


def _discrepancy_detail(lines: Iterable[ReceivedLine]) -> list[dict[str, str]]:
    return [
        {"sku": line.sku, "kind": kind, "quantity": str(q)}
        for line in lines
        for kind, q in line.discrepancies.items()
    ]


# --- deliveries ------------------------------------------------------------------------------


def _delivery_json(uow: UnitOfWork, header: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: header[k] for k in ("id", "location_code", "supplier", "reference", "state")},
        **{k: header[k] for k in ("created_at", "received_at")},
        "lines": _receipt_lines(uow.stock_moves.delivery_lines(int(header["id"])), "expected"),
    }


def _delivery_for(uow: UnitOfWork, by: Principal, delivery_id: int) -> dict[str, Any]:
    header = uow.stock_moves.delivery(delivery_id)
    if header is None or not by.staff.works_at(header["location_code"]):
        raise NotFound(f"no delivery {delivery_id}")
    return header


def create_delivery(
    engine: Engine, by: Principal, location_code: str, supplier: str, reference: str, lines: Lines
) -> dict[str, Any]:
    """An expected delivery to a shop (no lines: an ad-hoc one, everything scanned is new)."""
    per_sku = merged_lines(lines, what="delivery") if lines else {}
    with UnitOfWork(engine) as uow:
        location = _location(uow, location_code)
        by.staff.require(Permission.STOCK_RECEIVE, location.code)
        _known_skus(uow, per_sku)
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
    _works_at(by, location_code)
    with UnitOfWork(engine) as uow:
        rows = uow.stock_moves.deliveries_at(location_code, states)
        return [_delivery_json(uow, r) for r in rows if by.staff.works_at(r["location_code"])]


def receive_delivery(
    engine: Engine, by: Principal, delivery_id: int, scanned: Lines, damaged: Lines = ()
) -> dict[str, Any]:
    """Add what arrived good to the shop's source; record short, over and damaged lines."""
    with UnitOfWork(engine) as uow:
        header = _delivery_for(uow, by, delivery_id)
        by.staff.require(Permission.STOCK_RECEIVE, header["location_code"])
        _known_skus(uow, [sku for sku, _ in [*scanned, *damaged]])
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
        uow.stock_moves.record_delivery_receipt(
            delivery_id, [(ln.sku, ln.received, ln.damaged) for ln in lines]
        )
        _move_stock(
            uow,
            by,
            f"delivery:{delivery_id}:receive",
            header["location_code"],
            [(header["source_code"], line.sku, line.received) for line in lines],
        )
        detail = {"delivery_id": delivery_id, "discrepancies": _discrepancy_detail(lines)}
        uow.events.audit("stock.delivery_received", detail, by.actor(header["location_code"]))
        current = uow.stock_moves.delivery(delivery_id)
        assert current is not None
        view = _delivery_json(uow, current)
        uow.commit()
        return view


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
        location = _location(uow, location_code)
        by.staff.require(Permission.STOCK_COUNT, location.code)
        if kind == "cycle":
            _known_skus(uow, skus)
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
    _works_at(by, location_code)
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
            _known_skus(uow, [sku])
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
        _move_stock(
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
