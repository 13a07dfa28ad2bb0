"""Group commit for pushed sales: the batches that reach one app process together are placed
in one transaction.

Every till selling the same goods changes the same source-item rows, so two transactions
placing sales lock each other out until one commits. With a hundred tills pushing at once,
a hundred small transactions would queue on those rows; one writer per process placing
whatever has arrived in one transaction leaves as many contenders as there are processes,
and pays a transaction's fixed costs once for many batches.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine

from till.services.sales import PushedSale, SaleResult, place_sales

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Batch:
    """One request's sales, and what became of them."""

    sales: Sequence[PushedSale]
    done: threading.Event = field(default_factory=threading.Event)
    results: list[SaleResult] = field(default_factory=list)
    error: BaseException | None = None


class SaleWriter:
    """Places pushed sales for one process; `place` answers as `place_sales` would."""

    def __init__(self, engine: Engine, *, max_sales: int = 1000, idle_seconds: float = 30.0) -> None:
        self.engine = engine
        self.max_sales = max_sales
        self.idle_seconds = idle_seconds
        self._waiting: queue.Queue[_Batch] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def place(self, sales: Sequence[PushedSale]) -> list[SaleResult]:
        """Place a batch with whatever else is waiting; blocks until its transaction ends."""
        if not sales:
            return []
        batch = _Batch(sales)
        self._waiting.put(batch)
        self._ensure_running()
        batch.done.wait()
        if batch.error is not None:
            raise batch.error
        return batch.results

    def _ensure_running(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sale-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                first = self._waiting.get(timeout=self.idle_seconds)
            except queue.Empty:
                with self._lock:
                    # A batch put after the timeout but before this line starts a new thread.
                    if self._waiting.empty():
                        self._thread = None
                        return
                continue
            together = [first]
            count = len(first.sales)
            while count < self.max_sales:
                try:
                    batch = self._waiting.get_nowait()
                except queue.Empty:
                    break
                together.append(batch)
                count += len(batch.sales)
            self._write(together)

    def _write(self, together: list[_Batch]) -> None:
        try:
            results = place_sales(self.engine, [sale for batch in together for sale in batch.sales])
        except Exception as exc:
            if len(together) == 1:
                together[0].error = exc
            else:
                # One request's trouble must not fail the others: place each on its own.
                log.warning("a combined push failed (%s); placing its %d batches alone", exc, len(together))
                for batch in together:
                    self._write([batch])
                return
        else:
            start = 0
            for batch in together:
                batch.results = results[start : start + len(batch.sales)]
                start += len(batch.sales)
        for batch in together:
            batch.done.set()
