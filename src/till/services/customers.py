"""Customers created at a till, online or pushed later from the outbox."""

from __future__ import annotations

from sqlalchemy import Engine

from till.domain.customers import Customer, CustomerError
from till.services.errors import Conflict
from till.storage.customers import EmailTaken
from till.storage.uow import UnitOfWork


def create_customer(engine: Engine, customer: Customer, client_key: str | None) -> tuple[int, bool]:
    """Create a customer once per client key; returns (id, created)."""
    with UnitOfWork(engine) as uow:
        result = add_customer(uow, customer, client_key)
        uow.commit()
    return result


def add_customer(
    uow: UnitOfWork, customer: Customer, client_key: str | None, *, link_existing: bool = False
) -> tuple[int, bool]:
    """Create a customer in the caller's transaction, announcing it to tills and others.

    A customer made offline whose e-mail is already known is linked to the known customer
    (`link_existing`), never duplicated; online, the cashier is told to search instead.
    """
    if customer.group_id not in uow.reference.customer_groups():
        raise CustomerError(f"unknown customer group {customer.group_id}")
    if client_key is not None:
        existing = uow.customers.id_for_client_key(client_key)
        if existing is not None:
            return existing, False
    known = uow.customers.id_for_email(customer.email)
    if known is None:
        try:
            customer_id, created = uow.customers.add(customer, client_key)
        except EmailTaken as taken:
            known = taken.customer_id
    if known is not None:
        return _already_known(uow, customer, client_key, known, link_existing=link_existing)
    if created:
        uow.changed("customers", [str(customer_id)])
        uow.events.publish(
            "customer.created",
            {"customer_id": customer_id, "email": customer.email, "client_key": client_key},
        )
    return customer_id, created


def _already_known(
    uow: UnitOfWork, customer: Customer, client_key: str | None, known: int, *, link_existing: bool
) -> tuple[int, bool]:
    # The till's own earlier attempt (a retry racing it) made this customer: same answer.
    if client_key is not None and uow.customers.id_for_client_key(client_key) == known:
        return known, False
    if link_existing:
        if client_key is not None:
            uow.customers.link(client_key, known)
        return known, False
    raise Conflict(f"a customer with e-mail {customer.email} exists already; search for them")
