"""The schema: one set of tables for SQLite, PostgreSQL and MariaDB, one module per concept.

Money is `Numeric(20, 4)` and quantities `Numeric(12, 4)`, the sizes Magento uses; the column
types in `types` give them back as cents, four-place quantities and aware UTC moments. Products
keep Magento's EAV shape: a fixed entity row plus one table of values per backend type.
"""

from __future__ import annotations

from till.storage.tables.catalog import (
    attribute_set_members,
    attribute_sets,
    attributes,
    categories,
    product_values,
    products,
    tier_prices,
)
from till.storage.tables.customers import (
    cart_rules,
    customer_groups,
    customer_keys,
    customers,
    tax_rates,
    tax_rules,
)
from till.storage.tables.events import (
    audit_log,
    change_log,
    feed_sequencer,
    outbox,
)
from till.storage.tables.integration import (
    job_runs,
    price_schedules,
    processed_messages,
    queue_messages,
    queue_totals,
    saved_reports,
    scheduled_jobs,
    webhook_endpoints,
    worker_heartbeats,
)
from till.storage.tables.inventory import (
    reservation_totals,
    reservations,
    source_items,
    sources,
    stock_adjustments,
    stock_sources,
    stocks,
)
from till.storage.tables.ledgers import (
    account_entries,
    customer_accounts,
    gift_card_entries,
    gift_cards,
)
from till.storage.tables.magento import (
    magento_call_stats,
    magento_links,
    magento_pull_state,
    magento_source_items,
    magento_stock_differences,
    magento_stock_pushes,
)
from till.storage.tables.places import (
    auth_tokens,
    devices,
    locations,
    registers,
    signin_attempts,
    staff,
    staff_devices,
)
from till.storage.tables.receipts import (
    printers,
    receipt_mails,
)
from till.storage.tables.sales import (
    order_flags,
    order_lines,
    order_payments,
    orders,
    refund_lines,
    refunds,
    refused_actions,
    rejected_sales,
)
from till.storage.tables.shifts import (
    cash_movements,
    shifts,
)
from till.storage.tables.stock_moves import (
    deliveries,
    delivery_lines,
    stock_count_lines,
    stock_counts,
    stock_transfer_lines,
    stock_transfers,
)
from till.storage.tables.store import (
    settings,
)
from till.storage.tables.types import (
    PRECISE_MOMENT,
    SKU,
    Moment,
    Money,
    NaiveMoment,
    Quantity,
    metadata,
    money,
    precise_timestamp,
    qty,
    timestamp,
)

__all__ = [
    "PRECISE_MOMENT",
    "SKU",
    "Moment",
    "Money",
    "NaiveMoment",
    "Quantity",
    "account_entries",
    "attribute_set_members",
    "attribute_sets",
    "attributes",
    "audit_log",
    "auth_tokens",
    "cart_rules",
    "cash_movements",
    "categories",
    "change_log",
    "customer_accounts",
    "customer_groups",
    "customer_keys",
    "customers",
    "deliveries",
    "delivery_lines",
    "devices",
    "feed_sequencer",
    "gift_card_entries",
    "gift_cards",
    "job_runs",
    "locations",
    "magento_call_stats",
    "magento_links",
    "magento_pull_state",
    "magento_source_items",
    "magento_stock_differences",
    "magento_stock_pushes",
    "metadata",
    "money",
    "order_flags",
    "order_lines",
    "order_payments",
    "orders",
    "outbox",
    "precise_timestamp",
    "price_schedules",
    "printers",
    "processed_messages",
    "product_values",
    "products",
    "qty",
    "queue_messages",
    "queue_totals",
    "receipt_mails",
    "refund_lines",
    "refunds",
    "refused_actions",
    "registers",
    "rejected_sales",
    "reservation_totals",
    "reservations",
    "saved_reports",
    "scheduled_jobs",
    "settings",
    "shifts",
    "signin_attempts",
    "source_items",
    "sources",
    "staff",
    "staff_devices",
    "stock_adjustments",
    "stock_count_lines",
    "stock_counts",
    "stock_sources",
    "stock_transfer_lines",
    "stock_transfers",
    "stocks",
    "tax_rates",
    "tax_rules",
    "tier_prices",
    "timestamp",
    "webhook_endpoints",
    "worker_heartbeats",
]
