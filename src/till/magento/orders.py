"""A Till sale as Magento's order entity (`POST /V1/orders/`), recorded the way Magento records
its own: Till's exact figures, the website's base currency and the rates Magento's reports
multiply by, applied-tax rows, items linked to catalog products, the shop as an in-store pickup,
and each tender under a payment method the store declares. What each field is for, and what
Magento does with it, is in docs/magento.md ("What a POS order carries").
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from till.domain.catalog import Product
from till.domain.locations import Location
from till.domain.money import ZERO, money_str, round_money
from till.domain.sales import PAYMENT_METHODS, Order, OrderLine
from till.domain.tax import RateGroup

ONE = "1.0000"
#: Payment methods a stock Magento 2.4 declares (Magento_OfflinePayments' `etc/config.xml`, and
#: Magento_Payment's `free`); any other code must come from a module of the store.
CORE_OFFLINE_METHODS = frozenset({"checkmo", "banktransfer", "cashondelivery", "purchaseorder", "free"})


class ExportError(RuntimeError):
    """A message that cannot be exported as it is (the queue retries it, then dead-letters it)."""


def ext_order_id(order_id: str) -> str:
    """Till's order id in Magento's `ext_order_id` (varchar 32): the UUID's 32 hex digits."""
    return order_id.replace("-", "")[:32]


#: A configurable line's child row needs a quote item id of its own (the parent row has the
#: line number): the line number plus this.
CHILD_QUOTE_ITEM = 1_000_000


@dataclass(frozen=True, slots=True)
class ConfigurableParent:
    """The configurable product a sold variant belongs to, as Magento records the sale."""

    sku: str
    name: str
    product_id: int
    #: The chosen variant: (attribute id, option value id) per configurable attribute.
    options: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """What the order entity needs beyond the Till order, read by the exporter."""

    store_id: int
    #: The website's base currency (`base_currency_code` of the store view's config).
    base_currency: str
    #: The location's MSI source: the pickup location of the in-store pickup.
    source_code: str
    #: Magento's `directory_country_region` id of the shop's region, when configured.
    region_id: int | None
    #: Till's products of the order's lines, and their Magento entity ids (sku -> id).
    products: Mapping[str, Product] = field(default_factory=dict)
    product_ids: Mapping[str, int] = field(default_factory=dict)
    #: Each line's tax rate groups (Magento's calculation process), by line number.
    rate_groups: Mapping[int, Sequence[RateGroup]] = field(default_factory=dict)
    #: Lines sold as a configurable's variant, by line number: recorded as a parent row and a
    #: child row (only through the companion module: `POST /V1/orders/` cannot link them).
    parents: Mapping[int, ConfigurableParent] = field(default_factory=dict)


def order_entity(
    order: Order,
    location: Location,
    who: dict[str, Any],
    address: dict[str, Any],
    extra: dict[str, Any],
    facts: OrderFacts,
    payment_methods: Mapping[str, str],
) -> dict[str, Any]:
    """Till's sale as Magento's order entity, to the cent: Till's totals are Magento's."""
    if location.currency != facts.base_currency:
        # Till prices in the shop's currency; Magento's base_* figures and reports are in the
        # website's base currency. Without the store's rate no base figure could be right.
        raise ExportError(
            f"sale {order.receipt_number}: the shop's currency {location.currency} is not the "
            f"website's base currency {facts.base_currency}; Till cannot record it in Magento"
        )
    currency = facts.base_currency
    dtc = round_money(Decimal(str(extra.get("discount_tax_compensation") or 0)))
    items = [row for line in order.lines for row in _rows(line, facts)]
    virtual = all(item["is_virtual"] for item in items)
    subtotal_incl = order.subtotal + order.tax + dtc
    billing = {**address, "address_type": "billing"}
    method, tenders = payment(order, Decimal(str(extra.get("change_due") or 0)), payment_methods)
    line_taxes = {
        line.line_no: _line_taxes(line, facts.rate_groups.get(line.line_no, ())) for line in order.lines
    }
    extension: dict[str, Any] = {
        # Tax/Model/Plugin/OrderSave::afterSave writes sales_order_tax(_item) only for this flag.
        "converting_from_quote": True,
        "applied_taxes": _order_taxes(line_taxes),
        "item_applied_taxes": [
            {
                "type": "product",
                "item_id": line_no,  # the item's quote_item_id (getItemByQuoteItemId)
                "associated_item_id": None,
                "applied_taxes": taxes,
            }
            for line_no, taxes in line_taxes.items()
            if taxes
        ],
    }
    if not virtual:
        # Handed over at the shop: MSI In-Store Pickup's method and pickup location
        # (InventoryInStorePickupSalesApi extension attribute), so OrderRepository::save gives
        # the order the shop's address as its shipping address and `instore_pickup` as method.
        extension["shipping_assignments"] = [
            {
                "shipping": {
                    "address": {**address, "address_type": "shipping"},
                    "method": "instore_pickup",
                },
                "items": [],
            }
        ]
        extension["pickup_location_code"] = facts.source_code
    return {
        "increment_id": order.receipt_number,
        "ext_order_id": ext_order_id(order.id),
        "store_id": facts.store_id,
        "state": "new",
        "status": "pending",
        "created_at": order.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        **who,
        "base_currency_code": currency,
        "global_currency_code": currency,
        "order_currency_code": currency,
        "store_currency_code": currency,
        # Magento's sales, tax and dashboard reports multiply every base amount by these
        # (Sales/Model/ResourceModel/Report/Order/Createdat: IFNULL(base_to_global_rate, 0)).
        "base_to_global_rate": ONE,
        "base_to_order_rate": ONE,
        "store_to_base_rate": ONE,
        "store_to_order_rate": ONE,
        "is_virtual": int(virtual),
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
        "billing_address": billing,
        "payment": {
            "method": method,
            "amount_ordered": money_str(order.grand_total),
            "base_amount_ordered": money_str(order.grand_total),
            "additional_information": tenders,
        },
        "extension_attributes": extension,
        "status_histories": [
            {
                "comment": f"Point-of-sale sale {order.receipt_number} at {location.name} "
                f"(register {order.register_code}), made by Till.",
                "is_customer_notified": 0,
                "is_visible_on_front": 0,
            }
        ],
    }


def item_links(parents: Mapping[int, ConfigurableParent]) -> list[dict[str, int]]:
    """The companion module's links: each configurable line's child row under its parent row."""
    return [
        {"child_quote_item_id": CHILD_QUOTE_ITEM + line_no, "parent_quote_item_id": line_no}
        for line_no in sorted(parents)
    ]


def _rows(line: OrderLine, facts: OrderFacts) -> list[dict[str, Any]]:
    """A line's order items: one row, or for a configurable's variant the two rows checkout
    makes (Magento/ConfigurableProduct: the parent row carries the configurable's product id and
    type, the variant's sku, the price, tax and the chosen options; the child row the variant's
    product, its name, the quantity, and no amounts)."""
    item = _item(line, facts)
    parent = facts.parents.get(line.line_no)
    if parent is None:
        return [item]
    child = {
        "sku": line.sku,
        "name": line.name,
        "product_type": item["product_type"],
        "is_virtual": item["is_virtual"],
        "quote_item_id": CHILD_QUOTE_ITEM + line.line_no,
        "qty_ordered": item["qty_ordered"],
        "qty_shipped": item["qty_shipped"],
        "store_id": facts.store_id,
        **{key: "0.00" for key in _AMOUNTS},
        **({"product_id": item["product_id"]} if "product_id" in item else {}),
    }
    item.update(
        {
            "name": parent.name,
            "product_id": parent.product_id,
            "product_type": "configurable",
            "is_virtual": 0,
            "product_option": {
                "extension_attributes": {
                    "configurable_item_options": [
                        {"option_id": str(attribute), "option_value": value}
                        for attribute, value in parent.options
                    ]
                }
            },
        }
    )
    return [item, child]


#: The amounts of an order item, none of which a configurable's child row carries.
_AMOUNTS = (
    "price",
    "base_price",
    "original_price",
    "base_original_price",
    "price_incl_tax",
    "base_price_incl_tax",
    "row_total",
    "base_row_total",
    "row_total_incl_tax",
    "base_row_total_incl_tax",
    "discount_amount",
    "base_discount_amount",
    "tax_amount",
    "base_tax_amount",
    "discount_tax_compensation_amount",
    "base_discount_tax_compensation_amount",
)


def _item(line: OrderLine, facts: OrderFacts) -> dict[str, Any]:
    taxable = line.row_total - line.discount
    percent = (line.tax * 100 / taxable).quantize(Decimal("0.0001")) if taxable > 0 else Decimal(0)
    product = facts.products.get(line.sku)
    virtual = product is not None and product.type == "virtual"
    row_incl = line.row_total + line.tax + line.discount_tax_compensation
    item: dict[str, Any] = {
        "sku": line.sku,
        "name": line.name,
        "product_type": "virtual" if virtual else "simple",
        "is_virtual": int(virtual),
        "ext_order_item_id": str(line.line_no),
        # Magento's applied-tax rows find their item by quote item id.
        "quote_item_id": line.line_no,
        "qty_ordered": str(line.qty),
        # Handed over at the till: nothing is left to ship, so no one ships it again in
        # Magento's admin (a shipment would deduct the source a second time).
        "qty_shipped": str(line.qty),
        "price": money_str(line.price),
        "base_price": money_str(line.price),
        "original_price": money_str(line.price),
        "base_original_price": money_str(line.price),
        "price_incl_tax": money_str(line.price_incl_tax),
        "base_price_incl_tax": money_str(line.price_incl_tax),
        "row_total": money_str(line.row_total),
        "base_row_total": money_str(line.row_total),
        "row_total_incl_tax": money_str(row_incl),
        "base_row_total_incl_tax": money_str(row_incl),
        "discount_amount": money_str(line.discount),
        "base_discount_amount": money_str(line.discount),
        "tax_amount": money_str(line.tax),
        "base_tax_amount": money_str(line.tax),
        "tax_percent": str(percent),
        "discount_tax_compensation_amount": money_str(line.discount_tax_compensation),
        "base_discount_tax_compensation_amount": money_str(line.discount_tax_compensation),
        "store_id": facts.store_id,
    }
    if line.sku in facts.product_ids:
        item["product_id"] = facts.product_ids[line.sku]
    return item


def _line_taxes(line: OrderLine, groups: Sequence[RateGroup]) -> list[dict[str, Any]]:
    """A line's tax split over its rate groups (by percent, to the cent, the rest on the last),
    in the shape of Magento's `OrderTaxDetailsAppliedTaxInterface`."""
    groups = [g for g in groups if g.percent > 0]
    if not groups or line.tax == ZERO:
        return []
    total = sum((g.percent for g in groups), Decimal(0))
    taxes, left = [], line.tax
    for n, group in enumerate(groups):
        amount = left if n == len(groups) - 1 else round_money(line.tax * group.percent / total)
        left -= amount
        taxes.append(_applied(group, amount))
    return taxes


def _applied(group: RateGroup, amount: Decimal) -> dict[str, Any]:
    return {
        "code": group.id,
        "title": group.id,
        "percent": str(group.percent),
        "amount": money_str(amount),
        "base_amount": money_str(amount),
        "extension_attributes": {
            "rates": [{"code": r.code, "title": r.code, "percent": str(r.percent)} for r in group.rates]
        },
    }


def _order_taxes(line_taxes: Mapping[int, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The order's applied taxes: each rate group once, with the sum of its lines."""
    summed: dict[str, dict[str, Any]] = {}
    for taxes in line_taxes.values():
        for tax in taxes:
            seen = summed.get(tax["code"])
            if seen is None:
                summed[tax["code"]] = dict(tax)
                continue
            amount = Decimal(seen["amount"]) + Decimal(tax["amount"])
            seen["amount"] = seen["base_amount"] = money_str(amount)
    return list(summed.values())


def payment(order: Order, change: Decimal, mapping: Mapping[str, str]) -> tuple[str, list[str]]:
    """The Magento payment method of a sale, and its tenders as `additional_information`.

    Each Till tender maps to a method the store declares (settings); one unmapped is an
    ExportError before anything is created, since Magento would record any code and then refuse
    to invoice it. A split payment is recorded under its largest tender's method, every tender
    (method, amount, reference) in the additional information.
    """
    unmapped = sorted({p.method for p in order.payments} - set(mapping))
    if unmapped:
        raise ExportError(
            f"sale {order.receipt_number}: no Magento payment method for the till's "
            f"{', '.join(unmapped)} tender; map it in TILL_MAGENTO_PAYMENT_METHODS to a method "
            "code the store declares"
        )
    largest = max(order.payments, key=lambda p: p.amount, default=None)
    # Nothing paid (a zero total): Magento_Payment's "No Payment Information Required".
    method = mapping[largest.method] if largest is not None else "free"
    tenders = [
        {
            "tender": p.method,
            "method": mapping[p.method],
            "amount": money_str(p.amount),
            **({"reference": p.reference} if p.reference else {}),
        }
        for p in order.payments
    ]
    details = [
        f"{t['tender']} {t['amount']}" + (f" ({t['reference']})" if "reference" in t else "") for t in tenders
    ]
    # Gift cards sold with the sale: paid by these tenders, but no item of the order (Magento
    # Open Source has no gift card product; a virtual item would count a liability as revenue).
    sold = [{"card": f"**** {c.last4}", "amount": money_str(c.amount)} for c in order.gift_cards]
    details += [f"gift card sold {c['amount']} ({c['card']})" for c in sold]
    facts: dict[str, Any] = {"till_payments": tenders, "change_due": money_str(change)}
    if sold:
        facts["gift_cards_sold"] = sold
    return method, [*details, json.dumps(facts)]


def unmapped_tenders(mapping: Mapping[str, str]) -> list[str]:
    """Tenders with no Magento payment method: their sales are not exported (a problem for
    `till magento check`)."""
    return [
        f"the till's {tender} tender has no Magento payment method: its sales are not exported "
        "(set it in TILL_MAGENTO_PAYMENT_METHODS)"
        for tender in PAYMENT_METHODS
        if tender not in mapping
    ]


def undeclared_methods(mapping: Mapping[str, str]) -> list[str]:
    """Mapped codes a stock Magento does not declare (REST cannot list the store's methods, so
    `till magento check` can only name them for a person to confirm)."""
    return [
        f"{code!r} (for {tender}) is not a method stock Magento declares: make sure a module of the "
        f"store declares payment/{code}/model, or Magento will not invoice these sales"
        for tender, code in sorted(mapping.items())
        if code not in CORE_OFFLINE_METHODS
    ]


def payment_method_problems(mapping: Mapping[str, str]) -> list[str]:
    """Everything `till magento check` says about the tender mapping."""
    return unmapped_tenders(mapping) + undeclared_methods(mapping)
