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
- `stock.moved` → the source items of a transfer's send or receipt, a delivery's receipt or a
  count's approved variance: signed changes, each step applied once (docs/magento.md).

Stock is written through a ledger (`magento_stock_pushes`): the quantity read before and the
quantity sent are recorded before the write, so after a crash the retry can tell from Magento's
current quantity whether the write landed, and never applies a movement twice.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine

from till.domain.locations import Location
from till.domain.pricing import PricingRules
from till.domain.sales import Order
from till.domain.tax import applicable_rates, group_rates
from till.magento.client import CONFIGURABLE_ORDERS, MagentoClient, MagentoError
from till.magento.coupons import count_coupon_use
from till.magento.orders import ConfigurableParent, OrderFacts, item_links, order_entity
from till.magento.orders import ExportError as ExportError
from till.magento.orders import ext_order_id as ext_order_id
from till.magento.pull import base_currency, store_ids
from till.magento.stock_export import SourceItemPushes
from till.storage.magento_links import (
    claim,
    link_of,
    links_for,
    qty,
    release,
    remember,
)
from till.storage.uow import UnitOfWork

log = logging.getLogger("till.magento.export")

TOPICS = frozenset({"sale.placed", "refund.created", "customer.created", "stock.adjusted", "stock.moved"})
#: How long a worker may take to create a credit memo before another may take its place.
#: (Orders need no lease: Magento's unique increment_id refuses a second one.)
CLAIM_SECONDS = 120.0


def refund_marker(refund_id: str) -> str:
    """The text a credit memo's comment carries so a retry can find it."""
    return f"till-refund:{refund_id}"


class MagentoExporter(SourceItemPushes):
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
        elif topic == "stock.moved":
            await self.export_movement(payload)
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
        if not order.lines:
            # Gift cards only: a liability Till's ledger holds, no Magento order (docs/ledgers.md).
            return {"magento_id": None, "detail": {"not_exported": "a sale of gift cards only"}}
        with self.engine.connect() as conn:
            link = link_of(conn, "order", order_id)
        if link is None:
            magento_customer = None
            if customer is not None:
                magento_customer = await self.export_customer(int(customer["id"]))
            entity = await self._find_order(order_id)
            if entity is None:
                entity = await self._create_order(order, location, customer, magento_customer, extra)
            link = {"magento_id": str(entity["entity_id"]), "detail": _order_detail(entity)}
            remember(self.engine, "order", order_id, link["magento_id"], link["detail"])
        detail: dict[str, Any] = link["detail"]
        magento_id = int(link["magento_id"])
        if not detail.get("invoice_id"):
            detail["invoice_id"] = await self._invoice(magento_id)
            remember(self.engine, "order", order_id, str(magento_id), detail)
        if order.coupon_code and not detail.get("coupon_counted"):
            # Magento counts coupons only when it places an order itself (till.magento.coupons).
            await count_coupon_use(self.client, order.coupon_code)
            detail["coupon_counted"] = True
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

    async def _create_order(
        self,
        order: Order,
        location: Location,
        customer: dict[str, Any] | None,
        magento_customer: int | None,
        extra: dict[str, Any],
    ) -> dict[str, Any]:
        """The Magento order of a sale. A configurable's variant goes in as Magento records it
        (parent row and linked child row) through the companion module when the store has it;
        else as its variant alone, by `POST /V1/orders/`, which cannot link two new rows."""
        parents: dict[int, ConfigurableParent] = {}
        if CONFIGURABLE_ORDERS in await self.client.till_pos():
            parents = await self._configurable_parents(order)
        body = self._order_body(order, location, customer, magento_customer, extra, parents)
        if not parents:
            return dict(await self.client.post("/V1/orders/", {"entity": body}))
        links = item_links(parents)
        return dict(await self.client.post("/V1/till-pos/orders", {"entity": body, "links": links}))

    async def _configurable_parents(self, order: Order) -> dict[int, ConfigurableParent]:
        """Each line sold as a configurable's variant: its parent as Magento has it (id, name,
        option attributes), and the variant's option values from Till's catalog."""
        with UnitOfWork(self.engine) as uow:
            products = uow.catalog.products(sorted({line.sku for line in order.lines}))
        parent_skus = sorted({p.parent_sku for p in products.values() if p.parent_sku})
        if not parent_skus:
            return {}
        magento_parents = {sku: await self.client.get("/V1/products/:sku", sku=sku) for sku in parent_skus}
        options_of = {
            sku: (parent.get("extension_attributes") or {}).get("configurable_product_options") or []
            for sku, parent in magento_parents.items()
        }
        attribute_ids = sorted({int(o["attribute_id"]) for options in options_of.values() for o in options})
        attributes = await self.client.search_all(
            "/V1/products/attributes",
            [[("attribute_id", ",".join(map(str, attribute_ids)), "in")]],
            sort=[("attribute_id", "ASC")],  # a unique order: offset pages neither skip nor repeat
        )
        codes = {int(a["attribute_id"]): str(a["attribute_code"]) for a in attributes}
        parents: dict[int, ConfigurableParent] = {}
        for line in order.lines:
            variant = products.get(line.sku)
            if variant is None or not variant.parent_sku:
                continue
            parent = magento_parents[variant.parent_sku]
            chosen = []
            for option in sorted(options_of[variant.parent_sku], key=lambda o: int(o.get("position") or 0)):
                code = codes.get(int(option["attribute_id"]))
                value = variant.attributes.get(code) if code else None
                if value is None:
                    raise ExportError(
                        f"sale {order.receipt_number}: {line.sku} has no {code or option['attribute_id']} "
                        f"value in Till, so its configurable {variant.parent_sku} cannot be recorded"
                    )
                chosen.append((int(option["attribute_id"]), int(str(value))))
            parents[line.line_no] = ConfigurableParent(
                sku=variant.parent_sku,
                name=str(parent.get("name") or variant.parent_sku),
                product_id=int(parent["id"]),
                options=tuple(chosen),
            )
        return parents

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
        location: Location,
        customer: dict[str, Any] | None,
        magento_customer: int | None,
        extra: dict[str, Any],
        parents: dict[int, ConfigurableParent],
    ) -> dict[str, Any]:
        """The order entity of a sale (`till.magento.orders.order_entity`) with what it reads."""
        views, _ = store_ids(self.engine)
        mapping = self.settings.locations.get(order.location_code)
        store_code = (
            mapping.store_code if mapping and mapping.store_code else ""
        ) or self.settings.store_code
        skus = sorted({line.sku for line in order.lines})
        with UnitOfWork(self.engine) as uow:
            products = uow.catalog.products(skus)
            rules = PricingRules(
                config=uow.reference.tax_config(),
                rates=uow.reference.tax_rates(),
                rules=uow.reference.tax_rules(),
                cart_rules=[],
                groups=uow.reference.customer_groups(),
            )
        with self.engine.connect() as conn:
            product_ids = {sku: int(i) for sku, i in links_for(conn, "product", skus).items()}
        customer_class = rules.customer_class(int(customer["group_id"]) if customer else 0)
        rate_groups = {
            line.line_no: group_rates(
                applicable_rates(
                    rules.rules,
                    rules.rates,
                    customer_class=customer_class,
                    product_class=products[line.sku].tax_class,
                    address=location.address,
                )
            )
            for line in order.lines
            if line.sku in products
        }
        facts = OrderFacts(
            store_id=views.get(store_code, 1),
            base_currency=base_currency(self.engine, store_code) or location.currency,
            source_code=self._source_of(order.location_code, location.source_code),
            region_id=mapping.region_id if mapping is not None else None,
            products=products,
            product_ids=product_ids,
            rate_groups=rate_groups,
            parents=parents,
        )
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
        # The shop's address. `region_code` has a setter but no column in sales_order_address
        # (Magento drops it on save): the region goes as its name and, when configured, its id.
        address: dict[str, Any] = {
            "firstname": first,
            "lastname": last,
            "email": email,
            "street": [location.name],
            "city": location.name,
            "postcode": location.address.postcode or "00000",
            "country_id": location.address.country,
            "region": location.address.region,
            "telephone": "0",
        }
        if facts.region_id is not None:
            address["region_id"] = facts.region_id
        return order_entity(order, location, who, address, extra, facts, self.settings.payment_methods)

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
                    memo_ids = [item_ids[str(line["line_no"])] for line in refund["lines"]]
                    children = await self._child_items(magento_order, order_link["detail"])
                    memo_items = [
                        {"order_item_id": item_id, "qty": str(qty(line["qty"]))}
                        for item_id, line in zip(memo_ids, refund["lines"], strict=True)
                    ]
                    body = {
                        "items": memo_items,
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
                            # Every line "back to stock", restocked or not: MSI then adds +q to
                            # the web stock's reservations and deducts no source (without it,
                            # MSI deducts q from whichever source its selection picks, the
                            # warehouse included). See docs/magento.md ("Refunds").
                            # A configurable's child row is a memo line of its own (refunded with
                            # its parent: Sales/Model/Order/CreditmemoFactory), listed too.
                            "extension_attributes": {
                                "return_to_stock_items": sorted(
                                    set(memo_ids) | {children[i] for i in memo_ids if i in children}
                                )
                            },
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
            # MSI already added +q per refunded unit to the web stock (above): a restocked unit
            # is salable again through it, so only units not restocked are taken off the shop's
            # source to offset that +q.
            not_restocked = [
                (str(line["sku"]), source, -qty(line["qty"]))
                for line in refund["lines"]
                if not line["restock"]
            ]
            await self.push_stock(f"refund:{refund_id}", not_restocked)
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

    async def _child_items(self, magento_order: int, detail: dict[str, Any]) -> dict[int, int]:
        """Parent item id -> child item id of the order's configurable rows (none when it went
        in without the companion module)."""
        if "child_item_ids" in detail:
            return {int(k): int(v) for k, v in detail["child_item_ids"].items()}
        entity = await self.client.get("/V1/orders/:id", id=magento_order)
        return {int(k): int(v) for k, v in _order_detail(entity)["child_item_ids"].items()}

    async def _find_credit_memo(self, magento_order: int, refund_id: str) -> int | None:
        memos = await self.client.search_all("/V1/creditmemos", [[("order_id", magento_order, "eq")]])
        marker = refund_marker(refund_id)
        for memo in memos:
            if any(marker in str(c.get("comment", "")) for c in memo.get("comments") or []):
                return int(memo["entity_id"])
        return None

    # --- stock -----------------------------------------------------------------------------------


def _order_detail(entity: dict[str, Any]) -> dict[str, Any]:
    """What the connector keeps of a Magento order: its number and item ids by Till line."""
    item_ids = {
        str(item.get("ext_order_item_id")): int(item["item_id"])
        for item in entity.get("items") or []
        if item.get("ext_order_item_id") is not None and item.get("item_id") is not None
    }
    children = {
        str(item["parent_item_id"]): int(item["item_id"])
        for item in entity.get("items") or []
        if item.get("parent_item_id") and item.get("item_id") is not None
    }
    return {"increment_id": entity.get("increment_id"), "item_ids": item_ids, "child_item_ids": children}
