"""The database queue's claim: concurrent consumers never hold one message at once; a
released or lease-expired message is claimed again (all three databases)."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import Engine, insert

from till.queue import store
from till.queue.messages import Route
from till.storage.tables import outbox

pytestmark = pytest.mark.db


def _fill(engine: Engine, n: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(outbox),
            [
                {
                    "message_id": str(uuid.uuid4()),
                    "topic": "sale.placed",
                    "payload": {"n": i},
                    "created_at": store.utcnow(),
                }
                for i in range(n)
            ],
        )


def test_concurrent_claims_take_each_message_once(engine: Engine) -> None:
    _fill(engine, 120)
    routes = [Route("export.a", frozenset({"sale.placed"})), Route("export.b", frozenset({"other"}))]
    relayed = 0
    while sent := store.relay_to_database(engine, routes, 50):
        relayed += sent
    assert relayed == 120
    taken: dict[str, list[int]] = {"w1": [], "w2": [], "w3": []}

    def consume(worker: str) -> None:
        while claimed := store.claim(engine, "export.a", worker, 7, 60):
            taken[worker] += [c.message.payload["n"] for c in claimed]

    threads = [threading.Thread(target=consume, args=(w,)) for w in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    every = [n for ns in taken.values() for n in ns]
    assert sorted(every) == list(range(120)), "each message claimed exactly once"
    assert store.claim(engine, "export.b", "w1", 10, 60) == [], "only routed topics reach a queue"


def test_released_and_expired_claims_come_back(engine: Engine) -> None:
    _fill(engine, 3)
    store.relay_to_database(engine, [Route("export.a", frozenset({"*"}))], 10)
    first = store.claim(engine, "export.a", "w1", 3, 1.0)
    assert [c.message.attempt for c in first] == [1, 1, 1]
    assert store.claim(engine, "export.a", "w2", 3, 60) == [], "held by w1"
    store.release(engine, [first[0].row_id], "w1")
    [again] = store.claim(engine, "export.a", "w2", 3, 60)
    assert again.message.message_id == first[0].message.message_id and again.message.attempt == 1
    time.sleep(1.5)  # w1's lease runs out
    late = store.claim(engine, "export.a", "w3", 3, 60)
    assert sorted(c.message.message_id for c in late) == sorted(c.message.message_id for c in first[1:])
    assert {c.message.attempt for c in late} == {2}, "a redelivery counts as a try"
    assert store.complete(engine, again.message, 1.0, row_id=again.row_id) is True
    assert store.complete(engine, again.message, 1.0, row_id=again.row_id) is False, "applied once"
