"""Customers' accounts: store credit and sales on account, the credit limit, payments on account."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status

from till.api.deps import EngineDep, IdPath, staff
from till.api.routes.refused_actions import acted_by, kept_if_refused
from till.api.schemas import AccountOut, AccountPaymentIn, AccountPaymentOut, CreditLimitIn, problems
from till.domain.staff import Permission
from till.services import store_credit
from till.services.auth import Principal

router = APIRouter(prefix="/api", tags=["customers"])

Seller = Annotated[Principal, Depends(staff(Permission.SELL))]
Taker = Annotated[Principal, Depends(staff(Permission.SELL, acting=True))]
Keeper = Annotated[Principal, Depends(staff(Permission.LEDGERS))]


@router.get("/customers/{customer_id}/account", response_model=AccountOut, responses=problems(403, 404))
def get_account(customer_id: IdPath, engine: EngineDep, principal: Seller) -> Any:
    """A customer's balance (store credit, or what they owe), credit limit and last entries."""
    return store_credit.customer_account(engine, principal, customer_id)


@router.put("/customers/{customer_id}/account", response_model=AccountOut, responses=problems(403, 404, 422))
def set_credit_limit(customer_id: IdPath, body: CreditLimitIn, engine: EngineDep, principal: Keeper) -> Any:
    """Set how much the customer may owe the shop (ledgers permission: a manager); audited."""
    return store_credit.set_credit_limit(engine, principal, customer_id, body.credit_limit)


@router.post(
    "/customers/{customer_id}/account/payments",
    response_model=AccountPaymentOut,
    status_code=status.HTTP_201_CREATED,
    responses=problems(
        403, 404, 409, 422, also={200: {"model": AccountPaymentOut, "description": "a replay"}}
    ),
)
def take_payment(
    customer_id: IdPath, body: AccountPaymentIn, engine: EngineDep, principal: Taker, response: Response
) -> Any:
    """Take a payment against the customer's account at any till; it counts in that register's
    open shift (cash in the drawer's expected cash). A retry with the key takes nothing twice;
    a refusal is kept for a manager (`GET /api/refused-actions`)."""
    with kept_if_refused(
        engine, principal, kind="account_pay", register_code=body.register_code, body=body,
        key=body.idempotency_key,
    ):  # fmt: skip
        entry, created = store_credit.take_account_payment(
            engine,
            principal,
            customer_id,
            idempotency_key=body.idempotency_key,
            register_code=body.register_code,
            amount=body.amount,
            method=body.method,
            acted_by=acted_by(body.acted_by),
        )
    if not created:
        response.status_code = status.HTTP_200_OK
    return {**entry, "duplicate": not created}
