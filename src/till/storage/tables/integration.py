"""The async integration: queues, webhooks, the scheduler, price schedules and saved reports."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from till.storage.tables.types import (
    SKU,
    metadata,
    money,
    precise_timestamp,
)

# --- async integration: queues, webhooks, scheduler, saved reports ----------------------------------
# (issue 4; all added by one migration, see docs/queue.md)

#: The database queue (the embedded transport, like Magento's MySQL queue): one row per
#: message per queue. With RabbitMQ only dead letters land here (recorded from the
#: dead-letter exchange), so a person can list, replay and discard them the same way.
queue_messages = Table(
    "queue_messages",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("queue", String(80), nullable=False),
    Column("message_id", String(36), nullable=False),
    Column("topic", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    #: ready, running, done, dead, discarded
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    precise_timestamp("available_at"),
    Column("claimed_by", String(80), nullable=True),
    precise_timestamp("lease_until", nullable=True),
    precise_timestamp("created_at"),
    precise_timestamp("finished_at", nullable=True),
    Column("last_error", Text, nullable=True),
    UniqueConstraint("queue", "message_id", name="uq_queue_messages_queue_message"),
    Index("ix_queue_messages_claim", "queue", "status", "available_at"),
)

#: Messages a consumer has applied: the idempotency key of every consumer (redelivery of a
#: message id already here is acknowledged without running the handler again).
processed_messages = Table(
    "processed_messages",
    metadata,
    Column("queue", String(80), primary_key=True),
    Column("message_id", String(36), primary_key=True),
    precise_timestamp("finished_at"),
    Column("duration_ms", Numeric(14, 3), nullable=False),
    Index("ix_processed_messages_finished", "finished_at"),
)

#: Running totals per queue since the start (kept in SQL, so every process adds to one count).
queue_totals = Table(
    "queue_totals",
    metadata,
    Column("queue", String(80), primary_key=True),
    Column("processed", BigInteger, nullable=False, default=0),
    Column("total_ms", Numeric(20, 3), nullable=False, default=0),
    Column("failures", BigInteger, nullable=False, default=0),
    Column("dead", BigInteger, nullable=False, default=0),
)

#: Each worker process says every few seconds what it is doing (for metrics from the database).
worker_heartbeats = Table(
    "worker_heartbeats",
    metadata,
    Column("worker", String(80), primary_key=True),
    Column("queue", String(80), primary_key=True),
    Column("in_flight", Integer, nullable=False, default=0),
    #: messages the broker holds for the queue, as the worker saw it (RabbitMQ only)
    Column("waiting", Integer, nullable=True),
    precise_timestamp("seen_at"),
)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(128), nullable=False),
    Column("url", String(512), nullable=False),
    Column("secret", String(128), nullable=False, info={"secret": True}),
    Column("topics", JSON, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    precise_timestamp("created_at"),
)

#: Cron-like jobs; a due run is claimed by a compare-and-set on `next_run_at`.
scheduled_jobs = Table(
    "scheduled_jobs",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("schedule", String(64), nullable=False),
    Column("params", JSON, nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    precise_timestamp("next_run_at"),
    precise_timestamp("last_run_at", nullable=True),
    Column("last_status", String(8), nullable=True),
    Column("last_result", Text, nullable=True),
)

#: One row per run of a job and due time: the unique key makes a second run of one due time
#: impossible, whatever the number of schedulers.
job_runs = Table(
    "job_runs",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("job", String(64), nullable=False),
    precise_timestamp("due_at"),
    Column("worker", String(80), nullable=False),
    precise_timestamp("started_at"),
    precise_timestamp("finished_at", nullable=True),
    Column("status", String(8), nullable=False),
    Column("result", Text, nullable=True),
    UniqueConstraint("job", "due_at", name="uq_job_runs_job_due"),
)

#: Price changes planned ahead: the scheduler applies and reverts them (feeding the change feed).
price_schedules = Table(
    "price_schedules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sku", String(SKU), nullable=False, index=True),
    money("special_price"),
    precise_timestamp("starts_at"),
    precise_timestamp("ends_at", nullable=True),
    #: pending, active, ended
    Column("status", String(8), nullable=False),
    #: the product's special price fields before activation, restored at the end
    Column("previous", JSON, nullable=True),
    Column("staff_id", Integer, nullable=True),
    precise_timestamp("created_at"),
)

saved_reports = Table(
    "saved_reports",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("title", String(128), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("sql", Text, nullable=False),
    #: {"param": "date" | "int" | "text" | "decimal"}
    Column("params", JSON, nullable=False),
    Column("roles", JSON, nullable=False),
    precise_timestamp("created_at"),
)
