"""Pull MSI: sources, stocks, their links, source items and salable quantities."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Engine, and_, delete, func, select, update

from till.domain.inventory import Reservation
from till.domain.money import round_qty
from till.magento.client import Filter, MagentoClient, MagentoError, MagentoUnavailable
from till.magento.pull.common import (
    BY_SOURCE_CODE,
    BY_STOCK_ID,
    MAGENTO_OFFSET,
    Progress,
    PullReport,
    _Context,
    _finish_in,
    _upsert,
    log,
)
from till.magento.settings import MagentoSettings
from till.storage import tables as t
from till.storage.feed import record_changes, stamp_pending
from till.storage.magento_links import (
    baselines,
    in_flight,
    save_baseline,
    save_pull_state,
)
from till.storage.stock import StockRepository

# --- MSI: sources, stocks, links ----------------------------------------------------------------------------


async def _pull_inventory(
    engine: Engine, client: MagentoClient, settings: MagentoSettings, report: PullReport
) -> None:
    # Each list sorted by its unique key (a skipped source failed the links' foreign key):
    # magento/inventory's Source/Command/GetList.php and Stock/Command/GetList.php sort the
    # inventory_source / inventory_stock columns as named; the links, unique only as
    # (stock_id, source_code) (Inventory/etc/db_schema.xml), are paged by that key
    # (StockSourceLink/Command/GetStockSourceLinks.php filters and sorts those columns).
    sources, stocks, links = await asyncio.gather(
        client.search_all("/V1/inventory/sources", sort=BY_SOURCE_CODE),
        client.search_all("/V1/inventory/stocks", sort=BY_STOCK_ID),
        client.search_all(
            "/V1/inventory/stock-source-links",
            keys=(("stock_id", "stock_id"), ("source_code", "source_code")),
        ),
    )
    changed = 0
    with engine.begin() as conn:
        for source in sources:
            values = {
                "name": str(source.get("name") or source["source_code"])[:128],
                "enabled": bool(source.get("enabled", True)),
            }
            changed += _upsert(conn, t.sources, {"code": str(source["source_code"])}, values)
        for stock in stocks:
            changed += _upsert(
                conn, t.stocks, {"id": int(stock["stock_id"])}, {"name": str(stock.get("name") or "")[:128]}
            )
        # Which stocks sell on a website: only those ever hold reservations (an order's stock is
        # its website's), so only those need Magento's salable quantity asked for.
        channels = {
            str(stock["stock_id"]): (stock.get("extension_attributes") or {}).get("sales_channels") or []
            for stock in stocks
        }
        _upsert(conn, t.settings, {"key": "magento_sales_channels"}, {"value": channels})
        wanted = {
            (int(link["stock_id"]), str(link["source_code"])): int(link.get("priority") or 0)
            for link in links
        }
        present = {(int(r.stock_id), str(r.source_code)) for r in conn.execute(select(t.stock_sources))}
        for (stock_id, source_code), priority in sorted(wanted.items()):
            changed += _upsert(
                conn,
                t.stock_sources,
                {"stock_id": stock_id, "source_code": source_code},
                {"priority": priority},
            )
        for stock_id, source_code in sorted(present - set(wanted)):
            conn.execute(
                delete(t.stock_sources).where(
                    t.stock_sources.c.stock_id == stock_id, t.stock_sources.c.source_code == source_code
                )
            )
            changed += 1
        # A Till location sells from the stock and hands over from the source it is mapped to.
        for code, mapping in settings.locations.items():
            changed += conn.execute(
                update(t.locations)
                .where(
                    t.locations.c.code == code,
                    (t.locations.c.source_code != mapping.source)
                    | (t.locations.c.stock_id != mapping.stock_id),
                )
                .values(source_code=mapping.source, stock_id=mapping.stock_id)
            ).rowcount
        _finish_in(conn, "inventory", len(sources) + len(stocks) + len(links))
    report.add("inventory", len(sources) + len(stocks) + len(links), changed)


# --- MSI: source items and salable quantities ------------------------------------------------


async def _pull_stock(  # noqa: C901 - one pass over sources, stocks and source items; split with issue 13's paging work
    engine: Engine,
    client: MagentoClient,
    ctx: _Context,
    full: bool,
    report: PullReport,
    progress: Progress | None,
    only_skus: Iterable[str] | None = None,
) -> None:
    """Source items carry no `updated_at` in MSI, so the sources tills sell from are read whole
    and compared with Magento's quantities as last seen (the baseline). Only what moved in
    Magento is added to Till's quantity: a Till sale still on its way to Magento is never undone
    by a pull. Salable quantities are asked for the skus that moved (all, on a full pull)."""
    with engine.connect() as conn:
        stock_ids = sorted({int(s) for s in conn.execute(select(t.locations.c.stock_id)).scalars()})
        source_codes = sorted(
            {
                str(s)
                for s in conn.execute(
                    select(t.stock_sources.c.source_code).where(t.stock_sources.c.stock_id.in_(stock_ids))
                ).scalars()
            }
        )
        sellable = set(
            conn.execute(select(t.products.c.sku).where(t.products.c.type != "configurable")).scalars()
        )
    if not source_codes:
        report.add("stock")
        return
    filters: list[list[Filter]] = [[("source_code", ",".join(source_codes), "in")]]
    wanted = sorted(set(only_skus)) if only_skus is not None else None
    if wanted is not None:
        if not wanted:
            return
        filters.append([("sku", ",".join(wanted), "in")])
    read = 0
    moved: set[str] = set()
    # Paged by (sku, source_code): sorted by sku alone, one sku's rows in two sources tie, and
    # MySQL may order ties differently on each page (rows skipped or read twice).
    by_key = (("sku", "sku"), ("source_code", "source_code"))
    async for items, total in client.search_by_key("/V1/inventory/source-items", filters, keys=by_key):
        with engine.begin() as conn:
            busy = in_flight(conn)
            keys = [(str(i["sku"]), str(i["source_code"])) for i in items]
            seen = baselines(conn, keys)
            stock = StockRepository(conn)
            for item, key in zip(items, keys, strict=True):
                read += 1
                sku, source = key
                if sku not in sellable or key in busy:
                    continue  # not sold at a till, or Till's own write to it is still in flight
                quantity = round_qty(Decimal(str(item.get("quantity") or 0)))
                status = int(item.get("status") or 0)
                before = seen.get(key)
                if before is None:
                    # First sight: Magento's quantity is the truth.
                    _upsert(
                        conn,
                        t.source_items,
                        {"sku": sku, "source_code": source},
                        {"quantity": quantity, "in_stock": status == 1, "updated_at": datetime.now(UTC)},
                    )
                    moved.add(sku)
                elif before != (quantity, status):
                    if quantity != before[0]:
                        stock.change_source_quantity(sku, source, quantity - before[0])
                    if status != before[1]:
                        conn.execute(
                            update(t.source_items)
                            .where(t.source_items.c.sku == sku, t.source_items.c.source_code == source)
                            .values(in_stock=status == 1)
                        )
                    moved.add(sku)
                else:
                    continue
                save_baseline(conn, sku, source, quantity, status)
        if progress:
            progress("stock", read, total)
    if wanted is not None:
        asked = sorted(set(wanted) & sellable)
    elif full:
        asked = sorted(sellable)
    else:
        # Web orders change Magento's salable quantity without touching a product or a source
        # item, so a delta also sweeps a slice of every sku (the next `page_size`, wrapping).
        asked = sorted(
            moved
            | (ctx.touched_skus & sellable)
            | _sweep(engine, sorted(sellable), client.settings.page_size)
        )
    with engine.connect() as conn:
        channels = conn.execute(
            select(t.settings.c.value).where(t.settings.c.key == "magento_sales_channels")
        ).scalar()
    # A stock without a sales channel has no reservations: its salable quantity is its sources'.
    selling = [s for s in stock_ids if channels is None or channels.get(str(s), [None])]
    salable = await _salable(client, selling, asked, progress)
    if channels is not None:
        _drop_offsets(engine, [s for s in stock_ids if s not in selling])
    changed_keys = _apply_salable(engine, salable)
    with engine.begin() as conn:
        by_stock: dict[int, list[str]] = {}
        for sku, stock_id in sorted(changed_keys | {(sku, s) for sku in moved for s in stock_ids}):
            by_stock.setdefault(stock_id, []).append(f"{sku}@{stock_id}")
        for stock_id, stock_keys in by_stock.items():
            record_changes(conn, "stock", stock_keys, scope=str(stock_id))
        save_pull_state(conn, "stock", updated_since=None, items=read, full=full)
    report.add("stock", read, len(moved | {sku for sku, _ in changed_keys}))


async def _salable(
    client: MagentoClient, stock_ids: list[int], skus: list[str], progress: Progress | None
) -> dict[tuple[str, int], Decimal]:
    pairs = [(sku, stock_id) for sku in skus for stock_id in stock_ids]
    found: dict[tuple[str, int], Decimal] = {}
    done = 0

    async def one(sku: str, stock_id: int) -> None:
        nonlocal done
        try:
            value = await client.get(
                "/V1/inventory/get-product-salable-quantity/:sku/:stockId", sku=sku, stockId=stock_id
            )
        except MagentoError as exc:
            if isinstance(exc, MagentoUnavailable):
                raise
            # A sku the stock does not sell (not assigned, a type without stock): nothing to carry.
            log.info("no salable quantity of %s in stock %s: %s", sku, stock_id, exc)
        else:
            found[(sku, stock_id)] = round_qty(Decimal(str(value or 0)))
        done += 1
        if progress and (done % 50 == 0 or done == len(pairs)):
            progress("salable", done, len(pairs))

    # The client bounds the concurrency; gather in slices to keep memory flat on big catalogs.
    for start in range(0, len(pairs), 500):
        await asyncio.gather(*(one(sku, sid) for sku, sid in pairs[start : start + 500]))
    return found


def _apply_salable(engine: Engine, salable: dict[tuple[str, int], Decimal]) -> set[tuple[str, int]]:
    """Carry Magento's own reservations (web orders not shipped yet) into Till. They are not
    readable over REST, so Till keeps their sum as one `magento` offset reservation per sku and
    stock: offset = Magento's salable − what Magento's source items give (as last seen), which
    leaves Till's own movements (in its source quantities) untouched."""
    changed: set[tuple[str, int]] = set()
    with engine.begin() as conn:
        linked: dict[int, set[str]] = {}
        for row in conn.execute(
            select(t.stock_sources.c.stock_id, t.stock_sources.c.source_code)
            .join(t.sources, t.sources.c.code == t.stock_sources.c.source_code)
            .where(t.sources.c.enabled.is_(True))
        ):
            linked.setdefault(int(row.stock_id), set()).add(str(row.source_code))
        seen = baselines(conn, [(sku, source) for sku, sid in salable for source in linked.get(sid, ())])
        for (sku, stock_id), wanted in sorted(salable.items()):
            in_stock = [
                seen[(sku, s)][0] for s in linked.get(stock_id, ()) if seen.get((sku, s), (0, 0))[1] == 1
            ]
            offset = round_qty(wanted - sum(in_stock, Decimal(0))) if in_stock else Decimal(0)
            where = and_(
                t.reservations.c.stock_id == stock_id,
                t.reservations.c.sku == sku,
                t.reservations.c.object_type == MAGENTO_OFFSET,
            )
            old = round_qty(
                sum(
                    (
                        Decimal(str(q))
                        for q in conn.execute(select(t.reservations.c.quantity).where(where)).scalars()
                    ),
                    Decimal(0),
                )
            )
            if old == offset:
                continue
            # Appended as the difference, never rewritten: the ledger stays append-only and the
            # reservation totals (salable quantity) move with it in the same statement.
            StockRepository(conn).append_reservations(
                [Reservation(stock_id, sku, offset - old, "magento_salable", MAGENTO_OFFSET, "salable")]
            )
            changed.add((sku, stock_id))
    return changed


def _sweep(engine: Engine, skus: list[str], size: int) -> set[str]:
    """The next `size` skus after the last sweep's end, wrapping around to the start."""
    if not skus:
        return set()
    with engine.begin() as conn:
        last = conn.execute(
            select(t.settings.c.value).where(t.settings.c.key == "magento_salable_sweep")
        ).scalar()
        start = next((n for n, sku in enumerate(skus) if last is None or sku > str(last)), 0)
        chosen = (skus[start:] + skus[:start])[: min(size, len(skus))]
        _upsert(conn, t.settings, {"key": "magento_salable_sweep"}, {"value": chosen[-1]})
    return set(chosen)


def _drop_offsets(engine: Engine, stock_ids: list[int]) -> None:
    """Cancel the offsets of stocks no longer read from Magento (appending the opposite)."""
    if stock_ids:
        with engine.begin() as conn:
            held = conn.execute(
                select(t.reservations.c.stock_id, t.reservations.c.sku, func.sum(t.reservations.c.quantity))
                .where(
                    t.reservations.c.stock_id.in_(stock_ids), t.reservations.c.object_type == MAGENTO_OFFSET
                )
                .group_by(t.reservations.c.stock_id, t.reservations.c.sku)
            ).all()
            StockRepository(conn).append_reservations(
                [
                    Reservation(
                        int(stock_id),
                        sku,
                        -round_qty(Decimal(str(total))),
                        "magento_salable",
                        MAGENTO_OFFSET,
                        "salable",
                    )
                    for stock_id, sku, total in held
                    if round_qty(Decimal(str(total)))
                ]
            )


async def salable_quantities(
    client: MagentoClient, stock_ids: list[int], skus: list[str]
) -> dict[tuple[str, int], Decimal]:
    """Magento's salable quantity per (sku, stock); pairs Magento does not sell are left out."""
    return await _salable(client, stock_ids, skus, None)


async def pull_stock_of(engine: Engine, client: MagentoClient, skus: Sequence[str]) -> PullReport:
    """Re-read the source items and salable quantities of a few skus (Till follows Magento)."""
    report = PullReport()
    await _pull_stock(engine, client, _Context(), False, report, None, only_skus=skus)
    stamp_pending(engine)
    return report
