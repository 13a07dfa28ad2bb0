"""End to end over the double: seed Magento, pull, sell at a till (online, offline, an oversell),
refund, export through `MagentoExporter`, and check what a Magento merchant sees."""

from __future__ import annotations

import asyncio
import dataclasses
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select

from tests.integration.helpers import make_sale
from tests.magento.conftest import client_for, run
from tests.magento.double import Fault, MagentoDouble
from tests.magento.store import seed_till_shop
from till.domain.customers import Customer
from till.domain.inventory import StockAdjustment
from till.domain.sales import RefundLineRequest
from till.magento.export import MagentoExporter, ext_order_id
from till.magento.pull import pull
from till.services.auth import Principal
from till.services.customers import create_customer
from till.services.refunds import refund
from till.services.sales import place_sales
from till.services.stock import adjust_stock
from till.storage import tables as t
from till.storage.uow import UnitOfWork


def _pull(engine: Engine, magento: MagentoDouble, *, full: bool = False) -> None:
    async def go() -> None:
        async with client_for(magento) as client:
            await pull(engine, client, full=full)

    run(go())


def _outbox(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(t.outbox).order_by(t.outbox.c.id)).all()
    return [dict(r._mapping) for r in rows]


def export_all(engine: Engine, magento: MagentoDouble, messages: list[dict[str, Any]] | None = None) -> None:
    """What the queue's consumer does: each message of a topic the exporter handles, in order."""

    async def go() -> None:
        async with client_for(magento) as client:
            exporter = MagentoExporter(engine, client)
            for message in messages if messages is not None else _outbox(engine):
                if message["topic"] in exporter.topics:
                    await exporter.export(message["message_id"], message["topic"], message["payload"])

    run(go())


def _principal(engine: Engine, staff_id: int) -> Principal:
    with UnitOfWork(engine) as uow:
        member = uow.staff.by_id(staff_id)
    assert member is not None
    return Principal(staff=member, register_code="NYC1")


def _source(magento: MagentoDouble, sku: str, source: str = "nyc_store") -> tuple[Decimal, int]:
    item = magento.source_items[(sku, source)]
    return Decimal(str(item["quantity"])), int(item["status"])


def _pos_orders(magento: MagentoDouble) -> dict[str, dict[str, Any]]:
    return {o["increment_id"]: o for o in magento.orders.values() if o.get("ext_order_id")}


def test_pos_day_reaches_magento_exactly_once(engine: Engine, magento: MagentoDouble) -> None:
    staff = seed_till_shop(engine)
    _pull(engine, magento, full=True)
    with UnitOfWork(engine) as uow:
        roni = uow.customers.id_for_email("roni_cost@example.com")
    web_salable_before = magento.salable("24-MB01", 1)

    # Online: a guest buys 2 bags and a hoodie; Veronica (a Magento customer) buys a backpack.
    guest = make_sale(
        engine,
        key="sale-000000001",
        receipt="NYC1-000001",
        staff_id=staff["cashier"],
        lines=[("24-MB01", Decimal(2)), ("MH01-S-Black", Decimal(1))],
    )
    known = make_sale(
        engine,
        key="sale-000000002",
        receipt="NYC1-000002",
        staff_id=staff["cashier"],
        lines=[("24-MB02", Decimal(1))],
    )
    assert known.sale is not None
    known.sale = dataclasses.replace(known.sale, customer_id=roni)
    # Offline: 3 hoodies in M while Magento's shop source holds 1 — an oversell, accepted and flagged.
    offline = make_sale(
        engine,
        key="sale-000000003",
        receipt="NYC1-000003",
        staff_id=staff["cashier"],
        lines=[("MH01-M-Black", Decimal(3))],
    )
    results = place_sales(engine, [guest, known, offline])
    assert [r.status for r in results] == ["accepted"] * 3
    with UnitOfWork(engine) as uow:
        oversold = uow.sales.get(results[2].order_id or "")
    assert oversold is not None and "oversold" in oversold.flags
    # Meanwhile the web store sells a bag (quote placement reserves it in Magento's stock 1).
    magento.place_web_order([("24-MB01", Decimal(1))])

    # A refund at the till: one bag back on the shelf, the hoodie not (damaged).
    with UnitOfWork(engine) as uow:
        order_a = uow.sales.get(results[0].order_id or "")
    assert order_a is not None
    refund_id, _ = refund(
        engine,
        _principal(engine, staff["manager"]),
        order_id=order_a.id,
        idempotency_key="refund-00000001",
        register_code="NYC1",
        method="cash",
        lines=[
            RefundLineRequest(1, Decimal(1), restock=True),
            RefundLineRequest(2, Decimal(1), restock=False),
        ],
    )

    export_all(engine, magento)

    orders = _pos_orders(magento)
    assert sorted(orders) == ["NYC1-000001", "NYC1-000002", "NYC1-000003"]
    with UnitOfWork(engine) as uow:
        for result in results:
            till_order = uow.sales.get(result.order_id or "")
            assert till_order is not None
            mage = orders[till_order.receipt_number]
            # Till's exact figures, to the cent.
            assert mage["ext_order_id"] == ext_order_id(till_order.id)
            assert Decimal(mage["grand_total"]) == till_order.grand_total
            assert Decimal(mage["tax_amount"]) == till_order.tax
            assert Decimal(mage["subtotal"]) == till_order.subtotal
            assert [
                (i["sku"], Decimal(str(i["qty_ordered"])), Decimal(i["price"])) for i in mage["items"]
            ] == [(line.sku, line.qty, line.price) for line in till_order.lines]
            assert mage["payment"]["method"] == "cashondelivery"
            assert Decimal(str(mage["total_paid"])) == till_order.grand_total  # invoiced: paid
    assert orders["NYC1-000002"]["customer_email"] == "roni_cost@example.com"
    assert orders["NYC1-000002"]["customer_is_guest"] == 0
    assert orders["NYC1-000001"]["customer_is_guest"] == 1
    assert orders["NYC1-000003"]["state"] == "complete" and orders["NYC1-000002"]["state"] == "complete"
    assert len(magento.invoices) == 3 and len(magento.shipments) == 0

    # One credit memo, for exactly what Till gave back.
    memos = list(magento.creditmemos.values())
    assert len(memos) == 1
    with UnitOfWork(engine) as uow:
        till_refund = uow.sales.refund(refund_id)
    assert till_refund is not None
    assert Decimal(str(memos[0]["grand_total"])) == Decimal(str(till_refund["total"])).quantize(
        Decimal("0.01")
    )
    assert Decimal(str(orders["NYC1-000001"]["total_refunded"])) == Decimal(str(memos[0]["grand_total"]))

    # Stock: each POS sale once. Bags 10 − 2 sold (the restocked one comes back as MSI's +1
    # credit-memo reservation, not on the source); hoodie S 3 − 1 − 1 (not restocked: the −1
    # offsets MSI's +1); hoodie M 1 − 3 = −2, out of stock, the oversell visible as a negative
    # source quantity. See docs/magento.md ("Refunds and MSI").
    assert _source(magento, "24-MB01") == (Decimal(8), 1)
    assert _source(magento, "MH01-S-Black") == (Decimal(1), 1)
    assert _source(magento, "MH01-M-Black") == (Decimal(-2), 0)
    assert _source(magento, "24-MB02") == (Decimal(1), 1)
    # Web stock 1 = warehouse + shop + the web order's −1 + the credit memo's +1: 100 + 8 − 1 + 1.
    assert magento.salable("24-MB01", 1) == Decimal(108) == web_salable_before - 2 + 1 - 1
    # MSI counts an out-of-stock source as nothing: the web store still sells the warehouse's 20.
    assert magento.salable("MH01-M-Black", 1) == Decimal(20)
    assert magento.salable("MH01-M-Black", 2) == Decimal(0)
    # No reservation was left behind by a POS order: the web order's −1 and MSI's +1 per refunded
    # unit (DeductSourceItemQuantityOnRefund / ProcessRefundItems), which REST cannot avoid.
    assert sorted((r["sku"], r["quantity"]) for r in magento.reservations) == [
        ("24-MB01", Decimal(-1)),
        ("24-MB01", Decimal(1)),
        ("MH01-S-Black", Decimal(1)),
    ]

    # A retry or replay of every message creates nothing and moves nothing.
    snapshot = (
        len(magento.orders),
        len(magento.invoices),
        len(magento.creditmemos),
        dict(magento.source_items),
    )
    export_all(engine, magento)
    assert (
        len(magento.orders),
        len(magento.invoices),
        len(magento.creditmemos),
        dict(magento.source_items),
    ) == snapshot

    # Till agrees after the next pull: 9 bags at the shop; the hoodie oversold by 2 (Till shows an
    # oversell as a negative salable quantity, Magento as 0 with the source at −2).
    _pull(engine, magento)
    with UnitOfWork(engine) as uow:
        assert uow.stock.salable(2, ["24-MB01", "MH01-M-Black"]) == {
            "24-MB01": Decimal("9.0000"),
            "MH01-M-Black": Decimal("-2.0000"),
        }
        assert uow.stock.levels("24-MB01")[0].quantity == Decimal("9.0000")


def test_a_pull_before_the_export_never_undoes_a_till_sale(engine: Engine, magento: MagentoDouble) -> None:
    """Three-way merge of source items: Till's sale is on its way to Magento while Magento ships
    a web order from the shop; the pull adds only Magento's move, the export only Till's."""
    staff = seed_till_shop(engine)
    _pull(engine, magento, full=True)
    sale = make_sale(
        engine,
        key="sale-000000020",
        receipt="NYC1-000020",
        staff_id=staff["cashier"],
        lines=[("24-MB01", Decimal(2))],
    )
    place_sales(engine, [sale])
    web = magento.place_web_order([("24-MB01", Decimal(1))])
    magento.ship(
        {"orderId": str(web["entity_id"])},
        {},
        {"arguments": {"extension_attributes": {"source_code": "nyc_store"}}},
    )
    assert _source(magento, "24-MB01") == (Decimal(9), 1)

    _pull(engine, magento)  # Magento: 10 -> 9 (the web shipment); Till: 10 - 2 (sale) - 1 = 7
    with UnitOfWork(engine) as uow:
        assert uow.stock.levels("24-MB01")[0].quantity == Decimal("7.0000")
        assert uow.stock.salable(2, ["24-MB01"])["24-MB01"] == Decimal("7.0000")
    export_all(engine, magento)
    assert _source(magento, "24-MB01") == (Decimal(7), 1)
    _pull(engine, magento)
    with UnitOfWork(engine) as uow:
        assert uow.stock.levels("24-MB01")[0].quantity == Decimal("7.0000")
    # Magento's stock 1 saw the web order once (reserved, then shipped) and the POS sale once.
    assert magento.salable("24-MB01", 1) == Decimal(100 + 7)


def test_worker_dying_mid_export_makes_no_duplicate(engine: Engine, magento: MagentoDouble) -> None:
    staff = seed_till_shop(engine)
    _pull(engine, magento, full=True)
    sale = make_sale(
        engine,
        key="sale-000000010",
        receipt="NYC1-000010",
        staff_id=staff["cashier"],
        lines=[("24-MB01", Decimal(2))],
    )
    [result] = place_sales(engine, [sale])
    refund_id, _ = refund(
        engine,
        _principal(engine, staff["manager"]),
        order_id=result.order_id or "",
        idempotency_key="refund-00000010",
        register_code="NYC1",
        method="cash",
        lines=[RefundLineRequest(1, Decimal(1), restock=True)],
    )
    # Magento makes the order, the credit memo and the stock change, but each reply is lost
    # (the worker is killed, the link drops): the connector cannot know they were done.
    magento.fail_after[("POST", "/V1/orders/")] = [504]
    magento.fail_after[("POST", "/V1/order/:orderId/refund")] = [504]
    magento.fail_after[("POST", "/V1/inventory/source-items")] = [504, 504, 504]
    for _ in range(6):  # the queue retries each message until it goes through
        try:
            export_all(engine, magento)
            break
        except Exception:
            continue
    else:
        pytest.fail("the export never went through")
    assert [o["increment_id"] for o in magento.orders.values()] == ["NYC1-000010"]
    assert len(magento.invoices) == 1 and len(magento.creditmemos) == 1
    assert _source(magento, "24-MB01") == (Decimal(8), 1)  # 10 − 2; the restock is MSI's +1, once
    assert magento.salable("24-MB01", 1) == Decimal(100 + 8 + 1)
    with UnitOfWork(engine) as uow:
        assert uow.sales.refund(refund_id) is not None


def test_customers_made_at_the_till_are_linked_never_duplicated(
    engine: Engine, magento: MagentoDouble
) -> None:
    seed_till_shop(engine)
    _pull(engine, magento, full=True)
    new_id, _ = create_customer(engine, Customer("ada@example.com", "Ada", "Lovelace"), "cust-0001")
    # Someone registered on the web store with this e-mail after the last pull.
    magento.add_customer({"email": "grace@example.com", "firstname": "Grace", "lastname": "Hopper"})
    known_id, _ = create_customer(engine, Customer("grace@example.com", "Grace", "Hopper"), "cust-0002")
    export_all(engine, magento)
    export_all(engine, magento)
    emails = sorted(c["email"] for c in magento.customers.values())
    assert emails.count("ada@example.com") == 1 and emails.count("grace@example.com") == 1
    with engine.connect() as conn:
        links = dict(
            conn.execute(
                select(t.magento_links.c.till_id, t.magento_links.c.magento_id).where(
                    t.magento_links.c.kind == "customer"
                )
            ).all()
        )
    ada = next(c for c in magento.customers.values() if c["email"] == "ada@example.com")
    assert links[str(new_id)] == str(ada["id"]) and ada["website_id"] == 1
    assert str(known_id) in links


def test_stock_adjustments_move_source_items(engine: Engine, magento: MagentoDouble) -> None:
    staff = seed_till_shop(engine)
    _pull(engine, magento, full=True)
    manager = _principal(engine, staff["manager"])
    adjust_stock(engine, manager, StockAdjustment("24-MB01", "nyc_store", "damage", Decimal(2)))
    adjust_stock(engine, manager, StockAdjustment("MH01-S-Black", "nyc_store", "count", Decimal(7)))
    adjust_stock(engine, manager, StockAdjustment("24-MB02", "nyc_store", "receive", Decimal(4)))
    export_all(engine, magento)
    export_all(engine, magento)
    assert _source(magento, "24-MB01") == (Decimal(8), 1)
    assert _source(magento, "MH01-S-Black") == (Decimal(7), 1)
    assert _source(magento, "24-MB02") == (Decimal(6), 1)


def test_why_not_repository_order_and_shipment(engine: Engine, magento: MagentoDouble) -> None:
    """The path docs/magento.md rules out: an order saved through the repository reserves
    nothing, so its shipment's compensation cancels the source deduction and Magento's salable
    quantity never shows the sale; the quote path reserves but refuses an offline oversell."""

    async def go() -> None:
        async with client_for(magento) as client:
            order = await client.post(
                "/V1/orders/",
                {
                    "entity": {
                        "items": [{"sku": "24-MB01", "qty_ordered": 2, "price": "34.00"}],
                        "billing_address": {"firstname": "A", "lastname": "B"},
                        "payment": {"method": "checkmo"},
                        "grand_total": 68,
                    }
                },
            )
            await client.post(
                "/V1/order/:orderId/ship",
                {"arguments": {"extension_attributes": {"source_code": "nyc_store"}}},
                orderId=order["entity_id"],
            )

    before = magento.salable("24-MB01", 1)
    run(go())
    assert _source(magento, "24-MB01") == (Decimal(8), 1)  # the shelf lost 2 ...
    # ... but the web store's salable quantity did not move: +2 compensation, no −2 to offset.
    assert magento.salable("24-MB01", 1) == before

    with pytest.raises(Fault, match="not available"):
        magento.place_web_order([("MH01-L-Red", Decimal(6))])  # 5 salable


def test_two_workers_given_the_same_refund_at_once_make_one_credit_memo(
    engine: Engine, magento: MagentoDouble
) -> None:
    staff = seed_till_shop(engine)
    _pull(engine, magento, full=True)
    sale = make_sale(
        engine,
        key="sale-000000030",
        receipt="NYC1-000030",
        staff_id=staff["cashier"],
        lines=[("24-MB01", Decimal(4))],
    )
    [result] = place_sales(engine, [sale])
    export_all(engine, magento)
    refund_id, _ = refund(
        engine,
        _principal(engine, staff["manager"]),
        order_id=result.order_id or "",
        idempotency_key="refund-00000030",
        register_code="NYC1",
        method="cash",
        lines=[RefundLineRequest(1, Decimal(1), restock=True)],
    )

    async def both() -> list[object]:
        async with client_for(magento) as one, client_for(magento) as two:
            return await asyncio.gather(
                MagentoExporter(engine, one).export_refund(refund_id, result.order_id or ""),
                MagentoExporter(engine, two).export_refund(refund_id, result.order_id or ""),
                return_exceptions=True,
            )

    outcomes = run(both())
    assert len(magento.creditmemos) == 1
    assert any(isinstance(o, int) for o in outcomes)
    export_all(engine, magento)  # the loser's retry finds the winner's credit memo
    assert len(magento.creditmemos) == 1
    assert _source(magento, "24-MB01") == (Decimal(6), 1)  # 10 − 4; the restock is MSI's +1, once
    assert magento.salable("24-MB01", 1) == Decimal(100 + 6 + 1)


def test_worker_killed_between_magentos_answer_and_the_link_makes_no_duplicate(
    engine: Engine, magento: MagentoDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    import till.magento.export as export_module

    staff = seed_till_shop(engine)
    _pull(engine, magento, full=True)
    sale = make_sale(
        engine,
        key="sale-000000040",
        receipt="NYC1-000040",
        staff_id=staff["cashier"],
        lines=[("MH01-S-Black", Decimal(1))],
    )
    place_sales(engine, [sale])
    real_remember = export_module.remember
    killed: list[str] = []

    def dies_once(engine_: Engine, kind: str, till_id: str, magento_id: str, detail: dict[str, Any]) -> None:
        if kind not in killed:
            killed.append(kind)  # the process dies right after Magento answered, before Till wrote it down
            raise KeyboardInterrupt
        real_remember(engine_, kind, till_id, magento_id, detail)

    monkeypatch.setattr(export_module, "remember", dies_once)
    for _ in range(4):
        try:
            export_all(engine, magento)
            break
        except KeyboardInterrupt:
            continue
    assert killed == ["order"]
    assert [o["increment_id"] for o in magento.orders.values()] == ["NYC1-000040"]
    assert len(magento.invoices) == 1 and _source(magento, "MH01-S-Black") == (Decimal(2), 1)


def test_stock_push_ledger_resends_what_never_landed_and_never_guesses(
    engine: Engine, magento: MagentoDouble
) -> None:
    from till.storage.magento_links import pushes_of

    staff = seed_till_shop(engine)
    _pull(engine, magento, full=True)
    first = make_sale(
        engine,
        key="sale-000000050",
        receipt="NYC1-000050",
        staff_id=staff["cashier"],
        lines=[("24-MB01", Decimal(2))],
    )
    second = make_sale(
        engine,
        key="sale-000000051",
        receipt="NYC1-000051",
        staff_id=staff["cashier"],
        lines=[("MH01-S-Black", Decimal(1))],
    )
    results = place_sales(engine, [first, second])
    # Magento refuses every try of the first write (it never lands): the message fails ...
    magento.fail_before[("POST", "/V1/inventory/source-items")] = [503, 503, 503]
    with pytest.raises(Exception, match="503"):
        export_all(engine, magento)
    assert _source(magento, "24-MB01") == (Decimal(10), 1)
    # ... and its retry finds Magento still at the quantity read before, so it sends it again.
    export_all(engine, magento)
    assert _source(magento, "24-MB01") == (Decimal(8), 1)
    assert _source(magento, "MH01-S-Black") == (Decimal(2), 1)

    # A write whose reply was lost while someone changed the item in Magento: its fate is
    # unknowable, so it is marked uncertain and not sent a second time.
    third = make_sale(
        engine,
        key="sale-000000052",
        receipt="NYC1-000052",
        staff_id=staff["cashier"],
        lines=[("24-MB02", Decimal(1))],
    )
    [result] = place_sales(engine, [third])
    magento.fail_after[("POST", "/V1/inventory/source-items")] = [504, 504, 504]
    with pytest.raises(Exception, match="504"):
        export_all(engine, magento)
    magento.source_items[("24-MB02", "nyc_store")]["quantity"] = 5.0  # a count in Magento's admin
    export_all(engine, magento)
    with engine.connect() as conn:
        ledger = pushes_of(conn, f"sale:{result.order_id}")
    assert ledger[("24-MB02", "nyc_store")]["state"] == "uncertain"
    assert _source(magento, "24-MB02") == (Decimal(5), 1)
    assert [r.status for r in results] == ["accepted", "accepted"]
