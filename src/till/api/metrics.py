"""`GET /metrics` for Prometheus, and HTTP latency by route.

Queue, sales and sync figures are read from the database at scrape time (any app process
answers the same). HTTP latency is this process's own; with several processes set
`PROMETHEUS_MULTIPROC_DIR` and each process's histogram is summed on scrape.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest, multiprocess
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from till.magento.monitoring import MagentoCollector
from till.magento.settings import get_magento_settings
from till.queue.metrics import DatabaseCollector


def install_metrics(app: FastAPI, transport: str) -> None:
    """Add `/metrics` and the latency middleware to the app."""
    registry = CollectorRegistry(auto_describe=False)
    latency = Histogram(
        "till_http_request_duration_seconds",
        "HTTP request latency by route",
        ["method", "route", "status"],
        registry=None if os.environ.get("PROMETHEUS_MULTIPROC_DIR") else registry,
        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    )
    registry.register(DatabaseCollector(app.state.engine, transport))
    magento = MagentoCollector(app.state.engine, get_magento_settings().configured)
    registry.register(magento)

    async def observe(scope: Scope, started: float, status: int) -> None:
        route = _route_of(app, scope)
        if route != "/metrics":
            latency.labels(scope["method"], route, str(status)).observe(time.perf_counter() - started)

    app.add_middleware(_Timed, observe=observe)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            scrape = CollectorRegistry()
            multiprocess.MultiProcessCollector(scrape)  # type: ignore[no-untyped-call]
            scrape.register(DatabaseCollector(app.state.engine, transport))
            scrape.register(magento)
            return Response(generate_latest(scrape), media_type=CONTENT_TYPE_LATEST)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


class _Timed:
    """Times each request to its response's headers (a stream's first byte, not its end).

    Plain ASGI rather than `@app.middleware("http")`: that wraps every response body in a
    task and a memory stream, which a thousand open event streams pay for on every frame.
    """

    def __init__(self, app: ASGIApp, observe: Callable[[Scope, float, int], Awaitable[None]]) -> None:
        self.app = app
        self.observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                await self.observe(scope, started, int(message["status"]))
            await send(message)

        await self.app(scope, receive, timed_send)


def _route_of(app: FastAPI, scope: Scope) -> str:
    """The route's template (`/api/products/{sku}`), so labels stay few."""
    route = scope.get("route")  # set by the router on the way in
    if route is not None:
        return str(getattr(route, "path", "unmatched"))
    for candidate in app.router.routes:  # a mount (/graphql) or no route at all
        match, _ = candidate.matches(scope)
        if match is Match.FULL:
            return str(getattr(candidate, "path", "unmatched"))
    return "unmatched"
