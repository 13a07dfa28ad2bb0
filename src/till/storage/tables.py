"""The schema: one set of tables for SQLite, PostgreSQL and MariaDB.

Money is `Numeric(20, 4)` and quantities `Numeric(12, 4)`, the sizes Magento uses. Products
keep Magento's EAV shape: a fixed entity row plus one table of values per backend type.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeEngine

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def money(name: str, nullable: bool = False) -> Column[object]:
    """A money column: decimal(20,4) as Magento's."""
    return Column(name, Numeric(20, 4, asdecimal=True), nullable=nullable)


def qty(name: str, nullable: bool = False) -> Column[object]:
    """A quantity column: decimal(12,4) as Magento's qty fields."""
    return Column(name, Numeric(12, 4, asdecimal=True), nullable=nullable)


def timestamp(name: str, nullable: bool = False) -> Column[object]:
    """A moment, stored in UTC."""
    return Column(name, DateTime(timezone=True), nullable=nullable)


SKU = 64

settings = Table(
    "store_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
)

# --- inventory (MSI) -----------------------------------------------------------------------

sources = Table(
    "sources",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
)

stocks = Table(
    "stocks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(128), nullable=False),
)

stock_sources = Table(
    "stock_sources",
    metadata,
    Column("stock_id", ForeignKey("stocks.id"), primary_key=True),
    Column("source_code", ForeignKey("sources.code"), primary_key=True),
    Column("priority", Integer, nullable=False, default=0),
)

source_items = Table(
    "source_items",
    metadata,
    Column("sku", String(SKU), primary_key=True),
    Column("source_code", ForeignKey("sources.code"), primary_key=True),
    qty("quantity"),
    Column("in_stock", Boolean, nullable=False, default=True),
    timestamp("updated_at"),
)

reservations = Table(
    "reservations",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("stock_id", ForeignKey("stocks.id"), nullable=False),
    Column("sku", String(SKU), nullable=False),
    qty("quantity"),
    Column("event", String(32), nullable=False),
    Column("object_type", String(32), nullable=False),
    Column("object_id", String(64), nullable=False),
    timestamp("created_at"),
    Index("ix_reservations_stock_sku", "stock_id", "sku"),
)

#: The running sum of `reservations` per stock and sku, kept in SQL in the writer's transaction,
#: so salable quantity is read from one row instead of summing an ever-growing ledger.
reservation_totals = Table(
    "reservation_totals",
    metadata,
    Column("stock_id", ForeignKey("stocks.id"), primary_key=True),
    Column("sku", String(SKU), primary_key=True),
    qty("quantity"),
)

stock_adjustments = Table(
    "stock_adjustments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sku", String(SKU), nullable=False),
    Column("source_code", ForeignKey("sources.code"), nullable=False),
    Column("to_source_code", ForeignKey("sources.code"), nullable=True),
    Column("reason", String(16), nullable=False),
    qty("quantity"),
    Column("note", String(255), nullable=False, default=""),
    Column("staff_id", Integer, nullable=True),
    timestamp("created_at"),
)

# --- locations, registers, devices, staff ----------------------------------------------------

locations = Table(
    "locations",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("source_code", ForeignKey("sources.code"), nullable=False),
    Column("stock_id", ForeignKey("stocks.id"), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("country", String(2), nullable=False),
    Column("region", String(64), nullable=False, default=""),
    Column("postcode", String(16), nullable=False, default=""),
    Column("currency", String(3), nullable=False, default="USD"),
)

registers = Table(
    "registers",
    metadata,
    Column("code", String(12), primary_key=True),
    Column("location_code", ForeignKey("locations.code"), nullable=False),
    Column("name", String(128), nullable=False),
)

staff = Table(
    "staff",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("name", String(128), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("pin_hash", String(255), nullable=False),
    #: PBKDF2 verifier a till can check with WebCrypto for an offline PIN sign-in.
    Column("pin_offline", String(255), nullable=False, default=""),
    Column("locations", JSON, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("discount_limit", Numeric(5, 2), nullable=True),
    Column("failed_attempts", Integer, nullable=False, default=0),
    timestamp("locked_until", nullable=True),
    timestamp("updated_at"),
)

devices = Table(
    "devices",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("register_code", ForeignKey("registers.code"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    timestamp("created_at"),
    timestamp("revoked_at", nullable=True),
)

auth_tokens = Table(
    "auth_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("staff_id", ForeignKey("staff.id"), nullable=False),
    Column("device_id", ForeignKey("devices.id"), nullable=True),
    timestamp("created_at"),
    timestamp("expires_at"),
    timestamp("revoked_at", nullable=True),
)

#: Sign-in attempts by source address (and username): the rate limit per source (username
#: ""), a member's lock from one source, and the refusals counted for the audit log's bound.
signin_attempts = Table(
    "signin_attempts",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("username", String(64), primary_key=True),
    timestamp("window_start"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("failures", Integer, nullable=False, default=0),
    timestamp("locked_until", nullable=True),
)

# --- catalog (EAV) ----------------------------------------------------------------------------

attributes = Table(
    "attributes",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("label", String(128), nullable=False),
    Column("backend_type", String(16), nullable=False),
    Column("frontend_input", String(16), nullable=False, default="text"),
    Column("options", JSON, nullable=False),
    Column("is_required", Boolean, nullable=False, default=False),
)

attribute_sets = Table(
    "attribute_sets",
    metadata,
    Column("name", String(64), primary_key=True),
)

attribute_set_members = Table(
    "attribute_set_members",
    metadata,
    Column("set_name", ForeignKey("attribute_sets.name"), primary_key=True),
    Column("attribute_code", ForeignKey("attributes.code"), primary_key=True),
)

categories = Table(
    "categories",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(128), nullable=False),
    Column("parent_id", Integer, nullable=True),
    Column("position", Integer, nullable=False, default=0),
)

products = Table(
    "products",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sku", String(SKU), nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    Column("type", String(16), nullable=False),
    Column("attribute_set", ForeignKey("attribute_sets.name"), nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    money("price"),
    money("special_price", nullable=True),
    Column("special_from", Date, nullable=True),
    Column("special_to", Date, nullable=True),
    Column("tax_class", String(64), nullable=False),
    Column("barcode", String(64), nullable=True, index=True),
    Column("parent_sku", String(SKU), nullable=True, index=True),
    Column("configurable_attributes", JSON, nullable=False),
    Column("category_ids", JSON, nullable=False),
    timestamp("updated_at"),
)


def _eav_values(backend: str, value_type: TypeEngine[Any]) -> Table:
    return Table(
        f"product_values_{backend}",
        metadata,
        Column("product_id", ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
        Column("attribute_code", ForeignKey("attributes.code"), primary_key=True),
        Column("value", value_type, nullable=False),
    )


product_values = {
    "varchar": _eav_values("varchar", String(255)),
    "int": _eav_values("int", Integer()),
    "decimal": _eav_values("decimal", Numeric(20, 4)),
    "text": _eav_values("text", Text()),
    "datetime": _eav_values("datetime", DateTime(timezone=True)),
}

tier_prices = Table(
    "tier_prices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("product_id", ForeignKey("products.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("customer_group_id", Integer, nullable=True),
    qty("qty"),
    money("price"),
)

# --- customers and tax --------------------------------------------------------------------------

customer_groups = Table(
    "customer_groups",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("code", String(64), nullable=False),
    Column("tax_class", String(64), nullable=False),
)

customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(255), nullable=False, unique=True),
    Column("firstname", String(128), nullable=False),
    Column("lastname", String(128), nullable=False),
    Column("phone", String(32), nullable=True),
    Column("group_id", ForeignKey("customer_groups.id"), nullable=False),
    timestamp("created_at"),
    timestamp("updated_at"),
)

#: The keys tills gave customers they created (offline or not): creation is idempotent, and
#: a customer made offline whose e-mail was known is linked here instead of duplicated.
customer_keys = Table(
    "customer_keys",
    metadata,
    Column("client_key", String(80), primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False, index=True),
)

tax_rates = Table(
    "tax_rates",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("country", String(2), nullable=False),
    Column("region", String(64), nullable=False, default="*"),
    Column("postcode", String(32), nullable=False, default="*"),
    Column("percent", Numeric(12, 4), nullable=False),
)

tax_rules = Table(
    "tax_rules",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("customer_classes", JSON, nullable=False),
    Column("product_classes", JSON, nullable=False),
    Column("rates", JSON, nullable=False),
    Column("priority", Integer, nullable=False, default=0),
    Column("position", Integer, nullable=False, default=0),
    Column("calculate_subtotal", Boolean, nullable=False, default=False),
)

cart_rules = Table(
    "cart_rules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(128), nullable=False),
    Column("coupon_code", String(64), nullable=True, unique=True),
    Column("action", String(16), nullable=False),
    money("amount"),
    Column("active", Boolean, nullable=False, default=True),
    Column("from_date", Date, nullable=True),
    Column("to_date", Date, nullable=True),
    Column("customer_groups", JSON, nullable=False),
    money("min_subtotal", nullable=True),
    Column("skus", JSON, nullable=True),
    Column("sort_order", Integer, nullable=False, default=0),
    Column("stop_further_rules", Boolean, nullable=False, default=False),
)

# --- sales ---------------------------------------------------------------------------------------

orders = Table(
    "orders",
    metadata,
    Column("id", String(36), primary_key=True),
    # Idempotency is this constraint, not a look-up: two racing retries make one sale.
    Column("idempotency_key", String(80), nullable=False, unique=True),
    Column("receipt_number", String(32), nullable=False),
    Column("register_code", ForeignKey("registers.code"), nullable=False),
    Column("location_code", ForeignKey("locations.code"), nullable=False),
    Column("staff_id", ForeignKey("staff.id"), nullable=False),
    Column("customer_id", ForeignKey("customers.id"), nullable=True),
    Column("state", String(16), nullable=False),
    timestamp("created_at"),
    timestamp("received_at"),
    Column("business_day", Date, nullable=False),
    money("subtotal"),
    money("discount"),
    money("tax"),
    money("discount_tax_compensation"),
    money("grand_total"),
    money("client_subtotal"),
    money("client_discount"),
    money("client_tax"),
    money("client_grand_total"),
    money("change_due"),
    money("total_refunded"),
    Column("coupon_code", String(64), nullable=True),
    Column("flags", String(255), nullable=False, default=""),
    Column("shift_id", Integer, nullable=True),
    #: When the goods were deducted from the location's source (MSI shipment); NULL until then.
    timestamp("fulfilled_at", nullable=True),
    UniqueConstraint("register_code", "receipt_number", name="uq_orders_register_receipt"),
    Index("ix_orders_location_day", "location_code", "business_day"),
    Index("ix_orders_received_at", "received_at"),
    Index("ix_orders_fulfilled_at", "fulfilled_at"),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", ForeignKey("orders.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True, autoincrement=False),
    Column("sku", String(SKU), nullable=False),
    Column("name", String(255), nullable=False),
    qty("qty"),
    money("price"),
    money("price_incl_tax"),
    money("row_total"),
    money("discount"),
    money("tax"),
    money("discount_tax_compensation"),
    money("row_grand_total"),
    qty("qty_refunded"),
    money("amount_refunded"),
)

order_payments = Table(
    "order_payments",
    metadata,
    Column("order_id", ForeignKey("orders.id"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("method", String(16), nullable=False),
    money("amount"),
    Column("reference", String(128), nullable=False, default=""),
)

order_flags = Table(
    "order_flags",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False, index=True),
    Column("flag", String(32), nullable=False),
    Column("detail", JSON, nullable=False),
    timestamp("created_at"),
    Column("resolved", Boolean, nullable=False, default=False),
)

#: Sales the server could not accept, kept whole so a manager can see and mend them.
rejected_sales = Table(
    "rejected_sales",
    metadata,
    Column("idempotency_key", String(80), primary_key=True),
    Column("register_code", String(12), nullable=False),
    Column("reason", Text, nullable=False),
    Column("payload", JSON, nullable=False),
    timestamp("received_at"),
)

refunds = Table(
    "refunds",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("idempotency_key", String(80), nullable=False, unique=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False, index=True),
    Column("register_code", ForeignKey("registers.code"), nullable=False),
    Column("staff_id", ForeignKey("staff.id"), nullable=False),
    timestamp("created_at"),
    Column("business_day", Date, nullable=False),
    money("subtotal"),
    money("discount"),
    money("tax"),
    money("total"),
    Column("method", String(16), nullable=False),
    Column("reason", String(255), nullable=False, default=""),
    Column("shift_id", Integer, nullable=True),
)

refund_lines = Table(
    "refund_lines",
    metadata,
    Column("refund_id", ForeignKey("refunds.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True, autoincrement=False),
    Column("sku", String(SKU), nullable=False),
    qty("qty"),
    Column("restock", Boolean, nullable=False),
    money("row_total"),
    money("discount"),
    money("tax"),
    money("discount_tax_compensation"),
    money("amount"),
)

# --- shifts ---------------------------------------------------------------------------------------

shifts = Table(
    "shifts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("register_code", ForeignKey("registers.code"), nullable=False),
    # Set while the shift is open, NULL once closed: at most one open shift per register.
    Column("open_register", String(12), nullable=True, unique=True),
    Column("opened_by", ForeignKey("staff.id"), nullable=False),
    timestamp("opened_at"),
    money("opening_float"),
    Column("closed_by", ForeignKey("staff.id"), nullable=True),
    timestamp("closed_at", nullable=True),
    money("counted_cash", nullable=True),
    Column("z_report", JSON, nullable=True),
)

cash_movements = Table(
    "cash_movements",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shift_id", ForeignKey("shifts.id"), nullable=False, index=True),
    Column("kind", String(3), nullable=False),
    money("amount"),
    Column("reason", String(255), nullable=False),
    Column("staff_id", ForeignKey("staff.id"), nullable=False),
    timestamp("created_at"),
)

# --- change feed and outbox -----------------------------------------------------------------------

#: One row per change to a synced entity. `seq` is stamped after commit by one serialized
#: step (see docs/sync.md), so readers paging by `seq` never skip a late-committing row.
change_log = Table(
    "change_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("seq", BigInteger, nullable=True),
    Column("dataset", String(16), nullable=False),
    Column("entity_key", String(128), nullable=False),
    Column("op", String(8), nullable=False),
    #: For stock: the location whose tills care; NULL means every till.
    Column("scope", String(32), nullable=True),
    timestamp("created_at"),
    Index("ix_change_log_seq", "seq"),
    Index("ix_change_log_dataset_seq", "dataset", "seq"),
    UniqueConstraint("dataset", "entity_key", name="uq_change_log_entity"),
)

feed_sequencer = Table(
    "feed_sequencer",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_seq", BigInteger, nullable=False),
)

#: The transactional outbox: an event row written in the same transaction as its change.
outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("message_id", String(36), nullable=False, unique=True),
    Column("topic", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    timestamp("created_at"),
    timestamp("published_at", nullable=True),
    Index("ix_outbox_published", "published_at"),
)

#: The audit log: who did what, when and where. Append-only: the database itself refuses an
#: UPDATE or DELETE of a row (triggers, migration d4e5f6a7b8c9; docs/trust.md). Who is kept as
#: the staff id and the username at the time, so a line reads the same for ever.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    timestamp("at"),
    Column("staff_id", Integer, nullable=True),
    Column("location_code", String(32), nullable=True),
    Column("register_code", String(12), nullable=True),
    Column("action", String(64), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("username", String(64), nullable=True),
    Column("device_id", String(36), nullable=True),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_staff", "staff_id", "id"),
    Index("ix_audit_log_action", "action", "id"),
)

# --- async integration: queues, webhooks, scheduler, saved reports ----------------------------------
# (issue 4; all added by one migration, see docs/queue.md)

#: Leases, backoffs and due times need sub-second precision; MariaDB's DATETIME keeps whole
#: seconds unless asked for six places.
PRECISE_MOMENT = DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def precise_timestamp(name: str, nullable: bool = False) -> Column[object]:
    """A moment in UTC, to the microsecond on every database."""
    return Column(name, PRECISE_MOMENT, nullable=nullable)


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
    Column("secret", String(128), nullable=False),
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

# --- Magento connector ------------------------------------------------------------------------------

#: Which Magento object a Till object became (or came from): exports look here before creating,
#: so a retried or replayed export never makes a second Magento object.
magento_links = Table(
    "magento_links",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("till_id", String(80), primary_key=True),
    Column("magento_id", String(64), nullable=False),
    Column("detail", JSON, nullable=False),
    timestamp("updated_at"),
    Index("ix_magento_links_kind_magento", "kind", "magento_id"),
)

#: Per data set: how far the pull from Magento got (Magento's `updated_at`, UTC) and when.
magento_pull_state = Table(
    "magento_pull_state",
    metadata,
    Column("dataset", String(32), primary_key=True),
    Column("updated_since", String(19), nullable=True),
    timestamp("last_success_at", nullable=True),
    timestamp("last_full_at", nullable=True),
    Column("items", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
)

#: Source-item changes sent to Magento, one row per (Till movement, sku, source): the ledger
#: that makes each POS stock movement reach Magento exactly once (see docs/magento.md).
magento_stock_pushes = Table(
    "magento_stock_pushes",
    metadata,
    Column("movement", String(80), primary_key=True),
    Column("sku", String(SKU), primary_key=True),
    Column("source_code", String(64), primary_key=True),
    qty("delta"),
    qty("before_qty", nullable=True),
    qty("after_qty", nullable=True),
    Column("state", String(12), nullable=False),
    timestamp("updated_at"),
)

#: Magento's source-item quantities as last seen (pulled or written by Till): the base of a
#: three-way merge, so a pull adds only what moved in Magento and never undoes a Till movement
#: that is still on its way to Magento.
magento_source_items = Table(
    "magento_source_items",
    metadata,
    Column("sku", String(SKU), primary_key=True),
    Column("source_code", String(64), primary_key=True),
    qty("quantity"),
    Column("status", Integer, nullable=False),
    timestamp("updated_at"),
)

#: Stock differences the `magento_reconcile` job found between Till's salable quantity and
#: Magento's, one row per (sku, stock) as of the last run that looked at it.
magento_stock_differences = Table(
    "magento_stock_differences",
    metadata,
    Column("sku", String(SKU), primary_key=True),
    Column("stock_id", Integer, primary_key=True),
    qty("till_quantity"),
    qty("magento_quantity"),
    #: `open` (still differs), `pulled` (Till re-read Magento and now agrees).
    Column("state", String(12), nullable=False),
    timestamp("found_at"),
    timestamp("checked_at"),
)

#: Magento REST calls per worker process and kind of work (pull, export, reconcile): running
#: totals each process adds to after a batch, so any app process can show latency and errors.
magento_call_stats = Table(
    "magento_call_stats",
    metadata,
    Column("worker", String(80), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("calls", BigInteger, nullable=False, default=0),
    Column("errors", BigInteger, nullable=False, default=0),
    Column("retries", BigInteger, nullable=False, default=0),
    Column("seconds", Numeric(20, 6), nullable=False, default=0),
    timestamp("updated_at"),
)
