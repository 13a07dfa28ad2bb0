"""Staff, devices, sign-in tokens and customers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from till.domain.customers import Customer
from till.domain.staff import Role, StaffMember
from till.storage.db import inserted_id
from till.storage.tables import auth_tokens, customer_keys, customers, devices, staff


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class StaffRepository:
    """Staff members, their secrets and lock-out counters."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @staticmethod
    def _member(row: Any) -> StaffMember:
        limit = row.discount_limit
        return StaffMember(
            id=row.id,
            username=row.username,
            name=row.name,
            role=Role(row.role),
            locations=frozenset(row.locations or ()),
            active=bool(row.active),
            discount_limit=None if limit is None else Decimal(limit),
        )

    def by_username(self, username: str) -> tuple[StaffMember, dict[str, Any]] | None:
        """A member and their secrets row (hashes, failures, lock), by username."""
        row = self.conn.execute(select(staff).where(staff.c.username == username)).first()
        return None if row is None else (self._member(row), dict(row._mapping))

    def by_id(self, staff_id: int) -> StaffMember | None:
        """A member by id."""
        row = self.conn.execute(select(staff).where(staff.c.id == staff_id)).first()
        return None if row is None else self._member(row)

    def secrets(self, staff_id: int) -> dict[str, Any]:
        """The secrets row of a member."""
        return dict(self.conn.execute(select(staff).where(staff.c.id == staff_id)).one()._mapping)

    def all(self) -> list[StaffMember]:
        """Every member, by username."""
        return [self._member(r) for r in self.conn.execute(select(staff).order_by(staff.c.username))]

    def add(
        self,
        *,
        username: str,
        name: str,
        role: Role,
        password_hash: str,
        pin_hash: str,
        pin_offline: str,
        locations: list[str],
        discount_limit: Decimal | None = None,
    ) -> int:
        """Create a member; returns the id."""
        result = self.conn.execute(
            insert(staff).values(
                username=username,
                name=name,
                role=role.value,
                password_hash=password_hash,
                pin_hash=pin_hash,
                pin_offline=pin_offline,
                locations=locations,
                active=True,
                discount_limit=discount_limit,
                failed_attempts=0,
                updated_at=datetime.now(UTC),
            )
        )
        return inserted_id(result)

    def update(self, staff_id: int, **values: Any) -> None:
        """Change a member's stored fields."""
        self.conn.execute(
            update(staff).where(staff.c.id == staff_id).values(updated_at=datetime.now(UTC), **values)
        )

    def record_failure(self, staff_id: int, max_failures: int, lock_for: timedelta) -> bool:
        """Count a failed secret; lock the member after `max_failures`. True if now locked."""
        self.conn.execute(
            update(staff).where(staff.c.id == staff_id).values(failed_attempts=staff.c.failed_attempts + 1)
        )
        failures = self.conn.execute(
            select(staff.c.failed_attempts).where(staff.c.id == staff_id)
        ).scalar_one()
        if failures >= max_failures:
            self.conn.execute(
                update(staff)
                .where(staff.c.id == staff_id)
                .values(locked_until=datetime.now(UTC) + lock_for, failed_attempts=0)
            )
            return True
        return False

    def clear_failures(self, staff_id: int) -> None:
        """Forget failures after a good sign-in."""
        self.conn.execute(
            update(staff).where(staff.c.id == staff_id).values(failed_attempts=0, locked_until=None)
        )

    @staticmethod
    def locked_until(secrets_row: dict[str, Any]) -> datetime | None:
        """When a member's lock ends, if they are locked now."""
        until = _utc(secrets_row.get("locked_until"))
        return until if until is not None and until > datetime.now(UTC) else None


class DeviceRepository:
    """Registered devices (tills) and sign-in tokens."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, device_id: str, name: str, register_code: str, token_hash: str) -> None:
        """Register a device to a register."""
        self.conn.execute(
            insert(devices).values(
                id=device_id,
                name=name,
                register_code=register_code,
                token_hash=token_hash,
                created_at=datetime.now(UTC),
            )
        )

    def by_token(self, token_hash: str) -> dict[str, Any] | None:
        """A device that is not revoked, by its token's digest."""
        row = self.conn.execute(
            select(devices).where(devices.c.token_hash == token_hash, devices.c.revoked_at.is_(None))
        ).first()
        return None if row is None else dict(row._mapping)

    def get(self, device_id: str) -> dict[str, Any] | None:
        """A device by id, revoked or not."""
        row = self.conn.execute(select(devices).where(devices.c.id == device_id)).first()
        return None if row is None else dict(row._mapping)

    def all(self) -> list[dict[str, Any]]:
        """Every device."""
        return [dict(r._mapping) for r in self.conn.execute(select(devices).order_by(devices.c.created_at))]

    def revoke(self, device_id: str) -> bool:
        """Revoke a device and every token signed in on it; True if it existed."""
        now = datetime.now(UTC)
        changed = self.conn.execute(
            update(devices)
            .where(devices.c.id == device_id, devices.c.revoked_at.is_(None))
            .values(revoked_at=now)
        ).rowcount
        self.conn.execute(
            update(auth_tokens)
            .where(auth_tokens.c.device_id == device_id, auth_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return bool(changed)

    def add_token(
        self,
        token_hash: str,
        staff_id: int,
        device_id: str | None,
        ttl: timedelta,
        *,
        session_started: datetime | None = None,
        not_after: datetime | None = None,
    ) -> datetime:
        """Store a sign-in token's digest; returns its expiry (never past `not_after`). A
        refreshed token keeps its session's start as `created_at`."""
        now = datetime.now(UTC)
        expires = now + ttl if not_after is None else min(now + ttl, not_after)
        self.conn.execute(
            insert(auth_tokens).values(
                token_hash=token_hash,
                staff_id=staff_id,
                device_id=device_id,
                created_at=session_started or now,
                expires_at=expires,
            )
        )
        return expires

    def token(self, token_hash: str) -> dict[str, Any] | None:
        """A live token (not expired, not revoked, its device not revoked)."""
        row = self.conn.execute(
            select(auth_tokens, devices.c.revoked_at.label("device_revoked_at"), devices.c.register_code)
            .outerjoin(devices, devices.c.id == auth_tokens.c.device_id)
            .where(auth_tokens.c.token_hash == token_hash, auth_tokens.c.revoked_at.is_(None))
        ).first()
        if row is None or row.device_revoked_at is not None:
            return None
        expires = _utc(row.expires_at)
        if expires is None or expires <= datetime.now(UTC):
            return None
        return dict(row._mapping)

    def spend_token(self, token_hash: str) -> bool:
        """Revoke a live token; False if it was revoked already (by a racing refresh)."""
        return bool(
            self.conn.execute(
                update(auth_tokens)
                .where(auth_tokens.c.token_hash == token_hash, auth_tokens.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            ).rowcount
        )

    def revoke_token(self, token_hash: str) -> None:
        """Sign a token out."""
        self.conn.execute(
            update(auth_tokens)
            .where(auth_tokens.c.token_hash == token_hash)
            .values(revoked_at=datetime.now(UTC))
        )


class EmailTaken(Exception):
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
