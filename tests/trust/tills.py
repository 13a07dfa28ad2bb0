"""A till pushing its outbox through faults the way the PWA does (docs/sync.md), and the count
the fault tests make afterwards.

The till sends a batch and, on a network error or a 503, sends the same batch again (the same
idempotency keys) until the server answers it; only an answered sale leaves its outbox. The count
then reads the database: every sale stored exactly once, written whole (its lines, its one
`sale.placed` event), and salable stock moved by exactly what was sold.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import Engine, func, select

from tests.e2e.conftest import Live, priced, sale_payload
from tests.integration.helpers import make_sale, salable, sellable_skus
from till.demo.store import NYC_STOCK_ID
from till.storage.tables import order_lines, orders, outbox


def make_sales(
    live: Live, count: int, *, tag: str, register: str = "NYC1", kinds: int = 5
) -> list[dict[str, Any]]:
    """`count` one-line sales of the first `kinds` sellable products, priced as a till prices them."""
    templates = []
    for sku in sellable_skus(live.engine, kinds):
        draft = make_sale(
            live.engine,
            key="sale-price-probe",
            receipt=f"{register}-0",
            lines=[(sku, Decimal(1))],
            register=register,
        )
        assert draft.sale is not None
        line = {"sku": sku, "qty": "1", "unit_price": str(draft.sale.lines[0].unit_price)}
        templates.append(
            priced(
                live,
                sale_payload(
                    live, key="sale-template", receipt=f"{register}-0", lines=[line], register=register
                ),
            )
        )
    return [
        {
            **templates[n % len(templates)],
            "idempotency_key": f"sale-{tag}-{n:05d}",
            "receipt_number": f"{register}-{n + 1:06d}",
        }
        for n in range(count)
    ]


def batches(sales: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    """The outbox cut into batches as the till sends them."""
    return [sales[i : i + size] for i in range(0, len(sales), size)]


@dataclass
class Till:
    """Pushes batches to `/api/sync/push`, resending an unanswered batch whole until answered."""

    client: httpx.Client
    #: Answers that mean "keep the batch and send it again"; any other non-200 fails the test.
    retry_statuses: frozenset[int] = frozenset({503})
    pause: float = 0.05
    #: The last answer for each sale, by idempotency key.
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Every sale result the server gave (accepted, duplicate, rejected), replays included.
    results: Counter[str] = field(default_factory=Counter)
    #: What each try of a push came to: "200", "503", or the network error's name.
    tries: Counter[str] = field(default_factory=Counter)
    #: Set while a push is on the wire.
    in_flight: threading.Event = field(default_factory=threading.Event)
    #: The idempotency keys of the batch being sent.
    sending: list[str] = field(default_factory=list)

    def push(self, batch: list[dict[str, Any]], *, give_up_after: float = 120) -> list[dict[str, Any]]:
        """Send the batch until the server answers it; the answers, one per sale."""
        deadline = time.monotonic() + give_up_after
        self.sending = [s["idempotency_key"] for s in batch]
        while True:
            self.in_flight.set()
            try:
                answer = self.client.post("/api/sync/push", json={"sales": batch})
            except httpx.TransportError as exc:
                self.tries[type(exc).__name__] += 1
            else:
                self.tries[str(answer.status_code)] += 1
                if answer.status_code == 200:
                    found = answer.json()["sales"]
                    assert [r["idempotency_key"] for r in found] == [s["idempotency_key"] for s in batch]
                    for result in found:
                        self.answers[result["idempotency_key"]] = result
                        self.results[result["status"]] += 1
                    return list(found)
                assert answer.status_code in self.retry_statuses, f"{answer.status_code}: {answer.text}"
            finally:
                self.in_flight.clear()
            assert time.monotonic() < deadline, (
                f"the batch was not answered in {give_up_after} s: {self.tries}"
            )
            time.sleep(self.pause)

    def failed_tries(self) -> int:
        """Tries the server did not answer with 200 (network errors and 5xx)."""
        return sum(n for outcome, n in self.tries.items() if outcome != "200")


@dataclass(frozen=True)
class Count:
    """What the database holds of the sales a till made."""

    made: int
    stored: int
    lost: int
    doubled: int


def count_sales(engine: Engine, sales: list[dict[str, Any]], till: Till) -> Count:
    """Check every sale is stored once and written whole, and agrees with what the till was told.

    Fails the test on any difference; returns the figures.
    """
    keys = [s["idempotency_key"] for s in sales]
    with engine.connect() as conn:
        stored = Counter(conn.execute(select(orders.c.idempotency_key)).scalars())
        order_ids = dict(conn.execute(select(orders.c.idempotency_key, orders.c.id)).all())
        line_counts = dict(
            conn.execute(select(order_lines.c.order_id, func.count()).group_by(order_lines.c.order_id)).all()
        )
        events = Counter(
            str(payload["order_id"])
            for payload in conn.execute(
                select(outbox.c.payload).where(outbox.c.topic == "sale.placed")
            ).scalars()
        )
    lost = [k for k in keys if stored[k] == 0]
    doubled = [k for k, n in stored.items() if n > 1] + sorted(set(stored) - set(keys))
    assert lost == [], f"{len(lost)} sales lost, e.g. {lost[:3]}"
    assert doubled == [], f"{len(doubled)} sales doubled or unknown, e.g. {doubled[:3]}"
    assert sum(stored.values()) == len(keys)
    for sale in sales:
        key = sale["idempotency_key"]
        answer = till.answers.get(key)
        assert answer is not None, f"{key} was never answered"
        assert answer["status"] in ("accepted", "duplicate"), answer
        assert answer["order_id"] == order_ids[key], "the till was told the order that is stored"
        assert line_counts.get(order_ids[key]) == len(sale["lines"]), f"{key} is stored whole"
    assert events == dict.fromkeys(order_ids.values(), 1), "one sale.placed event per sale"
    return Count(len(keys), sum(stored.values()), len(lost), len(doubled))


def sold(sales: list[dict[str, Any]]) -> Counter[str]:
    """Units sold per sku."""
    units: Counter[str] = Counter()
    for sale in sales:
        for line in sale["lines"]:
            units[line["sku"]] += int(Decimal(line["qty"]))
    return units


def stock_now(engine: Engine, skus: list[str]) -> dict[str, Decimal]:
    """Salable quantities at the Manhattan store now."""
    return salable(engine, NYC_STOCK_ID, skus)


def assert_stock_moved_once(engine: Engine, start: dict[str, Decimal], sales: list[dict[str, Any]]) -> None:
    """Salable stock is the start less what was sold: no sale deducted twice or not at all."""
    units = sold(sales)
    assert stock_now(engine, sorted(start)) == {sku: start[sku] - units[sku] for sku in start}
