"""Stock that moves in bulk: transfers between shops, deliveries received, and stock counts.

Every movement ends as signed changes to source items (MSI's source item quantity); none
touches reservations, so a web shopper and a till see them only through the source figures.

A transfer is sent (the sender's source item goes down: the goods are in transit, salable at
neither end) and then received by scanning (the receiver's goes up by what arrived in good
condition). A delivery is received the same way, from a supplier instead of a shop.

A count is taken while selling goes on. For each counted sku:

    expected = book quantity when its last scan was recorded
               − units sold before that scan on a till that told the server only after it
    adjustment = counted − expected

The book quantity at the scan is the snapshot taken at the count's start plus every movement
the server applied since (sales, refunds, transfers, deliveries): what the shelf should have
held when the counter looked. The adjustment is added to the source item, never set over it,
so a sale made after the scan stays deducted and no sale is lost from the count. A full count
also zeroes what was expected but never scanned.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from till.domain.inventory import InventoryError

ZERO = Decimal("0")

TransferState = Literal["draft", "sent", "received", "cancelled"]
DeliveryState = Literal["expected", "received"]
CountKind = Literal["full", "cycle"]
CountState = Literal["counting", "review", "approved", "cancelled"]
Discrepancy = Literal["short", "over", "damaged"]


def merged_lines(lines: Iterable[tuple[str, Decimal]], *, what: str) -> dict[str, Decimal]:
    """Quantities per sku, summed over repeated lines; each must be positive."""
    per_sku: dict[str, Decimal] = {}
    for sku, quantity in lines:
        if quantity <= 0:
            raise InventoryError(f"{sku}: a {what} quantity must be positive")
        per_sku[sku] = per_sku.get(sku, ZERO) + quantity
    if not per_sku:
        raise InventoryError(f"a {what} needs at least one line")
    return dict(sorted(per_sku.items()))


def check_transfer(from_source: str, to_source: str) -> None:
    """A transfer goes between two different sources."""
    if from_source == to_source:
        raise InventoryError("a transfer needs two different shops")


@dataclass(frozen=True, slots=True)
class ReceivedLine:
    """One sku of a receipt: what was expected, what arrived good, what arrived damaged."""

    sku: str
    expected: Decimal
    received: Decimal
    damaged: Decimal

    @property
    def discrepancies(self) -> dict[Discrepancy, Decimal]:
        """Short (fewer arrived than expected), over (more), damaged (arrived unsellable)."""
        found: dict[Discrepancy, Decimal] = {}
        arrived = self.received + self.damaged
        if arrived < self.expected:
            found["short"] = self.expected - arrived
        if arrived > self.expected:
            found["over"] = arrived - self.expected
        if self.damaged:
            found["damaged"] = self.damaged
        return found

    def stocked(self, *, may_add: bool) -> Decimal:
        """The good units that go onto the receiver's source.

        Whoever may adjust stock stocks every good unit; anyone else no more than was announced
        or sent, so a receipt cannot raise stock beyond what a manager or another shop put on it.
        """
        return self.received if may_add else min(self.received, self.expected)

    def held_for_manager(self, *, may_add: bool) -> Decimal:
        """Good units recorded but not stocked: beyond what was expected, for a manager to add."""
        return self.received - self.stocked(may_add=may_add)


def receipt(
    expected: Mapping[str, Decimal],
    scanned: Iterable[tuple[str, Decimal]],
    damaged: Iterable[tuple[str, Decimal]] = (),
) -> list[ReceivedLine]:
    """Compare what was scanned in (good, and damaged) with what was expected, per sku.

    Only the good units go onto the receiver's source; damaged ones are recorded, not stocked.
    An ad-hoc delivery expects nothing: every unit scanned is "over" what was announced, and is
    stocked only by a receiver who may adjust stock (`ReceivedLine.stocked`).
    """
    good: dict[str, Decimal] = {}
    broken: dict[str, Decimal] = {}
    for into, lines in ((good, scanned), (broken, damaged)):
        for sku, quantity in lines:
            if quantity < 0:
                raise InventoryError(f"{sku}: a received quantity cannot be negative")
            into[sku] = into.get(sku, ZERO) + quantity
    skus = sorted(set(expected) | set(good) | set(broken))
    return [
        ReceivedLine(sku, expected.get(sku, ZERO), good.get(sku, ZERO), broken.get(sku, ZERO)) for sku in skus
    ]


@dataclass(frozen=True, slots=True)
class CountLine:
    """One sku of a count.

    `snapshot`: the source quantity when the count started. `book_at_scan`: the source
    quantity when the counter's last scan of it was recorded (the snapshot plus the movements
    since). `sold_late`: units sold before that scan on a till that reached the server after it
    (offline): gone from the shelf, not yet from the book. `counted` is None until scanned.
    """

    sku: str
    snapshot: Decimal
    counted: Decimal | None = None
    book_at_scan: Decimal | None = None
    sold_late: Decimal = ZERO

    @property
    def expected(self) -> Decimal:
        """What the shelf should have held when the counter looked."""
        book = self.snapshot if self.book_at_scan is None else self.book_at_scan
        return book - self.sold_late

    @property
    def moved_since_start(self) -> Decimal:
        """Signed movements between the count's start and the scan (sales are negative)."""
        return (self.snapshot if self.book_at_scan is None else self.book_at_scan) - self.snapshot

    def adjustment(self, kind: CountKind) -> Decimal:
        """What to add to the source item: counted − expected.

        In a full count a sku never scanned was counted as none; in a cycle count every sku of
        the set must be scanned (zero is a scan too).
        """
        if self.counted is None:
            if kind == "cycle":
                raise InventoryError(f"{self.sku} is in the count but was not counted")
            return ZERO - self.expected
        return self.counted - self.expected


def check_counted(quantity: Decimal) -> None:
    """A counted quantity is zero or more."""
    if quantity < 0:
        raise InventoryError("a counted quantity cannot be negative")


def count_adjustments(kind: CountKind, lines: Iterable[CountLine]) -> dict[str, Decimal]:
    """The non-zero change each sku's source item takes at approval, sorted by sku."""
    changes = {line.sku: line.adjustment(kind) for line in lines}
    return {sku: delta for sku, delta in sorted(changes.items()) if delta != 0}
