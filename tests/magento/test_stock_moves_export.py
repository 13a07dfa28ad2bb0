"""Transfers, deliveries and counts as Magento sees them, over the double: each step's source
items change once, and no reservation is appended (MSI's SourceItemsSave saves source items only:
magento/inventory Inventory/Model/SourceItem/Command/Handler/SourceItemsSaveHandler.php)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine, insert

from tests.integration.helpers import make_sale
from tests.magento.double import MagentoDouble
from tests.magento.store import seed_till_shop
from tests.magento.test_export import _principal, _pull, _source, export_all
from till.domain.staff import Role
from till.services import stock_counts, stock_moves, transfers
from till.services.auth import add_staff
from till.services.sales import place_sales
from till.storage import tables as t
from till.storage.events import Actor

D = Decimal
BAG = "24-MB01"  # Magento: 10 at nyc_store, 100 at nj_warehouse; stock 1 (web) links both


def _warehouse_counter(engine: Engine) -> None:
    """A Till location on Magento's nj_warehouse source (the web store's stock 1)."""
    with engine.begin() as conn:
        conn.execute(
            insert(t.locations).values(
                code="NJ",
                name="Newark trade counter",
                source_code="nj_warehouse",
                stock_id=1,
                timezone="America/New_York",
                country="US",
                region="NJ",
                postcode="07102",
                currency="USD",
            )
        )


def test_a_transfer_a_delivery_and_a_count_reach_magentos_source_items_once(
    engine: Engine, magento: MagentoDouble
) -> None:
    staff = seed_till_shop(engine)
    _pull(engine, magento, full=True)
    _warehouse_counter(engine)
    area = add_staff(
        engine,
        username="riley",
        name="Riley Area",
        role=Role.MANAGER,
        password="riley-secret",
        pin="246813",
        locations=[],
        by=Actor.command_line("tests"),
    )
    manager = _principal(engine, area)
    reservations = list(magento.reservations)
    web = magento.salable(BAG, 1)

    # Send 3 bags from the shop to the warehouse: in transit, the shop's source is down 3 and the
    # warehouse's not yet up, so the web store (stock 1: both sources) offers 3 fewer meanwhile.
    transfer = transfers.create_transfer(engine, manager, "NYC", "NJ", [(BAG, D(3))])
    transfers.send_transfer(engine, manager, transfer["id"])
    transfers.send_transfer(engine, manager, transfer["id"])
    export_all(engine, magento)
    export_all(engine, magento)
    assert _source(magento, BAG) == (D(7), 1)
    assert _source(magento, BAG, "nj_warehouse") == (D(100), 1)
    assert magento.salable(BAG, 1) == web - 3
    assert magento.salable(BAG, 2) == D(7)

    # Two arrive (one short): the warehouse's source is up 2, once.
    transfers.receive_transfer(engine, manager, transfer["id"], [(BAG, D(2))])
    transfers.receive_transfer(engine, manager, transfer["id"], [(BAG, D(2))])
    export_all(engine, magento)
    assert _source(magento, BAG, "nj_warehouse") == (D(102), 1)
    assert magento.salable(BAG, 1) == web - 1  # the short bag is gone from every stock

    # A supplier's delivery at the shop: 4 backpacks, 1 of them damaged (not stocked).
    delivery = stock_moves.create_delivery(engine, manager, "NYC", "Luma", "PO-77", [("24-MB02", D(4))])
    stock_moves.receive_delivery(engine, manager, delivery["id"], [("24-MB02", D(3))], [("24-MB02", D(1))])
    export_all(engine, magento)
    assert _source(magento, "24-MB02") == (D(2 + 3), 1)

    # A count at the shop while it sells: one bag sold before the counter reaches the shelf
    # (Magento's source goes down by the sale's export), then she finds 5 of the book's 6.
    count = stock_counts.start_count(engine, manager, "NYC", "cycle", [BAG], blind=True)
    sale = make_sale(
        engine, key="sale-count-0001", receipt="NYC1-000901", staff_id=staff["cashier"], lines=[(BAG, D(1))]
    )
    assert [r.status for r in place_sales(engine, [sale])] == ["accepted"]
    counter = _principal(engine, staff["cashier"])
    stock_counts.record_count(engine, counter, count["id"], BAG, D(5))
    stock_counts.submit_count(engine, counter, count["id"])
    approved = stock_counts.approve_count(engine, manager, count["id"])
    export_all(engine, magento)
    export_all(engine, magento)
    assert [line["variance"] for line in approved["lines"]] == [D(-1)]
    assert _source(magento, BAG) == (D(5), 1)  # 10 − 3 sent − 1 sold − 1 missing
    # None of it touched Magento's reservations: a web shopper sees only source figures move.
    assert magento.reservations == reservations
    assert magento.salable(BAG, 1) == web - 3 + 2 - 1 - 1
