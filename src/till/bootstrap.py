"""The composition root: what runs in a Till process and how it is wired, in one place.

`till serve` (through `create_app`) and `till worker` (through `build_worker`) get their parts
here: the settings, the engine, the sale writer and the live hub for the web process; the
transport, the scheduled jobs, the exporters and the consumers for a worker. Integrations plug
in here too: the Magento connector's `install` registers its exporter and jobs the same way the
core jobs are registered below, so the queue never reaches up into the services or the
connector, and nothing else builds a transport.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from till.api.live import LiveHub
from till.magento.settings import MagentoSettings
from till.queue import scheduler
from till.queue.export import load_exporters
from till.queue.messages import RetryPolicy
from till.queue.receipt_mail import ReceiptMailer
from till.queue.scheduler import JobContext, register_job
from till.queue.transport import DatabaseTransport, Transport
from till.queue.worker import Worker, worker_name
from till.services.sale_writer import SaleWriter
from till.services.sessions import Sessions
from till.services.sync import FeedHeads
from till.settings import Settings, get_settings
from till.storage.db import make_engine

if TYPE_CHECKING:
    from fastapi import FastAPI


@dataclass(frozen=True, slots=True)
class AppParts:
    """What the web process is made of; `till.api.app.build_app` mounts the routes on them."""

    settings: Settings
    engine: Engine
    sale_writer: SaleWriter
    live: LiveHub
    heads: FeedHeads
    sessions: Sessions


def app_parts(settings: Settings | None = None, engine: Engine | None = None) -> AppParts:
    """The web process's parts for these settings (the process's by default) and engine."""
    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url)
    heads = FeedHeads(engine)
    return AppParts(
        settings,
        engine,
        SaleWriter(engine),
        LiveHub(engine, heads),
        heads,
        Sessions(engine, settings.auth_cache_seconds),
    )


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """The HTTP app (`till serve`) on the parts above."""
    from till.api.app import build_app

    parts = app_parts(settings, engine)
    return build_app(
        parts.settings,
        parts.engine,
        sale_writer=parts.sale_writer,
        live=parts.live,
        heads=parts.heads,
        sessions=parts.sessions,
        transports=lambda user: make_transport(parts.engine, parts.settings, user),
    )


def make_transport(engine: Engine, settings: Settings, worker: str) -> Transport:
    """The transport the settings name (`TILL_QUEUE_TRANSPORT`)."""
    policy = RetryPolicy(
        settings.queue_max_attempts, settings.queue_retry_base_seconds, settings.queue_retry_max_seconds
    )
    if settings.queue_transport == "rabbitmq":
        from till.queue.rabbitmq import RabbitTransport

        return RabbitTransport(engine, policy, worker, settings.amqp_url, prefix=settings.amqp_prefix)
    if settings.queue_transport != "database":
        raise ValueError(f"TILL_QUEUE_TRANSPORT={settings.queue_transport!r}: use database or rabbitmq")
    return DatabaseTransport(
        engine,
        policy,
        worker,
        lease_seconds=settings.queue_lease_seconds,
        poll_seconds=settings.queue_poll_seconds,
    )


# --- scheduled jobs ---------------------------------------------------------------------------


async def special_prices(context: JobContext, params: dict[str, Any]) -> str:
    """Start and end planned special prices (the change feed and `price.changed` follow)."""
    from till.services.price_changes import apply_due_prices

    done = await asyncio.to_thread(apply_due_prices, context.engine)
    return f"started {done['started']}, ended {done['ended']}"


async def reconcile_stock(context: JobContext, params: dict[str, Any]) -> str:
    """Realign reservations with source quantities (see services.reconcile)."""
    from till.services.reconcile import reconcile

    minutes = int(params.get("older_than_minutes", 5))
    found = await asyncio.to_thread(reconcile, context.engine, timedelta(minutes=minutes))
    return ", ".join(f"{k} {v}" for k, v in found.items())


def register_jobs(engine: Engine, magento: MagentoSettings | None = None) -> None:
    """Register every job kind this installation runs, with the jobs made on first start:
    the core ones, the queue's housekeeping, and the Magento connector's when it is configured
    (`magento`, or the environment's)."""
    register_job("special_prices", special_prices, (("special-prices", "@every 60s", {}),))
    register_job(
        "reconcile_stock", reconcile_stock, (("reconcile-stock", "*/15 * * * *", {"older_than_minutes": 5}),)
    )
    register_job("retry_exports", scheduler.retry_exports, (("retry-exports", "@every 10m", {"limit": 500}),))
    register_job("purge_outbox", scheduler.purge_outbox, (("purge-outbox", "30 3 * * *", {}),))
    from till.magento.worker import install as install_magento

    install_magento(engine, magento)


def build_worker(
    settings: Settings | None = None,
    engine: Engine | None = None,
    *,
    relay: bool = True,
    consume: bool = True,
    schedule: bool = True,
    name: str | None = None,
    magento: MagentoSettings | None = None,
    tick_seconds: float = 5.0,
    refresh_seconds: float = 5.0,
) -> Worker:
    """A worker (`till worker`): its transport, the jobs and the exporters registered, the
    configured `TILL_EXPORTERS` loaded."""
    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url)
    name = name or worker_name()
    register_jobs(engine, magento)
    return Worker(
        engine,
        settings,
        relay=relay,
        consume=consume,
        schedule=schedule,
        transport=make_transport(engine, settings, name),
        exporters=[*load_exporters(settings.exporters), ReceiptMailer(engine, settings)],
        name=name,
        tick_seconds=tick_seconds,
        refresh_seconds=refresh_seconds,
    )


def ensure_default_jobs(engine: Engine) -> None:
    """Register the jobs and make the default ones that do not exist yet (`till jobs ...`)."""
    register_jobs(engine)
    scheduler.ensure_default_jobs(engine)
