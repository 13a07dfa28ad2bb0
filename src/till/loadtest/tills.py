"""Simulated tills speaking the real client protocol (docs/sync.md) to a running server.

Each till signs in, pulls every data set from cursor 0 (its first sync), keeps an event-stream
subscription open, pulls deltas now and then, and sells: baskets of 1–8 lines paid by cash,
card or both, written to its outbox and pushed in batches. Some tills lose their network for a
while and push what they sold in a burst when it comes back; a share of sales is refunded by a
manager. A sale leaves the outbox only when the server says accepted or duplicate, exactly as
the PWA does, so retries after errors are part of the load.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal
from typing import Any

import httpx

from till.loadtest.plan import Basket, Plan

#: A push or refund that fails waits this long at first, doubling up to the cap.
BACKOFF_FIRST, BACKOFF_CAP = 0.1, 2.0


@dataclass(frozen=True, slots=True)
class Options:
    """How the tills behave."""

    url: str
    tills: int = 100
    duration: float = 60.0
    #: Sales per second over all tills (open loop, Poisson arrivals); None = closed loop.
    rate: float | None = None
    #: Closed loop: seconds a till waits between sales.
    think: float = 1.0
    batch: int = 20
    offline_share: float = 0.1
    offline_seconds: float = 10.0
    refund_share: float = 0.05
    pull_every: float = 15.0
    first_sync: bool = True
    live: bool = True
    #: Sign-ins shared by the tills (each costs the server an argon2 check).
    sessions: int = 10
    drain_timeout: float = 120.0
    seed: int = 1


class Recorder:
    """Latencies per endpoint and errors by kind."""

    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = {}
        self.errors: Counter[str] = Counter()
        self.events = 0

    @contextmanager
    def timed(self, endpoint: str) -> Iterator[None]:
        """Time one call; an exception counts as an error of its kind and propagates."""
        started = time.perf_counter()
        try:
            yield
        except httpx.HTTPStatusError as exc:
            self.errors[f"{endpoint}: HTTP {exc.response.status_code}"] += 1
            raise
        except httpx.HTTPError as exc:
            self.errors[f"{endpoint}: {type(exc).__name__}"] += 1
            raise
        self.latencies.setdefault(endpoint, []).append(time.perf_counter() - started)


@dataclass(slots=True)
class SaleRecord:
    """A sale a till made, and what the server said of it."""

    key: str
    register: str
    basket: Basket
    made_at: float
    status: str | None = None
    order_id: str | None = None
    flags: tuple[str, ...] = ()


@dataclass(slots=True)
class RefundRecord:
    """A refund of one unit of one line of an acknowledged sale."""

    key: str
    sale: SaleRecord
    line_no: int
    sku: str
    restock: bool
    done: bool = False


@dataclass
class Ledger:
    """Everything the tills did, for the report and the consistency check."""

    sales: dict[str, SaleRecord] = field(default_factory=dict)
    refunds: dict[str, RefundRecord] = field(default_factory=dict)
    rejected: Counter[str] = field(default_factory=Counter)
    flags: Counter[str] = field(default_factory=Counter)
    pulled_items: int = 0

    def acknowledged(self) -> int:
        """Sales the server has taken (accepted or duplicate)."""
        return sum(1 for s in self.sales.values() if s.status in ("accepted", "duplicate"))

    def pending(self) -> int:
        """Sales still in some till's outbox."""
        return sum(1 for s in self.sales.values() if s.status is None)


def payments(total: Decimal, rng: random.Random) -> list[dict[str, str]]:
    """A payment mix: cash with change, card, or both."""
    if total <= 0:
        return []
    roll = rng.random()
    if roll < 0.6:
        tendered = (total / 5).to_integral_value(ROUND_CEILING) * 5
        return [{"method": "cash", "amount": f"{tendered:.2f}"}]
    if roll < 0.9 or total < Decimal("0.02"):
        return [{"method": "card", "amount": f"{total:.2f}"}]
    cash = (total / 2).quantize(Decimal("0.01"), ROUND_DOWN)
    return [{"method": "cash", "amount": f"{cash:.2f}"}, {"method": "card", "amount": f"{total - cash:.2f}"}]


class Till:
    """One register's client."""

    def __init__(
        self,
        register: str,
        plan: Plan,
        options: Options,
        client: httpx.AsyncClient,
        token: str,
        manager_token: str,
        recorder: Recorder,
        ledger: Ledger,
        rng: random.Random,
    ) -> None:
        self.register = register
        self.plan = plan
        self.options = options
        self.client = client
        self.auth = {"Authorization": f"Bearer {token}"}
        self.manager_auth = {"Authorization": f"Bearer {manager_token}"}
        self.recorder = recorder
        self.ledger = ledger
        self.rng = rng
        self.outbox: list[tuple[SaleRecord, dict[str, Any]]] = []
        self.refunds: list[RefundRecord] = []
        self.receipts = 0
        self.cursors: dict[str, int] = {}
        self.offline = False
        self.wake = asyncio.Event()

    # --- selling -----------------------------------------------------------------------------

    def sell(self) -> None:
        """Ring up one basket: it goes to the outbox, the network is not involved."""
        self.receipts += 1
        basket = self.rng.choice(self.plan.baskets)
        key = f"{self.plan.key_prefix}{self.register}-{self.receipts:06d}"
        record = SaleRecord(key, self.register, basket, time.monotonic())
        payload = {
            "idempotency_key": key,
            "register_code": self.register,
            "receipt_number": f"{self.register}-{self.receipts:06d}",
            "location_code": self.plan.location,
            "staff_id": self.plan.cashier[2],
            "created_at": datetime.now(UTC).isoformat(),
            "lines": list(basket.lines),
            "payments": payments(basket.grand_total, self.rng),
            "totals": basket.totals,
        }
        self.ledger.sales[key] = record
        self.outbox.append((record, payload))
        self.wake.set()

    async def selling(self, until: float) -> None:
        """Sell until the deadline: Poisson arrivals (open loop) or think time (closed loop)."""
        rate = self.options.rate
        while True:
            pause = self.rng.expovariate(rate / self.options.tills) if rate else self.options.think
            if time.monotonic() + pause >= until:
                return
            await asyncio.sleep(pause)
            self.sell()

    async def losing_network(self, until: float) -> None:
        """Go offline once, somewhere in the run, for a while; then push the backlog in a burst."""
        window = max(0.0, until - time.monotonic() - self.options.offline_seconds)
        await asyncio.sleep(self.rng.uniform(0, window))
        self.offline = True
        await asyncio.sleep(self.options.offline_seconds)
        self.offline = False
        self.wake.set()

    # --- pushing -----------------------------------------------------------------------------

    async def pushing(self, selling_done: asyncio.Event) -> None:
        """Push the outbox in batches, and refunds, until both are empty after selling ends."""
        backoff = BACKOFF_FIRST
        while True:
            if not self.offline and (self.outbox or self.refunds):
                ok = await self._push_batch() if self.outbox else await self._push_refund()
                backoff = BACKOFF_FIRST if ok else min(backoff * 2, BACKOFF_CAP)
                if not ok:
                    await asyncio.sleep(backoff * self.rng.uniform(0.5, 1.0))
                continue
            if selling_done.is_set() and not self.outbox and not self.refunds and not self.offline:
                return
            self.wake.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=0.5)

    async def _push_batch(self) -> bool:
        batch = self.outbox[: self.options.batch]
        try:
            with self.recorder.timed("push"):
                answer = await self.client.post(
                    "/api/sync/push", json={"sales": [payload for _, payload in batch]}, headers=self.auth
                )
                answer.raise_for_status()
        except httpx.HTTPError:
            return False
        results = {r["idempotency_key"]: r for r in answer.json()["sales"]}
        kept = []
        for record, payload in batch:
            result = results.get(record.key)
            if result is None:
                kept.append((record, payload))
                continue
            record.status = result["status"]
            record.order_id = result["order_id"]
            record.flags = tuple(result["flags"])
            self.ledger.flags.update(result["flags"])
            if record.status == "rejected":
                self.ledger.rejected[str(result["reason"])[:80]] += 1
            elif self.rng.random() < self.options.refund_share:
                self._plan_refund(record)
        self.outbox = kept + self.outbox[len(batch) :]
        return True

    def _plan_refund(self, sale: SaleRecord) -> None:
        line_no = self.rng.randint(1, len(sale.basket.lines))
        refund = RefundRecord(
            key=f"{sale.key}-r",
            sale=sale,
            line_no=line_no,
            sku=sale.basket.lines[line_no - 1]["sku"],
            restock=self.rng.random() < 0.8,
        )
        self.ledger.refunds[refund.key] = refund
        self.refunds.append(refund)

    async def _push_refund(self) -> bool:
        refund = self.refunds[0]
        body = {
            "idempotency_key": refund.key,
            "register_code": self.register,
            "lines": [{"line_no": refund.line_no, "qty": "1", "restock": refund.restock}],
            "method": "cash",
            "reason": "load test",
        }
        try:
            with self.recorder.timed("refund"):
                answer = await self.client.post(
                    f"/api/orders/{refund.sale.order_id}/refunds", json=body, headers=self.manager_auth
                )
                answer.raise_for_status()
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code < 500:
                self.ledger.rejected[f"refund: {exc.response.text[:70]}"] += 1
                self.refunds.pop(0)
                return True
            return False
        except httpx.HTTPError:
            return False
        refund.done = True
        self.refunds.pop(0)
        return True

    # --- pulling and listening -----------------------------------------------------------------

    async def pull(self, dataset: str) -> None:
        """Pull one data set from the stored cursor until the server has no more."""
        while True:
            with self.recorder.timed("pull"):
                answer = await self.client.get(
                    f"/api/sync/{dataset}",
                    params={"location": self.plan.location, "cursor": self.cursors.get(dataset, 0)},
                    headers=self.auth,
                )
                answer.raise_for_status()
            page = answer.json()
            self.ledger.pulled_items += len(page["items"])
            self.cursors[dataset] = page["cursor"]
            if not page["has_more"]:
                return

    async def syncing(self, datasets: list[str], feed_position: int, stop: asyncio.Event) -> None:
        """First sync (everything from cursor 0), then a delta pull of each data set now and then.

        Without a first sync the till starts from the feed position of its bootstrap, as a till
        that synced yesterday would.
        """
        if not self.options.first_sync:
            self.cursors = dict.fromkeys(datasets, feed_position)
            # Tills that synced yesterday were not all switched on in the same second: their
            # delta pulls are spread over the interval, not a burst of every till at once.
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.rng.uniform(0, self.options.pull_every))
        while not stop.is_set():
            if not self.offline:
                for dataset in datasets:
                    try:
                        await self.pull(dataset)
                    except httpx.HTTPError:
                        break
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.options.pull_every)

    async def listening(self) -> None:
        """Keep the live event stream open, counting events; reconnect when it drops."""
        while True:
            try:
                async with self.client.stream(
                    "GET", "/api/sync/events", params={"location": self.plan.location}, headers=self.auth
                ) as stream:
                    async for line in stream.aiter_lines():
                        if line.startswith("event:") and "ping" not in line:
                            self.recorder.events += 1
            except httpx.HTTPError:
                self.recorder.errors["events: dropped"] += 1
                await asyncio.sleep(1)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the run did, for the report."""

    selling_seconds: float
    total_seconds: float
    drained: bool


async def sign_in(client: httpx.AsyncClient, recorder: Recorder, username: str, password: str) -> str:
    """A staff token."""
    with recorder.timed("sign-in"):
        answer = await client.post("/api/auth/sign-in", json={"username": username, "password": password})
        answer.raise_for_status()
    return str(answer.json()["token"])


async def run_tills(
    plan: Plan,
    options: Options,
    recorder: Recorder,
    ledger: Ledger,
    on_tick: Callable[[float], None] = lambda _: None,
) -> Outcome:
    """Run every till against the server; returns when all outboxes are empty or time is up."""
    rng = random.Random(options.seed)
    timeout = httpx.Timeout(30.0, connect=10.0)
    # One client per till, as each is its own device: a single shared pool of hundreds of
    # connections spends the generator's CPU choosing connections (httpcore scans the pool).
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
    async with contextlib.AsyncExitStack() as clients:

        def own_client() -> httpx.AsyncClient:
            client = httpx.AsyncClient(base_url=options.url, limits=limits, timeout=timeout)
            clients.push_async_callback(client.aclose)
            return client

        client = own_client()
        sessions = max(1, min(options.sessions, options.tills))
        tokens = [await sign_in(client, recorder, plan.cashier[0], plan.cashier[1]) for _ in range(sessions)]
        manager = await sign_in(client, recorder, plan.manager[0], plan.manager[1])
        with recorder.timed("bootstrap"):
            answer = await client.get("/api/sync/bootstrap", headers={"Authorization": f"Bearer {tokens[0]}"})
            answer.raise_for_status()
        reference = answer.json()
        datasets = [str(d) for d in reference["datasets"]]
        feed_position = int(reference["feed_position"])
        tills = [
            Till(
                register,
                plan,
                options,
                own_client(),
                tokens[n % sessions],
                manager,
                recorder,
                ledger,
                random.Random(rng.random()),
            )
            for n, register in enumerate(plan.registers)
        ]
        started = time.monotonic()
        until = started + options.duration
        stop = asyncio.Event()
        selling_done = asyncio.Event()
        background = [asyncio.create_task(t.syncing(datasets, feed_position, stop)) for t in tills]
        if options.live:
            background += [asyncio.create_task(t.listening()) for t in tills]
        offline = rng.sample(tills, round(len(tills) * options.offline_share))
        background += [asyncio.create_task(t.losing_network(until)) for t in offline]
        pushers = [asyncio.create_task(t.pushing(selling_done)) for t in tills]
        sellers = asyncio.gather(*(t.selling(until) for t in tills))
        while not sellers.done():
            on_tick(time.monotonic() - started)
            await asyncio.wait([sellers], timeout=0.5)
        selling_seconds = time.monotonic() - started
        selling_done.set()
        for till in tills:
            till.wake.set()
        drain_until = time.monotonic() + options.drain_timeout
        pending = set(pushers)
        while pending and time.monotonic() < drain_until:
            on_tick(time.monotonic() - started)
            _, pending = await asyncio.wait(pending, timeout=0.5)
        stop.set()
        for task in [*pending, *background]:
            task.cancel()
        await asyncio.gather(*pending, *background, return_exceptions=True)
        return Outcome(selling_seconds, time.monotonic() - started, drained=not pending)
