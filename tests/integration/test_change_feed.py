"""The change feed never lets a reader's cursor pass a change that commits late."""

from __future__ import annotations

import random
import threading
import time

import pytest
from sqlalchemy import Engine

from till.storage.feed import read_changes, record_changes, stamp_pending


def _read_all(engine: Engine, dataset: str, cursor: int) -> tuple[list[str], int]:
    keys: list[str] = []
    with engine.connect() as conn:
        while True:
            page = read_changes(conn, dataset, cursor, 50)
            keys += [c.entity_key for c in page]
            if not page:
                return keys, cursor
            cursor = page[-1].seq


# SQLite runs one writer at a time (A would block B), so the overlap exists only on the servers.
@pytest.mark.parametrize("engine", ["postgresql", "mariadb"], indirect=True)
def test_a_change_committed_after_a_later_one_is_still_read(engine: Engine) -> None:
    """Transaction A inserts first but commits last: the reader past B still gets A."""
    slow = engine.connect()
    slow.begin()
    record_changes(slow, "products", ["A-first-inserted"])  # takes the lower id

    with engine.begin() as fast:
        record_changes(fast, "products", ["B-committed-first"])
    stamp_pending(engine)

    seen, cursor = _read_all(engine, "products", 0)
    assert seen == ["B-committed-first"]

    slow.commit()
    slow.close()
    stamp_pending(engine)

    later, _ = _read_all(engine, "products", cursor)
    assert later == ["A-first-inserted"], "the late commit was skipped by the cursor"


def test_concurrent_writers_and_a_reader_see_every_change_once(engine: Engine) -> None:
    writers, per_writer = 4, 15
    done = threading.Event()
    written: list[str] = []
    lock = threading.Lock()

    def write(worker: int) -> None:
        rng = random.Random(worker)
        for n in range(per_writer):
            key = f"w{worker}-{n}"
            with engine.begin() as conn:
                record_changes(conn, "stock", [key])
                time.sleep(rng.random() * 0.01)  # hold the transaction open a little
            stamp_pending(engine)
            with lock:
                written.append(key)

    seen: list[str] = []

    def read() -> None:
        cursor = 0
        while True:
            finished = done.is_set()
            keys, cursor = _read_all(engine, "stock", cursor)
            seen.extend(keys)
            if finished:
                return
            time.sleep(0.002)

    reader = threading.Thread(target=read)
    reader.start()
    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stamp_pending(engine)
    done.set()
    reader.join()

    assert sorted(seen) == sorted(written)
    assert len(seen) == writers * per_writer


def test_stamping_twice_changes_nothing(engine: Engine) -> None:
    with engine.begin() as conn:
        record_changes(conn, "customers", ["1", "2", "3"])
    assert stamp_pending(engine) == 3
    assert stamp_pending(engine) == 0
    keys, _ = _read_all(engine, "customers", 0)
    assert keys == ["1", "2", "3"]
