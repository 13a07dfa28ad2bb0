"""The column types every table shares, and the Python values they give back.

The database quirks are handled here, once: SQLite and MariaDB hand back naive datetimes and
SQLite keeps decimals as floats, so a money column returns a `Decimal` rounded to cents, a
quantity column a `Decimal` at four places, and a moment column an aware UTC `datetime` on
every database. A naive datetime written to a moment column is refused: a moment without a
zone is a bug at its source, not something to guess about here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Column, DateTime, Dialect, MetaData, Numeric
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeDecorator, TypeEngine

from till.domain.money import CENT, QTY_PLACES

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

SKU = 64


class _Quantised(TypeDecorator[Decimal]):
    """A decimal column read back as a `Decimal` at a fixed number of places (half up)."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int, places: Decimal) -> None:
        super().__init__(precision, scale, asdecimal=True)
        self.places = places

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value) if isinstance(value, float) else value).quantize(
            self.places, rounding=ROUND_HALF_UP
        )


class Money(_Quantised):
    """Money: decimal(20,4) as Magento stores it, read back rounded to cents."""

    cache_ok = True

    def __init__(self, places: Decimal = CENT) -> None:
        super().__init__(20, 4, places)


class Quantity(_Quantised):
    """A quantity: decimal(12,4) as Magento's qty fields, read back at four places."""

    cache_ok = True

    def __init__(self) -> None:
        super().__init__(12, 4, QTY_PLACES)


class NaiveMoment(ValueError):
    """A datetime without a zone was about to be stored as a moment."""


class Moment(TypeDecorator[datetime]):
    """A moment, stored in UTC and read back as an aware UTC `datetime` on every database.

    `precise` keeps microseconds on MariaDB too (its DATETIME keeps whole seconds unless asked
    for six places); leases, backoffs and due times need them.
    """

    impl = DateTime
    cache_ok = True

    def __init__(self, precise: bool = False) -> None:
        super().__init__(timezone=True)
        self.precise = precise

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if self.precise and dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, datetime):
            if value.tzinfo is None or value.utcoffset() is None:
                raise NaiveMoment(f"a moment must carry its zone: {value!r}")
            return value.astimezone(UTC)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)  # SQLite and MariaDB keep the UTC wall time
        return moment.astimezone(UTC)

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        # Intervals and other operands keep their own type; only datetimes are moments.
        return self if isinstance(value, datetime) else self.impl_instance.coerce_compared_value(op, value)


def money(name: str, nullable: bool = False) -> Column[Decimal]:
    """A money column: decimal(20,4) as Magento's, read back in cents."""
    return Column(name, Money(), nullable=nullable)


def qty(name: str, nullable: bool = False) -> Column[Decimal]:
    """A quantity column: decimal(12,4) as Magento's qty fields."""
    return Column(name, Quantity(), nullable=nullable)


def timestamp(name: str, nullable: bool = False) -> Column[datetime]:
    """A moment, stored in UTC, read back aware."""
    return Column(name, Moment(), nullable=nullable)


#: Leases, backoffs and due times need sub-second precision.
PRECISE_MOMENT = Moment(precise=True)


def precise_timestamp(name: str, nullable: bool = False) -> Column[datetime]:
    """A moment in UTC, to the microsecond on every database."""
    return Column(name, PRECISE_MOMENT, nullable=nullable)
