"""What a sale is flagged for (`till.domain.sales.assess`) and the order it becomes: pure, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from till.domain.catalog import Product
from till.domain.inventory import Reservation
from till.domain.locations import Location
from till.domain.pricing import PricingRules
from till.domain.sales import (
    ClientTotals,
    Order,
    Payment,
    Sale,
    SaleLine,
    accept_sale,
    assess,
    order_fulfilled_event,
    sale_placed_event,
)
from till.domain.staff import Role, StaffMember
from till.domain.tax import Address
from till.domain.totals import (
    CartDiscount,
    CartInput,
    CartLine,
    CartTotals,
    LineDiscount,
    TaxConfig,
    compute_totals,
)

MADE = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
CASHIER = StaffMember(1, "ada", "Ada", Role.CASHIER, frozenset({"NYC"}))
MANAGER = StaffMember(2, "max", "Max", Role.MANAGER, frozenset({"NYC"}))
ELSEWHERE = StaffMember(3, "eve", "Eve", Role.MANAGER, frozenset({"LON"}))
CATALOG = {"MUG": Decimal("10.00"), "TEA": Decimal("4.00")}


def _sale(*lines: SaleLine, cart_percent: str | None = None, approved_by: int | None = None) -> Sale:
    return Sale(
        idempotency_key="policy-0001",
        register_code="R1",
        receipt_number="R1-000001",
        location_code="NYC",
        staff_id=CASHIER.id,
        created_at=MADE,
        lines=lines,
        payments=(Payment("cash", Decimal("100")),),
        client_totals=ClientTotals(Decimal("0"), Decimal("0"), Decimal("0"), Decimal("0")),
        cart_discount_percent=None if cart_percent is None else Decimal(cart_percent),
        approved_by=approved_by,
    )


def _totals(sale: Sale) -> CartTotals:
    lines = tuple(
        CartLine(str(n), line.sku, line.qty, line.unit_price, line_discount=line.line_discount)
        for n, line in enumerate(sale.lines, start=1)
    )
    discounts: tuple[CartDiscount, ...] = ()
    if sale.cart_discount_percent is not None:
        discounts = (CartDiscount("by_percent", sale.cart_discount_percent, "Manual discount"),)
    return compute_totals(CartInput(lines, discounts), TaxConfig())


def _shown(sale: Sale) -> Sale:
    """The sale as a till that showed the server's own totals sends it."""
    totals = _totals(sale)
    client = ClientTotals(totals.subtotal, totals.discount, totals.tax, totals.grand_total)
    return replace(sale, client_totals=client)


def _assess(
    sale: Sale,
    *,
    seller: StaffMember = CASHIER,
    approver: StaffMember | None = None,
    moment: datetime = MADE,
    catalog: list[Decimal] | None = None,
) -> dict[str, dict[str, Any]]:
    prices = catalog if catalog is not None else [CATALOG[line.sku] for line in sale.lines]
    return assess(sale, _totals(sale), prices, seller=seller, approver=approver, moment=moment)


def test_a_plain_sale_at_catalog_prices_is_flagged_for_nothing() -> None:
    sale = _shown(_sale(SaleLine("MUG", Decimal("2"), Decimal("10.00"))))
    assert _assess(sale) == {}


def test_totals_the_till_showed_that_differ_are_a_mismatch_with_both_figures() -> None:
    sale = _sale(SaleLine("MUG", Decimal("1"), Decimal("10.00")))
    flags = _assess(sale)
    assert set(flags) == {"totals_mismatch"}
    assert flags["totals_mismatch"] == {
        "server": {"grand_total": "10.00", "tax": "0.00", "discount": "0.00"},
        "client": {"grand_total": "0", "tax": "0", "discount": "0"},
    }


def test_a_charged_price_other_than_the_catalog_not_typed_is_a_price_difference() -> None:
    sale = _shown(
        _sale(SaleLine("MUG", Decimal("1"), Decimal("9.00")), SaleLine("TEA", Decimal("1"), Decimal("4.00")))
    )
    assert _assess(sale) == {"price_differs": {"lines": {"MUG": {"charged": "9.00", "catalog": "10.00"}}}}


def test_two_lines_of_one_sku_are_compared_each_with_its_own_catalog_price() -> None:
    # A tier price from 3 units: 3 at 9.00 and 1 at 10.00 are both the catalog's price.
    sale = _shown(
        _sale(SaleLine("MUG", Decimal("3"), Decimal("9.00")), SaleLine("MUG", Decimal("1"), Decimal("10.00")))
    )
    assert _assess(sale, catalog=[Decimal("9.00"), Decimal("10.00")]) == {}
    assert _assess(sale, catalog=[Decimal("10.00"), Decimal("10.00")]) == {
        "price_differs": {"lines": {"MUG": {"charged": "9.00", "catalog": "10.00"}}}
    }


def test_a_typed_price_by_a_cashier_is_an_override_not_allowed() -> None:
    sale = _shown(_sale(SaleLine("MUG", Decimal("1"), Decimal("8.00"), price_override=True)))
    flags = _assess(sale)
    assert flags == {
        "price_override": {"lines": {"MUG": {"charged": "8.00", "catalog": "10.00"}}, "allowed": False}
    }


def test_a_typed_price_by_a_manager_is_an_allowed_override() -> None:
    sale = _shown(_sale(SaleLine("MUG", Decimal("1"), Decimal("8.00"), price_override=True)))
    assert _assess(sale, seller=MANAGER)["price_override"]["allowed"] is True


def test_a_typed_price_approved_by_a_manager_of_the_location_is_allowed_and_says_who() -> None:
    sale = _shown(
        _sale(SaleLine("MUG", Decimal("1"), Decimal("8.00"), price_override=True), approved_by=MANAGER.id)
    )
    flag = _assess(sale, approver=MANAGER)["price_override"]
    assert flag["allowed"] is True
    assert flag["approved"] is True
    assert flag["approved_by"] == {"staff_id": MANAGER.id, "username": "max"}


def test_an_approver_of_another_location_or_unknown_approves_nothing() -> None:
    sale = _shown(
        _sale(SaleLine("MUG", Decimal("1"), Decimal("8.00"), price_override=True), approved_by=ELSEWHERE.id)
    )
    flag = _assess(sale, approver=ELSEWHERE)["price_override"]
    assert (flag["allowed"], flag["approved"]) == (False, False)
    unknown = _assess(sale, approver=None)["price_override"]
    assert unknown["approved"] is False
    assert unknown["approved_by"] == {"staff_id": ELSEWHERE.id, "username": None}


def test_a_line_discount_within_the_cashiers_limit_is_not_flagged() -> None:
    sale = _shown(
        _sale(
            SaleLine(
                "MUG", Decimal("1"), Decimal("10.00"), line_discount=LineDiscount("percent", Decimal("10"))
            )
        )
    )
    assert _assess(sale) == {}


def test_a_line_discount_over_the_limit_is_over_limit_with_percent_and_limit() -> None:
    discount = LineDiscount("amount", Decimal("2.50"))
    sale = _shown(_sale(SaleLine("MUG", Decimal("1"), Decimal("10.00"), line_discount=discount)))
    assert _assess(sale) == {"over_limit": {"percent": "25.00", "limit": "10"}}


def test_a_cart_discount_over_the_limit_approved_by_a_manager_is_approved() -> None:
    sale = _shown(
        _sale(SaleLine("MUG", Decimal("1"), Decimal("10.00")), cart_percent="20", approved_by=MANAGER.id)
    )
    flag = _assess(sale, approver=MANAGER)["over_limit"]
    assert flag["percent"] == "20.00"
    assert flag["approved"] is True


def test_a_discount_over_the_approvers_own_limit_is_not_approved() -> None:
    sale = _shown(
        _sale(SaleLine("MUG", Decimal("1"), Decimal("10.00")), cart_percent="60", approved_by=MANAGER.id)
    )
    assert _assess(sale, approver=MANAGER)["over_limit"]["approved"] is False


def test_a_line_and_a_cart_discount_count_together_on_each_line() -> None:
    """8 % off the mug and 8 % off the cart take 15.36 % of the mug's row (the cart's 8 % of
    what its own 8 % left): over a 10 % limit though each is within it. The tea, with no discount
    of its own, gets the cart's 8 % only; a 5 % and 5 % sale (9.75 %) is within the limit."""
    eight = LineDiscount("percent", Decimal("8"))
    sale = _shown(
        _sale(
            SaleLine("MUG", Decimal("1"), Decimal("10.00"), line_discount=eight),
            SaleLine("TEA", Decimal("1"), Decimal("4.00")),
            cart_percent="8",
        )
    )
    assert _assess(sale) == {"over_limit": {"percent": "15.36", "limit": "10"}}
    five = LineDiscount("amount", Decimal("0.50"))  # 5 % of the mug
    within = _shown(
        _sale(SaleLine("MUG", Decimal("1"), Decimal("10.00"), line_discount=five), cart_percent="5")
    )
    assert _assess(within) == {}


def test_a_sale_whose_time_was_moved_is_clock_skew_by_how_much() -> None:
    sale = _shown(_sale(SaleLine("MUG", Decimal("1"), Decimal("10.00"))))
    flags = _assess(sale, moment=MADE + timedelta(minutes=10))
    assert flags == {"clock_skew": {"till_time": MADE.isoformat(), "moved_by_seconds": 600}}


def test_a_sale_becomes_an_order_at_the_servers_totals_and_moment() -> None:
    sale = _shown(
        _sale(
            SaleLine("MUG", Decimal("2"), Decimal("10.00"), name="Mug"),
            SaleLine("TEA", Decimal("1"), Decimal("4.00")),
        )
    )
    moment = MADE + timedelta(minutes=5)
    order = Order.from_sale("order-1", sale, _totals(sale), 7, moment)
    assert (order.id, order.created_at, order.state, order.customer_id) == ("order-1", moment, "complete", 7)
    assert [(line.line_no, line.sku, line.name, line.row_total) for line in order.lines] == [
        (1, "MUG", "Mug", Decimal("20.00")),
        (2, "TEA", "TEA", Decimal("4.00")),
    ]
    assert order.grand_total == Decimal("24.00")


def test_the_events_of_a_sale_name_the_order_location_and_goods() -> None:
    sale = _shown(_sale(SaleLine("MUG", Decimal("2"), Decimal("10.00"))))
    order = Order.from_sale("order-1", sale, _totals(sale), None, MADE)
    location = Location("NYC", "New York", "nyc_src", 2, "America/New_York", Address("US", "NY", "10001"))
    placed = sale_placed_event(order, location)
    assert placed["lines"] == [{"sku": "MUG", "qty": "2"}]
    assert (placed["stock_id"], placed["grand_total"]) == (2, "20.00")
    held = [Reservation(2, "MUG", Decimal("-2"), "order_placed", "order", "order-1")]
    fulfilled = order_fulfilled_event("order-1", location, held)
    assert fulfilled == {
        "order_id": "order-1",
        "location_code": "NYC",
        "source_code": "nyc_src",
        "stock_id": 2,
        "lines": [{"sku": "MUG", "qty": "2"}],
    }


def test_accepting_a_sale_prices_it_moves_its_time_and_flags_it_in_one_step() -> None:
    location = Location("NYC", "New York", "nyc_src", 2, "America/New_York", Address("US", "NY", "10001"))
    rules = PricingRules(TaxConfig(), [], [], [])
    products = {"MUG": Product("MUG", "Mug", price=Decimal("10.00"))}
    sale = _shown(_sale(SaleLine("MUG", Decimal("2"), Decimal("9.00"))))
    # The till's clock is an hour ahead of the server's.
    received = MADE + timedelta(minutes=1)
    accepted = accept_sale(
        sale,
        order_id="order-1",
        rules=rules,
        products=products,
        location=location,
        seller=CASHIER,
        approver=None,
        customer_id=None,
        group_id=0,
        received_at=received,
        till_clock=received + timedelta(hours=1),
    )
    moment = MADE - timedelta(hours=1)
    assert accepted.order.created_at == moment
    assert accepted.business_day == moment.astimezone(ZoneInfo("America/New_York")).date()
    assert accepted.priced.catalog_prices == (Decimal("10.00"),)
    assert accepted.change == Decimal("82.00")
    assert set(accepted.flags) == {"price_differs", "clock_skew"} == accepted.order.flags
