"""The FastAPI application: routes, error answers, the built PWA at `/`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mimetypes
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from till import __version__
from till.api.graphql import graphql_router
from till.api.live import LiveHub
from till.api.metrics import install_metrics
from till.api.routes import admin, audit, auth, catalog, operations, reports, sales, shifts, sync
from till.domain.staff import PermissionDenied
from till.magento import webhook as magento_webhook
from till.services.errors import AuthFailed, Conflict, Locked, NotFound
from till.services.reports import ReportRefused
from till.services.sale_writer import SaleWriter
from till.settings import Settings, get_settings
from till.storage.db import make_engine

log = logging.getLogger(__name__)

#: Largest request body accepted; a till's batch of 500 sales fits well inside.
MAX_BODY_BYTES = 5 * 1024 * 1024


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """The app for these settings (the process's by default) and engine (made from them)."""
    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url)
    live = LiveHub(engine)

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
    app.state.sale_writer = SaleWriter(engine)
    for module in (admin, auth, catalog, sales, shifts, sync, operations, reports, audit):
        app.include_router(module.router)
    app.include_router(graphql_router(), include_in_schema=False)
    install_metrics(app, settings.queue_transport)
    app.include_router(magento_webhook.router)
    _add_error_answers(app)
    _limit_body_size(app)
    _serve_pwa(app, settings.web_dist)
    return app


def _problem(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": message}, headers=headers)


def _add_error_answers(app: FastAPI) -> None:
    """Each kind of failure answers one status with a message; none becomes a 500."""

    async def not_found(_: Request, exc: Exception) -> Response:
        return _problem(404, str(exc.args[0]) if exc.args else "not found")

    async def conflict(_: Request, exc: Exception) -> Response:
        return _problem(409, str(exc))

    async def auth_failed(_: Request, exc: Exception) -> Response:
        return _problem(401, str(exc), {"WWW-Authenticate": "Bearer"})

    async def locked(_: Request, exc: Exception) -> Response:
        return _problem(423, str(exc))

    async def denied(_: Request, exc: Exception) -> Response:
        return _problem(403, str(exc))

    async def invalid(_: Request, exc: Exception) -> Response:
        return _problem(422, str(exc))

    async def unavailable(_: Request, exc: Exception) -> Response:
        log.warning("database unavailable: %s", exc)
        return _problem(
            503, "the database is not answering; the till keeps the sale and retries", {"Retry-After": "5"}
        )

    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(Conflict, conflict)
    app.add_exception_handler(AuthFailed, auth_failed)
    app.add_exception_handler(Locked, locked)
    app.add_exception_handler(PermissionDenied, denied)
    app.add_exception_handler(ValueError, invalid)

    async def refused(_: Request, exc: Exception) -> Response:
        return _problem(400, str(exc))

    app.add_exception_handler(ReportRefused, refused)
    app.add_exception_handler(OperationalError, unavailable)

    async def validation(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
            for err in exc.errors()
        ]
        return JSONResponse(status_code=422, content={"detail": errors})

    app.add_exception_handler(RequestValidationError, validation)


def _limit_body_size(app: FastAPI) -> None:
    @app.middleware("http")
    async def limit(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            return _problem(
                413, f"the request body is over {MAX_BODY_BYTES // 1024 // 1024} MiB; send smaller batches"
            )
        return await call_next(request)


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
