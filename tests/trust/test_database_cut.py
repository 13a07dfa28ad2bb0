"""The app's database connection cut while tills push sales: the app answers 503 (never 500) or
the push succeeds, and the till's retries leave every sale stored exactly once. A TCP proxy
between the app and the database server is cut; the database itself never stops (others use it).

Also the worst moment: the cut lands after the database committed the batch but before the app
heard it. The app cannot tell, answers 503, the till sends the batch again, and the idempotency
keys make the retry a replay ("duplicate", same orders), not a second sale.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, func, select

from tests.e2e.conftest import Live
from tests.trust.db_proxy import DatabaseProxy
from tests.trust.tills import Till, assert_stock_moved_once, batches, count_sales, make_sales, stock_now
from till.demo.store import seed_demo
from till.storage.db import make_engine
from till.storage.tables import orders

SALES = 300
BATCH = 10


@pytest.fixture
def proxied(engine: Engine, serve: Callable[[Engine], str]) -> Iterator[tuple[Live, DatabaseProxy]]:
    """The demo store, served by an app whose every database connection goes through a proxy."""
    store = seed_demo(engine)
    proxy = DatabaseProxy(engine.url.host or "127.0.0.1", engine.url.port or 5432)
    through = make_engine(
        engine.url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    )
    try:
        yield Live(serve(through), engine, store), proxy
    finally:
        proxy.close()
        through.dispose()


@pytest.mark.parametrize("engine", ["postgresql", "mariadb"], indirect=True)
def test_cutting_the_database_connection_during_pushes_loses_and_doubles_no_sale(
    proxied: tuple[Live, DatabaseProxy],
) -> None:
    live, proxy = proxied
    sales = make_sales(live, SALES, tag="cut")
    start = stock_now(live.engine, sorted({s["lines"][0]["sku"] for s in sales}))
    cuts = 0
    done = threading.Event()

    def cut_now_and_then() -> None:
        nonlocal cuts
        pace = random.Random(7)
        while not done.wait(pace.uniform(0.1, 0.4)):
            proxy.cut()
            cuts += 1
            time.sleep(pace.uniform(0.02, 0.2))
            proxy.restore()

    cutter = threading.Thread(target=cut_now_and_then)
    with live.sign_in("maya") as client:
        till = Till(client)
        cutter.start()
        try:
            for batch in batches(sales, BATCH):
                till.push(batch)
        finally:
            done.set()
            cutter.join()
            proxy.restore()

    assert set(till.tries) <= {"200", "503"}, f"every answer is a success or a 503: {till.tries}"
    assert till.tries["503"] > 0, "the cuts landed in pushes"
    count = count_sales(live.engine, sales, till)
    assert (count.made, count.stored, count.lost, count.doubled) == (SALES, SALES, 0, 0)
    assert_stock_moved_once(live.engine, start, sales)
    print(
        f"\n{SALES} sales, {cuts} cuts, pushes answered {dict(till.tries)}, sale results {dict(till.results)}"
    )


@pytest.mark.parametrize("engine", ["postgresql", "mariadb"], indirect=True)
def test_a_cut_after_commit_before_the_answer_is_replayed_not_doubled(
    proxied: tuple[Live, DatabaseProxy],
) -> None:
    live, proxy = proxied
    sales = make_sales(live, 5, tag="commit-cut")
    keys = [s["idempotency_key"] for s in sales]
    start = stock_now(live.engine, sorted({s["lines"][0]["sku"] for s in sales}))

    def stored() -> dict[str, str]:
        with live.engine.connect() as conn:
            rows = conn.execute(
                select(orders.c.idempotency_key, orders.c.id).where(orders.c.idempotency_key.in_(keys))
            )
            return dict(rows.all())

    with live.sign_in("maya") as client:
        stopped = proxy.stop_at_commit(b"sale-commit-cut-", committed=True, hang_up=True)
        first = client.post("/api/sync/push", json={"sales": sales})
        assert stopped.is_set(), "the database's answer to COMMIT was dropped"
        assert first.status_code == 503, first.text
        assert first.headers["retry-after"]
        committed = stored()
        assert sorted(committed) == sorted(keys), "the database committed the batch the app never heard of"

        till = Till(client)
        replay = till.push(sales)

    assert [r["status"] for r in replay] == ["duplicate"] * len(sales)
    assert {r["idempotency_key"]: r["order_id"] for r in replay} == committed
    count = count_sales(live.engine, sales, till)
    assert (count.stored, count.lost, count.doubled) == (5, 0, 0)
    assert_stock_moved_once(live.engine, start, sales)
    with live.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(orders)).scalar_one() == 5
