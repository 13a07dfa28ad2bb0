"""The FastAPI application: routes, error answers, the built PWA at `/`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import mimetypes
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from till import __version__
from till.api.deps import Transports, access_of
from till.api.graphql import graphql_router
from till.api.live import LiveHub
from till.api.metrics import install_metrics
from till.api.routes import (
    audit,
    auth,
    catalog,
    customer_accounts,
    dead_letters,
    deliveries,
    flags,
    gift_cards,
    health,
    jobs,
    locations,
    magento,
    monitoring,
    prices,
    receipts,
    refused_actions,
    rejected_sales,
    reports,
    sales,
    shifts,
    staff,
    stock_counts,
    sync,
    today,
    transfers,
    webhooks,
)
from till.api.schemas import PROBLEMS, Problem
from till.domain.errors import (
    AuthFailed,
    Conflict,
    DeviceUnavailable,
    DomainError,
    Locked,
    NotFound,
    RateLimited,
    TillError,
)
from till.domain.reports import ReportRefused
from till.domain.staff import PermissionDenied
from till.services.sale_writer import SaleWriter
from till.services.sessions import Sessions
from till.services.sync import FeedHeads
from till.settings import Settings

log = logging.getLogger(__name__)

#: Largest request body accepted; a till's batch of 500 sales fits well inside.
MAX_BODY_BYTES = 5 * 1024 * 1024


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """The app for these settings (the process's by default) and engine (made from them),
    composed by the root (`till.bootstrap.create_app`); kept here for its many callers."""
    from till import bootstrap

    return bootstrap.create_app(settings, engine)


def build_app(
    settings: Settings,
    engine: Engine,
    *,
    sale_writer: SaleWriter,
    live: LiveHub,
    heads: FeedHeads,
    sessions: Sessions,
    transports: Transports,
) -> FastAPI:
    """The HTTP app on parts the composition root built: routes, error answers, the PWA."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await live.start()
        nudges = None
        if settings.queue_transport == "rabbitmq":
            # With a broker, workers nudge every process when the feed moves; poll rarely.
            from till.queue.live import listen_for_nudges

            def nudged(connected: bool) -> None:
                live.interval = settings.live_fallback_seconds if connected else 0.25

            nudges = asyncio.create_task(listen_for_nudges(settings, live.wake, nudged))
        try:
            yield
        finally:
            if nudges is not None:
                nudges.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await nudges
            await live.stop()

    app = FastAPI(
        title="Till",
        version=__version__,
        description="An offline-first point of sale for Magento retailers. Money and quantities "
        "are decimal strings. See docs/sync.md for the sync protocol.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.live = live
    app.state.heads = heads
    app.state.sessions = sessions
    app.state.sale_writer = sale_writer
    app.state.transports = transports
    app.include_router(health.router)
    for module in (auth, catalog, sales, receipts, rejected_sales, refused_actions, shifts, sync, gift_cards):
        app.include_router(module.router)
    # Stock that moves in bulk, one module per resource.
    for module in (transfers, deliveries, stock_counts):
        app.include_router(module.router)
    # The back office, one module per resource.
    for module in (today, monitoring, flags, locations, staff, webhooks, dead_letters, jobs, prices):
        app.include_router(module.router)
    for module in (reports, audit, customer_accounts):
        app.include_router(module.router)
    app.include_router(graphql_router(), include_in_schema=False)
    install_metrics(app, settings.queue_transport)
    app.include_router(magento.router)
    _add_error_answers(app)
    _document_error_answers(app)
    _document_access(app)
    _document_batch_limit(app, settings.max_batch_sales)
    _serve_pwa(app, settings.web_dist)
    # Each middleware added wraps the ones before: the body is read and checked (size, NUL)
    # before any route, CORS answers preflights, and the security headers, outermost, go on
    # every answer (a 413 and a preflight too).
    app.add_middleware(ForgetSessionsOnWrites, sessions=sessions)
    app.add_middleware(RequestLimits, max_bytes=MAX_BODY_BYTES)
    if settings.allowed_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Device-Token"],
            expose_headers=["Retry-After", "X-Truncated"],
            max_age=600,
        )
    app.add_middleware(SecurityHeaders, hsts=settings.production)
    return app


def _problem(
    status: int, message: str, headers: dict[str, str] | None = None, code: str | None = None
) -> JSONResponse:
    content: dict[str, str] = {"detail": message}
    if code is not None:
        content["code"] = code
    return JSONResponse(status_code=status, content=content, headers=headers)


def _add_error_answers(app: FastAPI) -> None:
    """Each kind of Till error answers one status with its message and stable `code`.

    Only a `DomainError` (a broken business rule) is a 422: any other exception, an accidental
    `ValueError` included, is a defect and answers a 500 that is logged with its traceback.
    """

    def answer(status: int, headers: dict[str, str] | None = None) -> Callable[[Request, Exception], Any]:
        async def handle(_: Request, exc: Exception) -> Response:
            code = exc.code if isinstance(exc, TillError) else None
            if isinstance(exc, NotFound):
                message = str(exc.args[0]) if exc.args else "not found"
            else:
                message = str(exc)
            extra = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else {}
            return _problem(status, message, {**(headers or {}), **extra} or None, code)

        return handle

    async def unavailable(_: Request, exc: Exception) -> Response:
        log.warning("database unavailable: %s", exc)
        return _problem(
            503, "the database is not answering; the till keeps the sale and retries", {"Retry-After": "5"}
        )

    app.add_exception_handler(NotFound, answer(404))
    app.add_exception_handler(Conflict, answer(409))
    app.add_exception_handler(DeviceUnavailable, answer(502))
    app.add_exception_handler(AuthFailed, answer(401, {"WWW-Authenticate": "Bearer"}))
    app.add_exception_handler(Locked, answer(423))
    app.add_exception_handler(RateLimited, answer(429))
    app.add_exception_handler(PermissionDenied, answer(403))
    app.add_exception_handler(DomainError, answer(422))
    app.add_exception_handler(ReportRefused, answer(400))
    app.add_exception_handler(OperationalError, unavailable)

    async def defect(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return _problem(500, "internal error: the server could not answer this request", code="internal")

    app.add_exception_handler(Exception, defect)

    async def validation(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
            for err in exc.errors()
        ]
        return JSONResponse(status_code=422, content={"detail": errors})

    app.add_exception_handler(RequestValidationError, validation)


def _document_batch_limit(app: FastAPI, most: int) -> None:
    """The OpenAPI's limit on a push's sales is the one this server enforces (TILL_MAX_BATCH_SALES)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        document = build()
        sales = document.get("components", {}).get("schemas", {}).get("PushIn", {}).get("properties", {})
        if "sales" in sales:
            sales["sales"]["maxItems"] = most
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _document_access(app: FastAPI) -> None:
    """Each operation's `x-till-access`: who may call it, read from the dependency that
    enforces it (`till.api.deps.staff`, `public`), so the document cannot say other than the
    code does. An operation with no such dependency gets none, and the route walk fails on it."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = build()
        paths = document.get("paths", {})
        for route in iter_route_contexts(app.routes):  # included routers' routes, flattened
            if not isinstance(route.original_route, APIRoute) or route.path not in paths:
                continue
            declared = access_of(getattr(route, "dependant", route.original_route.dependant))
            for method in route.methods or ():
                operation = paths[route.path].get(method.lower())
                if operation is not None and len(declared) == 1:
                    operation["x-till-access"] = declared[0]
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _document_error_answers(app: FastAPI) -> None:
    """Make the OpenAPI tell the truth about the error answers every route shares.

    Derived from each operation itself: one that needs a token can answer 401, one that takes a
    body 413 (the size limit) and 400 (a body that is not UTF-8), every one 422 (with `Problem`,
    the shape the handlers above send, not FastAPI's default), and any that reads the database
    503.
    Route-specific statuses (403, 404, 409, …) are declared on the routes.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = build()
        problem = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        for path, methods in document.get("paths", {}).items():
            for operation in methods.values():
                answers = operation.setdefault("responses", {})
                codes = {503} if path != "/api/magento/webhook" else set()
                if operation.get("security"):
                    codes.add(401)
                if "requestBody" in operation:
                    codes |= {400, 413}
                # Any request can be malformed, if only by a NUL in its query (RequestLimits).
                codes.add(422)
                if "HTTPValidationError" in json.dumps(answers.get("422", {})):
                    del answers["422"]  # FastAPI's default shape; ours is Problem
                for code in sorted(codes):
                    answers.setdefault(str(code), {"description": PROBLEMS[code], **problem})
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        shape = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(shape.pop("$defs", {}))
        schemas.setdefault("Problem", shape)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


#: Writes that cannot end a session: a till's sales and its questions. Any other write (sign-out,
#: refresh, a revoked device, a member changed) makes its process look every session up again.
_SESSION_SAFE_WRITES = frozenset({"/api/sync/push", "/api/sync/changes", "/api/orders"})


class ForgetSessionsOnWrites:
    """A session ended in this process stops at once: the remembered sessions (`Sessions`) are
    forgotten as any write but a sale's answers, before the caller can send its next request.
    Another process forgets within `TILL_AUTH_CACHE_SECONDS` (docs/trust.md)."""

    def __init__(self, app: ASGIApp, sessions: Sessions) -> None:
        self.app = app
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in ("GET", "HEAD", "OPTIONS")
            or scope["path"] in _SESSION_SAFE_WRITES
        ):
            await self.app(scope, receive, send)
            return

        async def forget_then_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.sessions.forget_all()
            await send(message)

        await self.app(scope, receive, forget_then_send)


class RequestLimits:
    """What every route may rely on before it runs: a body of at most `max_bytes` (else 413) and
    no NUL character anywhere in the URL or the JSON body (else 422; PostgreSQL cannot store
    one in text, so it would otherwise fail deep inside as a 500).

    The size is checked by Content-Length or, for a chunked body (no Content-Length), by
    counting bytes as they arrive: the body is read (up to the limit) before the route runs.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before the body was complete: nobody to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if _holds_nul(scope, body):
            await _problem(422, "text may not contain NUL (\\u0000) characters")(scope, receive, send)
            return
        if scope.get("path") == "/graphql" and _holds_lone_surrogate(body):
            # A query's text only looks things up (no database can compare a lone surrogate);
            # REST keeps such text where it is a till's fact (a refused sale, escaped).
            await _problem(422, "text may not contain a lone surrogate (\\ud800-\\udfff)")(
                scope, receive, send
            )
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = _problem(
            413, f"the request body is over {self.max_bytes // 1024 // 1024} MiB; send smaller batches"
        )
        answer.headers["Connection"] = "close"
        await answer(scope, receive, send)


def _holds_nul(scope: Scope, body: bytes) -> bool:
    """True if the path, the query or a string of the JSON body holds a NUL character."""
    query: bytes = scope.get("query_string", b"")
    if "\x00" in scope.get("path", "") or b"%00" in query or b"\x00" in query:
        return True
    # Only parse when the escape is there: it might sit inside a string as literal text ("\\u0000").
    return b"\\u0000" in body.lower() and _any_string(body, lambda text: "\x00" in text)


def _holds_lone_surrogate(body: bytes) -> bool:
    """True if a string of the JSON body holds half of a surrogate pair (`"\\ud800"`)."""
    return b"\\ud" in body.lower() and _any_string(
        body, lambda text: any("\ud800" <= c <= "\udfff" for c in text)
    )


def _any_string(body: bytes, test: Callable[[str], bool]) -> bool:
    """True if any string (key or value) of the JSON body passes `test`."""
    try:
        document = json.loads(body)
    except ValueError:
        return False  # not JSON: the route answers that itself

    def walk(value: Any) -> bool:
        if isinstance(value, str):
            return test(value)
        if isinstance(value, dict):
            return any(walk(k) or walk(v) for k, v in value.items())
        if isinstance(value, list):
            return any(walk(v) for v in value)
        return False

    return walk(document)


#: For the PWA at `/`: its own scripts, workers and API only; MUI (emotion) injects <style>
#: elements at run time and index.html carries inline styles, hence 'unsafe-inline' for styles
#: (never for scripts).
APP_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self'; "
    "manifest-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
#: For the API docs (/docs, /redoc): Swagger UI and ReDoc load from a CDN with an inline script.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
    "https://cdn.redoc.ly; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'"
)


class SecurityHeaders:
    """Headers on every answer: CSP, no MIME sniffing, no framing, no referrer leaving the
    till, and in production HSTS (the till must only ever be reached over HTTPS)."""

    def __init__(self, app: ASGIApp, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        csp = DOCS_CSP if path in ("/docs", "/redoc") else APP_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", csp)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _serve_pwa(app: FastAPI, dist: Path) -> None:
    """Serve the built PWA at `/` when it exists; any unknown path gets index.html (SPA)."""
    index = dist / "index.html"
    if not index.is_file():

        @app.get("/", include_in_schema=False)
        def no_client() -> JSONResponse:
            return JSONResponse(
                {"till": __version__, "api": "/docs", "client": "not built (web/dist missing)"}
            )

        return
    mimetypes.add_type("application/manifest+json", ".webmanifest")
    app.mount("/assets", _ImmutableFiles(directory=dist / "assets", check_dir=False), name="assets")

    @app.get("/{path:path}", include_in_schema=False)
    def client(path: str) -> Response:
        if path.startswith("api/"):
            return _problem(404, f"no API route /{path}")
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and dist.resolve() in candidate.parents:
            # The service worker, index.html and the manifest must be re-checked on every load,
            # or a till would keep an old app shell (and old worker) for a day.
            return FileResponse(candidate, headers={"Cache-Control": "no-cache"})
        return FileResponse(index, headers={"Cache-Control": "no-cache"})


class _ImmutableFiles(StaticFiles):
    """Built assets carry a content hash in their names: cache them for a year."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response
