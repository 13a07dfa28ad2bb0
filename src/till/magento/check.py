"""`till magento check`: do the URL and credentials work, which API scopes are missing, would
Magento accept the signatures of the calls a pull makes, and what a pull would bring.

Magento has no endpoint that lists an integration's resources, so each ACL resource the
connector needs is probed with a call that cannot change anything: a GET asking for one item,
or a POST with an empty (or incomplete) body. Magento checks the ACL before it reads the body,
so a missing resource answers 401 ("The consumer isn't authorized to access …") and a granted
one answers a validation error (400/404). The GET probes are shaped like the calls that break
first: a delta filter holding a space, a sku holding `/ & +`; a 401 "signature is invalid" on
them is a red line of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, select

from till.magento.client import (
    CONFIGURABLE_ORDERS,
    SOURCE_ITEM_ADJUST,
    MagentoClient,
    MagentoError,
    MagentoUnavailable,
    criteria,
)
from till.magento.orders import undeclared_methods, unmapped_tenders
from till.magento.pull.common import BY_SOURCE_CODE, BY_STOCK_ID
from till.storage import tables as t

#: Routes a sign-in token comes from: an error there is a credentials error.
TOKEN_ROUTES = frozenset({"/V1/integration/admin/token", "/V1/tfa/provider/google/authenticate"})
_NONE: Mapping[str, Any] = MappingProxyType({})


class Probe(NamedTuple):
    """One harmless call per ACL resource the connector needs."""

    acl: str
    purpose: str
    method: str
    route: str
    path: Mapping[str, Any] = _NONE
    #: A POST's body; Magento refuses it after the ACL check, before doing anything.
    body: Any = None


#: The calls the connector makes, one per ACL resource, with a harmless way to probe each.
PROBES: tuple[Probe, ...] = (
    Probe("Magento_Backend::store", "stores and websites", "GET", "/V1/store/storeViews"),
    Probe("Magento_Catalog::products", "products", "GET", "/V1/products"),
    Probe("Magento_Catalog::attributes_attributes", "EAV attributes", "GET", "/V1/products/attributes"),
    Probe("Magento_Catalog::sets", "attribute sets", "GET", "/V1/products/attribute-sets/sets/list"),
    Probe("Magento_Catalog::categories", "categories", "GET", "/V1/categories/list"),
    Probe("Magento_Customer::customer", "customers", "GET", "/V1/customers/search"),
    Probe("Magento_Customer::group", "customer groups", "GET", "/V1/customerGroups/search"),
    Probe("Magento_Tax::manage_tax", "tax classes, rates, rules", "GET", "/V1/taxRates/search"),
    Probe("Magento_SalesRule::quote", "cart price rules and coupons", "GET", "/V1/salesRules/search"),
    Probe("Magento_InventoryApi::source", "MSI sources and source items", "GET", "/V1/inventory/sources"),
    Probe("Magento_InventoryApi::stock", "MSI stocks", "GET", "/V1/inventory/stocks"),
    Probe(
        "Magento_InventoryApi::stock_source_link",
        "MSI stock-source links",
        "GET",
        "/V1/inventory/stock-source-links",
    ),
    Probe(
        "Magento_InventorySalesApi::stock",
        "salable quantities",
        "GET",
        "/V1/inventory/get-product-salable-quantity/:sku/:stockId",
        # A sku with the characters whose signature Magento releases disagree on.
        MappingProxyType({"sku": "till-check/probe&+", "stockId": 1}),
    ),
    Probe("Magento_Sales::actions_view", "finding exported orders", "GET", "/V1/orders"),
    Probe("Magento_Sales::sales_invoice", "finding invoices", "GET", "/V1/invoices"),
    Probe("Magento_Sales::sales_creditmemo", "finding credit memos", "GET", "/V1/creditmemos"),
    Probe("Magento_Sales::create", "creating orders", "POST", "/V1/orders/", body={}),
    Probe(
        "Magento_Sales::invoice",
        "invoicing orders",
        "POST",
        "/V1/order/:orderId/invoice",
        MappingProxyType({"orderId": 0}),
        {},
    ),
    Probe(
        "Magento_Sales::creditmemo",
        "credit memos",
        "POST",
        "/V1/order/:orderId/refund",
        MappingProxyType({"orderId": 0}),
        {},
    ),
    Probe(
        "Magento_InventoryApi::stock_source_item_assign",
        "updating source items",
        "POST",
        "/V1/inventory/source-items",
        body={},
    ),
    # The route is anonymous, but Customer/Model/AccountManagementApi.php refuses a `group_id`
    # (which Till always sends) without this resource; no e-mail, so nothing is created.
    Probe(
        "Magento_Customer::manage",
        "creating customers in a customer group",
        "POST",
        "/V1/customers",
        body={"customer": {"group_id": 1}},
    ),
)
#: A delta pull's filter: `updated_at` holds a space.
DELTA_FILTER = [[("updated_at", "2000-01-01 00:00:00", "gteq")]]
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
    #: What works today but limits what the connector can do (Web API input limits).
    warnings: list[str] = field(default_factory=list)

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
        if exc.route in TOKEN_ROUTES or (exc.status == 401 and "authorized" not in str(exc)):
            report.error = f"the credentials do not work: {exc}"
            return report
        report.reachable = True  # it answered; the store scope itself may be missing
    for probe in PROBES:
        try:
            if probe.method == "GET":
                filters = DELTA_FILTER if not probe.path else []
                query = criteria(filters, page_size=1, page=1) if not probe.path else []
                await client.call("GET", probe.route, path=dict(probe.path), query=query)
            else:
                await client.call(
                    probe.method, probe.route, path=dict(probe.path), json=probe.body, idempotent=False
                )
            report.granted.append(probe.acl)
        except MagentoError as exc:
            if exc.status == 401 and "signature" in str(exc).lower():
                report.granted.append(probe.acl)
                report.problems.append(
                    f"Magento refuses the signature of {probe.method} {probe.route} "
                    f"({'a sku holding / & +' if probe.path else 'a filter holding a space'}): {exc}"
                )
            elif exc.status == 401:
                report.missing.append((probe.acl, probe.purpose))
            else:
                report.granted.append(probe.acl)  # authorized; the empty probe was refused as expected
    await _input_limits(client, report)
    await _till_pos(client, report)

    async def count(name: str, route: str) -> None:
        try:
            answer = await client.get(route, criteria(page_size=1, page=1))
            report.counts[name] = int(answer.get("total_count") or 0)
        except MagentoError:
            pass

    await asyncio.gather(*(count(name, route) for name, route in COUNTED))
    sources = {str(s["source_code"]) for s in await _all(client, "/V1/inventory/sources", BY_SOURCE_CODE)}
    stocks = {int(s["stock_id"]) for s in await _all(client, "/V1/inventory/stocks", BY_STOCK_ID)}
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
    report.problems += unmapped_tenders(settings.payment_methods)
    report.warnings += undeclared_methods(settings.payment_methods)
    return report


async def _input_limits(client: MagentoClient, report: CheckReport) -> None:
    """With Web API input limits on, Magento refuses pages over `maximum_page_size` (300) and
    arrays over the input list limit (20): ask for one page too big to find out."""
    try:
        await client.call("GET", "/V1/customerGroups/search", query=criteria(page_size=10001, page=1))
    except MagentoError as exc:
        if "pageSize" not in str(exc):
            return
        report.warnings.append(
            "Magento's Web API input limits are on (Stores > Configuration > Services > Web API "
            f"Input Limits): {exc}. Till pages by {client.settings.page_size} and sends at most "
            f"{client.settings.input_list_limit} source items a call; a sale of more lines than "
            "the store's Input List Limit (20 by default) is refused by Magento and its export "
            "ends in the dead-letter queue: raise that limit above the longest sale"
        )
        maximum = "".join(ch for ch in str(exc).rsplit("is", 1)[-1] if ch.isdigit())
        if maximum and client.settings.page_size > int(maximum):
            report.problems.append(
                f"TILL_MAGENTO_PAGE_SIZE={client.settings.page_size} is over Magento's maximum page "
                f"size {maximum}: every pull would be refused"
            )


async def _till_pos(client: MagentoClient, report: CheckReport) -> None:
    """Is the companion module there? Without it the connector still works, with REST's limits."""
    features = await client.till_pos()
    if CONFIGURABLE_ORDERS not in features:
        report.warnings.append(
            "the companion module Till_Pos is not installed (or the integration lacks its "
            "resource Till_Pos::pos): a configurable product's variant sold at a till goes into "
            "Magento as the variant alone, without the parent row, its link and the chosen options "
            "that Magento's own orders have (POST /V1/orders/ cannot link two new items); see "
            'docs/magento.md, "The companion module"'
        )
    if SOURCE_ITEM_ADJUST not in features:
        report.warnings.append(
            "without Till_Pos, Till's stock moves are absolute source-item writes (read, then "
            "write the sum): a web shipment, an import or an admin edit of the same source item "
            "landing between the two is overwritten, and nothing in Magento shows it afterwards"
        )


async def _all(client: MagentoClient, route: str, sort: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    try:
        return await client.search_all(route, sort=sort)
    except MagentoError:
        return []


def _unexported(conn: Connection) -> int:
    linked = select(t.magento_links.c.till_id).where(t.magento_links.c.kind == "order")
    return len(conn.execute(select(t.orders.c.id).where(t.orders.c.id.not_in(linked))).all())
