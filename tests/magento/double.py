"""A contract double of Magento 2.4's REST API, for tests only (never in src/).

It serves exactly the routes it declares, each checked at start against Magento's route table
(`spec/magento/magento-routes.tsv`, method and path), and enforces each route's ACL resource
from that table. It behaves as `shared/magento/magento-facts.md` says:

- `version` (2.4.4 to 2.4.8) picks the behaviours in which Magento's releases differ: how the
  OAuth base string decodes the query and normalises the path, and (with `input_limits` on)
  Web API input limits; see `MagentoDouble.version` and each method's Magento file;
- admin tokens are JWTs living `webapi/jwtauth/admin_expiration` (60 minutes), and with
  Magento_TwoFactorAuth on (the default) only the 2FA provider endpoints hand them out;
  integration tokens must be OAuth 1.0a signed (HMAC-SHA256), a plain bearer integration token
  is refused as in 2.4.4+;
- searchCriteria: filter groups AND, filters inside a group OR; a page past the end answers
  the last page again (`Collection::getCurPage()` clamps); rows tying on every sort column, and
  every row of an unsorted list, come in a different order from one call to the next (MySQL);
  a list sorts only by the fields its repository maps or has columns for, any other is an SQL
  error, a 500 (`MagentoDouble.search`, the `*_ORDERS` maps);
- MSI: salable = in-stock source quantities of the stock's enabled sources + reservations;
  order placement (`place_web_order`, the quote path) appends −qty; a shipment deducts the
  source and appends the +qty compensation; a cancel appends +qty; a credit memo runs MSI's
  refund plugins (a source deduction with +qty for items not back to stock, then the return
  processor: shipped units back to their source, the rest +qty; `auto_return`); invoicing
  deducts virtual items and compensates; `POST /V1/orders/` (repository save) appends no
  reservation and checks no stock;
- sales: the repository keeps only address columns, takes a non-virtual order's shipping
  address and method from its assignment, writes applied-tax rows for `converting_from_quote`;
  invoicing needs a declared payment method; `sales_report` and `tax_report` aggregate as
  Magento's reports do. Each behaviour names its Magento file beside it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import math
import re
import secrets
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, unquote_plus
from xml.etree import ElementTree

import pyotp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ROUTES_TSV = Path(__file__).resolve().parents[2] / "spec" / "magento" / "magento-routes.tsv"
#: The companion module's route table (its own `etc/webapi.xml`): the double serves these routes
#: only when `till_pos` is installed, behaving as the module's PHP does.
TILL_POS_WEBAPI = Path(__file__).resolve().parents[2] / "magento-module" / "Till_Pos" / "etc" / "webapi.xml"
TILL_POS_PREFIX = "/V1/till-pos/"
#: Till_Pos `Model/Capabilities::FEATURES`.
TILL_POS_FEATURES = ("configurable-orders", "source-item-adjust")
CENT = Decimal("0.01")
#: The Magento releases the double can behave as (each one's differences: `MagentoDouble`).
VERSIONS = ("2.4.4", "2.4.5", "2.4.6", "2.4.7", "2.4.8")
UNAUTHORIZED = "The consumer isn't authorized to access %resources."
#: Magento\Framework\Oauth\Oauth::_validateSignature's message.
BAD_SIGNATURE = "The signature is invalid. Verify and try again."
#: The ACL resources of the caller of the request being served: True = every resource (an admin),
#: a set = an integration's, None = nobody signed in.
_caller: ContextVar[set[str] | bool | None] = ContextVar("caller", default=None)


def route_table() -> dict[tuple[str, str], str]:
    """Magento's REST routes: (method, path) -> ACL resource."""
    table: dict[tuple[str, str], str] = {}
    for line in ROUTES_TSV.read_text().splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) >= 4 and parts[0] in ("GET", "POST", "PUT", "DELETE"):
            table[(parts[0], parts[1])] = parts[3]
    return table


def till_pos_route_table() -> dict[tuple[str, str], str]:
    """Till_Pos's REST routes as its etc/webapi.xml declares them: (method, path) -> ACL resource."""
    table: dict[tuple[str, str], str] = {}
    for route in ElementTree.parse(TILL_POS_WEBAPI).getroot().iter("route"):
        resource = route.find("resources/resource")
        assert resource is not None
        table[(route.attrib["method"], route.attrib["url"])] = resource.attrib["ref"]
    return table


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


class Fault(Exception):
    """An error answer as Magento gives it: {"message", "parameters"}."""

    def __init__(self, status: int, message: str, parameters: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.parameters = parameters


Handler = Callable[[dict[str, str], dict[str, Any], Any], Any]


@dataclass
class MagentoDouble:
    """Magento's state and its REST API; `app` is the ASGI application."""

    admin_username: str = "till-admin"
    admin_password: str = "magento-secret-1"
    consumer_key: str = "ck" + "a" * 30
    consumer_secret: str = "cs" + "b" * 30
    access_token: str = "at" + "c" * 30
    access_token_secret: str = "ats" + "d" * 29
    #: ACL resources the integration was granted; None = all.
    granted: set[str] | None = None
    clock_offset: float = 0.0
    #: The Magento release whose behaviour the double follows where releases differ.
    version: str = "2.4.7"
    #: `webapi/jwtauth/admin_expiration` in minutes: Magento/JwtUserToken/etc/config.xml says 60.
    admin_token_minutes: float = 60.0
    #: Magento_TwoFactorAuth is installed and enabled with every 2.4 (magento/security-package).
    two_factor: bool = True
    #: The admin user's Google Authenticator secret (base32); empty = 2FA not configured for them.
    admin_totp_secret: str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    #: Stores > Configuration > Services > Web API Input Limits, off by default since 2.4.4
    #: (`webapi/validation/input_limit_enabled`,
    #: Framework/Webapi/Validator/IOLimit/IOLimitConfigProvider.php).
    input_limits: bool = False
    #: `webapi/validation/complex_array_limit`, `maximum_page_size`, `default_page_size`: 20, 300, 20.
    input_list_limit: int = 20
    max_page_size: int = 300
    default_page_size: int = 20
    #: MySQL returns rows that tie on every ORDER BY column in any order, and not the same order
    #: for every LIMIT page (MySQL manual, "LIMIT Query Optimization"): the double alternates.
    unstable_ties: bool = True
    #: A query with no ORDER BY has no defined order at all (SQL leaves it to the plan, which
    #: LIMIT can change): the double alternates unsorted lists too, so a connector that
    #: offset-pages a list without a sort order repeats and skips rows as on a real store.
    unsorted_order_varies: bool = True
    #: Called after each answered call with (method, path template): a test moves Magento on.
    after_call: list[Callable[[str, str], None]] = field(default_factory=list)
    #: Payment methods the store declares (`payment/<code>/model` in some module's config.xml):
    #: Magento_OfflinePayments' four (`OfflinePayments/etc/config.xml`) and Magento_Payment's `free`.
    payment_methods: set[str] = field(
        default_factory=lambda: {"checkmo", "banktransfer", "cashondelivery", "purchaseorder", "free"}
    )
    #: `cataloginventory/item_options/auto_return` ("Automatically Return Credit Memo Item to Stock").
    auto_return: bool = False
    #: Till_Pos (magento-module/Till_Pos) is installed: its routes answer (else 404, no route).
    till_pos: bool = False
    #: Called before a call's handler runs with (method, path template): Magento moving on while
    #: Till's call is on its way.
    before_call: list[Callable[[str, str], None]] = field(default_factory=list)
    #: Till_Pos's `till_pos_source_movement` rows: (movement, sku, source) -> quantity after.
    pos_movements: dict[tuple[str, str, str], Decimal] = field(default_factory=dict)

    #: Admin tokens issued: token -> expiry (the double's clock).
    tokens: dict[str, float] = field(default_factory=dict)
    searches: int = 0
    nonces: set[str] = field(default_factory=set)
    calls: list[tuple[str, str]] = field(default_factory=list)
    #: (method, path template) -> statuses to answer before doing the work (transient faults).
    fail_before: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    #: (method, path template) -> statuses to answer AFTER doing the work (a reply lost on the way).
    fail_after: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    websites: list[dict[str, Any]] = field(default_factory=list)
    store_groups: list[dict[str, Any]] = field(default_factory=list)
    store_views: list[dict[str, Any]] = field(default_factory=list)
    store_configs: list[dict[str, Any]] = field(default_factory=list)
    tax_classes: list[dict[str, Any]] = field(default_factory=list)
    tax_rates: list[dict[str, Any]] = field(default_factory=list)
    tax_rules: list[dict[str, Any]] = field(default_factory=list)
    customer_groups: list[dict[str, Any]] = field(default_factory=list)
    attributes: list[dict[str, Any]] = field(default_factory=list)
    attribute_sets: list[dict[str, Any]] = field(default_factory=list)
    set_members: dict[int, list[str]] = field(default_factory=dict)
    categories: list[dict[str, Any]] = field(default_factory=list)
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: dict[int, dict[str, Any]] = field(default_factory=dict)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    stocks: dict[int, dict[str, Any]] = field(default_factory=dict)
    links: list[dict[str, Any]] = field(default_factory=list)
    source_items: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    reservations: list[dict[str, Any]] = field(default_factory=list)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[int, dict[str, Any]] = field(default_factory=dict)
    shipments: dict[int, dict[str, Any]] = field(default_factory=dict)
    creditmemos: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: sales_order_tax and sales_order_tax_item rows (Tax/Model/Plugin/OrderSave).
    order_taxes: list[dict[str, Any]] = field(default_factory=list)
    order_tax_items: list[dict[str, Any]] = field(default_factory=list)
    #: Cart price rules as `RuleRepositoryInterface::getList` answers them, by rule id.
    sales_rules: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: `salesrule_coupon` rows as `CouponRepositoryInterface::getList` answers them, by coupon id.
    coupons: dict[int, dict[str, Any]] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    def __post_init__(self) -> None:
        self.acl = route_table() | till_pos_route_table()
        self.routes: list[tuple[str, str, re.Pattern[str], Handler]] = []
        for method, template, handler in self._declared():
            if (method, template) not in self.acl:
                raise AssertionError(f"the double serves {method} {template}, which Magento does not declare")
            pattern = re.compile(
                "^"
                + re.sub(r":([A-Za-z_]+)", r"(?P<\1>[^/]+)", re.escape(template).replace("\\:", ":"))
                + "$"
            )
            self.routes.append((method, template, pattern, handler))
        self.app = Starlette(
            routes=[Route("/rest/{path:path}", self._endpoint, methods=["GET", "POST", "PUT", "DELETE"])]
        )

    # --- time and auth ---------------------------------------------------------------------------

    def now(self) -> float:
        return time.time() + self.clock_offset

    def timestamp(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(self.now()))

    def at_least(self, version: str) -> bool:
        """True when the double's Magento release is `version` or later."""
        return _release(self.version) >= _release(version)

    def _caller_of(self, request: Request) -> set[str] | bool | None:
        """Who signs this request: the admin behind a bearer token (every resource), the
        integration behind an OAuth signature (its resources), or nobody. A bad signature or a
        dead token answers 401, as Magento's user contexts do (Webapi/Model/Authorization/
        OauthUserContext.php, JwtUserToken/Model/Reader.php)."""
        header = request.headers.get("authorization", "")
        if header.startswith("Bearer "):
            token = header[7:]
            if token == self.access_token:
                # 2.4.4+: an integration token is not a bearer token unless the store allows it.
                raise Fault(401, UNAUTHORIZED, {"resources": "bearer"})
            expires = self.tokens.get(token)
            if expires is None or self.now() >= expires:
                raise Fault(401, UNAUTHORIZED, {"resources": "token"})
            return True
        if header.startswith("OAuth "):
            self._check_oauth(request, header)
            return True if self.granted is None else set(self.granted)
        return None

    def _authorize(self, request: Request, acl: str) -> None:
        caller = self._caller_of(request) if request.headers.get("authorization") else None
        _caller.set(caller)
        if acl == "anonymous":
            return
        if caller is None or not self.allowed(acl):
            raise Fault(401, UNAUTHORIZED, {"resources": acl})

    def allowed(self, acl: str) -> bool:
        """Does the caller of the request being served hold this ACL resource?"""
        caller = _caller.get()
        return caller is True or (isinstance(caller, set) and acl in caller)

    def _check_oauth(self, request: Request, header: str) -> None:
        fields = dict(re.findall(r'(\w+)="([^"]*)"', header))
        oauth = {k: _unquote(v) for k, v in fields.items()}
        if oauth.get("oauth_signature_method") != "HMAC-SHA256":
            raise Fault(401, "Signature method %1 is not supported", [oauth.get("oauth_signature_method")])
        if (
            oauth.get("oauth_consumer_key") != self.consumer_key
            or oauth.get("oauth_token") != self.access_token
        ):
            raise Fault(401, "Consumer key has expired")
        if abs(self.now() - int(oauth.get("oauth_timestamp", "0"))) > 600 + abs(self.clock_offset):
            raise Fault(401, "Timestamp is out of range")
        nonce = oauth.get("oauth_nonce", "")
        if nonce in self.nonces:
            raise Fault(401, "The nonce is already being used by the consumer with ID %1", [1])
        self.nonces.add(nonce)
        params = [(k, v) for k, v in oauth.items() if k != "oauth_signature"]
        params += self.signed_query(request.scope.get("query_string", b"").decode("latin-1"))
        url = f"{request.url.scheme}://{request.url.netloc}{self.signed_path(_raw_path(request))}"
        pairs = sorted((_enc(k), _enc(v)) for k, v in params)
        base = "&".join((request.method.upper(), _enc(url), _enc("&".join(f"{k}={v}" for k, v in pairs))))
        key = f"{_enc(self.consumer_secret)}&{_enc(self.access_token_secret)}".encode()
        expected = base64.b64encode(hmac.new(key, base.encode(), hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(expected, oauth.get("oauth_signature", "")):
            raise Fault(401, BAD_SIGNATURE)

    def signed_query(self, raw: str) -> list[tuple[str, str]]:
        """The query parameters as Magento puts them in the base string.

        Framework/Oauth/Helper/Request.php `_extractQueryStringParams` splits the raw query on
        `&` and `=` (a pair with a second `=` is left out) and decodes each part. Up to 2.4.7 it
        uses `rawurldecode`, which keeps a `+` a plus (the copy at commit 06691e10; issues
        magento2#34896, #37278); the later copy (commit 0074c144) uses `urldecode`, `+` = space.
        """
        decode = unquote_plus if self.at_least("2.4.8") else unquote
        found: dict[str, str] = {}
        for pair in raw.split("&") if raw else []:
            data = pair.split("=")
            if len(data) == 2 and not re.search(r"oauth_[a-z_-]+", data[0]):
                found[decode(data[0])] = decode(data[1])
        return list(found.items())

    def signed_path(self, raw_path: str) -> str:
        """The request path as Magento puts it in the base string (before encoding it).

        - 2.4.4, 2.4.5: Framework/Oauth/Oauth.php signs with `Zend_Oauth_Http_Utility`
          (magento/zendframework1, commit 0bd0482b of the file), whose `normaliseBaseSignatureUrl`
          keeps the path as sent: `ABC%2F10` is signed as `ABC%252F10`, as RFC 5849 says.
        - 2.4.6, 2.4.7: laminas-oauth's `normaliseBaseSignatureUrl` calls Laminas\\Uri's
          `normalize()`, whose `normalizePath` decodes `%XX` of unreserved characters and of
          `: @ & = + $ , / ; %` before the path is encoded into the base string (laminas-uri
          src/Uri.php), so `ABC%2F10` is signed as `ABC%2F10` (magento2#37830, #37913).
        - 2.4.8: Framework/Oauth/Helper/Uri/Http.php (Copyright 2024) overrides `normalizePath`
          to decode unreserved characters only: the RFC form again.
        """
        if not self.at_least("2.4.6"):
            return raw_path
        allowed = _UNRESERVED if self.at_least("2.4.8") else _UNRESERVED + ":@&=+$,/;%"

        def decode(match: re.Match[str]) -> str:
            char = unquote(match.group(0))
            return char if char in allowed else match.group(0).upper()

        decoded = re.sub(r"%[0-9A-Fa-f]{2}", decode, raw_path)
        # Laminas\Uri\Uri::encodePath: what is not unreserved, a sub-delimiter or `:@/%` is encoded.
        return re.sub(
            r"[^A-Za-z0-9_\-.~)(:@&=+$,/;%!*']|%(?![0-9A-Fa-f]{2})",
            lambda m: quote(m.group(0), safe=""),
            decoded,
        )

    # --- dispatch --------------------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> Response:
        raw = _raw_path(request)
        rest_path = raw[len("/rest") :]
        # /rest/<store code>/V1/… or /rest/V1/…
        path = rest_path if rest_path.startswith("/V1/") else "/" + rest_path.split("/", 2)[-1]
        # PHP's own query parsing ($_GET, parse_str) decodes `+` as a space.
        query = parse_qsl(request.url.query, keep_blank_values=True)
        for method, template, pattern, handler in self.routes:
            match = pattern.match(path)
            if method != request.method or match is None:
                continue
            if template.startswith(TILL_POS_PREFIX) and not self.till_pos:
                continue  # the module is not installed: Magento knows no such route
            self.calls.append((method, template))
            try:
                self._authorize(request, self.acl[(method, template)])
                key = (method, template)
                if self.fail_before.get(key):
                    status = self.fail_before[key].pop(0)
                    return JSONResponse({"message": "Service temporarily unavailable"}, status_code=status)
                body = json.loads(await request.body() or b"null")
                if self.input_limits:
                    self._check_input_limits(body)
                for hook in list(self.before_call):
                    hook(method, template)
                # Path parameters reach the service decoded (Webapi/Controller/Rest/Router/Route.php
                # `match`; not verified in the index: the double decodes each segment once).
                params = {k: unquote(v) for k, v in match.groupdict().items()}
                result = handler(params, _nest(query), body)
                if self.fail_after.get(key):
                    status = self.fail_after[key].pop(0)
                    return JSONResponse({"message": "Gateway timeout"}, status_code=status)
                return Response(json.dumps(result, default=str), media_type="application/json")
            except Fault as fault:
                content: dict[str, Any] = {"message": fault.message}
                if fault.parameters is not None:
                    content["parameters"] = fault.parameters
                return JSONResponse(content, status_code=fault.status)
            finally:
                for hook in list(self.after_call):
                    hook(method, template)
        return JSONResponse({"message": f"Request does not match any route: {request.method} {path}"}, 404)

    def _check_input_limits(self, body: Any) -> None:
        """Framework/Webapi/Validator/EntityArrayValidator.php: with input limits on, an array of
        objects anywhere in the body holds at most `complex_array_limit` (20) items."""
        stack = [body]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                stack.extend(node.values())
            elif isinstance(node, list):
                if len(node) > self.input_list_limit and any(isinstance(i, dict) for i in node):
                    raise Fault(
                        400,
                        'Maximum items of type "%type" is %max',
                        {"type": "object", "max": self.input_list_limit},
                    )
                stack.extend(node)

    def _declared(self) -> list[tuple[str, str, Handler]]:
        s = self
        return [
            ("POST", "/V1/integration/admin/token", s.admin_token),
            ("POST", "/V1/tfa/provider/google/authenticate", s.google_authenticate),
            ("GET", "/V1/store/websites", lambda p, q, b: s.websites),
            ("GET", "/V1/store/storeGroups", lambda p, q, b: s.store_groups),
            ("GET", "/V1/store/storeViews", lambda p, q, b: s.store_views),
            ("GET", "/V1/store/storeConfigs", lambda p, q, b: s.store_configs),
            ("GET", "/V1/taxClasses/search", lambda p, q, b: s.search(s.tax_classes, q, TAX_CLASS_ORDERS)),
            ("GET", "/V1/taxRates/search", lambda p, q, b: s.search(s.tax_rates, q, TAX_RATE_ORDERS)),
            ("GET", "/V1/taxRules/search", lambda p, q, b: s.search(s.tax_rules, q, TAX_RULE_ORDERS)),
            (
                "GET",
                "/V1/customerGroups/search",
                lambda p, q, b: s.search(s.customer_groups, q, GROUP_ORDERS, default_order=("id", "ASC")),
            ),
            ("GET", "/V1/products/attributes", lambda p, q, b: s.search(s.attributes, q, ATTRIBUTE_ORDERS)),
            (
                "GET",
                "/V1/products/attribute-sets/sets/list",
                lambda p, q, b: s.search(s.attribute_sets, q, ATTRIBUTE_SET_ORDERS),
            ),
            ("GET", "/V1/products/attribute-sets/:attributeSetId/attributes", s.set_attributes),
            ("GET", "/V1/categories/list", lambda p, q, b: s.search(s.categories, q)),
            ("GET", "/V1/products", lambda p, q, b: s.search(list(s.products.values()), q)),
            ("GET", "/V1/products/:sku", s.product),
            ("GET", "/V1/customers/search", lambda p, q, b: s.search(list(s.customers.values()), q)),
            ("GET", "/V1/customers/:customerId", s.customer),
            ("POST", "/V1/customers", s.create_customer),
            (
                "GET",
                "/V1/inventory/sources",
                lambda p, q, b: s.search(list(s.sources.values()), q, SOURCE_ORDERS),
            ),
            (
                "GET",
                "/V1/inventory/stocks",
                lambda p, q, b: s.search(list(s.stocks.values()), q, STOCK_ORDERS),
            ),
            ("GET", "/V1/inventory/stock-source-links", lambda p, q, b: s.search(s.links, q, LINK_ORDERS)),
            ("GET", "/V1/inventory/source-items", lambda p, q, b: s.search(list(s.source_items.values()), q)),
            ("POST", "/V1/inventory/source-items", s.save_source_items),
            ("GET", "/V1/inventory/get-product-salable-quantity/:sku/:stockId", s.salable_route),
            ("GET", "/V1/orders", lambda p, q, b: s.search(list(s.orders.values()), q)),
            ("GET", "/V1/orders/:id", s.order),
            ("POST", "/V1/orders/", s.save_order),
            ("POST", "/V1/orders/:id/cancel", s.cancel),
            ("GET", "/V1/invoices", lambda p, q, b: s.search(list(s.invoices.values()), q)),
            ("POST", "/V1/order/:orderId/invoice", s.invoice),
            ("POST", "/V1/order/:orderId/ship", s.ship),
            ("GET", "/V1/creditmemos", lambda p, q, b: s.search(list(s.creditmemos.values()), q)),
            ("POST", "/V1/order/:orderId/refund", s.refund),
            ("GET", "/V1/salesRules/search", lambda p, q, b: s.search(list(s.sales_rules.values()), q)),
            ("GET", "/V1/coupons/search", lambda p, q, b: s.search(list(s.coupons.values()), q)),
            ("PUT", "/V1/coupons/:couponId", s.save_coupon),
            # Till_Pos, the companion module (magento-module/Till_Pos/etc/webapi.xml).
            ("GET", "/V1/till-pos/capabilities", lambda p, q, b: list(TILL_POS_FEATURES)),
            ("POST", "/V1/till-pos/orders", s.pos_place_order),
            ("POST", "/V1/till-pos/source-items/adjust", s.pos_adjust_source_items),
        ]

    # --- searchCriteria --------------------------------------------------------------------------

    def search(
        self,
        items: list[dict[str, Any]],
        query: dict[str, Any],
        orders: Mapping[str, str] | None = None,
        *,
        default_order: tuple[str, str] | None = None,
    ) -> dict[str, Any]:
        """A getList. `orders` maps each sort field the repository can ORDER BY to the item's
        field (None: any field, as the item names it); `default_order` is the repository's
        SortingProcessor `defaultOrders`, applied when the criteria name no sort order."""
        criteria = query.get("searchCriteria") or {}
        self.searches += 1
        sort_orders = _listed(criteria.get("sortOrders"))
        if not sort_orders and default_order:
            sort_orders = [{"field": default_order[0], "direction": default_order[1]}]
        # Rows that tie on every sort column come back in no fixed order (a sorted LIMIT query
        # sorts unstably): the double alternates their order per call. Unsorted: key order,
        # unless `unsorted_order_varies`.
        varies = (sort_orders and self.unstable_ties) or self.unsorted_order_varies
        unstable = varies and self.searches % 2
        selected = list(reversed(items)) if unstable else list(items)
        for group in _listed(criteria.get("filter_groups")):
            filters = _listed(group.get("filters"))
            selected = [i for i in selected if any(_matches(i, f) for f in filters)]
        for order in reversed(sort_orders):
            name = order.get("field", "")
            if orders is not None:
                if name not in orders:
                    # The SortingProcessor hands the field (through its fieldMapping) to
                    # AbstractDb::addOrder, rendered as `ORDER BY <field>` unchecked
                    # (Framework/Data/Collection/AbstractDb.php `_renderOrders`): MySQL refuses an
                    # unknown column and Webapi/ErrorProcessor.php masks the PDO error as a 500.
                    raise Fault(
                        500,
                        "Internal Error. Details are available in Magento log file. Report ID: %1",
                        ["webapi-3"],
                    )
                name = orders[name]
            selected.sort(
                key=lambda i, n=name: _sort_key(_value(i, n)), reverse=order.get("direction") == "DESC"
            )
        total = len(selected)
        size = int(criteria.get("pageSize") or 0)
        if self.input_limits:
            # Framework/Webapi/Validator/SearchCriteriaValidator.php, and the default page size
            # set when none is asked for (Framework/Webapi/ServiceInputProcessor.php).
            if size > self.max_page_size:
                raise Fault(400, "Maximum SearchCriteria pageSize is %max", {"max": self.max_page_size})
            size = size or self.default_page_size
        page = int(criteria.get("currentPage") or 1)
        if size:
            # Collection::getCurPage(): a page past the end is the last page.
            last = max(1, math.ceil(total / size))
            page = min(max(page, 1), last)
            selected = selected[(page - 1) * size : page * size]
        return {"items": selected, "search_criteria": criteria, "total_count": total}

    # --- handlers --------------------------------------------------------------------------------

    def _admin_credentials(self, body: Any) -> None:
        if (body or {}).get("username") != self.admin_username or body.get("password") != self.admin_password:
            raise Fault(
                401,
                "The account sign-in was incorrect or your account is disabled temporarily. "
                "Please wait and try again later.",
            )

    def admin_token(self, _p: dict[str, str], _q: dict[str, Any], body: Any) -> str:
        """AdminTokenServiceInterface::createAdminAccessToken. With Magento_TwoFactorAuth on, its
        preference TwoFactorAuth/Model/AdminAccessTokenService.php checks the password, then
        refuses every admin (a LocalizedException: 400): one with 2FA configured is sent to the
        provider endpoints, one without is asked to configure it."""
        self._admin_credentials(body)
        if self.two_factor:
            if self.admin_totp_secret:
                raise Fault(400, "Please use the 2fa provider-specific endpoints to obtain a token.")
            raise Fault(
                400,
                "You are required to configure personal Two-Factor Authorization in order to login. "
                "Please check your email.",
            )
        return self._issue_admin_token()

    def google_authenticate(self, _p: dict[str, str], _q: dict[str, Any], body: Any) -> str:
        """POST /V1/tfa/provider/google/authenticate: the password, then the user's Google
        Authenticator code (TwoFactorAuth/Model/Provider/Engine/Google/Authenticate.php)."""
        self._admin_credentials(body)
        if not self.admin_totp_secret:
            raise Fault(401, "Provider is not allowed.")
        if not pyotp.TOTP(self.admin_totp_secret).verify(str(body.get("otp") or ""), valid_window=1):
            raise Fault(401, "Invalid code.")
        return self._issue_admin_token()

    def _issue_admin_token(self) -> str:
        """A JWT (2.4.4+, JwtUserToken/Model/Issuer.php) whose `exp` is `admin_expiration`
        minutes away (JwtUserToken/etc/config.xml: 60)."""
        issued = int(self.now())
        expires = issued + int(self.admin_token_minutes * 60)
        header = _b64({"alg": "HS256", "typ": "JWT", "kid": "1"})
        claims = _b64({"uid": 1, "utypid": 2, "iat": issued, "exp": expires, "jti": secrets.token_hex(8)})
        signature = base64.urlsafe_b64encode(
            hmac.new(self.consumer_secret.encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest()
        )
        token = f"{header}.{claims}.{signature.decode().rstrip('=')}"
        self.tokens[token] = float(expires)
        return token

    def set_attributes(self, p: dict[str, str], _q: dict[str, Any], _b: Any) -> list[dict[str, Any]]:
        codes = self.set_members.get(int(p["attributeSetId"]))
        if codes is None:
            raise Fault(
                404,
                "No such entity with %fieldName = %fieldValue",
                {"fieldName": "id", "fieldValue": p["attributeSetId"]},
            )
        return [a for a in self.attributes if a["attribute_code"] in codes]

    def product(self, p: dict[str, str], _q: dict[str, Any], _b: Any) -> dict[str, Any]:
        found = self.products.get(p["sku"])
        if found is None:
            raise Fault(
                404, "The product that was requested doesn't exist. Verify the product and try again."
            )
        return found

    def customer(self, p: dict[str, str], _q: dict[str, Any], _b: Any) -> dict[str, Any]:
        found = self.customers.get(int(p["customerId"]))
        if found is None:
            raise Fault(
                404,
                "No such entity with %fieldName = %fieldValue",
                {"fieldName": "customerId", "fieldValue": p["customerId"]},
            )
        return found

    def create_customer(self, _p: dict[str, str], _q: dict[str, Any], body: Any) -> dict[str, Any]:
        """AccountManagementInterface::createAccount, anonymous in webapi.xml; on REST its
        preference Customer/Model/AccountManagementApi.php `validateCustomerRequest` refuses a
        `group_id` unless the caller holds Magento_Customer::manage, before anything else."""
        data = dict((body or {}).get("customer") or {})
        if data.get("group_id") is not None and not self.allowed("Magento_Customer::manage"):
            raise Fault(401, UNAUTHORIZED, {"resources": "Magento_Customer::manage"})
        if not data.get("email") or not data.get("firstname") or not data.get("lastname"):
            raise Fault(400, '"%fieldName" is required. Enter and try again.', {"fieldName": "email"})
        website = int(data.get("website_id") or 1)
        if any(
            c["email"].lower() == data["email"].lower() and c["website_id"] == website
            for c in self.customers.values()
        ):
            raise Fault(
                400, "A customer with the same email address already exists in an associated website."
            )
        return self.add_customer(data)

    def add_customer(self, data: dict[str, Any]) -> dict[str, Any]:
        customer_id = next(self.ids)
        stamp = self.timestamp()
        customer = {
            "id": customer_id,
            "group_id": int(data.get("group_id") or 1),
            "email": data["email"],
            "firstname": data["firstname"],
            "lastname": data["lastname"],
            "website_id": int(data.get("website_id") or 1),
            "store_id": int(data.get("store_id") or 1),
            "created_at": stamp,
            "updated_at": stamp,
            "addresses": data.get("addresses") or [],
        }
        self.customers[customer_id] = customer
        return customer

    def save_source_items(self, _p: dict[str, str], _q: dict[str, Any], body: Any) -> list[Any]:
        for item in (body or {}).get("sourceItems") or []:
            if item["source_code"] not in self.sources:
                raise Fault(400, "Validation Failed")
            self.source_items[(item["sku"], item["source_code"])] = {
                "sku": item["sku"],
                "source_code": item["source_code"],
                "quantity": float(item["quantity"]),
                "status": int(item["status"]),
            }
        return []

    def salable_route(self, p: dict[str, str], _q: dict[str, Any], _b: Any) -> float:
        return float(self.salable(p["sku"], int(p["stockId"])))

    # --- MSI arithmetic --------------------------------------------------------------------------

    def salable(self, sku: str, stock_id: int) -> Decimal:
        """GetProductSalableQty: in-stock quantities of enabled linked sources + reservations."""
        linked = {link["source_code"] for link in self.links if link["stock_id"] == stock_id}
        enabled = {code for code in linked if self.sources[code].get("enabled", True)}
        items = [
            i
            for (s, code), i in self.source_items.items()
            if s == sku and code in enabled and i["status"] == 1
        ]
        if not items:
            return Decimal(0)
        on_hand = sum((Decimal(str(i["quantity"])) for i in items), Decimal(0))
        reserved = sum(
            (
                Decimal(str(r["quantity"]))
                for r in self.reservations
                if r["sku"] == sku and r["stock_id"] == stock_id
            ),
            Decimal(0),
        )
        return on_hand + reserved

    def website_stock(self, store_id: int) -> int:
        website = next((v["website_id"] for v in self.store_views if v["id"] == store_id), 1)
        code = next((w["code"] for w in self.websites if w["id"] == website), "base")
        for stock in self.stocks.values():
            channels = (stock.get("extension_attributes") or {}).get("sales_channels") or []
            if any(c["type"] == "website" and c["code"] == code for c in channels):
                return int(stock["stock_id"])
        return 1

    def reserve(self, stock_id: int, sku: str, qty: Decimal, event: str, order: dict[str, Any]) -> None:
        self.reservations.append(
            {
                "stock_id": stock_id,
                "sku": sku,
                "quantity": qty,
                "metadata": json.dumps(
                    {
                        "event_type": event,
                        "object_type": "order",
                        "object_id": str(order["entity_id"]),
                        "object_increment_id": order["increment_id"],
                    }
                ),
            }
        )

    def mass_update_attributes(self, skus: list[str], values: dict[str, Any]) -> None:
        """Catalog > Products > Update attributes (Catalog/Model/Product/Action.php
        `updateAttributes`): the values are written straight into the EAV tables and the
        products' `updated_at` is left as it was (magento2#37980, confirmed on 2.4.6-p2)."""
        for sku in skus:
            product = self.products[sku]
            for code, value in values.items():
                if code in product:
                    product[code] = value
                    continue
                custom = [a for a in product["custom_attributes"] if a["attribute_code"] != code]
                product["custom_attributes"] = [*custom, {"attribute_code": code, "value": value}]

    def place_web_order(self, lines: list[tuple[str, Decimal]], store_id: int = 1) -> dict[str, Any]:
        """What checkout on the web store does (quote submit -> OrderManagement::place): check
        salable quantity, save the order, append −qty reservations."""
        stock_id = self.website_stock(store_id)
        for sku, qty in lines:
            if self.salable(sku, stock_id) < qty:
                raise Fault(400, "The requested qty is not available")
        items = [
            {
                "sku": sku,
                "name": self.products[sku]["name"],
                "qty_ordered": float(qty),
                "price": self.products[sku]["price"],
                "row_total": float(Decimal(str(self.products[sku]["price"])) * qty),
                "tax_amount": 0,
                "discount_amount": 0,
                "product_type": "simple",
            }
            for sku, qty in lines
        ]
        grand = sum((Decimal(str(i["row_total"])) for i in items), Decimal(0))
        order = self._store_order(
            {
                "store_id": store_id,
                "items": items,
                "grand_total": float(grand),
                "subtotal": float(grand),
                "customer_email": "web@example.com",
                "customer_is_guest": 1,
                "billing_address": {"firstname": "Web", "lastname": "Shopper"},
                "payment": {"method": "checkmo"},
            }
        )
        for sku, qty in lines:
            self.reserve(stock_id, sku, -qty, "order_placed", order)
        return order

    # --- sales -----------------------------------------------------------------------------------

    def order(self, p: dict[str, str], _q: dict[str, Any], _b: Any) -> dict[str, Any]:
        found = self.orders.get(int(p["id"]))
        if found is None:
            raise Fault(404, "The entity that was requested doesn't exist. Verify the entity and try again.")
        return found

    def save_order(self, _p: dict[str, str], _q: dict[str, Any], body: Any) -> dict[str, Any]:
        """OrderRepositoryInterface::save: stores the order as given. No reservation, no stock check."""
        entity = dict((body or {}).get("entity") or {})
        if not entity.get("items"):
            raise Fault(400, "Please specify order items.")
        if not (entity.get("payment") or {}).get("method"):
            raise Fault(400, "The payment method you requested is not available.")
        if not entity.get("billing_address"):
            raise Fault(400, "Please check the billing address information.")
        store_id = int(entity.get("store_id") or 1)
        if entity.get("increment_id") and any(
            o["increment_id"] == entity["increment_id"] and o["store_id"] == store_id
            for o in self.orders.values()
        ):
            raise Fault(400, "Unique constraint violation found")
        return self._store_order(entity)

    def _store_order(self, entity: dict[str, Any]) -> dict[str, Any]:
        order_id = next(self.ids)
        stamp = self.timestamp()
        order = {
            **entity,
            "entity_id": order_id,
            "increment_id": entity.get("increment_id") or f"{order_id:09d}",
            "store_id": int(entity.get("store_id") or 1),
            "state": "new",
            "status": "pending",
            "created_at": entity.get("created_at") or stamp,
            "updated_at": stamp,
            "total_paid": 0,
            "total_refunded": 0,
            "items": [],
        }
        order["billing_address"] = _address_columns(entity.get("billing_address") or {})
        ext = dict(entity.get("extension_attributes") or {})
        assignments = ext.get("shipping_assignments") or []
        if not int(entity.get("is_virtual") or 0) and assignments:
            # Sales/Model/OrderRepository::save: a non-virtual order takes its shipping address
            # and method from the first shipping assignment.
            shipping = assignments[0].get("shipping") or {}
            if shipping.get("address"):
                order["shipping_address"] = _address_columns(shipping["address"])
            order["shipping_method"] = shipping.get("method")
        order["extension_attributes"] = {
            k: v for k, v in ext.items() if k in ("shipping_assignments", "pickup_location_code")
        }
        for raw in entity["items"]:
            item = {
                **raw,
                "item_id": next(self.ids),
                "order_id": order_id,
                "qty_invoiced": 0,
                # Typed as the interface declares (float), as Magento's input processor casts them.
                "qty_ordered": float(raw.get("qty_ordered") or 0),
                # The repository saves the item as given: an order can arrive already handed over.
                "qty_shipped": float(raw.get("qty_shipped") or 0),
                "qty_refunded": 0,
                "qty_canceled": 0,
                "amount_refunded": 0,
                "tax_refunded": 0,
                "discount_refunded": 0,
                "row_refunded": 0,
            }
            order["items"].append(item)
        self.orders[order_id] = order
        self._save_order_tax(order, ext)
        return order

    def _save_order_tax(self, order: dict[str, Any], ext: dict[str, Any]) -> None:
        """Tax/Model/Plugin/OrderSave::afterSave (on OrderRepositoryInterface::save): only with
        `converting_from_quote`, a sales_order_tax row per applied tax and rate, and a
        sales_order_tax_item row per item tax of that rate code, the item found by its quote
        item id (`getItemByQuoteItemId(...)->getId()`: a fatal error, 500, when none has it)."""
        if not ext.get("converting_from_quote"):
            return
        by_quote_item = {
            i.get("quote_item_id"): i for i in order["items"] if i.get("quote_item_id") is not None
        }
        item_taxes = []
        for entry in ext.get("item_applied_taxes") or []:
            for applied in entry.get("applied_taxes") or []:
                for rate in (applied.get("extension_attributes") or {}).get("rates") or []:
                    item_taxes.append((entry, applied, rate))
        for row in ext.get("applied_taxes") or []:
            for rate in (row.get("extension_attributes") or {}).get("rates") or []:
                percent, rate_percent = Decimal(str(row.get("percent") or 0)), Decimal(str(rate["percent"]))
                if row.get("percent") is not None and (percent == 0 or rate_percent == 0):
                    continue
                base = Decimal(str(row["base_amount"]))
                tax_id = next(self.ids)
                self.order_taxes.append(
                    {
                        "tax_id": tax_id,
                        "order_id": order["entity_id"],
                        "code": rate["code"],
                        "title": rate.get("title"),
                        "percent": rate_percent,
                        "amount": Decimal(str(row["amount"])),
                        "base_amount": base,
                        "base_real_amount": base
                        if row.get("percent") is None
                        else base / percent * rate_percent,
                    }
                )
                for entry, applied, item_rate in item_taxes:
                    if item_rate["code"] != rate["code"]:
                        continue
                    item = by_quote_item.get(entry.get("item_id"))
                    if item is None:
                        raise Fault(
                            500,
                            "Internal Error. Details are available in Magento log file. Report ID: %1",
                            ["webapi-2"],
                        )
                    self.order_tax_items.append(
                        {
                            "item_id": item["item_id"],
                            "tax_id": tax_id,
                            "tax_percent": Decimal(str(applied["percent"])),
                            "amount": Decimal(str(applied["amount"])),
                            "base_amount": Decimal(str(applied["base_amount"])),
                            "taxable_item_type": entry.get("type"),
                        }
                    )

    # --- reports (what a merchant reads in Reports > Sales) -----------------------------------

    def sales_report(self) -> Decimal:
        """Reports > Sales > Orders, "Total Income": Sales/Model/ResourceModel/Report/Order/
        Createdat.php, SUM((base_grand_total − base_total_canceled) × IFNULL(base_to_global_rate, 0))
        over orders not in state `pending_payment` or `new`."""
        return sum(
            (
                (
                    Decimal(str(o.get("base_grand_total") or 0))
                    - Decimal(str(o.get("base_total_canceled") or 0))
                )
                * Decimal(str(o.get("base_to_global_rate") or 0))
                for o in self.orders.values()
                if o["state"] not in ("pending_payment", "new")
            ),
            Decimal(0),
        )

    def tax_report(self) -> dict[tuple[str, Decimal], Decimal]:
        """Reports > Sales > Tax: Tax/Model/ResourceModel/Report/Tax/Createdat.php,
        SUM(base_real_amount × base_to_global_rate) by code and percent, same order states."""
        report: dict[tuple[str, Decimal], Decimal] = {}
        for tax in self.order_taxes:
            order = self.orders[tax["order_id"]]
            if order["state"] in ("pending_payment", "new"):
                continue
            key = (tax["code"], tax["percent"])
            rate = Decimal(str(order.get("base_to_global_rate") or 0))
            report[key] = report.get(key, Decimal(0)) + tax["base_real_amount"] * rate
        return {k: v.quantize(CENT) for k, v in report.items()}

    def _order_or_404(self, order_id: str) -> dict[str, Any]:
        order = self.orders.get(int(order_id))
        if order is None:
            raise Fault(404, "The entity that was requested doesn't exist. Verify the entity and try again.")
        return order

    def _settle_state(self, order: dict[str, Any]) -> None:
        items = order["items"]
        if all(
            Decimal(str(i["qty_refunded"])) + Decimal(str(i["qty_canceled"]))
            >= Decimal(str(i["qty_ordered"]))
            for i in items
        ):
            order["state"] = order["status"] = (
                "closed" if any(i["qty_refunded"] for i in items) else "canceled"
            )
        elif all(Decimal(str(i["qty_invoiced"])) >= Decimal(str(i["qty_ordered"])) for i in items) and all(
            Decimal(str(i["qty_shipped"])) + Decimal(str(i["qty_refunded"])) >= Decimal(str(i["qty_ordered"]))
            for i in items
        ):
            order["state"] = order["status"] = "complete"
        elif any(i["qty_invoiced"] or i["qty_shipped"] for i in items):
            order["state"] = order["status"] = "processing"
        order["updated_at"] = self.timestamp()

    def invoice(self, p: dict[str, str], _q: dict[str, Any], body: Any) -> int:
        order = self._order_or_404(p["orderId"])
        if order["state"] in ("canceled", "complete", "closed") or all(
            Decimal(str(i["qty_invoiced"])) >= Decimal(str(i["qty_ordered"])) for i in order["items"]
        ):
            raise Fault(400, "The order does not allow an invoice to be created.")
        method = (order.get("payment") or {}).get("method")
        if method not in self.payment_methods:
            # Payment/Helper/Data.php getMethodInstance: "Payment model name is not provided in
            # config!" (an UnexpectedValueException, so the Webapi ErrorProcessor masks it as a 500
            # in production mode). OrderRepository::save stored the code without looking at it.
            raise Fault(
                500, "Internal Error. Details are available in Magento log file. Report ID: %1", ["webapi-1"]
            )
        invoice_id = next(self.ids)
        for item in order["items"]:
            item["qty_invoiced"] = item["qty_ordered"]
        order["total_paid"] = order["grand_total"]
        order["total_invoiced"] = order["grand_total"]
        self.invoices[invoice_id] = {
            "entity_id": invoice_id,
            "order_id": order["entity_id"],
            "grand_total": order["grand_total"],
            "state": 2 if (body or {}).get("capture") else 1,
        }
        # MSI 1.2.7 InventoryShipping/Observer/VirtualSourceDeductionProcessor (on
        # sales_order_invoice_save_after): virtual items are deducted from the sources the source
        # selection picks, and a compensating +qty `invoice_created` reservation is appended.
        stock_id = self.website_stock(order["store_id"])
        for item in order["items"]:
            if int(item.get("is_virtual") or 0):
                # Kept per source, as GetInvoicedItemsPerSourceByPriority finds them for a refund.
                deducted = self._source_selection_deduct(
                    stock_id,
                    item["sku"],
                    Decimal(str(item["qty_ordered"])),
                    item.setdefault("shipped_from", {}),
                )
                if deducted > 0:
                    self.reserve(stock_id, item["sku"], deducted, "invoice_created", order)
        self._settle_state(order)
        return invoice_id

    def ship(self, p: dict[str, str], _q: dict[str, Any], body: Any) -> int:
        """ShipOrder + MSI's SourceDeductionProcessor: deduct the source, compensate +qty."""
        order = self._order_or_404(p["orderId"])
        source = ((body or {}).get("arguments") or {}).get("extension_attributes", {}).get(
            "source_code"
        ) or "default"
        to_ship = [
            (
                i,
                Decimal(str(i["qty_ordered"]))
                - Decimal(str(i["qty_shipped"]))
                - Decimal(str(i["qty_refunded"])),
            )
            for i in order["items"]
        ]
        to_ship = [(i, q) for i, q in to_ship if q > 0]
        if not to_ship:
            raise Fault(
                400,
                "Shipment Document Validation Error(s):\nThe order does not allow a shipment to be created.",
            )
        for item, qty in to_ship:
            stored = self.source_items.get((item["sku"], source))
            if stored is None or Decimal(str(stored["quantity"])) < qty:
                raise Fault(400, "Not all of your products are available in the requested quantity.")
        shipment_id = next(self.ids)
        stock_id = self.website_stock(order["store_id"])
        for item, qty in to_ship:
            stored = self.source_items[(item["sku"], source)]
            stored["quantity"] = float(Decimal(str(stored["quantity"])) - qty)
            item["qty_shipped"] = float(Decimal(str(item["qty_shipped"])) + qty)
            item.setdefault("shipped_from", {})[source] = float(qty)
            self.reserve(stock_id, item["sku"], qty, "shipment_created", order)
        self.shipments[shipment_id] = {
            "entity_id": shipment_id,
            "order_id": order["entity_id"],
            "source_code": source,
        }
        self._settle_state(order)
        return shipment_id

    def cancel(self, p: dict[str, str], _q: dict[str, Any], _b: Any) -> bool:
        order = self._order_or_404(p["id"])
        if order["state"] in ("canceled", "complete", "closed"):
            return False
        stock_id = self.website_stock(order["store_id"])
        for item in order["items"]:
            open_qty = Decimal(str(item["qty_ordered"])) - Decimal(str(item["qty_invoiced"]))
            if open_qty > 0:
                item["qty_canceled"] = float(open_qty)
                self.reserve(stock_id, item["sku"], open_qty, "order_canceled", order)
        self._settle_state(order)
        return True

    def refund(self, p: dict[str, str], _q: dict[str, Any], body: Any) -> int:
        """RefundOrder: a credit memo of invoiced units; amounts shared over the units left,
        the last units take what is left; return to stock as MSI's ReturnProcessor."""
        order = self._order_or_404(p["orderId"])
        body = body or {}
        by_id = {int(i["item_id"]): i for i in order["items"]}
        requested = [(int(r["order_item_id"]), Decimal(str(r["qty"]))) for r in body.get("items") or []]
        # Sales/Model/Order/CreditmemoFactory `getQtyToRefund`: a configurable's child is a dummy
        # item, refunded with its parent's quantity (`calculateProductOptions`), a line of its own.
        asked = {item_id for item_id, _ in requested}
        requested += [
            (int(child["item_id"]), qty)
            for parent_id, qty in list(requested)
            for child in order["items"]
            if child.get("parent_item_id") == parent_id and int(child["item_id"]) not in asked
        ]
        if not requested:
            raise Fault(
                400,
                "Creditmemo Document Validation Error(s):\nYou can't create a creditmemo without products.",
            )
        args = body.get("arguments") or {}
        back_to_stock = {
            int(i) for i in (args.get("extension_attributes") or {}).get("return_to_stock_items") or []
        }
        # SalesInventory/Model/Order/ReturnValidator.php (OrderRefundCreationArguments validation).
        for returned_id in sorted(back_to_stock):
            if returned_id not in by_id:
                raise Fault(
                    400,
                    "Creditmemo Document Validation Error(s):\nThe return to stock argument contains "
                    "product item that is not part of the original order.",
                )
            if returned_id not in {item_id for item_id, _ in requested}:
                raise Fault(
                    400,
                    'Creditmemo Document Validation Error(s):\nThe "%1" product is not part of the '
                    "current creditmemo.",
                    [by_id[returned_id]["sku"]],
                )
        memo_items = []
        memo_lines: list[tuple[dict[str, Any], Decimal, Decimal]] = []
        subtotal = tax = discount = Decimal(0)
        for item_id, qty in requested:
            item = by_id.get(item_id)
            if item is None:
                raise Fault(
                    400,
                    "Creditmemo Document Validation Error(s):\n"
                    "The creditmemo contains product item that is not part of the original order.",
                )
            ordered = Decimal(str(item["qty_ordered"]))
            left = Decimal(str(item["qty_invoiced"])) - Decimal(str(item["qty_refunded"]))
            if qty > left:
                raise Fault(
                    400,
                    "Creditmemo Document Validation Error(s):\nThe quantity to creditmemo must not be "
                    'greater than the unrefunded quantity for product SKU "%1".',
                    [item["sku"]],
                )
            last = qty == ordered - Decimal(str(item["qty_refunded"]))
            shares = {}
            for name, refunded in (
                ("row_total", "row_refunded"),
                ("tax_amount", "tax_refunded"),
                ("discount_amount", "discount_refunded"),
            ):
                remaining = money(item.get(name) or 0) - money(item[refunded])
                units = ordered - Decimal(str(item["qty_refunded"]))
                shares[name] = remaining if last else money(remaining * qty / units)
                item[refunded] = float(money(item[refunded]) + shares[name])
            item["qty_refunded"] = float(Decimal(str(item["qty_refunded"])) + qty)
            subtotal += shares["row_total"]
            tax += shares["tax_amount"]
            discount += shares["discount_amount"]
            memo_items.append(
                {
                    "order_item_id": item_id,
                    "sku": item["sku"],
                    "qty": float(qty),
                    "row_total": float(shares["row_total"]),
                    "tax_amount": float(shares["tax_amount"]),
                    "discount_amount": float(shares["discount_amount"]),
                }
            )
            memo_lines.append((item, qty, Decimal(str(item["qty_refunded"])) - qty))
        grand = (
            subtotal
            + tax
            - discount
            + money(args.get("adjustment_positive") or 0)
            - money(args.get("adjustment_negative") or 0)
        )
        memo_id = next(self.ids)
        comment = (body.get("comment") or {}).get("comment")
        self.creditmemos[memo_id] = {
            "entity_id": memo_id,
            "order_id": order["entity_id"],
            "subtotal": float(subtotal),
            "tax_amount": float(tax),
            "discount_amount": float(-discount),
            "grand_total": float(grand),
            "items": memo_items,
            "comments": [{"comment": comment}] if comment else [],
        }
        order["total_refunded"] = float(money(order["total_refunded"]) + grand)
        # CreditmemoRepository::save, wrapped by MSI's DeductSourceItemQuantityOnRefundPlugin
        # (InventorySales/etc/di.xml: plugin `deduct_source_item_quantity_on_refund`).
        self._deduct_on_refund(order, memo_lines, back_to_stock)
        # Then SalesInventory/Model/Plugin/Order/ReturnToStockOrder::afterExecute (2.2+): with
        # auto-return on or return_to_stock_items given, MSI's ReturnProcessor runs over the listed
        # items, or every item when `$isAutoReturn` (ProcessReturnQtyOnCreditMemoPlugin). On REST
        # auto-return marks nothing back to stock, so the deduction above has run for those too.
        returned = [r for r in memo_lines if self.auto_return or int(r[0]["item_id"]) in back_to_stock]
        self._return_to_stock(order, returned)
        self._settle_state(order)
        return memo_id

    def _deduct_on_refund(
        self,
        order: dict[str, Any],
        refunded: list[tuple[dict[str, Any], Decimal, Decimal]],
        back_to_stock: set[int],
    ) -> None:
        """MSI 1.2.7 `InventorySales/Plugin/Sales/OrderManagement/DeductSourceItemQuantityOnRefundPlugin`
        (`aroundSave` of a new credit memo): every item with qty > 0, not back to stock
        (`isValidItem`: `!$item->getBackToStock() && !$orderItem->getIsVirtual()`, and a product
        type with source items) is deducted from the sources the source selection algorithm picks
        (`Model/ReturnProcessor/GetSourceSelectionResultFromCreditMemoItems`: only what no
        shipment already took), then `DeductSourceItemQuantityOnRefund::placeCompensatingReservation`
        appends +qty: a reservation no order placement ever offsets."""
        stock_id = self.website_stock(order["store_id"])
        for item, qty, refunded_before in refunded:
            if int(item["item_id"]) in back_to_stock:
                continue  # back_to_stock: SalesInventory CreditmemoDocumentFactoryPlugin
            if qty <= 0 or item.get("is_virtual") or item.get("product_type") not in (None, "simple"):
                continue
            processed = Decimal(str(item["qty_invoiced"])) - refunded_before - _shipped(item)
            back = qty - processed if processed > 0 else qty
            to_source = qty - back if back > 0 else qty
            deducted = self._source_selection_deduct(stock_id, item["sku"], to_source)
            if deducted > 0:
                self.reserve(stock_id, item["sku"], deducted, "creditmemo_created", order)

    def _source_selection_deduct(
        self, stock_id: int, sku: str, qty: Decimal, taken_from: dict[str, float] | None = None
    ) -> Decimal:
        """MSI's priority source selection (`InventorySourceSelection/Model/Algorithms/
        PriorityBasedAlgorithm`): the stock's enabled sources by priority, each giving what it
        holds; `SourceDeductionService` then lowers each chosen source item. Returns the total."""
        links = sorted(
            (link for link in self.links if link["stock_id"] == stock_id),
            key=lambda link: int(link["priority"]),
        )
        left, taken = qty, Decimal(0)
        for link in links:
            if left <= 0 or not self.sources[link["source_code"]].get("enabled", True):
                continue
            stored = self.source_items.get((sku, link["source_code"]))
            if stored is None or stored["status"] != 1 or Decimal(str(stored["quantity"])) <= 0:
                continue
            take = min(Decimal(str(stored["quantity"])), left)
            stored["quantity"] = float(Decimal(str(stored["quantity"])) - take)
            left -= take
            taken += take
            if taken_from is not None:
                code = link["source_code"]
                taken_from[code] = float(Decimal(str(taken_from.get(code, 0))) + take)
        return taken

    def _return_to_stock(
        self, order: dict[str, Any], returned: list[tuple[dict[str, Any], Decimal, Decimal]]
    ) -> None:
        """MSI 1.2.7 `InventorySales/Model/ReturnProcessor/ProcessRefundItems` (reached through
        `Plugin/SalesInventory/ProcessReturnQtyOnCreditMemoPlugin`, every item when
        `$isAutoReturn`): units a shipment took go back to that source; the rest
        (`$qtyBackToStock`, all of it for an order never shipped) become a +qty
        `creditmemo_created` reservation."""
        stock_id = self.website_stock(order["store_id"])
        for item, qty, refunded_before in returned:
            if item.get("product_type") in ("configurable", "bundle"):
                # `isValidItem`: no source items for these types (their children carry the stock).
                continue
            processed = Decimal(str(item["qty_invoiced"])) - refunded_before - _shipped(item)
            to_source = qty - processed if processed > 0 else qty
            to_stock = qty - to_source if to_source > 0 else qty
            if to_stock > 0:
                self.reserve(stock_id, item["sku"], to_stock, "creditmemo_created", order)
            for source, shipped in (item.get("shipped_from") or {}).items():
                if to_source <= 0:
                    break
                back = min(Decimal(str(shipped)), to_source)
                stored = self.source_items[(item["sku"], source)]
                stored["quantity"] = float(Decimal(str(stored["quantity"])) + back)
                to_source -= back

    #: sales_order_address's columns (Sales/etc/db_schema.xml): what a saved address keeps. A key with
    #: a setter but no column, such as `region_code`, is accepted and dropped.

    # --- Till_Pos, the companion module ------------------------------------------------------------

    def pos_place_order(self, _p: dict[str, str], _q: dict[str, Any], body: Any) -> dict[str, Any]:
        """Till_Pos `Model/PosOrder::place`: `ItemLinks::plan` checks the links and puts each
        parent just before its child; the order is saved through the repository (`save_order`),
        which saves items in that order (`Sales/Model/ResourceModel/Order/Relation::processRelation`),
        and `Sales/Model/Order/Item::beforeSave` copies the saved parent's id into the child's
        `parent_item_id`. The parent's `product_options` get the chosen variant
        (`ItemLinks::productOptions`)."""
        body = body or {}
        entity = dict(body.get("entity") or {})
        items = list(entity.get("items") or [])
        links = [
            (int(link["child_quote_item_id"]), int(link["parent_quote_item_id"]))
            for link in body.get("links") or []
        ]
        order_of, parent_of = _item_plan(items, links)
        entity["items"] = [items[pos] for pos in order_of]
        order = self.save_order({}, {}, {"entity": entity})
        by_quote_item = {int(i["quote_item_id"]): i for i in order["items"] if i.get("quote_item_id")}
        for child_pos, parent_pos in parent_of.items():
            child = by_quote_item[int(items[child_pos]["quote_item_id"])]
            parent = by_quote_item[int(items[parent_pos]["quote_item_id"])]
            child["parent_item_id"] = parent["item_id"]
            chosen = ((parent.get("product_option") or {}).get("extension_attributes") or {}).get(
                "configurable_item_options"
            ) or []
            parent["product_options"] = {
                "info_buyRequest": {
                    "qty": float(parent["qty_ordered"]),
                    "super_attribute": {str(o["option_id"]): str(o["option_value"]) for o in chosen},
                },
                "simple_sku": child["sku"],
                "simple_name": child.get("name"),
            }
        return order

    def pos_adjust_source_items(
        self, _p: dict[str, str], _q: dict[str, Any], body: Any
    ) -> list[dict[str, Any]]:
        """Till_Pos `Model/SourceItemAdjust::adjust`: `DeltaPlan::merge` checks and sums the deltas
        per (sku, source); per row, one `till_pos_source_movement` insert (ignored for a movement
        already applied) and, when new, `quantity = quantity + delta, status = IF(quantity > 0, 1, 0)`
        in one statement; answers the quantity and status after, and whether it moved now."""
        body = body or {}
        movement = str(body.get("movement") or "")
        if not movement or len(movement) > 128:
            raise Fault(400, "A movement id of 1 to 128 characters is required.")
        merged: dict[tuple[str, str], Decimal] = {}
        for delta in body.get("deltas") or []:
            sku, source = str(delta.get("sku") or ""), str(delta.get("source_code") or "")
            if not sku or not source:
                raise Fault(400, "Each delta needs a sku and a source code.")
            text = str(delta.get("delta", ""))
            if not re.fullmatch(r"[+-]?\d{1,8}(\.\d{1,4})?", text.strip()):
                raise Fault(400, f'"{text}" is not a quantity with at most 4 decimals.')
            merged[(sku, source)] = merged.get((sku, source), Decimal(0)) + Decimal(text)
        answers = []
        for (sku, source), amount in merged.items():
            key = (movement, sku, source)
            fresh = key not in self.pos_movements
            if fresh:
                if source not in self.sources:
                    # inventory_source_item.source_code's foreign key: the insert fails, a 500.
                    raise Fault(500, "Internal Error. Details are available in Magento log file.")
                stored = self.source_items.setdefault(
                    (sku, source), {"sku": sku, "source_code": source, "quantity": 0.0, "status": 0}
                )
                quantity = Decimal(str(stored["quantity"])) + amount
                stored["quantity"] = float(quantity)
                stored["status"] = int(quantity > 0)
                self.pos_movements[key] = quantity
            stored = self.source_items[(sku, source)]
            answers.append(
                {
                    "sku": sku,
                    "source_code": source,
                    "delta": f"{amount:.4f}",
                    "quantity": f"{Decimal(str(stored['quantity'])):.4f}",
                    "status": int(stored["status"]),
                    "applied": fresh,
                }
            )
        return answers

    # --- cart price rules and coupons ---------------------------------------------------------------

    def add_sales_rule(self, rule_id: int, coupon_code: str | None = None, **fields: Any) -> dict[str, Any]:
        """A cart price rule as the admin saves it, answered in `SalesRule/Api/Data/RuleInterface`'s
        shape: `SalesRule/Model/Converter/ToDataModel` maps `coupon_type` 1/2/3 to NO_COUPON /
        SPECIFIC_COUPON / AUTO, `store_labels` to `RuleLabelInterface` ({store_id, store_label}) and
        the serialized conditions to `ConditionInterface` trees (condition_type, conditions,
        aggregator_type, operator, attribute_name, value). A specific coupon is stored as the
        rule's primary coupon (`SalesRule/Model/Rule::afterSave` saves `getPrimaryCoupon()`)."""
        rule: dict[str, Any] = {
            "rule_id": rule_id,
            "name": f"Rule {rule_id}",
            "store_labels": [],
            "description": None,
            "website_ids": [1],
            "customer_group_ids": [0, 1, 2, 3],
            "from_date": None,
            "to_date": None,
            "uses_per_customer": 0,
            "is_active": True,
            "condition": {
                "condition_type": "Magento\\SalesRule\\Model\\Rule\\Condition\\Combine",
                "conditions": [],
                "aggregator_type": "all",
                "value": "1",
            },
            "action_condition": {
                "condition_type": "Magento\\SalesRule\\Model\\Rule\\Condition\\Product\\Combine",
                "conditions": [],
                "aggregator_type": "all",
                "value": "1",
            },
            "stop_rules_processing": False,
            "is_advanced": True,
            "sort_order": 0,
            "simple_action": "by_percent",
            "discount_amount": 10,
            "discount_qty": 0,
            "discount_step": 0,
            "apply_to_shipping": False,
            "times_used": 0,
            "is_rss": True,
            "coupon_type": "SPECIFIC_COUPON" if coupon_code else "NO_COUPON",
            "use_auto_generation": False,
            "uses_per_coupon": 0,
            "simple_free_shipping": "0",
            "extension_attributes": {},
        }
        rule.update(fields)
        self.sales_rules[rule_id] = rule
        for coupon_id in [i for i, c in self.coupons.items() if c["rule_id"] == rule_id and c["is_primary"]]:
            del self.coupons[coupon_id]
        if coupon_code:
            coupon_id = next(self.ids)
            # `SalesRule/Api/Data/CouponInterface`; `CouponRepository::save` copies the rule's
            # to_date, uses_per_coupon and uses_per_customer onto the coupon.
            self.coupons[coupon_id] = {
                "coupon_id": coupon_id,
                "rule_id": rule_id,
                "code": coupon_code,
                "usage_limit": rule["uses_per_coupon"],
                "usage_per_customer": rule["uses_per_customer"],
                "times_used": 0,
                "expiration_date": rule["to_date"],
                "is_primary": True,
                "created_at": self.timestamp(),
                "type": 0,
            }
        return rule

    def save_coupon(self, _p: dict[str, str], _q: dict[str, Any], body: Any) -> dict[str, Any]:
        """`SalesRule/Model/CouponRepository::save`: with a coupon_id, the given fields are merged
        into the stored coupon (an absolute write); the rule must allow that kind of coupon, and
        the rule's to_date and usage limits are copied onto it."""
        data = dict((body or {}).get("coupon") or {})
        coupon_id = data.get("coupon_id")
        if coupon_id:
            if int(coupon_id) not in self.coupons:
                raise Fault(404, "No such entity.")
            data = {**self.coupons[int(coupon_id)], **data}
        rule = self.sales_rules.get(int(data.get("rule_id") or 0))
        if rule is None:
            raise Fault(
                400,
                "Error occurred when saving coupon: %1",
                ["No such entity with rule_id = " + str(data.get("rule_id"))],
            )
        if rule["coupon_type"] == "NO_COUPON":
            raise Fault(
                400, "Error occurred when saving coupon: %1", ["Specified rule does not allow coupons"]
            )
        if rule["use_auto_generation"] and int(data.get("type") or 0) == 0:
            raise Fault(
                400,
                "Error occurred when saving coupon: %1",
                ["Specified rule only allows auto generated coupons"],
            )
        data.update(
            expiration_date=rule["to_date"],
            usage_limit=rule["uses_per_coupon"],
            usage_per_customer=rule["uses_per_customer"],
        )
        if not coupon_id:
            data["coupon_id"] = next(self.ids)
        self.coupons[int(data["coupon_id"])] = data
        return data

    def delete_sales_rule(self, rule_id: int) -> None:
        """`RuleRepositoryInterface::deleteById`: the rule goes, and its coupons by foreign key."""
        del self.sales_rules[rule_id]
        for coupon_id in [i for i, c in self.coupons.items() if c["rule_id"] == rule_id]:
            del self.coupons[coupon_id]


ADDRESS_COLUMNS = frozenset(
    [
        "entity_id",
        "parent_id",
        "customer_address_id",
        "quote_address_id",
        "region_id",
        "customer_id",
        "fax",
        "region",
        "postcode",
        "lastname",
        "street",
        "city",
        "email",
        "telephone",
        "country_id",
        "firstname",
        "address_type",
        "prefix",
        "middlename",
        "suffix",
        "company",
        "vat_id",
        "vat_is_valid",
        "vat_request_id",
        "vat_request_date",
        "vat_request_success",
    ]
)


def _item_plan(items: list[dict[str, Any]], links: list[tuple[int, int]]) -> tuple[list[int], dict[int, int]]:
    """Till_Pos `Model/ItemLinks::plan`: positions in save order (each parent just before its
    child) and each child's parent position; a bad link is an InputException (400)."""
    position: dict[int, int] = {}
    for pos, item in enumerate(items):
        position[int(item.get("quote_item_id") or 0)] = pos
    kind = {pos: str(item.get("product_type") or "") for pos, item in enumerate(items)}
    parent_of: dict[int, int] = {}
    child_of: dict[int, int] = {}
    for child, parent in links:
        if child not in position or parent not in position:
            raise Fault(400, f"Link {child} under {parent} names an item the order does not have.")
        if child == parent:
            raise Fault(400, f"Item {child} cannot be its own parent.")
        if kind[position[parent]] != "configurable":
            raise Fault(400, f"Parent item {parent} is not configurable.")
        if kind[position[child]] == "configurable":
            raise Fault(400, f"Child item {child} is configurable.")
        if position[child] in parent_of:
            raise Fault(400, f"Item {child} has two parents.")
        if position[parent] in child_of:
            raise Fault(400, f"Configurable item {parent} has two children.")
        parent_of[position[child]] = position[parent]
        child_of[position[parent]] = position[child]
    for pos, item in enumerate(items):
        if kind[pos] == "configurable" and pos not in child_of:
            raise Fault(400, f"Configurable item {item.get('quote_item_id')} has no child item.")
    order: list[int] = []
    for pos in range(len(items)):
        if pos in child_of:
            continue
        if pos in parent_of:
            order.append(parent_of[pos])
        order.append(pos)
    return order, parent_of


def _address_columns(address: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in address.items() if k in ADDRESS_COLUMNS}


def _shipped(item: dict[str, Any]) -> Decimal:
    """What shipments (or, for a virtual item, its invoice) deducted for an order item
    (`GetShippedItemsPerSourceByPriority`, `GetInvoicedItemsPerSourceByPriority`)."""
    return sum((Decimal(str(q)) for q in (item.get("shipped_from") or {}).values()), Decimal(0))


# --- helpers ------------------------------------------------------------------------------------


def _enc(value: str) -> str:
    return quote(value, safe="~")


def _unquote(value: str) -> str:
    return unquote(value)


_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("-")[0].split("."))


def _raw_path(request: Request) -> str:
    """The path as sent, still percent-encoded (Starlette's `path` is decoded)."""
    raw = request.scope.get("raw_path")
    return raw.decode("latin-1") if raw else quote(request.url.path)


def _nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """PHP's parsing of `a[b][0][c]=v` query keys into nested dicts."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return root


# What each list's getList can sort by: searchCriteria sort field -> the item's field. A field
# the repository neither maps nor has as a column is an SQL error (see `MagentoDouble.search`).
#: Tax/Model/TaxClass/Repository.php getList: `addOrder` of the field as given (tax_class columns).
TAX_CLASS_ORDERS = {"class_id": "class_id", "class_name": "class_name", "class_type": "class_type"}
#: Tax/Model/Calculation/RateRepository.php getList runs Tax/etc/di.xml's TaxRate
#: CollectionProcessorComposite, whose SortingProcessor has no fieldMapping: the item's `id` is
#: the column `tax_calculation_rate_id` (no column `id`); `region_name` is joinRegionTable's alias.
TAX_RATE_ORDERS = {
    "tax_calculation_rate_id": "id",
    "code": "code",
    "tax_country_id": "tax_country_id",
    "tax_region_id": "tax_region_id",
    "tax_postcode": "tax_postcode",
    "rate": "rate",
    "region_name": "region_name",
}
#: Tax/Model/TaxRuleRepository.php getList: Tax/etc/di.xml's Rule SortingProcessor maps
#: `id` to `tax_calculation_rule_id`.
TAX_RULE_ORDERS = {
    "id": "id",
    "tax_calculation_rule_id": "id",
    "code": "code",
    "priority": "priority",
    "position": "position",
}
#: Customer/Model/ResourceModel/GroupRepository.php getList: Customer/etc/di.xml's
#: GroupSortingProcessor maps code, id, tax_class_name (defaultOrders: id ASC).
GROUP_ORDERS = {
    "id": "id",
    "customer_group_id": "id",
    "code": "code",
    "customer_group_code": "code",
    "tax_class_id": "tax_class_id",
    "tax_class_name": "tax_class_name",
    "class_name": "tax_class_name",
}
#: Eav/Model/AttributeRepository.php getList (via Catalog's ProductAttributeRepository): the
#: framework SortingProcessor on eav_attribute (`main_table.*`) joined with columns-less tables.
ATTRIBUTE_ORDERS = {
    "attribute_id": "attribute_id",
    "attribute_code": "attribute_code",
    "backend_type": "backend_type",
    "frontend_input": "frontend_input",
}
#: Eav/Model/AttributeSetRepository.php getList (via Catalog/Model/Product/Attribute/SetRepository.php):
#: the framework SortingProcessor on eav_attribute_set.
ATTRIBUTE_SET_ORDERS = {
    "attribute_set_id": "attribute_set_id",
    "attribute_set_name": "attribute_set_name",
    "entity_type_id": "entity_type_id",
    "sort_order": "sort_order",
}
#: magento/inventory Inventory/Model/Source/Command/GetList.php: the framework
#: SortingProcessor on inventory_source (primary key source_code).
SOURCE_ORDERS = {"source_code": "source_code", "name": "name", "enabled": "enabled"}
#: Inventory/Model/Stock/Command/GetList.php: inventory_stock (primary key stock_id).
STOCK_ORDERS = {"stock_id": "stock_id", "name": "name"}
#: Inventory/Model/StockSourceLink/Command/GetStockSourceLinks.php: inventory_source_stock_link,
#: unique (stock_id, source_code) (Inventory/etc/db_schema.xml).
LINK_ORDERS = {"stock_id": "stock_id", "source_code": "source_code", "priority": "priority"}


def _listed(value: Any) -> list[dict[str, Any]]:
    if not value:
        return []
    if isinstance(value, dict):
        return [value[k] for k in sorted(value, key=lambda k: int(k) if str(k).isdigit() else 0)]
    return list(value)


def _value(item: dict[str, Any], name: str) -> Any:
    if name in item:
        return item[name]
    if name == "entity_id" and "id" in item:
        return item["id"]
    for attribute in item.get("custom_attributes") or []:
        if attribute["attribute_code"] == name:
            return attribute["value"]
    return None


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    try:
        return (1, Decimal(str(value)))
    except ArithmeticError:
        return (2, str(value))


def _matches(item: dict[str, Any], spec: dict[str, Any]) -> bool:
    value = _value(item, spec.get("field", ""))
    wanted = spec.get("value", "")
    condition = spec.get("condition_type") or "eq"
    if condition == "in":
        return str(value) in str(wanted).split(",")
    if condition == "nin":
        return str(value) not in str(wanted).split(",")
    if condition == "like":
        pattern = "^" + re.escape(str(wanted)).replace("%", ".*") + "$"
        return value is not None and re.match(pattern, str(value), re.IGNORECASE) is not None
    if condition in ("null", "notnull"):
        return (value is None) == (condition == "null")
    if value is None:
        return False
    a, b = _sort_key(value), _sort_key(wanted)
    left, right = (a[1], b[1]) if a[0] == b[0] == 1 else (str(value), str(wanted))
    if condition == "eq":
        return bool(str(value).lower() == str(wanted).lower()) if a[0] != 1 else bool(left == right)
    if condition == "neq":
        return bool(left != right)
    if condition in ("gteq", "from", "moreq"):
        return bool(left >= right)
    if condition in ("lteq", "to"):
        return bool(left <= right)
    if condition == "gt":
        return bool(left > right)
    if condition == "lt":
        return bool(left < right)
    raise Fault(400, f'Invalid condition type "{condition}"')
