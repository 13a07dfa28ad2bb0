"""A refund never gives back more than the sale took, per line and in total (issue 12 item 4).

A sale kept with a totals mismatch carries the server's figures for its lines, which may be more
than the customer paid: a 29.00 item pushed with a total of 1.00 and 1.00 in cash was refunded
31.57. Refunds are made from what the sale took (payments − change), shared over its lines.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import Live, priced, sale_payload
from till.domain.refunds import RefundedSoFar, RefundError, as_paid, refund_line

CENT = Decimal("0.01")


def _key() -> str:
    return f"refund-cap-{uuid.uuid4()}"


def test_a_sale_that_took_one_dollar_refunds_one_dollar_at_most(live: Live) -> None:
    with live.sign_in("admin") as admin:
        found = admin.get("/api/products", params={"q": "a", "limit": 200}).json()
    product = next(p for p in found if p["type"] == "simple" and Decimal(p["price"]) > 5)
    line = {"sku": product["sku"], "qty": "2", "unit_price": product["price"]}
    payload = priced(live, sale_payload(live, key=_key(), receipt="NYC1-004001", lines=[line]))
    payload["totals"] = {"subtotal": "1.00", "discount": "0.00", "tax": "0.00", "grand_total": "1.00"}
    payload["payments"] = [{"method": "cash", "amount": "1.00"}]
    with live.sign_in("maya") as till:
        [sold] = till.post("/api/sync/push", json={"sales": [payload]}).json()["sales"]
    assert sold["status"] == "accepted", sold
    assert "totals_mismatch" in sold["flags"]
    with live.sign_in("grace") as manager:
        order = manager.get(f"/api/orders/{sold['order_id']}").json()
        assert Decimal(order["grand_total"]) > 5
        given_back = []
        for _ in range(2):
            answer = manager.post(
                f"/api/orders/{sold['order_id']}/refunds",
                json={
                    "idempotency_key": _key(),
                    "register_code": "NYC1",
                    "lines": [{"line_no": 1, "qty": "1"}],
                    "method": "cash",
                },
            )
            assert answer.status_code == 201, answer.text
            given_back.append(Decimal(answer.json()["total"]))
        order = manager.get(f"/api/orders/{sold['order_id']}").json()
    assert sum(given_back) == Decimal("1.00"), given_back
    assert all(amount <= Decimal("1.00") for amount in given_back)
    assert Decimal(order["total_refunded"]) == Decimal("1.00")


# --- the arithmetic, over mismatched, discounted, partly refunded sales ---------------------------


@dataclass(frozen=True)
class _Line:
    key: str
    sku: str
    qty: Decimal
    row_total: Decimal
    discount: Decimal
    tax: Decimal
    discount_tax_compensation: Decimal

    @property
    def total(self) -> Decimal:
        return self.row_total - self.discount + self.tax + self.discount_tax_compensation


def _cents(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda n: Decimal(n) * CENT)


@st.composite
def _line(draw: st.DrawFn, n: int) -> _Line:
    qty = Decimal(draw(st.integers(1, 12)))
    row_total = draw(_cents(0, 500_000))
    discount = draw(_cents(0, int(row_total / CENT)))
    tax = draw(_cents(0, int(row_total / CENT) // 4 + 1))
    # Magento's compensation may be a negative cent, never below what the line otherwise costs.
    floor = -1 if row_total - discount + tax > 0 else 0
    compensation = draw(_cents(floor, 3)) if discount else Decimal("0.00")
    return _Line(str(n), f"SKU{n}", qty, row_total, discount, tax, compensation)


@st.composite
def _sale(draw: st.DrawFn) -> tuple[list[_Line], Decimal, list[tuple[int, Decimal]]]:
    lines = [draw(_line(n)) for n in range(1, draw(st.integers(1, 5)) + 1)]
    whole = sum((line.total for line in lines), Decimal(0))
    # What the till took: anything from nothing to more than the server priced (a mismatch
    # either way), most often exactly the server's total.
    taken = draw(st.one_of(st.just(whole), _cents(0, int(max(whole, CENT) / CENT) * 2)))
    refunds = draw(
        st.lists(
            st.tuples(st.integers(0, len(lines) - 1), st.integers(1, 12).map(Decimal)),
            max_size=12,
        )
    )
    return lines, taken, refunds


@settings(max_examples=400, deadline=None)
@given(_sale())
def test_refunds_never_give_back_more_than_the_sale_took(
    sale: tuple[list[_Line], Decimal, list[tuple[int, Decimal]]],
) -> None:
    lines, taken, asked = sale
    paid = as_paid(lines, taken)
    so_far = [RefundedSoFar() for _ in lines]
    given_back = [Decimal(0) for _ in lines]
    for index, qty in asked:
        try:
            refund = refund_line(paid[index], qty, so_far[index])
        except RefundError:
            continue
        so_far[index] = so_far[index].plus(refund)
        given_back[index] += refund.total
        assert refund.total >= 0
    for line, share, back in zip(lines, paid, given_back, strict=True):
        assert back <= share.total <= max(line.total, Decimal(0)), (line, share, back)
    assert sum(given_back, Decimal(0)) <= min(taken, sum((line.total for line in lines), Decimal(0)))
    # The whole of every line, refunded, gives back exactly what was taken (or the server's
    # figures, when the till took more).
    assert sum((share.total for share in paid), Decimal(0)) == min(
        taken, sum((line.total for line in lines), Decimal(0))
    )
