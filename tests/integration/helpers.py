"""Building sales the way a till does, for tests that call the services directly."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Engine

from till.domain.sales import ClientTotals, Payment, Sale, SaleLine
from till.services.pricing import PricingContext
from till.services.sales import PushedSale
from till.storage.uow import UnitOfWork


def make_sale(
    engine: Engine,
    *,
    key: str,
    receipt: str,
    lines: list[tuple[str, Decimal]],
    register: str = "NYC1",
    location: str = "NYC",
    staff_id: int = 1,
    coupon_code: str | None = None,
) -> PushedSale:
    """A priced, cash-paid sale of catalog-priced lines, as a till would push it."""
    moment = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    with UnitOfWork(engine) as uow:
        products = uow.catalog.products(sku for sku, _ in lines)
        context = PricingContext.load(uow)
        place = context.location(location)
        day = place.business_day(moment)
        sale_lines = tuple(
            SaleLine(sku=sku, qty=qty, unit_price=products[sku].final_price(day, 0, qty))
            for sku, qty in lines
        )
        draft = Sale(
            idempotency_key=key,
            register_code=register,
            receipt_number=receipt,
            location_code=location,
            staff_id=staff_id,
            created_at=moment,
            lines=sale_lines,
            payments=(Payment("card", Decimal("0.01")),),
            client_totals=ClientTotals(Decimal(0), Decimal(0), Decimal(0), Decimal(0)),
            coupon_code=coupon_code,
        )
        totals = context.price(draft, products, place, 0, day).totals
    payments = (Payment("cash", totals.grand_total),) if totals.grand_total > 0 else ()
    sale = Sale(
        idempotency_key=key,
        register_code=register,
        receipt_number=receipt,
        location_code=location,
        staff_id=staff_id,
        created_at=moment,
        lines=sale_lines,
        payments=payments,
        client_totals=ClientTotals(totals.subtotal, totals.discount, totals.tax, totals.grand_total),
        coupon_code=coupon_code,
    )
    return PushedSale(key, register, {"idempotency_key": key}, sale=sale)


def sellable_skus(engine: Engine, count: int) -> list[str]:
    """Simple products with a price, in sku order."""
    from sqlalchemy import select

    from till.storage.tables import products

    with engine.connect() as conn:
        rows = conn.execute(
            select(products.c.sku)
            .where(products.c.type == "simple", products.c.price > 0, products.c.enabled.is_(True))
            .order_by(products.c.sku)
            .limit(count)
        )
        return [row.sku for row in rows]


def salable(engine: Engine, stock_id: int, skus: list[str]) -> dict[str, Decimal]:
    """Salable quantities now."""
    with UnitOfWork(engine) as uow:
        return uow.stock.salable(stock_id, skus)


def order_count(engine: Engine) -> int:
    """How many sales the server holds."""
    from sqlalchemy import func, select

    from till.storage.tables import orders

    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(orders)).scalar_one())
