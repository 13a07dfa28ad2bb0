"""Pull Magento's data into Till's model, and every change into Till's change feed.

Data sets, in the order they are pulled (later ones need the earlier ones' ids):
`stores`, `tax` (classes, rates, rules), `customer_groups`, `attributes` (EAV attributes and
attribute sets), `categories`, `products` (custom attributes, configurables and their
children, special and tier prices, image URL), `customers`, `inventory` (MSI sources, stocks,
stock-source links), `stock` (source items and salable quantities) and `promotions` (cart price
rules and their coupons, read whole: Magento keeps no `updated_at` for them).

A delta pull asks for `updated_at >= last seen - overlap` (Magento stores it in UTC), paged by
the key (`updated_at`, `entity_id`), never by offset; the overlap re-reads rows committed late or
stamped by a skewed clock, and applying a row twice is harmless (upserts by key). It also
re-reads a rotating slice of products, whose changes Magento does not always stamp. A full pull
reads everything and also removes (disables) what Magento no longer has. Only what actually
changed goes into the change feed, so a delta that re-reads the overlap does not wake every
till. A data set that fails is recorded and the others are pulled all the same (`PullFailed`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from till.domain.catalog import (
    CatalogError,
)
from till.magento.client import MagentoClient, MagentoError
from till.magento.pull.catalog import _link_children, _product, _pull_products, _save_products
from till.magento.pull.common import DATASETS, Progress, PullFailed, PullReport, _Context, log, magento_time
from till.magento.pull.customers import _pull_customers, pull_customer_ids
from till.magento.pull.reference import (
    _pull_attributes,
    _pull_categories,
    _pull_groups,
    _pull_stores,
    _pull_tax,
    base_currency,
    store_ids,
)
from till.magento.pull.rules import _pull_promotions, not_supported_rules
from till.magento.pull.stock import _pull_inventory, _pull_stock, _sweep, pull_stock_of, salable_quantities
from till.storage.feed import record_changes, stamp_pending
from till.storage.magento_links import (
    all_pull_states,
    save_pull_state,
)

# --- the pull --------------------------------------------------------------------------------------

#: What a data set needs pulled first, in the same run.
NEEDS: dict[str, tuple[str, ...]] = {"products": ("tax", "attributes")}


async def pull(
    engine: Engine,
    client: MagentoClient,
    *,
    full: bool = False,
    datasets: Sequence[str] = DATASETS,
    progress: Progress | None = None,
) -> PullReport:
    """Pull the data sets from Magento into Till; a delta unless `full`."""
    unknown = [d for d in datasets if d not in DATASETS]
    if unknown:
        raise ValueError(f"unknown data sets {unknown}; there are {', '.join(DATASETS)}")
    report = PullReport()
    ctx = _Context()
    settings = client.settings
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("stores", lambda: _pull_stores(engine, client, report)),
        ("tax", lambda: _pull_tax(engine, client, ctx, report)),
        ("customer_groups", lambda: _pull_groups(engine, client, ctx, report)),
        ("attributes", lambda: _pull_attributes(engine, client, ctx, report)),
        ("categories", lambda: _pull_categories(engine, client, full, report)),
        ("products", lambda: _pull_products(engine, client, ctx, full, report, progress)),
        ("customers", lambda: _pull_customers(engine, client, full, report, progress)),
        ("inventory", lambda: _pull_inventory(engine, client, settings, report)),
        ("stock", lambda: _pull_stock(engine, client, ctx, full, report, progress)),
        ("promotions", lambda: _pull_promotions(engine, client, report)),
    ]
    wanted = set(datasets)
    # Products need tax classes and attributes' ids even when only products are asked for.
    if "products" in wanted:
        wanted |= set(NEEDS["products"])
    for name, step in steps:
        if name not in wanted:
            continue
        if progress:
            progress(name, 0, 0)
        failed_first = [need for need in NEEDS.get(name, ()) if need in report.failed]
        try:
            if failed_first:
                # Without their ids the rows would be saved wrong (EAV values dropped): wait.
                raise MagentoError(f"waits for {', '.join(failed_first)}, which failed")
            await step()
        except Exception as exc:
            # One data set failing (a route refused, a bad row) must not stop the others: web
            # orders, stock and customers keep arriving while it is fixed.
            report.failed[name] = str(exc)[:2000]
            log.warning("magento pull of %s failed: %s", name, exc)
            with engine.begin() as conn:
                save_pull_state(conn, name, updated_since=None, items=0, full=full, error=str(exc)[:2000])
    stamp_pending(engine)
    if report.failed:
        raise PullFailed(report)
    return report


async def pull_deltas(engine: Engine, client: MagentoClient) -> PullReport:
    """What the scheduler runs every few seconds: every data set's changes since the last pull."""
    return await pull(engine, client, full=False)


async def pull_skus(engine: Engine, client: MagentoClient, skus: Sequence[str]) -> PullReport:
    """Re-read a few products and their stock now (the webhook's fast path)."""
    report = PullReport()
    ctx = _Context()
    await _pull_tax(engine, client, ctx, report)
    await _pull_attributes(engine, client, ctx, report)
    now = datetime.now(UTC)
    changed: list[str] = []
    for sku in skus:
        item = await client.get("/V1/products/:sku", sku=sku)
        try:
            product, children = _product(item, ctx, client.settings)
        except (CatalogError, KeyError, ValueError):
            continue
        with engine.begin() as conn:
            saved = _save_products(conn, ctx, [(product, int(item["id"]))], now)
            record_changes(conn, "products", saved)
            record_changes(conn, "prices", saved)
        changed += saved
        if children:
            _link_children(engine, {product.sku: children})
    report.add("products", len(skus), len(changed))
    await _pull_stock(engine, client, ctx, False, report, None, only_skus=skus)
    stamp_pending(engine)
    return report


def pull_states(engine: Engine) -> list[dict[str, Any]]:
    """Every data set's pull state, for `till magento check` and monitoring."""
    with engine.connect() as conn:
        return all_pull_states(conn)


__all__ = [
    "DATASETS",
    "PullFailed",
    "PullReport",
    "_sweep",
    "base_currency",
    "magento_time",
    "not_supported_rules",
    "pull",
    "pull_customer_ids",
    "pull_deltas",
    "pull_skus",
    "pull_states",
    "pull_stock_of",
    "salable_quantities",
    "store_ids",
]
