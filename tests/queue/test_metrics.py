"""Monitoring figures come from the database: the current mean (last 5 minutes) and the total
mean since the start differ as they should; RabbitMQ figures come from workers' heartbeats."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, update

from till.queue import metrics, store
from till.queue.messages import Message
from till.storage.tables import processed_messages


@pytest.mark.db
def test_current_and_total_mean_processing_time(engine: Engine) -> None:
    for n, ms in enumerate((1000.0, 3000.0, 10.0, 30.0)):
        store.complete(engine, Message(f"m-{n}", "sale.placed", {}, "export.magento"), ms)
    with engine.begin() as conn:  # the two slow ones finished an hour ago
        conn.execute(
            update(processed_messages)
            .where(processed_messages.c.message_id.in_(["m-0", "m-1"]))
            .values(finished_at=store.utcnow() - timedelta(hours=1))
        )
    store.record_failure(engine, "export.magento")
    figures = metrics.snapshot(engine)["queues"]["export.magento"]
    assert figures["mean_ms_5m"] == pytest.approx(20.0)
    assert figures["mean_ms_total"] == pytest.approx(1010.0)
    assert figures["processed"] == 4 and figures["failures"] == 1


def test_rabbitmq_figures_from_heartbeats(sqlite_engine: Engine) -> None:
    store.heartbeat(sqlite_engine, "w1", {"webhook.1": (2, 40), "live": (0, 0)})
    store.heartbeat(sqlite_engine, "w2", {"webhook.1": (3, 41)})
    data = metrics.snapshot(sqlite_engine, "rabbitmq")
    assert data["queues"]["webhook.1"]["in_flight"] == 5
    assert data["queues"]["webhook.1"]["waiting"] == 41
    assert set(data["workers"]) == {"w1", "w2"}
    store.forget_worker(sqlite_engine, "w2")
    assert set(metrics.snapshot(sqlite_engine, "rabbitmq")["workers"]) == {"w1"}
