"""The Magento connector's own tables: Till id <-> Magento id links, pull state, the stock-push ledger."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from till.domain.money import round_qty
from till.storage.db import update_or_insert
from till.storage.tables import (
    magento_links,
    magento_pull_state,
    magento_source_items,
    magento_stock_differences,
    magento_stock_pushes,
)


def link_of(conn: Connection, kind: str, till_id: str) -> dict[str, Any] | None:
    """The Magento object a Till object is linked to: {magento_id, detail}."""
    row = conn.execute(
        select(magento_links.c.magento_id, magento_links.c.detail).where(
            magento_links.c.kind == kind, magento_links.c.till_id == till_id
        )
    ).first()
    return None if row is None else {"magento_id": row.magento_id, "detail": dict(row.detail or {})}


def links_of(conn: Connection, kind: str) -> dict[str, str]:
    """Every link of a kind: Till id -> Magento id."""
    rows = conn.execute(
        select(magento_links.c.till_id, magento_links.c.magento_id).where(magento_links.c.kind == kind)
    )
    return {row.till_id: row.magento_id for row in rows}


def links_for(conn: Connection, kind: str, till_ids: Sequence[str]) -> dict[str, str]:
    """The links of a kind for these Till ids: Till id -> Magento id."""
    rows = conn.execute(
        select(magento_links.c.till_id, magento_links.c.magento_id).where(
            magento_links.c.kind == kind, magento_links.c.till_id.in_(list(till_ids))
        )
    )
    return {row.till_id: row.magento_id for row in rows}


def till_id_for(conn: Connection, kind: str, magento_id: str) -> str | None:
    """The Till object linked to a Magento object."""
    return conn.execute(
        select(magento_links.c.till_id).where(
            magento_links.c.kind == kind, magento_links.c.magento_id == magento_id
        )
    ).scalar()


def save_link(
    conn: Connection, kind: str, till_id: str, magento_id: str, detail: dict[str, Any] | None = None
) -> None:
    """Create or update a link (in the caller's transaction)."""
    now = datetime.now(UTC)
    values = {"magento_id": magento_id, "detail": detail or {}, "updated_at": now}
    changed = conn.execute(
        update(magento_links)
        .where(magento_links.c.kind == kind, magento_links.c.till_id == till_id)
        .values(**values)
    ).rowcount
    if changed:
        return
    try:
        with conn.begin_nested():
            conn.execute(insert(magento_links).values(kind=kind, till_id=till_id, **values))
    except IntegrityError:
        conn.execute(
            update(magento_links)
            .where(magento_links.c.kind == kind, magento_links.c.till_id == till_id)
            .values(**values)
        )


def remember(engine: Engine, kind: str, till_id: str, magento_id: str, detail: dict[str, Any]) -> None:
    """Save a link in its own transaction (right after Magento made the object)."""
    with engine.begin() as conn:
        save_link(conn, kind, till_id, magento_id, detail)


# --- pull state -----------------------------------------------------------------------------------


def pull_state(conn: Connection, dataset: str) -> dict[str, Any] | None:
    """How far the pull of a data set got."""
    row = conn.execute(select(magento_pull_state).where(magento_pull_state.c.dataset == dataset)).first()
    return None if row is None else dict(row._mapping)


def all_pull_states(conn: Connection) -> list[dict[str, Any]]:
    """Every data set's pull state."""
    return [
        dict(r._mapping)
        for r in conn.execute(select(magento_pull_state).order_by(magento_pull_state.c.dataset))
    ]


def save_pull_state(
    conn: Connection,
    dataset: str,
    *,
    updated_since: str | None,
    items: int,
    full: bool,
    error: str | None = None,
) -> None:
    """Record a finished (or failed) pull of a data set."""
    now = datetime.now(UTC)
    values: dict[str, Any] = {"items": items, "last_error": error}
    if error is None:
        values["last_success_at"] = now
        values["updated_since"] = updated_since
        if full:
            values["last_full_at"] = now
    update_or_insert(conn, magento_pull_state, {"dataset": dataset}, values)


# --- stock push ledger --------------------------------------------------------------------------------


def pushes_of(conn: Connection, movement: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The ledger rows of one Till stock movement, by (sku, source)."""
    rows = conn.execute(select(magento_stock_pushes).where(magento_stock_pushes.c.movement == movement))
    return {(row.sku, row.source_code): dict(row._mapping) for row in rows}


def record_push(
    conn: Connection,
    movement: str,
    sku: str,
    source_code: str,
    *,
    delta: Decimal,
    before: Decimal | None,
    after: Decimal | None,
    state: str,
) -> None:
    """Write one ledger row's state (sent, done, uncertain)."""
    conn.execute(
        delete(magento_stock_pushes).where(
            magento_stock_pushes.c.movement == movement,
            magento_stock_pushes.c.sku == sku,
            magento_stock_pushes.c.source_code == source_code,
        )
    )
    conn.execute(
        insert(magento_stock_pushes).values(
            movement=movement,
            sku=sku,
            source_code=source_code,
            delta=delta,
            before_qty=before,
            after_qty=after,
            state=state,
            updated_at=datetime.now(UTC),
        )
    )


def qty(value: Any) -> Decimal:
    """A stored or wire quantity as an exact 4-place decimal."""
    return round_qty(Decimal(str(value)))


# --- Magento's source items as last seen --------------------------------------------------------------


def baselines(
    conn: Connection, keys: list[tuple[str, str]] | None = None
) -> dict[tuple[str, str], tuple[Decimal, int]]:
    """Magento's (quantity, status) per (sku, source) as last seen; all of them if `keys` is None."""
    query = select(magento_source_items)
    if keys is not None:
        if not keys:
            return {}
        query = query.where(magento_source_items.c.sku.in_(sorted({sku for sku, _ in keys})))
    found = {(row.sku, row.source_code): (qty(row.quantity), int(row.status)) for row in conn.execute(query)}
    return found if keys is None else {k: v for k, v in found.items() if k in set(keys)}


def save_baseline(conn: Connection, sku: str, source_code: str, quantity: Decimal, status: int) -> None:
    """Remember Magento's quantity of a source item (after a pull read it or a push wrote it)."""
    now = datetime.now(UTC)
    update_or_insert(
        conn,
        magento_source_items,
        {"sku": sku, "source_code": source_code},
        {"quantity": quantity, "status": status, "updated_at": now},
    )


def in_flight(conn: Connection) -> set[tuple[str, str]]:
    """(sku, source) pairs with a push whose fate is not known yet."""
    rows = conn.execute(
        select(magento_stock_pushes.c.sku, magento_stock_pushes.c.source_code).where(
            magento_stock_pushes.c.state == "sent"
        )
    )
    return {(row.sku, row.source_code) for row in rows}


def claim(engine: Engine, name: str, *, lease_seconds: float) -> bool:
    """Take a short lease on creating one Magento object, so two workers handed the same message
    at once cannot both create it. False while another worker holds a fresh lease; a lease older
    than `lease_seconds` (its worker died) can be taken over, and the taker looks up first."""
    now = datetime.now(UTC)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(magento_links).values(
                    kind="claim", till_id=name, magento_id="", detail={}, updated_at=now
                )
            )
        return True
    except IntegrityError:
        pass
    with engine.begin() as conn:
        stale = now.timestamp() - lease_seconds
        row = conn.execute(
            select(magento_links.c.updated_at).where(
                magento_links.c.kind == "claim", magento_links.c.till_id == name
            )
        ).first()
        if row is None:
            return False
        if row.updated_at.timestamp() > stale:
            return False
        # Take over only if nobody else did since we looked (compare-and-set on the timestamp).
        taken = conn.execute(
            update(magento_links)
            .where(
                magento_links.c.kind == "claim",
                magento_links.c.till_id == name,
                magento_links.c.updated_at == row.updated_at,
            )
            .values(updated_at=now)
        ).rowcount
        return bool(taken)


def release(engine: Engine, name: str) -> None:
    """Give a lease back (the creation is done, or failed and will be looked up again)."""
    with engine.begin() as conn:
        conn.execute(
            delete(magento_links).where(magento_links.c.kind == "claim", magento_links.c.till_id == name)
        )


# --- stock differences Till vs Magento -----------------------------------------------------------


def save_differences(
    conn: Connection,
    found: dict[tuple[str, int], tuple[Decimal, Decimal, str]],
    checked: Sequence[tuple[str, int]],
    now: datetime,
) -> None:
    """Keep one run's differences, (sku, stock) -> (till, magento, state); forget earlier ones
    of checked pairs that now agree."""
    table = magento_stock_differences
    held = {(row.sku, int(row.stock_id)) for row in conn.execute(select(table.c.sku, table.c.stock_id))}
    for key in sorted(held & set(checked) - set(found)):
        conn.execute(delete(table).where(and_(table.c.sku == key[0], table.c.stock_id == key[1])))
    for key, (till, magento, state) in sorted(found.items()):
        values = {"till_quantity": till, "magento_quantity": magento, "state": state, "checked_at": now}
        if key in held:
            conn.execute(
                update(table).where(and_(table.c.sku == key[0], table.c.stock_id == key[1])).values(**values)
            )
        else:
            conn.execute(insert(table).values(sku=key[0], stock_id=key[1], found_at=now, **values))


def stock_differences(conn: Connection, *, state: str | None = None) -> list[dict[str, Any]]:
    """The stored differences (all, or of one state) as JSON, quantities as decimal strings."""
    table = magento_stock_differences
    query = select(table).order_by(table.c.sku, table.c.stock_id)
    if state is not None:
        query = query.where(table.c.state == state)
    return [
        {
            "sku": row.sku,
            "stock_id": int(row.stock_id),
            "till_quantity": str(row.till_quantity),
            "magento_quantity": str(row.magento_quantity),
            "difference": str(row.till_quantity - row.magento_quantity),
            "state": row.state,
            "found_at": row.found_at.isoformat(),
            "checked_at": row.checked_at.isoformat(),
        }
        for row in conn.execute(query)
    ]
