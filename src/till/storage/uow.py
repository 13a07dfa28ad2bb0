"""The unit of work: one database transaction and the repositories that share it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import TracebackType

from sqlalchemy import Connection, Engine, text

from till.storage.catalog import CatalogRepository
from till.storage.customers import CustomerRepository
from till.storage.devices import DeviceRepository
from till.storage.events import EventRepository
from till.storage.feed import FEED_CHANNEL, record_changes, stamp_pending
from till.storage.ledgers import AccountRepository, GiftCardRepository
from till.storage.prices import PriceRepository
from till.storage.reference import ReferenceRepository
from till.storage.sales import SalesRepository
from till.storage.shifts import ShiftRepository
from till.storage.staff import StaffRepository
from till.storage.stock import StockRepository
from till.storage.stock_moves import StockMovesRepository
from till.storage.today import TodayRepository


class UnitOfWork:
    """`with UnitOfWork(engine) as uow: …; uow.commit()` — nothing is kept without commit.

    After a commit that recorded changes, the change feed is stamped so tills see them, unless
    `stamp=False`: then the next reader stamps (every pull and every live poll does, first).
    """

    conn: Connection

    def __init__(self, engine: Engine, *, stamp: bool = True) -> None:
        self.engine = engine
        self._stamp = stamp
        self._committed = False
        self._changed = False
        self._after_commit: list[Callable[[], None]] = []

    def __enter__(self) -> UnitOfWork:
        self.conn = self.engine.connect()
        self.conn.begin()
        self.catalog = CatalogRepository(self.conn)
        self.prices = PriceRepository(self.conn)
        self.reference = ReferenceRepository(self.conn)
        self.stock = StockRepository(self.conn)
        self.stock_moves = StockMovesRepository(self.conn)
        self.sales = SalesRepository(self.conn)
        self.staff = StaffRepository(self.conn)
        self.devices = DeviceRepository(self.conn)
        self.customers = CustomerRepository(self.conn)
        self.shifts = ShiftRepository(self.conn)
        self.events = EventRepository(self.conn)
        self.today = TodayRepository(self.conn)
        self.gift_cards = GiftCardRepository(self.conn)
        self.accounts = AccountRepository(self.conn)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                self.conn.rollback()
        finally:
            self.conn.close()
        if self._committed:
            if self._changed and self._stamp:
                stamp_pending(self.engine)
            for hook in self._after_commit:
                hook()

    def changed(self, dataset: str, keys: list[str], *, op: str = "upsert", scope: str | None = None) -> None:
        """Announce changed entities to the change feed, in this transaction."""
        if keys:
            record_changes(self.conn, dataset, keys, op=op, scope=scope)
            self._changed = True

    def stock_changed(self, pairs: Iterable[tuple[str, int]]) -> None:
        """Announce that the salable quantity of these (sku, stock id) pairs changed."""
        by_stock: dict[int, set[str]] = {}
        for sku, stock_id in pairs:
            by_stock.setdefault(stock_id, set()).add(f"{sku}@{stock_id}")
        for stock_id, keys in sorted(by_stock.items()):
            self.changed("stock", sorted(keys), scope=str(stock_id))

    def after_commit(self, hook: Callable[[], None]) -> None:
        """Run `hook` once the transaction has committed (never if it rolls back)."""
        self._after_commit.append(hook)

    def commit(self) -> None:
        """Make the work permanent."""
        if self._changed and self.conn.dialect.name == "postgresql":
            # Delivered at commit, once however many changes: every app process's live poller
            # wakes now instead of at its next interval (api/live.py).
            self.conn.execute(text(f"NOTIFY {FEED_CHANNEL}"))
        self.conn.commit()
        self._committed = True

    def rollback(self) -> None:
        """Throw the work away."""
        self.conn.rollback()
