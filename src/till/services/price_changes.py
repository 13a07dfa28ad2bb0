"""Price changes: set now, or planned ahead and applied by the scheduler.

Every change writes the product row, the change feed (`products` and `prices`, so tills
pull it) and a `price.changed` outbox event in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine

from till.domain.errors import Invalid
from till.domain.locations import Location
from till.domain.staff import Permission
from till.services.auth import Principal
from till.services.errors import NotFound
from till.storage.prices import PRICE_FIELDS
from till.storage.uow import UnitOfWork


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    if isinstance(value, date):
        return value.isoformat()
    return value


def _write(uow: UnitOfWork, sku: str, values: dict[str, Any], reason: str) -> dict[str, Any]:
    row = uow.prices.set_prices(sku, values, datetime.now(UTC))
    if row is None:
        raise NotFound(f"no product {sku}")
    event = {"sku": sku, "reason": reason, **{f: _plain(row[f]) for f in PRICE_FIELDS}}
    uow.changed("products", [sku])
    uow.changed("prices", [sku])
    uow.events.publish("price.changed", event)
    return event


def change_price(
    engine: Engine,
    by: Principal,
    sku: str,
    *,
    price: Decimal | None = None,
    special_price: Decimal | None = None,
    special_from: date | None = None,
    special_to: date | None = None,
    clear_special: bool = False,
) -> dict[str, Any]:
    """Set a product's price and/or special price now (manager or admin)."""
    by.staff.require(Permission.PRICE_OVERRIDE)
    values: dict[str, Any] = {}
    if price is not None:
        if price < 0:
            raise Invalid("a price cannot be negative")
        values["price"] = price
    if clear_special:
        values.update(special_price=None, special_from=None, special_to=None)
    elif special_price is not None:
        if special_price < 0:
            raise Invalid("a special price cannot be negative")
        if special_from and special_to and special_to < special_from:
            raise Invalid("special_to is before special_from")
        values.update(special_price=special_price, special_from=special_from, special_to=special_to)
    if not values:
        raise Invalid("give a price, a special price or clear_special")
    with UnitOfWork(engine) as uow:
        event = _write(uow, sku, values, "changed")
        uow.events.audit("price.changed", event, by.actor())
        uow.commit()
    return event


def schedule_special_price(
    engine: Engine,
    by: Principal,
    sku: str,
    special_price: Decimal,
    starts_at: datetime,
    ends_at: datetime | None,
) -> dict[str, Any]:
    """Plan a special price from `starts_at` until `ends_at` (the scheduler applies it)."""
    by.staff.require(Permission.PRICE_OVERRIDE)
    if special_price < 0:
        raise Invalid("a special price cannot be negative")
    if starts_at.tzinfo is None or (ends_at is not None and ends_at.tzinfo is None):
        raise Invalid("give times with their zone")
    if ends_at is not None and ends_at <= starts_at:
        raise Invalid("ends_at must be after starts_at")
    with UnitOfWork(engine) as uow:
        if not uow.catalog.products([sku]):
            raise NotFound(f"no product {sku}")
        schedule_id = uow.prices.add_schedule(
            sku=sku,
            special_price=special_price,
            starts_at=starts_at.astimezone(UTC),
            ends_at=None if ends_at is None else ends_at.astimezone(UTC),
            staff_id=by.staff.id,
            at=datetime.now(UTC),
        )
        uow.events.audit(
            "price.scheduled",
            {
                "sku": sku,
                "special_price": str(special_price),
                "starts_at": starts_at.isoformat(),
                "ends_at": None if ends_at is None else ends_at.isoformat(),
            },
            by.actor(),
        )
        uow.commit()
    return {"id": schedule_id, "sku": sku, "status": "pending"}


def price_schedule_list(engine: Engine, limit: int = 200) -> list[dict[str, Any]]:
    """Planned, running and ended special prices, newest first."""
    with UnitOfWork(engine) as uow:
        rows = uow.prices.schedules(limit)
        return [
            {
                "id": r.id,
                "sku": r.sku,
                "special_price": _plain(r.special_price),
                "starts_at": _aware(r.starts_at),
                "ends_at": _aware(r.ends_at),
                "status": r.status,
            }
            for r in rows
        ]


def _aware(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat()


def apply_due_prices(engine: Engine, now: datetime | None = None) -> dict[str, int]:
    """Start planned special prices whose time has come and end those whose time is up;
    each in its own transaction with its change-feed rows and event."""
    now = now or datetime.now(UTC)
    started = ended = 0
    with UnitOfWork(engine) as uow:
        due_start = uow.prices.due_to_start(now)
        due_end = uow.prices.due_to_end(now)
    for schedule_id in due_start:
        started += _start(engine, schedule_id, now)
    for schedule_id in due_end:
        ended += _end(engine, schedule_id)
    return {"started": started, "ended": ended}


def _start(engine: Engine, schedule_id: int, now: datetime) -> int:
    with UnitOfWork(engine) as uow:
        row = uow.prices.lock_schedule(schedule_id)
        if row.status != "pending":
            return 0
        current = uow.prices.special_of(row.sku)
        if current is None:
            uow.prices.set_status(schedule_id, "ended")
            uow.commit()
            return 0
        previous = {k: _plain(v) for k, v in current.items()}
        ends = _aware(row.ends_at)
        # A product's special dates are calendar days, read on each shop's clock: from the
        # earliest shop's today, so every shop sells at it now, to the latest shop's last day
        # (the scheduler ends it on time; the day is only the tills' offline fallback).
        shops = uow.reference.locations()
        _write(
            uow,
            row.sku,
            {
                "special_price": row.special_price,
                "special_from": _shop_day(shops, now, min),
                "special_to": None if ends is None else _shop_day(shops, datetime.fromisoformat(ends), max),
            },
            "schedule started",
        )
        uow.prices.set_status(schedule_id, "active", previous=previous)
        uow.commit()
    return 1


def _end(engine: Engine, schedule_id: int) -> int:
    with UnitOfWork(engine) as uow:
        row = uow.prices.lock_schedule(schedule_id)
        if row.status == "ended":
            return 0
        if row.status == "active":
            previous = row.previous or {}
            _write(
                uow,
                row.sku,
                {
                    "special_price": None
                    if previous.get("special_price") is None
                    else Decimal(previous["special_price"]),
                    "special_from": _date(previous.get("special_from")),
                    "special_to": _date(previous.get("special_to")),
                },
                "schedule ended",
            )
        uow.prices.set_status(schedule_id, "ended")
        uow.commit()
    return 1


def _shop_day(shops: list[Location], moment: datetime, pick: Callable[[list[date]], date]) -> date:
    """The calendar day a moment falls on in the shops (UTC's when there are none)."""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    days = [shop.business_day(moment) for shop in shops]
    return pick(days) if days else moment.astimezone(UTC).date()


def _date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(str(value))
