"""Pull customers, all changed ones or a given few."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select

from till.magento.client import Filter, MagentoClient
from till.magento.pull.common import BY_UPDATE, Progress, PullReport, _finish, _since, _upsert
from till.storage import tables as t
from till.storage.feed import record_changes, stamp_pending
from till.storage.magento_links import (
    save_link,
    till_id_for,
)

# --- customers ----------------------------------------------------------------------------------------------


async def _pull_customers(
    engine: Engine, client: MagentoClient, full: bool, report: PullReport, progress: Progress | None
) -> None:
    since = _since(engine, "customers", client.settings, full)
    filters: list[list[Filter]] = [[("updated_at", since, "gteq")]] if since else []
    newest: str | None = None
    read = changed = skipped = 0
    now = datetime.now(UTC)
    async for items, total in client.search_by_key("/V1/customers/search", filters, keys=BY_UPDATE):
        keys: list[str] = []
        with engine.begin() as conn:
            groups = set(conn.execute(select(t.customer_groups.c.id)).scalars())
            for item in items:
                read += 1
                newest = max(newest or "", str(item.get("updated_at") or "")) or newest
                group = int(item.get("group_id") or 1)
                email = str(item.get("email") or "").lower()
                if not email or group not in groups:
                    skipped += 1
                    continue
                phones = [a.get("telephone") for a in item.get("addresses") or [] if a.get("telephone")]
                values = {
                    "email": email,
                    "firstname": str(item.get("firstname") or "")[:128],
                    "lastname": str(item.get("lastname") or "")[:128],
                    "phone": str(phones[0])[:32] if phones else None,
                    "group_id": group,
                }
                till_id = till_id_for(conn, "customer", str(item["id"]))
                if till_id is None:
                    known = conn.execute(
                        select(t.customers.c.id).where(t.customers.c.email == email)
                    ).scalar()
                    till_id = None if known is None else str(known)
                if till_id is None:
                    result = conn.execute(
                        insert(t.customers).values(**values, created_at=now, updated_at=now)
                    )
                    key = result.inserted_primary_key
                    assert key is not None
                    till_id = str(key[0])
                    keys.append(till_id)
                elif _upsert(conn, t.customers, {"id": int(till_id)}, {**values, "updated_at": now}):
                    keys.append(till_id)
                save_link(conn, "customer", till_id, str(item["id"]))
            record_changes(conn, "customers", keys)
        changed += len(keys)
        if progress:
            progress("customers", read, total)
    _finish(engine, "customers", newest, read, full)
    report.add("customers", read, changed, skipped)


async def pull_customer_ids(engine: Engine, client: MagentoClient, ids: Sequence[int]) -> PullReport:
    """Re-read a few customers now (the webhook's fast path)."""
    report = PullReport()
    keys: list[str] = []
    now = datetime.now(UTC)
    for magento_id in ids:
        item = await client.get("/V1/customers/:customerId", customerId=magento_id)
        with engine.begin() as conn:
            till_id = till_id_for(conn, "customer", str(magento_id))
            values = {
                "email": str(item["email"]).lower(),
                "firstname": str(item.get("firstname") or "")[:128],
                "lastname": str(item.get("lastname") or "")[:128],
                "group_id": int(item.get("group_id") or 1),
            }
            if till_id is None:
                result = conn.execute(
                    insert(t.customers).values(**values, phone=None, created_at=now, updated_at=now)
                )
                key = result.inserted_primary_key
                assert key is not None
                till_id = str(key[0])
                save_link(conn, "customer", till_id, str(magento_id))
                keys.append(till_id)
            elif _upsert(conn, t.customers, {"id": int(till_id)}, {**values, "updated_at": now}):
                keys.append(till_id)
            record_changes(conn, "customers", keys[-1:] if keys and keys[-1] == till_id else [])
    report.add("customers", len(ids), len(keys))
    stamp_pending(engine)
    return report
