"""Monitoring figures, computed from the database at the moment they are asked for.

App processes are many and stateless, and workers come and go, so nothing here is a
process's own counter except HTTP latency (which is per process by nature). Queue depth,
failures and processing times come from `queue_messages`, `queue_totals`,
`processed_messages` and the workers' heartbeats; sales and sync lag from `orders`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select

from till.queue import store
from till.storage.tables import (
    order_flags,
    orders,
    outbox,
    processed_messages,
    queue_messages,
    queue_totals,
    worker_heartbeats,
)

FRESH = timedelta(seconds=30)


def snapshot(engine: Engine, transport: str = "database", now: datetime | None = None) -> dict[str, Any]:
    """Everything the monitoring page, `till status` and `/metrics` show."""
    now = now or datetime.now(UTC)
    queues: dict[str, dict[str, Any]] = {}

    def entry(name: str) -> dict[str, Any]:
        return queues.setdefault(
            name,
            {
                "waiting": 0,
                "in_flight": 0,
                "dead": 0,
                "processed": 0,
                "failures": 0,
                "mean_ms_5m": None,
                "mean_ms_total": None,
            },
        )

    with engine.connect() as conn:
        for queue, status, count in conn.execute(
            select(queue_messages.c.queue, queue_messages.c.status, func.count())
            .where(queue_messages.c.status.in_([store.READY, store.RUNNING, store.DEAD]))
            .group_by(queue_messages.c.queue, queue_messages.c.status)
        ):
            key = {store.READY: "waiting", store.RUNNING: "in_flight", store.DEAD: "dead"}[status]
            entry(queue)[key] = int(count)
        beats = conn.execute(
            select(
                worker_heartbeats.c.worker,
                worker_heartbeats.c.queue,
                worker_heartbeats.c.in_flight,
                worker_heartbeats.c.waiting,
                worker_heartbeats.c.seen_at,
            ).where(worker_heartbeats.c.seen_at >= now - FRESH)
        ).all()
        workers: dict[str, str] = {}
        for worker, queue, in_flight, waiting, seen_at in beats:
            workers[worker] = (seen_at or now).isoformat()
            if queue == store.WORKER_ITSELF:
                continue
            item = entry(queue)
            if transport == "rabbitmq":
                item["in_flight"] += int(in_flight)
                if waiting is not None:
                    item["waiting"] = max(item["waiting"], int(waiting))
        for queue, processed, total_ms, failures in conn.execute(
            select(
                queue_totals.c.queue,
                queue_totals.c.processed,
                queue_totals.c.total_ms,
                queue_totals.c.failures,
            )
        ):
            item = entry(queue)
            item["processed"] = int(processed)
            item["failures"] = int(failures)
            item["mean_ms_total"] = round(float(total_ms) / int(processed), 3) if processed else None
        for queue, mean in conn.execute(
            select(processed_messages.c.queue, func.avg(processed_messages.c.duration_ms))
            .where(processed_messages.c.finished_at >= now - timedelta(minutes=5))
            .group_by(processed_messages.c.queue)
        ):
            entry(queue)["mean_ms_5m"] = round(float(mean), 3)
        unsent, oldest = conn.execute(
            select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))
        ).one()
        sales_minute = conn.execute(
            select(func.count()).where(orders.c.received_at >= now - timedelta(minutes=1))
        ).scalar_one()
        latest = (
            select(orders.c.register_code, func.max(orders.c.received_at).label("received_at"))
            .group_by(orders.c.register_code)
            .subquery()
        )
        lag: dict[str, dict[str, float]] = {}
        for register, received_at, created_at in conn.execute(
            select(latest.c.register_code, latest.c.received_at, func.max(orders.c.created_at))
            .join(
                orders,
                (orders.c.register_code == latest.c.register_code)
                & (orders.c.received_at == latest.c.received_at),
            )
            .group_by(latest.c.register_code, latest.c.received_at)
        ):
            received = received_at or now
            made = created_at or received
            lag[register] = {
                "lag_seconds": round(max(0.0, (received - made).total_seconds()), 3),
                "last_sale_age_seconds": round(max(0.0, (now - received).total_seconds()), 3),
            }
        flags = {
            flag: int(count)
            for flag, count in conn.execute(
                select(order_flags.c.flag, func.count())
                .where(order_flags.c.resolved.is_(False))
                .group_by(order_flags.c.flag)
            )
        }
    oldest_at = oldest
    return {
        "at": now.isoformat(),
        "transport": transport,
        "queues": dict(sorted(queues.items())),
        "outbox": {
            "unsent": int(unsent),
            "oldest_unsent_age_seconds": None
            if oldest_at is None
            else round(max(0.0, (now - oldest_at).total_seconds()), 3),
        },
        "sales_last_minute": int(sales_minute),
        "sync": dict(sorted(lag.items())),
        "workers": dict(sorted(workers.items())),
        "flags": flags,
    }


class DatabaseCollector(Collector):
    """A Prometheus collector that reads the snapshot at scrape time."""

    def __init__(self, engine: Engine, transport: str) -> None:
        self.engine = engine
        self.transport = transport

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        """The metrics, from one snapshot."""
        data = snapshot(self.engine, self.transport)
        gauges = {
            "waiting": ("till_queue_messages_waiting", "Messages ready in each queue"),
            "in_flight": ("till_queue_messages_in_flight", "Messages being handled"),
            "dead": ("till_queue_messages_dead", "Dead letters waiting for a person"),
            "mean_ms_5m": (
                "till_queue_processing_seconds_mean_5m",
                "Current mean processing time (messages finished in the last 5 minutes)",
            ),
            "mean_ms_total": (
                "till_queue_processing_seconds_mean_total",
                "Total mean processing time since the start",
            ),
        }
        for key, (name, text) in gauges.items():
            family = GaugeMetricFamily(name, text, labels=["queue"])
            for queue, figures in data["queues"].items():
                value = figures[key]
                if value is None:
                    continue
                family.add_metric([queue], value / 1000 if key.startswith("mean") else value)
            yield family
        for key, name, text in (
            ("failures", "till_queue_failures", "Failed tries per queue"),
            ("processed", "till_queue_processed", "Messages handled per queue"),
        ):
            counter = CounterMetricFamily(name, text, labels=["queue"])
            for queue, figures in data["queues"].items():
                counter.add_metric([queue], figures[key])
            yield counter
        yield GaugeMetricFamily(
            "till_outbox_unsent", "Outbox events not yet relayed", value=data["outbox"]["unsent"]
        )
        yield GaugeMetricFamily(
            "till_sales_per_minute", "Sales received in the last minute", value=data["sales_last_minute"]
        )
        lag = GaugeMetricFamily(
            "till_sync_lag_seconds",
            "Per register: how long its newest received sale waited on the till",
            labels=["register"],
        )
        age = GaugeMetricFamily(
            "till_sync_last_sale_age_seconds",
            "Per register: seconds since its newest sale arrived",
            labels=["register"],
        )
        for register, figures in data["sync"].items():
            lag.add_metric([register], figures["lag_seconds"])
            age.add_metric([register], figures["last_sale_age_seconds"])
        yield lag
        yield age
        flags = GaugeMetricFamily("till_flags_open", "Unresolved sale flags by kind", labels=["flag"])
        for flag, count in data["flags"].items():
            flags.add_metric([flag], count)
        yield flags
        yield GaugeMetricFamily("till_workers", "Workers with a fresh heartbeat", value=len(data["workers"]))
