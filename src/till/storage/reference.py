"""Store reference data: locations, registers, customer groups, tax and settings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select

from till.domain.customers import CustomerGroup
from till.domain.gift_cards import LedgerRules
from till.domain.locations import Location, Register
from till.domain.tax import Address, TaxRate, TaxRule
from till.domain.totals import TaxConfig
from till.storage.db import update_or_insert
from till.storage.tables import (
    cart_rules,
    customer_groups,
    locations,
    registers,
    settings,
    tax_rates,
    tax_rules,
)


class ReferenceRepository:
    """Small, slowly changing tables the sale path reads each batch."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def location(self, code: str) -> Location | None:
        """A location by code."""
        row = self.conn.execute(select(locations).where(locations.c.code == code)).first()
        if row is None:
            return None
        return Location(
            code=row.code,
            name=row.name,
            source_code=row.source_code,
            stock_id=row.stock_id,
            timezone=row.timezone,
            address=Address(row.country, row.region, row.postcode),
            currency=row.currency,
        )

    def locations(self) -> list[Location]:
        """Every location."""
        codes = self.conn.execute(select(locations.c.code).order_by(locations.c.code)).scalars()
        return [loc for code in list(codes) if (loc := self.location(code)) is not None]

    def register(self, code: str) -> Register | None:
        """A register by code."""
        row = self.conn.execute(select(registers).where(registers.c.code == code)).first()
        return None if row is None else Register(row.code, row.location_code, row.name)

    def registers(self) -> list[Register]:
        """Every register."""
        rows = self.conn.execute(select(registers).order_by(registers.c.code))
        return [Register(row.code, row.location_code, row.name) for row in rows]

    def add_registers(self, entries: list[Register]) -> None:
        """Add registers (validated by the domain when they were made)."""
        self.conn.execute(
            insert(registers),
            [{"code": r.code, "location_code": r.location_code, "name": r.name} for r in entries],
        )

    def customer_groups(self) -> dict[int, CustomerGroup]:
        """Customer groups by id."""
        rows = self.conn.execute(select(customer_groups))
        return {row.id: CustomerGroup(row.id, row.code, row.tax_class) for row in rows}

    def tax_rates(self) -> list[TaxRate]:
        """Every tax rate."""
        return [
            TaxRate(
                code=row.code,
                country=row.country,
                region=row.region,
                postcode=row.postcode,
                percent=Decimal(row.percent).quantize(Decimal("0.0001")).normalize(),
            )
            for row in self.conn.execute(select(tax_rates).order_by(tax_rates.c.code))
        ]

    def tax_rules(self) -> list[TaxRule]:
        """Every tax rule."""
        return [
            TaxRule(
                code=row.code,
                customer_classes=frozenset(row.customer_classes),
                product_classes=frozenset(row.product_classes),
                rates=frozenset(row.rates),
                priority=row.priority,
                position=row.position,
                calculate_subtotal=bool(row.calculate_subtotal),
            )
            for row in self.conn.execute(
                select(tax_rules).order_by(tax_rules.c.priority, tax_rules.c.position, tax_rules.c.code)
            )
        ]

    def setting(self, key: str) -> Any:
        """A stored setting, or None."""
        return self.conn.execute(select(settings.c.value).where(settings.c.key == key)).scalar()

    def set_setting(self, key: str, value: Any) -> None:
        """Store a setting (a JSON value) under its key."""
        update_or_insert(self.conn, settings, {"key": key}, {"value": value})

    def ledger_rules(self) -> LedgerRules:
        """The shop's gift card and store credit rules; the defaults where none are stored."""
        return LedgerRules.of(self.setting("ledger_rules"))

    def tax_config(self) -> TaxConfig:
        """The store's tax settings; Magento's defaults where none are stored."""
        raw = self.setting("tax_config") or {}
        return TaxConfig(
            algorithm=raw.get("algorithm", "TOTAL"),
            prices_include_tax=bool(raw.get("prices_include_tax", False)),
            apply_after_discount=bool(raw.get("apply_after_discount", True)),
            discount_on_prices_including_tax=bool(raw.get("discount_on_prices_including_tax", False)),
            cross_border_trade=bool(raw.get("cross_border_trade", False)),
            apply_tax_on=raw.get("apply_tax_on", "custom"),
        )

    def cart_rule_rows(self) -> list[dict[str, Any]]:
        """Cart price rules as stored, sorted the way Magento applies them."""
        rows = self.conn.execute(select(cart_rules).order_by(cart_rules.c.sort_order, cart_rules.c.id))
        return [dict(row._mapping) for row in rows]

    def cart_rule_rows_by_id(self, ids: list[int]) -> list[dict[str, Any]]:
        """Cart price rules as stored, of these ids (any order)."""
        rows = self.conn.execute(select(cart_rules).where(cart_rules.c.id.in_(ids)))
        return [dict(row._mapping) for row in rows]
