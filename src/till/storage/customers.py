"""Customers, the e-mail that is theirs alone, and the keys tills made them under."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from till.domain.customers import Customer
from till.domain.errors import Conflict
from till.storage.db import inserted_id
from till.storage.tables import customer_keys, customers


class EmailTaken(Conflict):
    """A customer with this e-mail was created by another transaction a moment ago."""

    def __init__(self, customer_id: int) -> None:
        super().__init__(f"e-mail taken by customer {customer_id}")
        self.customer_id = customer_id


class CustomerRepository:
    """Customers, created at the till (idempotently by client key) or pulled from Magento."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, customer: Customer, client_key: str | None = None) -> tuple[int, bool]:
        """Create a customer; returns (id, created). A replayed client key returns the first id."""
        if client_key is not None:
            existing = self.id_for_client_key(client_key)
            if existing is not None:
                return existing, False
        now = datetime.now(UTC)
        try:
            with self.conn.begin_nested():
                result = self.conn.execute(
                    insert(customers).values(
                        email=customer.email.lower(),
                        firstname=customer.firstname,
                        lastname=customer.lastname,
                        phone=customer.phone,
                        group_id=customer.group_id,
                        created_at=now,
                        updated_at=now,
                    )
                )
                customer_id = inserted_id(result)
                if client_key is not None:
                    self.conn.execute(
                        insert(customer_keys).values(client_key=client_key, customer_id=customer_id)
                    )
        except IntegrityError:
            # A racing retry with the same key won: answer with theirs.
            if client_key is not None and (existing := self.id_for_client_key(client_key)) is not None:
                return existing, False
            # Someone else created the e-mail a moment ago.
            if (owner := self.id_for_email(customer.email)) is not None:
                raise EmailTaken(owner) from None
            raise
        return customer_id, True

    def link(self, client_key: str, customer_id: int) -> None:
        """Remember that a till's key names a customer that already existed."""
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(customer_keys).values(client_key=client_key, customer_id=customer_id)
                )
        except IntegrityError:
            pass  # linked already by a replay

    def id_for_client_key(self, client_key: str) -> int | None:
        """The customer a till created (or linked) under this key."""
        return self.conn.execute(
            select(customer_keys.c.customer_id).where(customer_keys.c.client_key == client_key)
        ).scalar()

    def id_for_email(self, email: str) -> int | None:
        """The customer with this e-mail (case-insensitive)."""
        return self.conn.execute(select(customers.c.id).where(customers.c.email == email.lower())).scalar()

    def get(self, customer_id: int) -> dict[str, Any] | None:
        """A customer row."""
        row = self.conn.execute(select(customers).where(customers.c.id == customer_id)).first()
        return None if row is None else dict(row._mapping)

    def get_many(self, ids: list[int]) -> list[dict[str, Any]]:
        """Customer rows by id."""
        if not ids:
            return []
        return [dict(r._mapping) for r in self.conn.execute(select(customers).where(customers.c.id.in_(ids)))]

    def search(self, text: str, limit: int) -> list[dict[str, Any]]:
        """Customers whose name, e-mail or phone contains the text."""
        pattern = f"%{text.lower()}%"
        query = (
            select(customers)
            .where(
                or_(
                    func.lower(customers.c.email).like(pattern),
                    func.lower(customers.c.firstname + " " + customers.c.lastname).like(pattern),
                    customers.c.phone.like(pattern),
                )
            )
            .order_by(customers.c.lastname, customers.c.firstname)
            .limit(limit)
        )
        return [dict(r._mapping) for r in self.conn.execute(query)]
