"""Customers' accounts: store credit and sales on account, their limits and payments."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from till.domain.acting import ActedBy
from till.domain.money import money_str
from till.domain.staff import Permission
from till.domain.store_credit import Account, check_account_payment, check_credit_limit
from till.services.acting import acting_for, not_before, require_own_register, sent_by
from till.services.auth import Principal
from till.services.errors import Conflict, NotFound
from till.storage.uow import UnitOfWork


def account_json(customer_id: int, account: Account, offline_cap: Decimal) -> dict[str, Any]:
    """A customer's account as the API (and a till's customer screen) shows it."""
    return {
        "customer_id": customer_id,
        "balance": account.balance,
        "credit_limit": account.credit_limit,
        "credit": account.credit,
        "owed": account.owed,
        "available_on_account": account.available_on_account,
        "offline_cap": offline_cap,
    }


def _customer(uow: UnitOfWork, customer_id: int) -> None:
    if uow.customers.get(customer_id) is None:
        raise NotFound(f"no customer {customer_id}")


def customer_account(engine: Engine, by: Principal, customer_id: int) -> dict[str, Any]:
    """A customer's balance, limit and recent entries (seller permission)."""
    by.staff.require(Permission.SELL)
    with UnitOfWork(engine) as uow:
        _customer(uow, customer_id)
        rules = uow.reference.ledger_rules()
        account = uow.accounts.get(customer_id)
        return {
            **account_json(customer_id, account, rules.store_credit_offline_cap),
            "entries": uow.accounts.entries(customer_id, limit=50),
        }


def set_credit_limit(engine: Engine, by: Principal, customer_id: int, limit: Decimal) -> dict[str, Any]:
    """Set how much a customer may owe the shop (ledgers permission: a manager); audited."""
    by.staff.require(Permission.LEDGERS)
    check_credit_limit(limit)
    with UnitOfWork(engine) as uow:
        _customer(uow, customer_id)
        before = uow.accounts.get(customer_id)
        uow.accounts.set_limit(customer_id, limit)
        uow.events.audit(
            "account.credit_limit",
            {"customer_id": customer_id, "before": money_str(before.credit_limit), "after": money_str(limit)},
            by.actor(),
        )
        uow.changed("customers", [str(customer_id)])
        uow.commit()
    return customer_account(engine, by, customer_id)


def take_account_payment(
    engine: Engine,
    by: Principal,
    customer_id: int,
    *,
    idempotency_key: str,
    register_code: str,
    amount: Decimal,
    method: str,
    acted_by: ActedBy | None = None,
) -> tuple[dict[str, Any], bool]:
    """Take a payment against a customer's account at a till, counted in its open shift; returns
    (the entry, created). A retry with the same key takes nothing twice."""
    check_account_payment(amount, method)
    try:
        return _take(engine, by, customer_id, idempotency_key, register_code, amount, method, acted_by)
    except IntegrityError:
        # A retry raced this one and won: its payment is ours.
        with UnitOfWork(engine) as uow:
            existing = uow.accounts.payment_for_key(idempotency_key)
        if existing is None:
            raise
        return existing, False


def _take(
    engine: Engine,
    by: Principal,
    customer_id: int,
    key: str,
    register_code: str,
    amount: Decimal,
    method: str,
    acted_by: ActedBy | None,
) -> tuple[dict[str, Any], bool]:
    with UnitOfWork(engine) as uow:
        register = uow.reference.register(register_code)
        if register is None:
            raise NotFound(f"no register {register_code}")
        sender = by
        # Cash into a drawer, like a cash step: a till's own register only, judged no earlier
        # than the shift it goes into was opened.
        require_own_register(sender, register_code)
        shift = uow.shifts.open_shift(register_code)
        within = acted_by if shift is None else not_before(acted_by, shift["opened_at"])
        by, acting = acting_for(uow, sender, within, register.location_code)
        by.staff.require(Permission.SELL, register.location_code)
        existing = uow.accounts.payment_for_key(key)
        if existing is not None:
            return existing, False
        _customer(uow, customer_id)
        if shift is None:
            raise Conflict(f"register {register_code} has no open shift: open one to take a payment")
        uow.accounts.change(
            customer_id,
            amount,
            {
                "kind": "paid",
                "method": method,
                "idempotency_key": key,
                "register_code": register_code,
                "shift_id": shift["id"],
                "staff_id": by.staff.id,
            },
        )
        uow.events.audit(
            "account.payment",
            {
                "customer_id": customer_id,
                "amount": money_str(amount),
                "method": method,
                "shift_id": shift["id"],
                **sent_by(sender, acting),
            },
            by.actor(register.location_code, register_code),
        )
        uow.changed("customers", [str(customer_id)])
        uow.commit()
    with UnitOfWork(engine) as uow:
        entry = uow.accounts.payment_for_key(key)
    assert entry is not None
    return entry, True
