"""`till magento check`: do the URL and credentials work, which API scopes are missing, and
what a pull would bring.

Magento has no endpoint that lists an integration's resources, so each ACL resource the
connector needs is probed with a call that cannot change anything: a GET asking for one item,
or a POST with an empty body. Magento checks the ACL before it reads the body, so a missing
resource answers 401 ("The consumer isn't authorized to access …") and a granted one answers a
validation error (400/404).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, select

from till.magento.client import MagentoClient, MagentoError, MagentoUnavailable, criteria
from till.storage import tables as t

#: The calls the connector makes, one per ACL resource, with a harmless way to probe each.
#: (ACL resource, what it is for, method, route, path parameters)
PROBES: tuple[tuple[str, str, str, str, dict[str, Any]], ...] = (
    ("Magento_Backend::store", "stores and websites", "GET", "/V1/store/storeViews", {}),
    ("Magento_Catalog::products", "products", "GET", "/V1/products", {}),
    ("Magento_Catalog::attributes_attributes", "EAV attributes", "GET", "/V1/products/attributes", {}),
    ("Magento_Catalog::sets", "attribute sets", "GET", "/V1/products/attribute-sets/sets/list", {}),
    ("Magento_Catalog::categories", "categories", "GET", "/V1/categories/list", {}),
    ("Magento_Customer::customer", "customers", "GET", "/V1/customers/search", {}),
    ("Magento_Customer::group", "customer groups", "GET", "/V1/customerGroups/search", {}),
    ("Magento_Tax::manage_tax", "tax classes, rates, rules", "GET", "/V1/taxRates/search", {}),
    ("Magento_SalesRule::quote", "cart price rules and coupons", "GET", "/V1/salesRules/search", {}),
    ("Magento_InventoryApi::source", "MSI sources and source items", "GET", "/V1/inventory/sources", {}),
    ("Magento_InventoryApi::stock", "MSI stocks", "GET", "/V1/inventory/stocks", {}),
    (
        "Magento_InventoryApi::stock_source_link",
        "MSI stock-source links",
        "GET",
        "/V1/inventory/stock-source-links",
        {},
    ),
    (
        "Magento_InventorySalesApi::stock",
        "salable quantities",
        "GET",
        "/V1/inventory/get-product-salable-quantity/:sku/:stockId",
        {"sku": "till-check-probe", "stockId": 1},
    ),
    ("Magento_Sales::actions_view", "finding exported orders", "GET", "/V1/orders", {}),
    ("Magento_Sales::sales_invoice", "finding invoices", "GET", "/V1/invoices", {}),
    ("Magento_Sales::sales_creditmemo", "finding credit memos", "GET", "/V1/creditmemos", {}),
    ("Magento_Sales::create", "creating orders", "POST", "/V1/orders/", {}),
    ("Magento_Sales::invoice", "invoicing orders", "POST", "/V1/order/:orderId/invoice", {"orderId": 0}),
    ("Magento_Sales::creditmemo", "credit memos", "POST", "/V1/order/:orderId/refund", {"orderId": 0}),
    (
        "Magento_InventoryApi::stock_source_item_assign",
        "updating source items",
        "POST",
        "/V1/inventory/source-items",
        {},
    ),
)
COUNTED: tuple[tuple[str, str], ...] = (
    ("products", "/V1/products"),
    ("categories", "/V1/categories/list"),
    ("customers", "/V1/customers/search"),
    ("customer groups", "/V1/customerGroups/search"),
    ("tax rates", "/V1/taxRates/search"),
    ("tax rules", "/V1/taxRules/search"),
    ("sources", "/V1/inventory/sources"),
    ("stocks", "/V1/inventory/stocks"),
    ("source items", "/V1/inventory/source-items"),
)


@dataclass
class CheckReport:
    """What `till magento check` found."""

    base_url: str
    auth: str
    reachable: bool = False
    error: str | None = None
    missing: list[tuple[str, str]] = field(default_factory=list)
    granted: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the connector can do all its work."""
        return self.reachable and not self.missing and not self.problems and self.error is None


async def check(engine: Engine, client: MagentoClient) -> CheckReport:
    """Probe the store; never changes anything in Magento or Till."""
    settings = client.settings
    report = CheckReport(
        base_url=settings.base_url,
        auth="integration (OAuth 1.0a, HMAC-SHA256)" if settings.uses_integration else "admin token",
    )
    try:
        await client.get("/V1/store/storeViews")
        report.reachable = True
    except MagentoUnavailable as exc:
        report.error = f"Magento does not answer at {settings.base_url}: {exc}"
        return report
    except MagentoError as exc:
        if exc.status == 401 and "authorized" not in str(exc):
            report.error = f"the credentials do not work: {exc}"
            return report
        report.reachable = True  # it answered; the store scope itself may be missing
    for acl, purpose, method, route, path in PROBES:
        try:
            if method == "GET":
                query = criteria(page_size=1, page=1) if not path else []
                await client.call(method, route, path=path, query=query)
            else:
                await client.call(method, route, path=path, json={}, idempotent=False)
            report.granted.append(acl)
        except MagentoError as exc:
            if exc.status == 401:
                report.missing.append((acl, purpose))
            else:
                report.granted.append(acl)  # authorized; the empty probe was refused as expected

    async def count(name: str, route: str) -> None:
        try:
            answer = await client.get(route, criteria(page_size=1, page=1))
            report.counts[name] = int(answer.get("total_count") or 0)
        except MagentoError:
            pass

    await asyncio.gather(*(count(name, route) for name, route in COUNTED))
    sources = {str(s["source_code"]) for s in await _all(client, "/V1/inventory/sources")}
    stocks = {int(s["stock_id"]) for s in await _all(client, "/V1/inventory/stocks")}
    with engine.connect() as conn:
        locations = list(conn.execute(select(t.locations.c.code)).scalars())
        report.counts["Till sales not yet in Magento"] = _unexported(conn)
    for code in locations:
        mapping = settings.locations.get(code)
        if mapping is None:
            report.problems.append(
                f"Till location {code} is not mapped to a Magento source (TILL_MAGENTO_LOCATIONS)"
            )
            continue
        if sources and mapping.source not in sources:
            report.problems.append(f"location {code}: Magento has no source {mapping.source!r}")
        if stocks and mapping.stock_id not in stocks:
            report.problems.append(f"location {code}: Magento has no stock {mapping.stock_id}")
    return report


async def _all(client: MagentoClient, route: str) -> list[dict[str, Any]]:
    try:
        return await client.search_all(route)
    except MagentoError:
        return []


def _unexported(conn: Connection) -> int:
    linked = select(t.magento_links.c.till_id).where(t.magento_links.c.kind == "order")
    return len(conn.execute(select(t.orders.c.id).where(t.orders.c.id.not_in(linked))).all())
