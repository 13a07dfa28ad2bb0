"""A shop's day so far, for its manager (the back office's Today page)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from till.api.schemas.common import DecimalOut, MoneyOut, TimeOut


class TopItemOut(BaseModel):
    sku: str
    name: str
    qty: DecimalOut
    sales: MoneyOut


class StaffDayOut(BaseModel):
    username: str
    name: str
    transactions: int
    sales: MoneyOut


class LocationDayOut(BaseModel):
    code: str
    name: str
    #: The location's own calendar day (its time zone).
    business_day: date
    transactions: int
    sales: MoneyOut
    tax: MoneyOut
    discounts: MoneyOut
    refunds_count: int
    refunds: MoneyOut
    net_sales: MoneyOut
    average_basket: MoneyOut


class TodayOut(BaseModel):
    """Sales are grand totals of the day's sales; net sales take the day's refunds off."""

    currency: str
    locale: str
    as_of: TimeOut
    transactions: int
    sales: MoneyOut
    refunds: MoneyOut
    net_sales: MoneyOut
    average_basket: MoneyOut
    top_items: list[TopItemOut]
    staff: list[StaffDayOut]
    locations: list[LocationDayOut]
