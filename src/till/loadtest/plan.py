"""What a load test needs before the first till starts: registers, staff, priced baskets, stock.

The tills are simulated, the store is real: the plan writes registers and two members of staff
into the server's database (as `till staff add` would), prices a pool of baskets with the
server's own engine (as a till prices them with the shared one), and notes every salable
quantity the baskets can touch, so the check afterwards can say whether stock still adds up.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from till.domain.catalog import Product
from till.domain.locations import Register
from till.domain.sales import ClientTotals, Sale, SaleLine
from till.domain.staff import Role
from till.services.auth import add_staff
from till.services.pricing import PricingContext
from till.storage.events import Actor
from till.storage.uow import UnitOfWork

#: Register codes are at most 12 characters: a run tag of 4 and a number of 4.
MAX_TILLS = 9999


@dataclass(frozen=True, slots=True)
class Basket:
    """A priced cart: lines as a till sends them and the totals its engine computed."""

    lines: tuple[dict[str, str], ...]
    totals: dict[str, str]
    qty_by_sku: dict[str, Decimal]

    @property
    def grand_total(self) -> Decimal:
        """What the customer pays."""
        return Decimal(self.totals["grand_total"])


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything the simulated tills share."""

    run: str
    location: str
    stock_id: int
    registers: tuple[str, ...]
    cashier: tuple[str, str, int]
    manager: tuple[str, str, int]
    baskets: tuple[Basket, ...]
    salable_before: dict[str, Decimal] = field(default_factory=dict)

    @property
    def key_prefix(self) -> str:
        """Every idempotency key of this run starts with it."""
        return f"lt-{self.run}-"


def prepare(
    engine: Engine, *, location: str, tills: int, baskets: int = 300, stock: int = 0, seed: int = 7
) -> Plan:
    """Create this run's registers and staff, and price a pool of baskets at `location`.

    With `stock`, every sku the baskets hold first receives that many units at the location's
    source (a delivery before opening), so that oversells stay the exception they are in a shop.
    """
    if not 1 <= tills <= MAX_TILLS:
        raise ValueError(f"between 1 and {MAX_TILLS} tills")
    run = secrets.token_hex(2).upper()
    rng = random.Random(seed)
    with UnitOfWork(engine) as uow:
        place = uow.reference.location(location)
        if place is None:
            raise ValueError(f"no location {location}")
        registers = tuple(f"L{run}{n:04d}"[:12] for n in range(1, tills + 1))
        uow.reference.add_registers(
            [Register(code, location, f"Load test till {code}") for code in registers]
        )
        uow.commit()
    people = {}
    for role in (Role.CASHIER, Role.MANAGER):
        username = f"loadtest-{run}-{role.value}"
        password = secrets.token_urlsafe(12)
        staff_id = add_staff(
            engine,
            username=username,
            name=f"Load test {role.value}",
            role=role,
            password=password,
            pin="".join(rng.choice("0123456789") for _ in range(6)),
            locations=[location],
            by=Actor.command_line("till loadtest"),
        )
        people[role] = (username, password, staff_id)
    with UnitOfWork(engine) as uow:
        catalog = _sellable(uow, rng)
        context = PricingContext.load(uow)
        place = context.location(location)
        day = place.business_day(datetime.now(UTC))
        pool = []
        for n in range(baskets):
            chosen = rng.sample(catalog, min(len(catalog), rng.randint(1, 8)))
            lines = [
                SaleLine(sku=p.sku, qty=Decimal(rng.randint(1, 3)), unit_price=p.price, name=p.name)
                for p in chosen
            ]
            draft = Sale(
                idempotency_key=f"plan-{run}-{n:06d}",
                register_code=registers[0],
                receipt_number=f"{registers[0]}-000000",
                location_code=location,
                staff_id=people[Role.CASHIER][2],
                created_at=datetime.now(UTC),
                lines=tuple(lines),
                payments=(),
                client_totals=ClientTotals(Decimal(0), Decimal(0), Decimal(0), Decimal(0)),
            )
            totals = context.price(draft, {p.sku: p for p in chosen}, place, 0, day).totals
            pool.append(_basket(lines, totals.subtotal, totals.discount, totals.tax, totals.grand_total))
    skus = sorted({sku for b in pool for sku in b.qty_by_sku})
    if stock:
        with UnitOfWork(engine) as uow:
            for sku in skus:
                uow.stock.change_source_quantity(sku, place.source_code, Decimal(stock))
            stocks = uow.stock.stocks_of_source(place.source_code)
            uow.stock_changed((sku, stock_id) for sku in skus for stock_id in stocks)
            uow.commit()
    with UnitOfWork(engine) as uow:
        salable = uow.stock.salable(place.stock_id, skus)
    return Plan(
        run=run,
        location=location,
        stock_id=place.stock_id,
        registers=registers,
        cashier=people[Role.CASHIER],
        manager=people[Role.MANAGER],
        baskets=tuple(pool),
        salable_before=salable,
    )


def _sellable(uow: UnitOfWork, rng: random.Random, most: int = 400) -> list[Product]:
    """Enabled simple products sold at their plain price, a random sample of at most `most`."""
    found: list[Product] = []
    after = 0
    while page := uow.catalog.product_page(after, 1000):
        after = page[-1][0]
        found += [
            p
            for _, p in page
            if p.type == "simple"
            and p.enabled
            and p.price > 0
            and p.special_price is None
            and not p.tier_prices
        ]
    if not found:
        raise ValueError("the catalog has no enabled simple product with a price to sell")
    return rng.sample(found, min(most, len(found)))


def _basket(
    lines: list[SaleLine], subtotal: Decimal, discount: Decimal, tax: Decimal, grand_total: Decimal
) -> Basket:
    qty: dict[str, Decimal] = {}
    for line in lines:
        qty[line.sku] = qty.get(line.sku, Decimal(0)) + line.qty
    wire: tuple[dict[str, Any], ...] = tuple(
        {"sku": line.sku, "qty": f"{line.qty:f}", "unit_price": f"{line.unit_price:f}"} for line in lines
    )
    return Basket(
        lines=wire,
        totals={
            "subtotal": f"{subtotal:.2f}",
            "discount": f"{discount:.2f}",
            "tax": f"{tax:.2f}",
            "grand_total": f"{grand_total:.2f}",
        },
        qty_by_sku=qty,
    )
