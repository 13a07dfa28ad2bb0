"""The connector plugged into `till worker`: the exporter on the queue, pulls on the scheduler.

`install(engine)` is called by the composition root (till.bootstrap) when
`TILL_MAGENTO_BASE_URL` is set: outbox
messages of the exporter's topics go to the `export.magento` queue (retries with backoff, then a
dead letter a person can replay), and two scheduled jobs keep Till current with Magento:
a delta pull every 15 seconds and a full re-sync at night; a third compares stock with
Magento every 10 minutes (`magento_reconcile`, see till.magento.reconcile). Without Magento
nothing is installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from till.magento.client import MagentoClient
from till.magento.export import TOPICS, MagentoExporter
from till.magento.monitoring import CallMeter, record_calls
from till.magento.pull import pull
from till.magento.reconcile import reconcile
from till.magento.settings import MagentoSettings, get_magento_settings
from till.queue.export import register_exporter
from till.queue.scheduler import JobContext, add_job, list_jobs, register_job

log = logging.getLogger("till.magento.worker")

#: (name, kind, schedule, params) of the connector's jobs, made once; people change them after.
MAGENTO_JOBS: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    ("magento-pull", "magento_pull", "@every 15s", {}),
    ("magento-full-pull", "magento_pull", "15 2 * * *", {"full": True}),
    ("magento-reconcile", "magento_reconcile", "*/10 * * * *", {}),
)


class QueuedMagentoExporter:
    """The exporter as a queue consumer runs it: its HTTP client is made in the worker's loop."""

    name = "magento"
    topics: frozenset[str] = TOPICS

    def __init__(self, engine: Engine, settings: MagentoSettings) -> None:
        self.engine = engine
        self.settings = settings
        self._exporter: MagentoExporter | None = None
        self._meter = CallMeter(engine, "export")

    async def export(self, message_id: str, topic: str, payload: dict[str, Any]) -> None:
        """Export one message to Magento (idempotent; raises to be retried)."""
        if self._exporter is None:
            self._exporter = MagentoExporter(self.engine, MagentoClient(self.settings))
        stats = self._exporter.client.stats
        try:
            await self._exporter.export(message_id, topic, payload)
        except Exception:
            await _quietly(self._meter.flush, stats, force=True)
            raise
        # Saved at most every few seconds: a busy queue costs one small UPDATE per batch.
        await _quietly(self._meter.flush, stats)


async def _quietly(function: Callable[..., None], *args: Any, **options: Any) -> None:
    """Save call statistics without letting a failed save fail (and repeat) the work itself."""
    try:
        await asyncio.to_thread(function, *args, **options)
    except SQLAlchemyError:
        log.exception("could not save the Magento call statistics")


#: The store `install` connected this process to (the environment's, unless given).
_installed: MagentoSettings | None = None


async def _pull_job(context: JobContext, params: dict[str, Any]) -> str:
    settings = _installed or get_magento_settings()
    if not settings.configured:
        return "Magento is not configured (TILL_MAGENTO_BASE_URL)"
    async with MagentoClient(settings) as client:
        try:
            report = await pull(context.engine, client, full=bool(params.get("full")))
        finally:
            await _quietly(record_calls, context.engine, "pull", client.stats)
    changed = {name: n for name, n in report.changed.items() if n}
    return f"changed {changed}" if changed else "nothing changed"


async def _reconcile_job(context: JobContext, params: dict[str, Any]) -> str:
    """Till's salable quantities against Magento's: differences stored, corrected by the policy."""
    settings = _installed or get_magento_settings()
    if not settings.configured:
        return "Magento is not configured (TILL_MAGENTO_BASE_URL)"
    policy = str(params.get("policy") or settings.reconcile_policy)
    async with MagentoClient(settings) as client:
        try:
            report = await reconcile(context.engine, client, policy=policy)
        finally:
            await _quietly(record_calls, context.engine, "reconcile", client.stats)
    return report.summary()


def install(engine: Engine, settings: MagentoSettings | None = None) -> bool:
    """Register the exporter and the pull jobs when Magento is configured; returns whether it was."""
    global _installed
    settings = settings or get_magento_settings()
    if not settings.configured:
        return False
    _installed = settings
    register_job("magento_pull", _pull_job)
    register_job("magento_reconcile", _reconcile_job)
    register_exporter(QueuedMagentoExporter(engine, settings))
    have = {job["name"] for job in list_jobs(engine)}
    for name, kind, when, params in MAGENTO_JOBS:
        if name not in have:
            with contextlib.suppress(IntegrityError):  # another worker made it a moment ago
                add_job(engine, name, kind, when, params)
    return True
