"""Benchmark: a till's first sync of a whole catalog, then a delta sync, over HTTP.

Pulls every data set from cursor 0 page by page (the PWA's page size, 1,000), as a new till
does, then changes `--changes` prices and receives stock for as many skus through the API,
and pulls again from the cursors the first sync ended at (the delta a till does every few
seconds). Reports pages, items, wall time and items per second for each. The PWA's own
figure, with IndexedDB writes in Chromium, is in bench/web_rail.mjs.

    uv run till seed --profile large      # 300k simple + 8k configurable products
    uv run till serve --port 8841 --processes 2
    uv run python bench/first_sync.py --url http://127.0.0.1:8841 --changes 1000
"""

from __future__ import annotations

import argparse
import asyncio
import time
from decimal import Decimal

import httpx

PAGE_SIZE = 1000


async def pull_all(
    client: httpx.AsyncClient, location: str, cursors: dict[str, int]
) -> tuple[dict[str, int], dict[str, int], int]:
    """Pull each data set until has_more is false; returns items per set, new cursors, pages."""
    items: dict[str, int] = {}
    pages = 0
    for dataset, cursor in list(cursors.items()):
        count = 0
        while True:
            answer = await client.get(
                f"/api/sync/{dataset}", params={"location": location, "cursor": cursor, "limit": PAGE_SIZE}
            )
            answer.raise_for_status()
            page = answer.json()
            pages += 1
            count += len(page["items"]) + len(page["deleted"])
            cursor = page["cursor"]
            if not page["has_more"]:
                break
        items[dataset] = count
        cursors[dataset] = cursor
    return items, cursors, pages


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8841")
    parser.add_argument("--location", default="NYC")
    parser.add_argument("--changes", type=int, default=1000)
    args = parser.parse_args()
    async with httpx.AsyncClient(base_url=args.url, timeout=120) as anonymous:
        sign_in = await anonymous.post("/api/auth/sign-in", json={"username": "grace", "password": "grace-demo"})
        sign_in.raise_for_status()
        token = sign_in.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=args.url, timeout=120, headers=headers) as client:
        bootstrap = (await client.get("/api/sync/bootstrap")).json()
        started = time.monotonic()
        items, cursors, pages = await pull_all(client, args.location, dict.fromkeys(bootstrap["datasets"], 0))
        first = time.monotonic() - started
        total = sum(items.values())
        print(
            f"first sync: {total:,} items in {pages} pages in {first:.1f} s = {total / first:,.0f} items/s "
            f"({', '.join(f'{k} {v:,}' for k, v in items.items())})"
        )

        prices = (await client.get("/api/sync/prices", params={"location": args.location, "limit": args.changes}))
        changed = [p for p in prices.json()["items"]][: args.changes]
        locations = (await client.get("/api/admin/locations")).json()
        source = next(loc["source_code"] for loc in locations if loc["code"] == args.location)
        began = time.monotonic()
        for row in changed:
            price = (Decimal(str(row["price"])) + Decimal("0.01")).quantize(Decimal("0.01"))
            (await client.put(f"/api/admin/prices/{row['sku']}", json={"price": str(price)})).raise_for_status()
            (
                await client.post(
                    "/api/stock/adjustments",
                    json={"sku": row["sku"], "source_code": source, "reason": "receive", "quantity": "1"},
                )
            ).raise_for_status()
        making = time.monotonic() - began
        started = time.monotonic()
        items, cursors, pages = await pull_all(client, args.location, cursors)
        delta = time.monotonic() - started
        total = sum(items.values())
        print(
            f"{len(changed)} price changes and {len(changed)} stock receipts made in {making:.1f} s; "
            f"delta sync: {total:,} items in {pages} pages in {delta * 1000:.0f} ms "
            f"({', '.join(f'{k} {v:,}' for k, v in items.items() if v)})"
        )


if __name__ == "__main__":
    asyncio.run(main())
