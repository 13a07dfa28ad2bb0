"""Transfers between shops: create, send (in transit), receive by scanning."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status

from till.api.deps import EngineDep, IdPath, PrincipalDep, staff
from till.api.schemas import problems
from till.api.schemas.stock_moves import ReceiptIn, TransferIn, TransferOut
from till.domain.staff import Permission
from till.services import transfers as service
from till.services.auth import Principal

router = APIRouter(prefix="/api/transfers", tags=["stock"])

Sender = Annotated[Principal, Depends(staff(Permission.STOCK_ADJUST))]
Receiver = Annotated[Principal, Depends(staff(Permission.STOCK_RECEIVE))]
TransferState = Literal["draft", "sent", "received", "cancelled"]


@router.post(
    "", response_model=TransferOut, status_code=status.HTTP_201_CREATED, responses=problems(403, 404)
)
def create_transfer(body: TransferIn, engine: EngineDep, principal: Sender) -> Any:
    """A draft transfer from a shop of the caller's to another shop (stock_adjust there)."""
    lines = [(line.sku, line.quantity) for line in body.lines]
    return service.create_transfer(engine, principal, body.from_location, body.to_location, lines, body.note)


@router.get("", response_model=list[TransferOut])
def list_transfers(
    engine: EngineDep,
    principal: PrincipalDep,
    location: Annotated[str | None, Query(max_length=32)] = None,
    state: Annotated[list[TransferState] | None, Query()] = None,
) -> Any:
    """Transfers from or to the caller's shops (`state=sent`: in transit), newest first."""
    return service.transfers(engine, principal, location, state)


@router.get("/{transfer_id}", response_model=TransferOut, responses=problems(404))
def get_transfer(transfer_id: IdPath, engine: EngineDep, principal: PrincipalDep) -> Any:
    """One transfer, from either end."""
    return service.transfer(engine, principal, transfer_id)


@router.post("/{transfer_id}/send", response_model=TransferOut, responses=problems(403, 404, 409))
def send_transfer(transfer_id: IdPath, engine: EngineDep, principal: Sender) -> Any:
    """Take the stock off the sending shop's source: in transit, salable at neither end.
    A retried send answers the same and moves nothing again."""
    return service.send_transfer(engine, principal, transfer_id)


@router.post("/{transfer_id}/receive", response_model=TransferOut, responses=problems(403, 404, 409))
def receive_transfer(transfer_id: IdPath, body: ReceiptIn, engine: EngineDep, principal: Receiver) -> Any:
    """Add what was scanned in good condition to the receiving shop's source; short, over and
    damaged lines are recorded. A retried receipt answers the first and moves nothing again."""
    scanned = [(line.sku, line.quantity) for line in body.scanned]
    damaged = [(line.sku, line.quantity) for line in body.damaged]
    return service.receive_transfer(engine, principal, transfer_id, scanned, damaged)


@router.post("/{transfer_id}/cancel", response_model=TransferOut, responses=problems(403, 404, 409))
def cancel_transfer(transfer_id: IdPath, engine: EngineDep, principal: Sender) -> Any:
    """Drop a transfer not yet sent."""
    return service.cancel_transfer(engine, principal, transfer_id)
