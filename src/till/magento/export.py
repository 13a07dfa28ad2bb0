"""Export what tills create to Magento: sales, refunds, customers and stock movements.

`MagentoExporter` is a consumer of the outbox topics (the queue calls `export`; raising makes
the queue retry the message). Every step looks up before it creates, so a retried or replayed
message never makes a second Magento object:

- `sale.placed` → one order (`POST /V1/orders/`, `ext_order_id` = the Till order's id, the
  receipt number as `increment_id`) with Till's exact lines and totals, then an invoice
  (`POST /V1/order/:orderId/invoice`, captured offline: paid), then the stock: the location's
  MSI source item goes down by the units sold. Why not quote placement and a shipment: see
  docs/magento.md ("Stock, exactly once").
- `refund.created` → a credit memo (`POST /V1/order/:orderId/refund`) marked with the Till
  refund's id; restocked units go back to the location's source item.
- `customer.created` → a Magento customer, or a link to the one with that e-mail.
- `stock.adjusted` → the source items (a count sets, the others add or remove).

Stock is written through a ledger (`magento_stock_pushes`): the quantity read before and the
quantity sent are recorded before the write, so after a crash the retry can tell from Magento's
current quantity whether the write landed, and never applies a movement twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine

from till.domain.money import money_str, round_money
from till.domain.sales import Order
from till.magento.client import MagentoClient, MagentoError
from till.magento.pull import store_ids
from till.storage.magento_links import (
    claim,
    link_of,
    pushes_of,
    qty,
    record_push,
    release,
    remember,
    save_baseline,
)
from till.storage.uow import UnitOfWork

log = logging.getLogger("till.magento.export")

TOPICS = frozenset({"sale.placed", "refund.created", "customer.created", "stock.adjusted"})
#: How long a worker may take to create a credit memo before another may take its place.
#: (Orders need no lease: Magento's unique increment_id refuses a second one.)
CLAIM_SECONDS = 120.0


class ExportError(RuntimeError):
    """A message that cannot be exported as it is (the queue retries it, then dead-letters it)."""


def ext_order_id(order_id: str) -> str:
    """Till's order id in Magento's `ext_order_id` (varchar 32): the UUID's 32 hex digits."""
    return order_id.replace("-", "")[:32]


def refund_marker(refund_id: str) -> str:
    """The text a credit memo's comment carries so a retry can find it."""
    return f"till-refund:{refund_id}"


class MagentoExporter:
    """Exports outbox messages to one Magento store."""

    topics: frozenset[str] = TOPICS

    def __init__(self, engine: Engine, client: MagentoClient) -> None:
        self.engine = engine
        self.client = client
        self.settings = client.settings

    async def export(self, message_id: str, topic: str, payload: dict[str, Any]) -> None:
        """Export one message; idempotent. Raises to have the message retried."""
        if topic == "sale.placed":
            await self.export_sale(str(payload["order_id"]))
        elif topic == "refund.created":
            await self.export_refund(str(payload["refund_id"]), str(payload["order_id"]))
        elif topic == "customer.created":
            await self.export_customer(int(payload["customer_id"]))
        elif topic == "stock.adjusted":
            await self.export_adjustment(message_id, payload)
        else:
            raise ExportError(f"the Magento exporter does not handle {topic!r}")

    # --- customers ----------------------------------------------------------------------------------

    async def export_customer(self, customer_id: int) -> int:
        """The Magento customer of a Till customer: linked, found by e-mail, or created."""
        with self.engine.connect() as conn:
            link = link_of(conn, "customer", str(customer_id))
        if link is not None:
            return int(link["magento_id"])
        with UnitOfWork(self.engine) as uow:
            row = uow.customers.get(customer_id)
        if row is None:
            raise ExportError(f"no Till customer {customer_id}")
        views, sites = store_ids(self.engine)
        website_id = sites.get(self.settings.website_code, 1)
        found = await self._customer_by_email(str(row["email"]), website_id)
        if found is None:
            body = {
                "customer": {
                    "email": row["email"],
                    "firstname": row["firstname"],
                    "lastname": row["lastname"],
                    "group_id": row["group_id"],
                    "website_id": website_id,
                    "store_id": views.get(self.settings.store_code, 1),
                }
            }
            try:
                created = await self.client.post("/V1/customers", body)
                found = int(created["id"])
            except MagentoError as exc:
                # Another worker (or the web store) made this e-mail a moment ago: link to it.
                found = await self._customer_by_email(str(row["email"]), website_id)
                if found is None:
                    raise ExportError(f"customer {row['email']}: {exc}") from exc
        remember(self.engine, "customer", str(customer_id), str(found), {"email": row["email"]})
        return found

    async def _customer_by_email(self, email: str, website_id: int) -> int | None:
        items = await self.client.search_all(
            "/V1/customers/search", [[("email", email, "eq")], [("website_id", website_id, "eq")]]
        )
        return int(items[0]["id"]) if items else None

    # --- sales --------------------------------------------------------------------------------------------

    async def export_sale(self, order_id: str) -> dict[str, Any]:
        """Order, invoice and stock of one POS sale; each step once. Returns the order link."""
        with UnitOfWork(self.engine) as uow:
            order = uow.sales.get(order_id)
            if order is None:
                raise ExportError(f"no Till order {order_id}")
            location = uow.reference.location(order.location_code)
            assert location is not None
            customer = uow.customers.get(order.customer_id) if order.customer_id is not None else None
            extra = uow.sales.extra(order_id)  # noqa: S610 - not Django
        with self.engine.connect() as conn:
            link = link_of(conn, "order", order_id)
        if link is None:
            magento_customer = None
            if customer is not None:
                magento_customer = await self.export_customer(int(customer["id"]))
            entity = await self._find_order(order_id)
            if entity is None:
                body = self._order_body(order, location, customer, magento_customer, extra)
                entity = await self.client.post("/V1/orders/", {"entity": body})
            link = {"magento_id": str(entity["entity_id"]), "detail": _order_detail(entity)}
            remember(self.engine, "order", order_id, link["magento_id"], link["detail"])
        detail: dict[str, Any] = link["detail"]
        magento_id = int(link["magento_id"])
        if not detail.get("invoice_id"):
            detail["invoice_id"] = await self._invoice(magento_id)
            remember(self.engine, "order", order_id, str(magento_id), detail)
        if not detail.get("stock_done"):
            source = self._source_of(order.location_code, location.source_code)
            await self.push_stock(
                f"sale:{order_id}",
                [(line.sku, source, -line.qty) for line in order.lines],
            )
            detail["stock_done"] = True
            remember(self.engine, "order", order_id, str(magento_id), detail)
        return {"magento_id": magento_id, "detail": detail}

    async def _find_order(self, order_id: str) -> dict[str, Any] | None:
        items = await self.client.search_all("/V1/orders", [[("ext_order_id", ext_order_id(order_id), "eq")]])
        return items[0] if items else None

    async def _invoice(self, magento_order_id: int) -> int:
        invoices = await self.client.search_all("/V1/invoices", [[("order_id", magento_order_id, "eq")]])
        if invoices:
            return int(invoices[0]["entity_id"])
        invoice_id = await self.client.post(
            "/V1/order/:orderId/invoice", {"capture": True, "notify": False}, orderId=magento_order_id
        )
        return int(invoice_id)

    def _source_of(self, location_code: str, till_source: str) -> str:
        mapping = self.settings.locations.get(location_code)
        return mapping.source if mapping is not None else till_source

    def _order_body(
        self,
        order: Order,
        location: Any,
        customer: dict[str, Any] | None,
        magento_customer: int | None,
        extra: dict[str, Any],
    ) -> dict[str, Any]:
        """Till's sale as Magento's order entity, to the cent: Till's totals are Magento's."""
        views, _ = store_ids(self.engine)
        mapping = self.settings.locations.get(order.location_code)
        store_code = (
            mapping.store_code if mapping and mapping.store_code else ""
        ) or self.settings.store_code
        store_id = views.get(store_code, 1)
        currency = location.currency
        dtc = round_money(Decimal(str(extra.get("discount_tax_compensation") or 0)))
        host = urlsplit(self.settings.base_url).hostname or "example.com"
        if customer is not None:
            who = {
                "customer_id": magento_customer,
                "customer_is_guest": 0,
                "customer_email": customer["email"],
                "customer_firstname": customer["firstname"],
                "customer_lastname": customer["lastname"],
                "customer_group_id": customer["group_id"],
            }
            first, last, email = customer["firstname"], customer["lastname"], customer["email"]
        else:
            first, last, email = "Walk-in", "Customer", f"pos@{host}"
            who = {
                "customer_is_guest": 1,
                "customer_email": email,
                "customer_firstname": first,
                "customer_lastname": last,
                "customer_group_id": 0,
            }
        items = []
        for line in order.lines:
            taxable = line.row_total - line.discount
            percent = (line.tax * 100 / taxable).quantize(Decimal("0.0001")) if taxable > 0 else Decimal(0)
            items.append(
                {
                    "sku": line.sku,
                    "name": line.name,
                    "product_type": "simple",
                    "ext_order_item_id": str(line.line_no),
                    "qty_ordered": str(line.qty),
                    # Handed over at the till: nothing is left to ship, so no one ships it again
                    # in Magento's admin (a shipment would deduct the source a second time).
                    "qty_shipped": str(line.qty),
                    "price": money_str(line.price),
                    "base_price": money_str(line.price),
                    "original_price": money_str(line.price),
                    "base_original_price": money_str(line.price),
                    "price_incl_tax": money_str(line.price_incl_tax),
                    "base_price_incl_tax": money_str(line.price_incl_tax),
                    "row_total": money_str(line.row_total),
                    "base_row_total": money_str(line.row_total),
                    "row_total_incl_tax": money_str(
                        line.row_total + line.tax + line.discount_tax_compensation
                    ),
                    "base_row_total_incl_tax": money_str(
                        line.row_total + line.tax + line.discount_tax_compensation
                    ),
                    "discount_amount": money_str(line.discount),
                    "base_discount_amount": money_str(line.discount),
                    "tax_amount": money_str(line.tax),
                    "base_tax_amount": money_str(line.tax),
                    "tax_percent": str(percent),
                    "discount_tax_compensation_amount": money_str(line.discount_tax_compensation),
                    "base_discount_tax_compensation_amount": money_str(line.discount_tax_compensation),
                    "store_id": store_id,
                    "is_virtual": 0,
                }
            )
        subtotal_incl = order.subtotal + order.tax + dtc
        address = {
            "address_type": "billing",
            "firstname": first,
            "lastname": last,
            "email": email,
            "street": [location.name],
            "city": location.name,
            "postcode": location.address.postcode or "00000",
            "country_id": location.address.country,
            "region_code": location.address.region,
            "telephone": "0",
        }
        payments = [{"method": p.method, "amount": money_str(p.amount)} for p in order.payments]
        change = Decimal(str(extra.get("change_due") or 0))
        methods = {self.settings.payment_methods.get(p.method, "checkmo") for p in order.payments}
        method = methods.pop() if len(methods) == 1 else self.settings.payment_methods.get("other", "checkmo")
        return {
            "increment_id": order.receipt_number,
            "ext_order_id": ext_order_id(order.id),
            "store_id": store_id,
            "state": "new",
            "status": "pending",
            "created_at": order.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            **who,
            "base_currency_code": currency,
            "global_currency_code": currency,
            "order_currency_code": currency,
            "store_currency_code": currency,
            "subtotal": money_str(order.subtotal),
            "base_subtotal": money_str(order.subtotal),
            "subtotal_incl_tax": money_str(subtotal_incl),
            "base_subtotal_incl_tax": money_str(subtotal_incl),
            "discount_amount": money_str(-order.discount),
            "base_discount_amount": money_str(-order.discount),
            "tax_amount": money_str(order.tax),
            "base_tax_amount": money_str(order.tax),
            "discount_tax_compensation_amount": money_str(dtc),
            "base_discount_tax_compensation_amount": money_str(dtc),
            "shipping_amount": "0.00",
            "base_shipping_amount": "0.00",
            "grand_total": money_str(order.grand_total),
            "base_grand_total": money_str(order.grand_total),
            "total_qty_ordered": str(sum((line.qty for line in order.lines), Decimal(0))),
            "total_item_count": len(order.lines),
            "coupon_code": order.coupon_code,
            "shipping_description": f"Handed over at {location.name}",
            "items": items,
            "billing_address": address,
            "payment": {
                "method": method,
                "amount_ordered": money_str(order.grand_total),
                "base_amount_ordered": money_str(order.grand_total),
                "additional_information": [
                    json.dumps({"till_payments": payments, "change_due": money_str(change)})
                ],
            },
            "status_histories": [
                {
                    "comment": f"Point-of-sale sale {order.receipt_number} at {location.name} "
                    f"(register {order.register_code}), made by Till.",
                    "is_customer_notified": 0,
                    "is_visible_on_front": 0,
                }
            ],
        }

    # --- refunds --------------------------------------------------------------------------------------------

    async def export_refund(self, refund_id: str, order_id: str) -> int:
        """The credit memo of a Till refund (the sale is exported first if it was not yet)."""
        with UnitOfWork(self.engine) as uow:
            refund = uow.sales.refund(refund_id)
            order = uow.sales.get(order_id)
        if refund is None or order is None:
            raise ExportError(f"no Till refund {refund_id} of order {order_id}")
        order_link = await self.export_sale(order_id)
        magento_order = int(order_link["magento_id"])
        with self.engine.connect() as conn:
            link = link_of(conn, "refund", refund_id)
        if link is None:
            if not claim(self.engine, f"refund:{refund_id}", lease_seconds=CLAIM_SECONDS):
                raise ExportError(f"refund {refund_id} is being exported by another worker; retry later")
            try:
                memo_id = await self._find_credit_memo(magento_order, refund_id)
                if memo_id is None:
                    item_ids = await self._item_ids(magento_order, order_link["detail"], order)
                    body = {
                        "items": [
                            {"order_item_id": item_ids[str(line["line_no"])], "qty": str(qty(line["qty"]))}
                            for line in refund["lines"]
                        ],
                        "notify": False,
                        "appendComment": True,
                        "comment": {
                            "comment": f"{refund_marker(refund_id)} Refund at the till ({refund['method']}); "
                            f"{refund['reason'] or 'no reason given'}.",
                            "is_visible_on_front": 0,
                        },
                        "arguments": {
                            "shipping_amount": 0,
                            "adjustment_positive": 0,
                            "adjustment_negative": 0,
                        },
                    }
                    memo_id = int(
                        await self.client.post("/V1/order/:orderId/refund", body, orderId=magento_order)
                    )
                remember(self.engine, "refund", refund_id, str(memo_id), {})
            finally:
                release(self.engine, f"refund:{refund_id}")
            link = {"magento_id": str(memo_id), "detail": {}}
        detail: dict[str, Any] = link["detail"]
        if not detail.get("stock_done"):
            with UnitOfWork(self.engine) as uow:
                location = uow.reference.location(order.location_code)
            assert location is not None
            source = self._source_of(order.location_code, location.source_code)
            restocked = [
                (str(line["sku"]), source, qty(line["qty"])) for line in refund["lines"] if line["restock"]
            ]
            await self.push_stock(f"refund:{refund_id}", restocked)
            detail["stock_done"] = True
            remember(self.engine, "refund", refund_id, link["magento_id"], detail)
        return int(link["magento_id"])

    async def _item_ids(self, magento_order: int, detail: dict[str, Any], order: Order) -> dict[str, int]:
        """Magento's order item id of each Till line: by `ext_order_item_id`, else by position."""
        item_ids: dict[str, int] = dict(detail.get("item_ids") or {})
        if all(str(line.line_no) in item_ids for line in order.lines):
            return item_ids
        entity = await self.client.get("/V1/orders/:id", id=magento_order)
        items = sorted(
            (i for i in entity.get("items") or [] if not i.get("parent_item_id")),
            key=lambda i: int(i["item_id"]),
        )
        by_ext = _order_detail(entity)["item_ids"]
        for line, item in zip(sorted(order.lines, key=lambda x: x.line_no), items, strict=False):
            item_ids[str(line.line_no)] = by_ext.get(str(line.line_no), int(item["item_id"]))
        return item_ids

    async def _find_credit_memo(self, magento_order: int, refund_id: str) -> int | None:
        memos = await self.client.search_all("/V1/creditmemos", [[("order_id", magento_order, "eq")]])
        marker = refund_marker(refund_id)
        for memo in memos:
            if any(marker in str(c.get("comment", "")) for c in memo.get("comments") or []):
                return int(memo["entity_id"])
        return None

    # --- stock -----------------------------------------------------------------------------------

    async def export_adjustment(self, message_id: str, payload: dict[str, Any]) -> None:
        """A stock adjustment at a till as source-item changes (a count sets the quantity)."""
        sku = str(payload["sku"])
        source = str(payload["source_code"])
        if payload["reason"] == "count":
            await self.push_stock(
                f"adjust:{message_id}", [], counted=[(sku, source, qty(payload["quantity"]))]
            )
            return
        moves = [(sku, source, qty(payload["delta"]))]
        if payload.get("to_source_code"):
            moves = [
                (sku, source, -qty(payload["quantity"])),
                (sku, str(payload["to_source_code"]), qty(payload["quantity"])),
            ]
        await self.push_stock(f"adjust:{message_id}", moves)

    async def push_stock(
        self,
        movement: str,
        moves: Sequence[tuple[str, str, Decimal]],
        *,
        counted: Sequence[tuple[str, str, Decimal]] = (),
    ) -> None:
        """Apply one Till stock movement to Magento's source items, exactly once.

        `moves` add a delta, `counted` set a quantity. The ledger keeps, per (sku, source), the
        quantity read and the quantity sent; a retry that finds Magento at the quantity sent
        knows the write landed, at the quantity read that it did not, and anything else (the
        write's fate unknowable because Magento moved too) is marked `uncertain` for the stock
        reconciliation instead of being sent twice.
        """
        wanted: dict[tuple[str, str], tuple[Decimal, bool]] = {}
        for sku, source, delta in moves:
            old, _ = wanted.get((sku, source), (Decimal(0), False))
            wanted[(sku, source)] = (old + delta, False)
        for sku, source, counted_qty in counted:
            wanted[(sku, source)] = (counted_qty, True)
        with self.engine.connect() as conn:
            ledger = pushes_of(conn, movement)
        todo = {
            key: value
            for key, value in wanted.items()
            if ledger.get(key, {}).get("state") not in ("done", "uncertain")
        }
        if not todo:
            return
        current = await self._source_items(sorted({sku for sku, _ in todo}), sorted({src for _, src in todo}))
        send: list[dict[str, Any]] = []
        with self.engine.begin() as conn:
            for (sku, source), (amount, absolute) in sorted(todo.items()):
                now_qty, status = current.get((sku, source), (Decimal(0), 1))
                row = ledger.get((sku, source))
                if row is not None and row["state"] == "sent":
                    before, after = qty(row["before_qty"]), qty(row["after_qty"])
                    landed_or_unknowable = now_qty == after or now_qty != before
                    if landed_or_unknowable:
                        # Magento holds what was sent (done), or moved too so the write's fate is
                        # unknowable (uncertain, left for reconciliation): never sent twice. Else
                        # (Magento still at `before`) the write never landed and is sent again.
                        state = "done" if now_qty == after else "uncertain"
                        if state == "uncertain":
                            log.warning("stock push %s %s@%s: Magento moved meanwhile", movement, sku, source)
                        record_push(
                            conn,
                            movement,
                            sku,
                            source,
                            delta=qty(row["delta"]),
                            before=before,
                            after=after,
                            state=state,
                        )
                        if state == "done":
                            save_baseline(conn, sku, source, after, status)
                        continue
                else:
                    before = now_qty
                    after = qty(amount) if absolute else qty(now_qty + amount)
                delta = after - before if absolute else qty(amount)
                record_push(
                    conn, movement, sku, source, delta=delta, before=before, after=after, state="sent"
                )
                send.append(
                    {
                        "sku": sku,
                        "source_code": source,
                        "quantity": str(after),
                        # Nothing on the shelf (or oversold): out of stock; anything: in stock.
                        "status": 1 if after > 0 else 0,
                    }
                )
        if not send:
            return
        # Absolute quantities: sending them twice changes nothing, so a timeout may be retried.
        # At most the input list limit a call: with Web API input limits on, Magento refuses
        # an array of more (Framework/Webapi/Validator/EntityArrayValidator.php).
        limit = self.client.settings.input_list_limit
        for start in range(0, len(send), limit):
            chunk = send[start : start + limit]
            await self.client.post("/V1/inventory/source-items", {"sourceItems": chunk}, idempotent=True)
        with self.engine.begin() as conn:
            for item in send:
                key = (item["sku"], item["source_code"])
                amount, absolute = todo[key]
                after = qty(item["quantity"])
                before = current.get(key, (Decimal(0), 1))[0]
                if ledger.get(key, {}).get("state") == "sent":
                    before = qty(ledger[key]["before_qty"])
                record_push(
                    conn,
                    movement,
                    key[0],
                    key[1],
                    delta=after - before if absolute else qty(amount),
                    before=before,
                    after=after,
                    state="done",
                )
                # Magento now holds what Till wrote: a pull must not count this change again.
                save_baseline(conn, key[0], key[1], after, int(item["status"]))

    async def _source_items(
        self, skus: list[str], sources: list[str]
    ) -> dict[tuple[str, str], tuple[Decimal, int]]:
        items = await self.client.search_all(
            "/V1/inventory/source-items",
            [[("sku", ",".join(skus), "in")], [("source_code", ",".join(sources), "in")]],
        )
        return {
            (str(i["sku"]), str(i["source_code"])): (qty(i.get("quantity") or 0), int(i.get("status") or 0))
            for i in items
        }


def _order_detail(entity: dict[str, Any]) -> dict[str, Any]:
    """What the connector keeps of a Magento order: its number and item ids by Till line."""
    item_ids = {
        str(item.get("ext_order_item_id")): int(item["item_id"])
        for item in entity.get("items") or []
        if item.get("ext_order_item_id") is not None and item.get("item_id") is not None
    }
    return {"increment_id": entity.get("increment_id"), "item_ids": item_ids}
