"""Locations (shops) and the registers in them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from till.domain.errors import DomainError
from till.domain.tax import Address

REGISTER_CODE = re.compile(r"^[A-Z0-9]{2,12}$")


class LocationError(DomainError):
    """A location or register fact that breaks a rule."""

    code = "location_invalid"


@dataclass(frozen=True, slots=True)
class Location:
    """A shop: where its stock comes from, its tax origin and its clock."""

    code: str
    name: str
    source_code: str
    stock_id: int
    timezone: str
    address: Address
    currency: str = "USD"

    def local_time(self, moment: datetime) -> datetime:
        """A UTC moment on this shop's wall clock."""
        if moment.tzinfo is None:
            raise LocationError("times must carry their time zone")
        return moment.astimezone(ZoneInfo(self.timezone))

    def business_day(self, moment: datetime) -> date:
        """The shop's calendar day a moment falls on, for shifts and reports."""
        return self.local_time(moment).date()


@dataclass(frozen=True, slots=True)
class Register:
    """One till; its code prefixes every receipt number it makes, so they never collide."""

    code: str
    location_code: str
    name: str

    def __post_init__(self) -> None:
        if not REGISTER_CODE.match(self.code):
            raise LocationError("a register code is 2 to 12 capital letters or digits")
