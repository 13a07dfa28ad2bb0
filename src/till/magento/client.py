"""An async client for Magento 2.4's REST API.

- Auth: an integration's access token signed with OAuth 1.0a HMAC-SHA256 (the query sent as
  it is signed; the path signed in the store's form, see `oauth.py`), or an admin token (through
  Magento_TwoFactorAuth's Google Authenticator endpoint when a TOTP secret is set) renewed
  before its JWT expires and again on a 401.
- `search` pages a `searchCriteria` list and stops on `total_count`: Magento clamps a page past
  the end to the last page, so "stop when a page is empty" would never stop.
- Retries 429, 5xx and timeouts with exponential backoff (honouring `Retry-After`); at most
  `concurrency` calls in flight; every call logged with its timing.
- Every call names its route as Magento declares it (`/V1/products/:sku`), so the routes the
  connector uses can be checked against Magento's route table.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import pyotp

from till.magento.oauth import PATH_FORMS, PathForm, authorization_header, differs_by_form, query_string
from till.magento.settings import MagentoSettings

log = logging.getLogger("till.magento")

Filter = tuple[str, Any, str]
"""(field, value, condition_type) – one searchCriteria filter."""

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class MagentoError(RuntimeError):
    """Magento answered with an error (its message), or could not be reached."""

    def __init__(self, message: str, status: int | None = None, route: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.route = route


class MagentoUnavailable(MagentoError):
    """Magento did not answer usefully after every retry (network, 5xx, 429)."""


@dataclass
class CallStats:
    """What the client did: for logs, `till magento check` and, later, /metrics."""

    calls: int = 0
    errors: int = 0
    retries: int = 0
    seconds: float = 0.0
    #: Every (method, route template) called, to check against Magento's route table.
    routes: set[tuple[str, str]] = field(default_factory=set)


def fill(template: str, values: dict[str, Any]) -> str:
    """`/V1/products/:sku` with its parameters, each URL-encoded as one path segment."""
    parts = []
    for segment in template.split("/"):
        if segment.startswith(":"):
            name = segment[1:]
            if name not in values:
                raise KeyError(f"{template} needs {name}")
            parts.append(quote(str(values[name]), safe=""))
        else:
            parts.append(segment)
    return "/".join(parts)


def criteria(
    filters: Sequence[Sequence[Filter]] = (),
    *,
    sort: Sequence[tuple[str, str]] = (),
    page_size: int | None = None,
    page: int | None = None,
) -> list[tuple[str, str]]:
    """searchCriteria query parameters: each inner list is one filter group (its filters OR,
    the groups AND)."""
    params: list[tuple[str, str]] = []
    for g, group in enumerate(filters):
        for f, (name, value, condition) in enumerate(group):
            prefix = f"searchCriteria[filter_groups][{g}][filters][{f}]"
            params += [
                (f"{prefix}[field]", name),
                (f"{prefix}[value]", str(value)),
                (f"{prefix}[condition_type]", condition),
            ]
    for s, (name, direction) in enumerate(sort):
        params += [
            (f"searchCriteria[sortOrders][{s}][field]", name),
            (f"searchCriteria[sortOrders][{s}][direction]", direction),
        ]
    if page_size is not None:
        params.append(("searchCriteria[pageSize]", str(page_size)))
    if page is not None:
        params.append(("searchCriteria[currentPage]", str(page)))
    return params


#: Till_Pos's detection route, and the features the connector uses.
TILL_POS_CAPABILITIES = "/V1/till-pos/capabilities"
CONFIGURABLE_ORDERS = "configurable-orders"
SOURCE_ITEM_ADJUST = "source-item-adjust"


class MagentoClient:
    """One Magento store's REST API. Use `async with MagentoClient(settings) as client:`."""

    def __init__(
        self,
        settings: MagentoSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        if not settings.configured:
            raise MagentoError("Magento is not configured: set TILL_MAGENTO_BASE_URL")
        self.settings = settings
        self.stats = CallStats()
        self._clock = clock
        self._sleep = sleep
        self._limit = asyncio.Semaphore(settings.concurrency)
        self._token: str | None = None
        self._token_at = 0.0
        self._token_life = settings.admin_token_hours * 3600
        self._token_lock = asyncio.Lock()
        self._till_pos: frozenset[str] | None = None
        self.path_form: PathForm = (
            "laminas" if settings.oauth_path_form == "auto" else settings.oauth_path_form
        )
        root = settings.base_url.rstrip("/")
        self.rest_root = f"{root}/rest/{settings.store_code}" if settings.store_code else f"{root}/rest"
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=settings.timeout_seconds,
            headers={"Accept": "application/json"},
        )

    async def __aenter__(self) -> MagentoClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    # --- auth ---------------------------------------------------------------------------------

    async def _admin_token(self, *, dead: str | None = None) -> str:
        """The admin token, fetched again when it nears its end or when `dead` (the token a call
        was refused with) is still the current one: calls refused together renew it once."""
        async with self._token_lock:
            # Renew a little before Magento's expiry, never with a request in flight on a dead token.
            stale = self._clock() - self._token_at > self._token_life * 0.9
            if self._token is None or stale or (dead is not None and dead == self._token):
                token = await self._new_admin_token()
                self._token, self._token_at = token, self._clock()
                self._token_life = _token_life(token) or self.settings.admin_token_hours * 3600
            return self._token

    async def _new_admin_token(self) -> str:
        s = self.settings
        body: dict[str, str] = {"username": s.admin_username, "password": s.admin_password}
        route = "/V1/integration/admin/token"
        if s.admin_totp_secret:
            # Magento_TwoFactorAuth: the password and the user's current Google Authenticator code.
            try:
                body["otp"] = pyotp.TOTP(s.admin_totp_secret).now()
            except ValueError as exc:
                raise MagentoError(f"TILL_MAGENTO_ADMIN_TOTP_SECRET is not a usable secret: {exc}") from exc
            route = "/V1/tfa/provider/google/authenticate"
        try:
            token = await self._send("POST", route, [], body, auth=False)
        except MagentoError as exc:
            if "2fa" in str(exc).lower() or "two-factor" in str(exc).lower():
                raise MagentoError(
                    f"{exc} — Magento's two-factor authentication refuses an admin's password alone: "
                    "set TILL_MAGENTO_ADMIN_TOTP_SECRET (the user's Google Authenticator secret) or, "
                    "better, use an integration",
                    exc.status,
                    exc.route,
                ) from exc
            raise
        if not isinstance(token, str):
            raise MagentoError("Magento's admin token answer is not a token", route=route)
        return token

    async def _auth_header(self, method: str, url: str, query: Sequence[tuple[str, str]]) -> str:
        s = self.settings
        if s.uses_integration:
            return authorization_header(
                method,
                url,
                query,
                consumer_key=s.consumer_key,
                consumer_secret=s.consumer_secret,
                token=s.access_token,
                token_secret=s.access_token_secret,
                path_form=self.path_form,
            )
        if s.admin_username:
            return f"Bearer {await self._admin_token()}"
        raise MagentoError("no Magento credentials: set an integration's tokens or an admin user")

    # --- calls --------------------------------------------------------------------------------

    async def call(
        self,
        method: str,
        route: str,
        *,
        path: dict[str, Any] | None = None,
        query: Sequence[tuple[str, str]] = (),
        json: Any = None,
        idempotent: bool | None = None,
        expected: tuple[int, ...] = (),
    ) -> Any:
        """Call one route (as Magento declares it, e.g. `/V1/orders/:id`); answer the JSON.

        A call that is not `idempotent` (POST by default) is not repeated after a timeout or a
        5xx: Magento may have done it, and the caller must look up before trying again. An
        `expected` error status still raises, but is not counted as a failed call.
        """
        safe = method in ("GET", "PUT", "DELETE") if idempotent is None else idempotent
        return await self._send(
            method, route, list(query), json, path=path or {}, idempotent=safe, expected=expected
        )

    async def get(self, route: str, query: Sequence[tuple[str, str]] = (), **path: Any) -> Any:
        """GET a route."""
        return await self.call("GET", route, path=path, query=query)

    async def post(self, route: str, body: Any, *, idempotent: bool = False, **path: Any) -> Any:
        """POST a JSON body to a route (retried after a timeout or 5xx only if `idempotent`)."""
        return await self.call("POST", route, path=path, json=body, idempotent=idempotent)

    async def put(self, route: str, body: Any, **path: Any) -> Any:
        """PUT a JSON body to a route."""
        return await self.call("PUT", route, path=path, json=body)

    async def _send(
        self,
        method: str,
        route: str,
        query: list[tuple[str, str]],
        body: Any,
        *,
        path: dict[str, Any] | None = None,
        auth: bool = True,
        idempotent: bool = True,
        expected: tuple[int, ...] = (),
    ) -> Any:
        self.stats.routes.add((method, route))
        url = self.rest_root + fill(route, path or {})
        # The query string is made here, not by httpx (which sends a space as `+`, a plus to
        # Magento's signature check up to 2.4.7): it is sent exactly as it was signed.
        target = httpx.URL(url).copy_with(query=query_string(query).encode()) if query else httpx.URL(url)
        renewed = reformed = False
        attempt = 0
        while True:
            attempt += 1
            headers = {"Authorization": await self._auth_header(method, url, query)} if auth else {}
            started = time.perf_counter()
            try:
                async with self._limit:
                    response = await self._http.request(method, target, json=body, headers=headers)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                elapsed = time.perf_counter() - started
                self._count(elapsed, error=True)
                log.warning("magento %s %s failed after %.0f ms: %r", method, route, elapsed * 1000, exc)
                # A refused connection never reached Magento; anything else may have.
                unsent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                if attempt >= self.settings.max_attempts or not (idempotent or unsent):
                    raise MagentoUnavailable(f"{method} {route}: {exc!r}", route=route) from exc
                await self._backoff(attempt, None)
                continue
            elapsed = time.perf_counter() - started
            status = response.status_code
            self._count(elapsed, error=status >= 400 and status not in expected)
            log.info("magento %s %s -> %d in %.0f ms", method, route, status, elapsed * 1000)
            if status == 401 and auth and not renewed and not self.settings.uses_integration:
                renewed = True  # the admin token expired early (or was revoked): one fresh try
                await self._admin_token(dead=headers["Authorization"].removeprefix("Bearer "))
                continue
            if (
                status == 401
                and auth
                and self.settings.uses_integration
                and self.settings.oauth_path_form == "auto"
                and not reformed
                and differs_by_form(url)
                and "signature" in _message(response).lower()
            ):
                # This store signs paths the other way (2.4.6/2.4.7 decode reserved characters,
                # the others do not): learn it, and sign this call again.
                reformed = True
                self.path_form = next(f for f in PATH_FORMS if f != self.path_form)
                log.info("magento signs paths in the %s form", self.path_form)
                continue
            if status in RETRY_STATUSES:
                # 429 means Magento refused to start; a 5xx after a POST may hide a done job.
                if attempt >= self.settings.max_attempts or not (idempotent or status == 429):
                    raise MagentoUnavailable(
                        f"{method} {route}: HTTP {status} after {attempt} tries", status, route
                    )
                await self._backoff(attempt, response.headers.get("Retry-After"))
                continue
            if status >= 400:
                raise MagentoError(f"{method} {route}: {_message(response)}", status, route)
            return response.json() if response.content else None

    def _count(self, elapsed: float, *, error: bool) -> None:
        self.stats.calls += 1
        self.stats.seconds += elapsed
        if error:
            self.stats.errors += 1

    async def _backoff(self, attempt: int, retry_after: str | None) -> None:
        self.stats.retries += 1
        delay = self.settings.backoff_seconds * 2 ** (attempt - 1)
        if retry_after and retry_after.isdigit():
            delay = max(delay, float(retry_after))
        # Jitter so many workers retrying together do not hit Magento in step.
        await self._sleep(delay * (0.5 + random.random() / 2))  # noqa: S311

    # --- the companion module -------------------------------------------------------------------

    async def till_pos(self) -> frozenset[str]:
        """The features of Till_Pos (magento-module/Till_Pos) on this store; empty when it is not
        installed (Magento: 404, no such route) or the integration lacks `Till_Pos::pos` (401).
        Asked once per client."""
        if self._till_pos is None:
            try:
                # Asking is how the module is detected: its absence is no failed call.
                features = await self.call("GET", TILL_POS_CAPABILITIES, expected=(401, 404))
            except MagentoError as exc:
                if exc.status not in (401, 404):
                    raise
                features = []
            self._till_pos = frozenset(str(f) for f in features or [])
        return self._till_pos

    # --- lists ----------------------------------------------------------------------------------

    async def search(
        self,
        route: str,
        filters: Sequence[Sequence[Filter]] = (),
        *,
        sort: Sequence[tuple[str, str]] = (),
        page_size: int | None = None,
        **path: Any,
    ) -> AsyncIterator[tuple[list[dict[str, Any]], int]]:
        """Yield (items, total_count) page by page. Stops on total_count, never on an empty page."""
        size = page_size or self.settings.page_size
        page = 1
        seen = 0
        while True:
            answer = await self.get(route, criteria(filters, sort=sort, page_size=size, page=page), **path)
            items: list[dict[str, Any]] = list(answer.get("items") or [])
            total = int(answer.get("total_count") or 0)
            if items:
                yield items, total
            seen += len(items)
            if not items or seen >= total or page * size >= total:
                return
            page += 1

    async def search_all(
        self,
        route: str,
        filters: Sequence[Sequence[Filter]] = (),
        *,
        sort: Sequence[tuple[str, str]] = (),
        keys: Sequence[tuple[str, str]] = (),
        **path: Any,
    ) -> list[dict[str, Any]]:
        """Every item of a list, all pages (paged by `keys` when given: see `search_by_key`)."""
        found: list[dict[str, Any]] = []
        pages = self.search_by_key(route, filters, keys=keys, **path) if keys else None
        async for items, _ in pages or self.search(route, filters, sort=sort, **path):
            found.extend(items)
        return found

    async def search_by_key(
        self,
        route: str,
        filters: Sequence[Sequence[Filter]] = (),
        *,
        keys: Sequence[tuple[str, str]],
        page_size: int | None = None,
        **path: Any,
    ) -> AsyncIterator[tuple[list[dict[str, Any]], int]]:
        """Yield (items, total_count) page by page, sorted by two `keys` (filter field, item
        field) that are unique together, each page asked as "after the last row read".

        Offset paging skips rows: sorted by `updated_at`, a row updated while a long pull pages
        moves to the end and the rows behind it slide one place back, past the page boundary;
        rows tying on every sort column come in a different order on each page's query. Key
        paging asks `a >= last_a AND (a > last_a OR b > last_b)` (filter groups AND, the
        filters of a group OR) and always page 1, so neither can happen.
        """
        (first, first_item), (second, second_item) = keys
        size = page_size or self.settings.page_size
        sort = [(first, "ASC"), (second, "ASC")]
        after: tuple[Any, Any] | None = None
        read = 0
        total: int | None = None
        while True:
            groups = [list(g) for g in filters]
            if after is not None:
                groups += [[(first, after[0], "gteq")], [(first, after[0], "gt"), (second, after[1], "gt")]]
            answer = await self.get(route, criteria(groups, sort=sort, page_size=size, page=1), **path)
            items: list[dict[str, Any]] = list(answer.get("items") or [])
            left = int(answer.get("total_count") or 0)
            total = left if total is None else max(total, read + left)
            if items:
                yield items, total
            read += len(items)
            if len(items) < size or len(items) >= left:
                return
            after = (items[-1].get(first_item), items[-1].get(second_item))


def _token_life(token: str) -> float | None:
    """The lifetime (`exp` − `iat`, seconds) a Magento 2.4.4+ admin JWT declares; None if the
    token is not a JWT. Measured on Till's own clock from when it was received, so a clock
    skew between Till and Magento does not matter."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        return float(claims["exp"]) - float(claims["iat"])
    except (ValueError, KeyError, TypeError):
        return None


def _message(response: httpx.Response) -> str:
    """Magento's error message with its %1-style parameters filled in."""
    try:
        data = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    if not isinstance(data, dict):
        return f"HTTP {response.status_code}: {data!r}"
    message = str(data.get("message", f"HTTP {response.status_code}"))
    parameters = data.get("parameters")
    if isinstance(parameters, list):
        for n, value in enumerate(parameters, start=1):
            message = message.replace(f"%{n}", str(value))
    elif isinstance(parameters, dict):
        for key, value in parameters.items():
            message = message.replace(f"%{key}", str(value))
    return f"HTTP {response.status_code}: {message}"
