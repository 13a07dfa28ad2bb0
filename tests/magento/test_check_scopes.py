"""`till magento check` probes what Magento checks beyond the route table (issue 13 item 4)."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.magento.conftest import client_for, run
from tests.magento.double import MagentoDouble, route_table
from tests.magento.store import seed_till_shop
from till.magento.check import check

#: The routes the connector calls (tests/magento/test_contract.py checks the full list).
CONNECTOR_ROUTES = {
    ("GET", "/V1/store/storeViews"),
    ("GET", "/V1/products/attributes"),
    ("GET", "/V1/products/attribute-sets/sets/list"),
    ("GET", "/V1/categories/list"),
    ("GET", "/V1/customers/search"),
    ("GET", "/V1/customerGroups/search"),
    ("GET", "/V1/taxRates/search"),
    ("GET", "/V1/inventory/sources"),
    ("GET", "/V1/inventory/stocks"),
    ("GET", "/V1/inventory/stock-source-links"),
    ("GET", "/V1/inventory/get-product-salable-quantity/:sku/:stockId"),
    ("GET", "/V1/orders"),
    ("GET", "/V1/invoices"),
    ("GET", "/V1/creditmemos"),
    ("POST", "/V1/order/:orderId/invoice"),
    ("POST", "/V1/order/:orderId/refund"),
    ("POST", "/V1/inventory/source-items"),
    ("POST", "/V1/customers"),
    ("GET", "/V1/salesRules/search"),
    ("GET", "/V1/coupons/search"),
    ("PUT", "/V1/coupons/:couponId"),
}


def test_check_names_the_scope_customer_creation_needs_beyond_its_anonymous_route(
    sqlite_engine: Engine, magento: MagentoDouble
) -> None:
    """POST /V1/customers is anonymous in webapi.xml, but AccountManagementApi refuses the
    `group_id` Till always sends without Magento_Customer::manage: every sale of a customer
    made at the till would dead-letter. An integration granted the resource of every route the
    connector calls (what the docs listed) is not ready."""
    seed_till_shop(sqlite_engine)
    routes = route_table()
    called = {routes[("GET", "/V1/products")], routes[("POST", "/V1/orders/")]}  # and the rest:
    called |= {acl for (method, path), acl in routes.items() if (method, path) in CONNECTOR_ROUTES}
    magento.granted = called - {"anonymous"}

    async def go() -> object:
        async with client_for(magento) as client:
            return await check(sqlite_engine, client)

    report = run(go())
    assert not report.ok  # type: ignore[attr-defined]
    assert report.missing == [  # type: ignore[attr-defined]
        ("Magento_Customer::manage", "creating customers in a customer group")
    ]
    assert len(magento.customers) == 2  # the probe created nothing
    magento.granted.add("Magento_Customer::manage")
    assert run(go()).ok  # type: ignore[attr-defined]
