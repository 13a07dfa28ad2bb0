"""Property: however sale batches from several registers are interleaved, duplicated and
replayed, each sale exists exactly once and salable stock = start − sold + restocked."""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from till.domain.sales import RefundLineRequest
from till.services.auth import Principal
from till.services.refunds import refund
from till.services.sales import place_sales
from till.storage.uow import UnitOfWork

from .helpers import make_sale, order_count, salable, sellable_skus

REGISTERS = [("NYC1", "NYC"), ("NYC2", "NYC"), ("WH1", "WH")]
_receipts = itertools.count(1)

sale_spec = st.tuples(
    st.integers(0, len(REGISTERS) - 1),
    st.lists(st.tuples(st.integers(0, 3), st.integers(1, 3)), min_size=1, max_size=3),
)


@st.composite
def schedules(
    draw: st.DrawFn,
) -> tuple[list[tuple[int, list[tuple[int, int]]]], list[list[int]], list[tuple[int, int, bool]]]:
    sales = draw(st.lists(sale_spec, min_size=1, max_size=6))
    # Every sale is delivered at least once, some several times, in any order and grouping.
    deliveries = list(range(len(sales))) + draw(st.lists(st.integers(0, len(sales) - 1), max_size=6))
    order = draw(st.permutations(deliveries))
    cuts = sorted(draw(st.lists(st.integers(1, max(1, len(order) - 1)), max_size=3, unique=True)))
    batches = [list(order[a:b]) for a, b in zip([0, *cuts], [*cuts, len(order)], strict=True) if order[a:b]]
    refunds = draw(
        st.lists(st.tuples(st.integers(0, len(sales) - 1), st.integers(1, 3), st.booleans()), max_size=3)
    )
    return sales, batches, refunds


def test_any_interleaving_keeps_each_sale_once_and_stock_exact(demo_engine: Engine) -> None:
    engine = demo_engine

    skus = sellable_skus(engine, 4)
    with UnitOfWork(engine) as uow:
        stock_of = {
            code: loc.stock_id for code, loc in ((c, uow.reference.location(c)) for c in ("NYC", "WH")) if loc
        }
        staff_at = {m.username: m.id for m in uow.staff.all()}
    cashier_for = {"NYC": staff_at["maya"], "WH": staff_at["omar"]}
    manager = _manager_from(engine, staff_at["grace"])

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(schedules())
    def run(
        plan: tuple[list[tuple[int, list[tuple[int, int]]]], list[list[int]], list[tuple[int, int, bool]]],
    ) -> None:
        sales_spec, batches, refund_spec = plan
        start = {stock: salable(engine, stock, skus) for stock in stock_of.values()}
        orders_before = order_count(engine)
        pushed = []
        sold: Counter[tuple[int, str]] = Counter()
        for register_index, lines in sales_spec:
            register, location = REGISTERS[register_index]
            merged: Counter[str] = Counter()
            for sku_index, qty in lines:
                merged[skus[sku_index]] += qty
            pushed.append(
                make_sale(
                    engine,
                    key=f"prop-{uuid.uuid4()}",
                    receipt=f"{register}-{next(_receipts)}",
                    lines=[(sku, Decimal(qty)) for sku, qty in sorted(merged.items())],
                    register=register,
                    location=location,
                    staff_id=cashier_for[location],
                )
            )
            for sku, qty in merged.items():
                sold[(stock_of[location], sku)] += qty

        seen: dict[str, str] = {}
        for batch in batches:
            for result in place_sales(engine, [pushed[i] for i in batch]):
                assert result.status in ("accepted", "duplicate"), result.reason
                assert seen.setdefault(result.idempotency_key, result.order_id or "") == result.order_id
        assert set(seen) == {p.idempotency_key for p in pushed}
        assert order_count(engine) == orders_before + len(pushed)

        restocked: Counter[tuple[int, str]] = Counter()
        refunded: Counter[int] = Counter()
        for sale_index, qty, restock in refund_spec:
            register, location = REGISTERS[sales_spec[sale_index][0]]
            line_qty = pushed[sale_index].sale.lines[0].qty  # type: ignore[union-attr]
            take = min(Decimal(qty), line_qty - refunded[sale_index])
            if take <= 0:
                continue
            key = f"refund-{uuid.uuid4()}"
            request = [RefundLineRequest(1, take, restock)]
            order_id = seen[pushed[sale_index].idempotency_key]
            first = refund(
                engine,
                manager,
                order_id=order_id,
                idempotency_key=key,
                register_code=register,
                lines=request,
                method="cash",
            )
            replay = refund(
                engine,
                manager,
                order_id=order_id,
                idempotency_key=key,
                register_code=register,
                lines=request,
                method="cash",
            )
            assert replay == (first[0], False)
            refunded[sale_index] += take
            if restock:
                sku = pushed[sale_index].sale.lines[0].sku  # type: ignore[union-attr]
                restocked[(stock_of[location], sku)] += int(take)

        for stock, quantities in start.items():
            now = salable(engine, stock, skus)
            for sku in skus:
                expected = quantities[sku] - sold[(stock, sku)] + restocked[(stock, sku)]
                assert now[sku] == expected, f"{sku} in stock {stock}"

    run()


def _manager_from(engine: Engine, staff_id: int) -> Principal:
    with UnitOfWork(engine) as uow:
        member = uow.staff.by_id(staff_id)
    assert member is not None
    return Principal(member)
