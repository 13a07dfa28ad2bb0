"""Transfers between shops: create, send (stock leaves the sender's source: in transit), receive by
scanning (the receiver's source takes what arrived good; short, over and damaged recorded)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from till.domain.staff import Permission
from till.domain.stock_moves import (
    check_transfer,
    merged_lines,
    receipt,
)
from till.services.auth import Principal
from till.services.errors import Conflict, NotFound
from till.services.stock_moves import (
    Lines,
    known_skus,
    location_of,
    may_add_stock,
    move_stock,
    receipt_detail,
    receipt_lines,
    works_at,
)
from till.storage.uow import UnitOfWork

# --- transfers -------------------------------------------------------------------------------


def _transfer_json(uow: UnitOfWork, header: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: header[k] for k in ("id", "from_location", "to_location", "state", "note")},
        **{k: header[k] for k in ("created_at", "sent_at", "received_at")},
        "lines": receipt_lines(uow.stock_moves.transfer_lines(int(header["id"])), "quantity"),
    }


def create_transfer(
    engine: Engine, by: Principal, from_location: str, to_location: str, lines: Lines, note: str = ""
) -> dict[str, Any]:
    """A draft transfer from one shop to another (stock_adjust at the sending shop)."""
    per_sku = merged_lines(lines, what="transfer")
    with UnitOfWork(engine) as uow:
        sender, receiver = location_of(uow, from_location), location_of(uow, to_location)
        by.staff.require(Permission.STOCK_ADJUST, sender.code)
        check_transfer(sender.source_code, receiver.source_code)
        known_skus(uow, per_sku)
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
    works_at(by, location_code)
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
        move_stock(
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
    """Add what arrived in good condition to the receiver's source; record short, over, damaged.
    Good units beyond what was sent are stocked only by a receiver with stock_adjust, else held."""
    with UnitOfWork(engine) as uow:
        header = _transfer_for(uow, by, transfer_id)
        _at_end(by, transfer_id, header["to_location"], "received")
        by.staff.require(Permission.STOCK_RECEIVE, header["to_location"])
        known_skus(uow, [sku for sku, _ in [*scanned, *damaged]])
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
        may_add = may_add_stock(by, header["to_location"])
        uow.stock_moves.record_transfer_receipt(
            transfer_id,
            [(ln.sku, ln.received, ln.damaged, ln.held_for_manager(may_add=may_add)) for ln in lines],
        )
        move_stock(
            uow,
            by,
            f"transfer:{transfer_id}:receive",
            header["to_location"],
            [(header["to_source"], line.sku, line.stocked(may_add=may_add)) for line in lines],
        )
        detail = {"transfer_id": transfer_id, **receipt_detail(lines, may_add=may_add)}
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
