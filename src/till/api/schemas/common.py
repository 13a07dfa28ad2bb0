"""The wire's value types: money and quantities as decimal strings (a JSON float for money is
refused), ISO 8601 times with their zone, bounded codes and keys; `Strict` refuses unknown fields.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from till.domain.money import money_str, plain_str


def no_float(value: Any) -> Any:
    """Amounts, quantities and percents travel as decimal strings only (docs/sync.md): a JSON
    number, whole or not, is refused, so no field is read through a binary float."""
    if isinstance(value, bool):
        raise ValueError("expected a decimal string")
    if isinstance(value, int | float):
        raise ValueError('send amounts and quantities as decimal strings, e.g. "12.50", not JSON numbers')
    return value


def _iso_time(value: Any) -> Any:
    """Times travel as ISO 8601 strings; a bare number (a Unix time to pydantic) is refused."""
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(
            "give a time as an ISO 8601 string with its zone, e.g. 2026-11-25T15:04:05+00:00"
        ) from None


#: The times a till, a report or a schedule may name: a clock reset to the Unix epoch is still a
#: reading (kept, then moved to the server's clock), a time past 2999 is no time at all. Inside
#: these bounds, time arithmetic (clock offsets, business days, zones of ±14 h) cannot overflow and
#: every database can store the result (MariaDB's DATETIME starts at year 1000).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def _bounded_time(value: datetime) -> datetime:
    # Compared as aware times, never converted: 9999-12-31T23:59:59-14:00 has no UTC datetime.
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"a time must fall from {EARLIEST.date()} to 2999-12-31 (UTC)")
    return value


def _bounded_date(value: date) -> date:
    if not EARLIEST.date() <= value < LATEST.date():
        raise ValueError(f"a date must fall from {EARLIEST.date()} to 2999-12-31")
    return value


def _iso_date(value: Any) -> Any:
    """Dates travel as ISO 8601 strings (2026-11-25), never as numbers."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError("give a date as an ISO 8601 string, e.g. 2026-11-25") from None


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC, so say so on the wire.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _as_str(value: Decimal) -> str:
    return plain_str(value)


def _as_money(value: Decimal) -> str:
    return money_str(value)


#: The wire's two dialects for numbers (docs/sync.md): money with exactly the currency's two
#: places, quantities and rates in plain decimal notation (never an exponent, never a JSON
#: number). Every decimal in an answer is one or the other.
MONEY_PATTERN = r"^-?\d+\.\d{2}$"
PLAIN_PATTERN = r"^-?\d+(\.\d+)?$"


def decimal_string(places: int, *, signed: bool = False, example: str = "12.50") -> WithJsonSchema:
    """Document a decimal as what it is on the wire: a string of digits."""
    sign = "-?" if signed else ""
    return WithJsonSchema(
        {
            "type": "string",
            "format": "decimal",
            "pattern": rf"^{sign}\d+(\.\d{{1,{places}}})?$",
            "examples": [example],
        }
    )


Money = Annotated[
    Decimal,
    BeforeValidator(no_float),
    Field(ge=0, le=Decimal("999999999"), decimal_places=2),
    PlainSerializer(_as_str, return_type=str, when_used="json"),
    decimal_string(2),
]
Quantity = Annotated[
    Decimal,
    BeforeValidator(no_float),
    Field(gt=0, le=Decimal("100000"), decimal_places=4),
    PlainSerializer(_as_str, return_type=str, when_used="json"),
    decimal_string(4, example="1"),
]
Percent = Annotated[
    Decimal,
    BeforeValidator(no_float),
    Field(gt=0, le=100, decimal_places=4),
    PlainSerializer(_as_str, return_type=str, when_used="json"),
    decimal_string(4, example="10"),
]
#: An amount of money in an answer: the currency's two places ("39.20", never "39.2000").
MoneyOut = Annotated[
    Decimal,
    PlainSerializer(_as_money, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "decimal", "pattern": MONEY_PATTERN, "examples": ["39.20"]}),
]
#: A quantity or a rate in an answer: plain decimal notation ("20", "8.875", "2.0000"; never "2E+1").
DecimalOut = Annotated[
    Decimal,
    PlainSerializer(_as_str, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "decimal", "pattern": PLAIN_PATTERN, "examples": ["1.5"]}),
]
#: A row id as the database stores it (32-bit): a bigger or non-positive number is malformed (422).
RowId = Annotated[int, Field(ge=1, le=2**31 - 1)]
#: A time in an answer: always with its zone (UTC when the database kept none).
TimeOut = Annotated[datetime, AfterValidator(_utc)]
_TIME_SCHEMA = WithJsonSchema(
    {
        "type": "string",
        "format": "date-time",
        "description": "ISO 8601 with its zone, from 1970-01-01 to 2999-12-31 (UTC)",
        "examples": ["2026-11-25T15:04:05+00:00"],
    }
)
#: A time with its zone, as an ISO 8601 string, within EARLIEST…LATEST.
Time = Annotated[AwareDatetime, BeforeValidator(_iso_time), AfterValidator(_bounded_time), _TIME_SCHEMA]
#: A date, as an ISO 8601 string, within the years Time allows.
Day = Annotated[
    date,
    BeforeValidator(_iso_date),
    AfterValidator(_bounded_date),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2026-11-25"]}),
]
#: A number a till or a back office names (an approver, a report parameter): 64-bit like the
#: database's widest integer; anything larger is malformed (422), never a database error.
BigInt = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
Sku = Annotated[str, Field(min_length=1, max_length=64)]
Code = Annotated[str, Field(min_length=1, max_length=32)]
#: A register's code: as long as the database keeps it (a longer one could be stored nowhere,
#: not even as a refused sale).
RegisterCode = Annotated[str, Field(min_length=1, max_length=12)]
Key = Annotated[str, Field(min_length=8, max_length=80, pattern=r"^[A-Za-z0-9_.:-]+$")]


class Strict(BaseModel):
    """Unknown fields are an error: a typo in a field name must not pass silently."""

    model_config = ConfigDict(extra="forbid")


#: How a member got onto a till: signed in where the server saw it, or by a PIN checked offline.
SignInWay = Literal["online", "offline_pin"]


class ActedByIn(Strict):
    """Who did a queued action on the till, and how they got onto it (docs/sync.md). The server
    judges the action by that member: believed when it saw them signed in on this device at
    `at`; an offline PIN switch is kept and flagged; anyone else is refused and kept."""

    staff_id: RowId
    sign_in: SignInWay = "online"
    at: Time | None = Field(default=None, description="the till's clock when the action was done")
