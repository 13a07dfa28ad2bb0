"""Today at a shop, for its manager: sales, transactions, average basket, top items, sales per
staff member and per location, each location on its own business day (its time zone)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from till.domain.errors import Invalid
from till.domain.money import ZERO, round_money
from till.domain.staff import Permission
from till.services.auth import Principal
from till.services.errors import NotFound
from till.storage.uow import UnitOfWork


def _average(total: Decimal, count: int) -> Decimal:
    return round_money(total / count) if count else ZERO


def today(
    engine: Engine, by: Principal, location: str | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """The day so far at one of the member's locations, or at all of them (one currency)."""
    moment = now or datetime.now(UTC)
    with UnitOfWork(engine) as uow:
        by.staff.require(Permission.REPORTS, location)
        mine = [loc for loc in uow.reference.locations() if by.staff.works_at(loc.code)]
        if location is not None:
            mine = [loc for loc in mine if loc.code == location]
            if not mine:
                raise NotFound(f"no location {location}")
        currencies = sorted({loc.currency for loc in mine})
        if len(currencies) > 1:
            raise Invalid(f"your locations take {', '.join(currencies)}: pick one location")
        days = [(loc.code, loc.business_day(moment)) for loc in mine]
        sold = uow.today.by_location(days)
        refunded = uow.today.refunds_by_location(days)
        top = uow.today.top_items(days)
        staff = uow.today.by_staff(days)
        store = uow.reference.setting("store") or {}
    locations = []
    for loc, (_, day) in zip(mine, days, strict=True):
        figures = sold.get(loc.code, {"transactions": 0, "sales": ZERO, "tax": ZERO, "discounts": ZERO})
        refunds_count, refunds = refunded.get(loc.code, (0, ZERO))
        locations.append(
            {
                "code": loc.code,
                "name": loc.name,
                "business_day": day,
                **figures,
                "refunds_count": refunds_count,
                "refunds": refunds,
                "net_sales": figures["sales"] - refunds,
                "average_basket": _average(figures["sales"], figures["transactions"]),
            }
        )
    transactions = sum(loc["transactions"] for loc in locations)
    sales = sum((loc["sales"] for loc in locations), ZERO)
    refunds_total = sum((loc["refunds"] for loc in locations), ZERO)
    return {
        "currency": currencies[0] if currencies else "USD",
        # The store's locale (BCP 47), for the page to write money as the shop does.
        "locale": str(store.get("locale") or "en-US"),
        "as_of": moment,
        "transactions": transactions,
        "sales": sales,
        "refunds": refunds_total,
        "net_sales": sales - refunds_total,
        "average_basket": _average(sales, transactions),
        "top_items": top,
        "staff": staff,
        "locations": locations,
    }
