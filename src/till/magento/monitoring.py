"""The connector's monitoring figures, read from the database (app processes are stateless).

- Export queue: Magento-bound outbox messages not yet applied by the `export.magento` consumer
  (and not dead-lettered), counted from the outbox and the consumer's dedupe rows, so the
  figure is the same on the database and the RabbitMQ transport and includes what the relay
  has not handed over yet.
- Pulls: the last successful pull per data set (`magento_pull_state`).
- Calls: each worker process adds its client's call counts and seconds to
  `magento_call_stats` once per pull, reconcile run or export batch (`CallMeter`).
- Reconcile: the stock differences the `magento_reconcile` job left open.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, and_, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from till.magento.client import CallStats
from till.magento.export import TOPICS
from till.queue import store
from till.storage.tables import (
    magento_call_stats,
    magento_pull_state,
    magento_stock_differences,
    outbox,
    processed_messages,
    queue_messages,
)

#: The queue the worker gives the Magento exporter (`export.<name>`).
EXPORT_QUEUE = "export.magento"
#: This process, as its call statistics row names it.
PROCESS = f"{socket.gethostname()}:{os.getpid()}"[:80]


#: A relayed message is applied, dead-lettered or still retried within the queue's retry budget
#: (8 tries, at most 10 minutes apart, by default): older relayed rows need not be looked at,
#: which keeps a scrape cheap with a week of outbox rows. Unrelayed rows count at any age.
LOOKBACK = timedelta(hours=6)


def waiting(now: datetime | None = None) -> Any:
    """Outbox rows of Magento's topics the exporter has not applied yet and that are not dead."""
    since = (now or datetime.now(UTC)) - LOOKBACK
    applied = exists().where(
        and_(
            processed_messages.c.queue == EXPORT_QUEUE, processed_messages.c.message_id == outbox.c.message_id
        )
    )
    died = exists().where(
        and_(
            queue_messages.c.queue == EXPORT_QUEUE,
            queue_messages.c.message_id == outbox.c.message_id,
            queue_messages.c.status == store.DEAD,
        )
    )
    return and_(
        or_(outbox.c.published_at.is_(None), outbox.c.published_at >= since),
        outbox.c.topic.in_(sorted(TOPICS)),
        ~applied,
        ~died,
    )


def dead() -> Any:
    """Dead letters of the Magento export queue (both transports keep them in `queue_messages`)."""
    return and_(queue_messages.c.queue == EXPORT_QUEUE, queue_messages.c.status == store.DEAD)


# --- call statistics ---------------------------------------------------------------------------


def record_calls(engine: Engine, kind: str, delta: CallStats, worker: str = PROCESS) -> None:
    """Add a batch's calls to this worker's running totals (one UPDATE, an INSERT the first time)."""
    if not delta.calls and not delta.retries:
        return
    values = {
        "calls": magento_call_stats.c.calls + delta.calls,
        "errors": magento_call_stats.c.errors + delta.errors,
        "retries": magento_call_stats.c.retries + delta.retries,
        "seconds": magento_call_stats.c.seconds + Decimal(f"{delta.seconds:.6f}"),
        "updated_at": datetime.now(UTC),
    }
    where = and_(magento_call_stats.c.worker == worker, magento_call_stats.c.kind == kind)
    with engine.begin() as conn:
        if conn.execute(update(magento_call_stats).where(where).values(**values)).rowcount:
            return
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(magento_call_stats).values(
                        worker=worker,
                        kind=kind,
                        calls=delta.calls,
                        errors=delta.errors,
                        retries=delta.retries,
                        seconds=Decimal(f"{delta.seconds:.6f}"),
                        updated_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:  # a second thread of this process made it a moment ago
            conn.execute(update(magento_call_stats).where(where).values(**values))


class CallMeter:
    """Saves what a long-lived client did since the last save, at most every `interval` seconds."""

    def __init__(self, engine: Engine, kind: str, interval: float = 5.0) -> None:
        self.engine = engine
        self.kind = kind
        self.interval = interval
        self._saved = CallStats()
        self._saved_at = 0.0

    def flush(self, stats: CallStats, *, force: bool = False) -> None:
        """Record the difference between `stats` and what was saved before."""
        now = time.monotonic()
        if not force and now - self._saved_at < self.interval:
            return
        delta = CallStats(
            calls=stats.calls - self._saved.calls,
            errors=stats.errors - self._saved.errors,
            retries=stats.retries - self._saved.retries,
            seconds=stats.seconds - self._saved.seconds,
        )
        record_calls(self.engine, self.kind, delta)
        self._saved = CallStats(stats.calls, stats.errors, stats.retries, stats.seconds)
        self._saved_at = now


# --- the snapshot --------------------------------------------------------------------------------


def _age(now: datetime, moment: datetime | None) -> float | None:
    return None if moment is None else round(max(0.0, (now - moment).total_seconds()), 3)


def magento_snapshot(engine: Engine, *, configured: bool, now: datetime | None = None) -> dict[str, Any]:
    """The connector's figures for `/metrics`, the monitoring page and `till status`."""
    now = now or datetime.now(UTC)
    with engine.connect() as conn:
        count, oldest = (0, None)
        if configured:
            count, oldest = conn.execute(
                select(func.count(), func.min(outbox.c.created_at)).where(waiting(now))
            ).one()
        died = conn.execute(select(func.count()).where(dead())).scalar_one()
        pulls = {
            row.dataset: {
                "last_success_at": None if row.last_success_at is None else row.last_success_at.isoformat(),
                "age_seconds": _age(now, row.last_success_at),
                "last_full_at": None if row.last_full_at is None else row.last_full_at.isoformat(),
                "items": int(row.items),
                "last_error": row.last_error,
            }
            for row in conn.execute(select(magento_pull_state).order_by(magento_pull_state.c.dataset))
        }
        calls: dict[str, dict[str, Any]] = {}
        for kind, n, errors, retries, seconds in conn.execute(
            select(
                magento_call_stats.c.kind,
                func.sum(magento_call_stats.c.calls),
                func.sum(magento_call_stats.c.errors),
                func.sum(magento_call_stats.c.retries),
                func.sum(magento_call_stats.c.seconds),
            ).group_by(magento_call_stats.c.kind)
        ):
            n = int(n or 0)
            calls[kind] = {
                "calls": n,
                "errors": int(errors or 0),
                "retries": int(retries or 0),
                "seconds": round(float(seconds or 0), 6),
                "mean_ms": round(float(seconds or 0) * 1000 / n, 3) if n else None,
                "error_rate": round(int(errors or 0) / n, 6) if n else None,
            }
        differences = {
            state: int(count)
            for state, count in conn.execute(
                select(magento_stock_differences.c.state, func.count()).group_by(
                    magento_stock_differences.c.state
                )
            )
        }
        checked = conn.execute(select(func.max(magento_stock_differences.c.checked_at))).scalar()
    return {
        "configured": configured,
        "export": {
            "queue": EXPORT_QUEUE,
            "waiting": int(count),
            "oldest_waiting_age_seconds": _age(now, oldest),
            "dead": int(died),
        },
        "pulls": pulls,
        "calls": dict(sorted(calls.items())),
        "reconcile": {
            "open": differences.get("open", 0),
            "pulled": differences.get("pulled", 0),
            "last_difference_checked_at": None if checked is None else checked.isoformat(),
        },
    }


class MagentoCollector(Collector):
    """Prometheus series of the connector, read from one snapshot at scrape time."""

    def __init__(self, engine: Engine, configured: bool) -> None:
        self.engine = engine
        self.configured = configured

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        """The connector's metrics."""
        data = magento_snapshot(self.engine, configured=self.configured)
        export = data["export"]
        yield GaugeMetricFamily(
            "till_magento_export_waiting",
            "Magento exports not yet applied (queue depth)",
            value=export["waiting"],
        )
        if export["oldest_waiting_age_seconds"] is not None:
            yield GaugeMetricFamily(
                "till_magento_export_oldest_waiting_seconds",
                "Age of the oldest Magento export still waiting",
                value=export["oldest_waiting_age_seconds"],
            )
        yield GaugeMetricFamily(
            "till_magento_export_dead", "Magento exports dead-lettered", value=export["dead"]
        )
        last = GaugeMetricFamily(
            "till_magento_last_pull_timestamp_seconds",
            "Unix time of the last successful pull per data set",
            labels=["dataset"],
        )
        age = GaugeMetricFamily(
            "till_magento_last_pull_age_seconds",
            "Seconds since the last successful pull per data set",
            labels=["dataset"],
        )
        for dataset, state in data["pulls"].items():
            if state["last_success_at"] is not None:
                last.add_metric([dataset], datetime.fromisoformat(state["last_success_at"]).timestamp())
                age.add_metric([dataset], state["age_seconds"])
        yield last
        yield age
        counters = (
            ("calls", "till_magento_calls", "Magento REST calls by kind of work"),
            (
                "errors",
                "till_magento_call_errors",
                "Magento REST calls that failed (HTTP >= 400 or no answer)",
            ),
            ("retries", "till_magento_call_retries", "Magento REST calls retried after backoff"),
            ("seconds", "till_magento_call_seconds", "Seconds spent in Magento REST calls"),
        )
        for key, name, text in counters:
            counter = CounterMetricFamily(name, text, labels=["kind"])
            for kind, figures in data["calls"].items():
                counter.add_metric([kind], figures[key])
            yield counter
        mean = GaugeMetricFamily(
            "till_magento_call_seconds_mean", "Mean Magento call latency since the start", labels=["kind"]
        )
        rate = GaugeMetricFamily(
            "till_magento_call_error_ratio",
            "Share of Magento calls that failed since the start",
            labels=["kind"],
        )
        for kind, figures in data["calls"].items():
            if figures["mean_ms"] is not None:
                mean.add_metric([kind], figures["mean_ms"] / 1000)
                rate.add_metric([kind], figures["error_rate"])
        yield mean
        yield rate
        differences = GaugeMetricFamily(
            "till_magento_stock_differences", "Stock differences Till vs Magento by state", labels=["state"]
        )
        for state in ("open", "pulled"):
            differences.add_metric([state], data["reconcile"][state])
        yield differences
