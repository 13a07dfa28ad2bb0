"""Purchase deliveries received at a till by scanning, expected or ad hoc."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status

from till.api.deps import EngineDep, IdPath, PrincipalDep, staff
from till.api.schemas import problems
from till.api.schemas.stock_moves import DeliveryIn, DeliveryOut, ReceiptIn
from till.domain.staff import Permission
from till.services import stock_moves
from till.services.auth import Principal

router = APIRouter(prefix="/api/deliveries", tags=["stock"])

Receiver = Annotated[Principal, Depends(staff(Permission.STOCK_RECEIVE))]


@router.post(
    "", response_model=DeliveryOut, status_code=status.HTTP_201_CREATED, responses=problems(403, 404)
)
def create_delivery(body: DeliveryIn, engine: EngineDep, principal: Receiver) -> Any:
    """An expected delivery to a shop; with no lines, an ad-hoc one (all scanned is new)."""
    lines = [(line.sku, line.quantity) for line in body.lines]
    return stock_moves.create_delivery(
        engine, principal, body.location_code, body.supplier, body.reference, lines
    )


@router.get("", response_model=list[DeliveryOut])
def list_deliveries(
    engine: EngineDep,
    principal: PrincipalDep,
    location: Annotated[str | None, Query(max_length=32)] = None,
    state: Annotated[list[Literal["expected", "received"]] | None, Query()] = None,
) -> Any:
    """Deliveries to the caller's shops, newest first."""
    return stock_moves.deliveries(engine, principal, location, state)


@router.get("/{delivery_id}", response_model=DeliveryOut, responses=problems(404))
def get_delivery(delivery_id: IdPath, engine: EngineDep, principal: PrincipalDep) -> Any:
    """One delivery."""
    return stock_moves.delivery(engine, principal, delivery_id)


@router.post("/{delivery_id}/receive", response_model=DeliveryOut, responses=problems(403, 404, 409))
def receive_delivery(delivery_id: IdPath, body: ReceiptIn, engine: EngineDep, principal: Receiver) -> Any:
    """Add what was scanned in good condition to the shop's source; discrepancies recorded.
    A retried receipt answers the first and moves nothing again."""
    scanned = [(line.sku, line.quantity) for line in body.scanned]
    damaged = [(line.sku, line.quantity) for line in body.damaged]
    return stock_moves.receive_delivery(engine, principal, delivery_id, scanned, damaged)
