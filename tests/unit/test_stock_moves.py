"""Transfers, deliveries and counts as a stockroom sees them (domain, no storage)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from till.domain.inventory import InventoryError
from till.domain.stock_moves import (
    CountLine,
    check_transfer,
    count_adjustments,
    merged_lines,
    receipt,
)

D = Decimal


def test_a_transfer_merges_repeated_skus_and_refuses_nothing_or_less() -> None:
    assert merged_lines([("B", D(2)), ("A", D(1)), ("B", D(3))], what="transfer") == {"A": D(1), "B": D(5)}
    with pytest.raises(InventoryError, match="positive"):
        merged_lines([("A", D(0))], what="transfer")
    with pytest.raises(InventoryError, match="at least one line"):
        merged_lines([], what="transfer")
    with pytest.raises(InventoryError, match="two different"):
        check_transfer("nyc", "nyc")


def test_a_receipt_records_short_over_and_damaged_lines() -> None:
    lines = receipt(
        {"BAG": D(5), "MUG": D(3), "TEE": D(2)},
        scanned=[("BAG", D(1)), ("BAG", D(3)), ("MUG", D(3)), ("TEE", D(2)), ("CAP", D(1))],
        damaged=[("MUG", D(1))],
    )
    found = {line.sku: (line.received, line.damaged, line.discrepancies) for line in lines}
    assert found == {
        "BAG": (D(4), D(0), {"short": D(1)}),
        "CAP": (D(1), D(0), {"over": D(1)}),  # not on the transfer: arrived anyway
        "MUG": (D(3), D(1), {"over": D(1), "damaged": D(1)}),
        "TEE": (D(2), D(0), {}),
    }


def test_an_ad_hoc_delivery_expects_nothing() -> None:
    (line,) = receipt({}, scanned=[("BAG", D(6))])
    assert (line.expected, line.received, line.discrepancies) == (D(0), D(6), {"over": D(6)})


def test_a_count_during_trading_loses_no_sale() -> None:
    # 10 on the book at the start. Two sold before the counter reached the shelf (the book
    # read at the scan is 8), she counts 7: one is missing. One more sold after her scan is
    # not in the adjustment, so it stays deducted: the book ends at 8 − 1 − 1 = 6 = the shelf.
    line = CountLine("BAG", snapshot=D(10), counted=D(7), book_at_scan=D(8))
    assert line.moved_since_start == D(-2)
    assert line.expected == D(8)
    assert count_adjustments("cycle", [line]) == {"BAG": D(-1)}
    book_at_approval = D(8) - D(1)
    assert book_at_approval + line.adjustment("cycle") == D(6)


def test_an_offline_sale_made_before_the_scan_is_not_counted_twice() -> None:
    # The till was offline: its sale of 2 left the shelf before the scan but reached the
    # server after it; the counter found 8 of the book's 10. Nothing is missing.
    line = CountLine("BAG", snapshot=D(10), counted=D(8), book_at_scan=D(10), sold_late=D(2))
    assert line.adjustment("cycle") == D(0)


def test_a_full_count_zeroes_what_was_not_found_and_a_cycle_count_needs_every_sku() -> None:
    unseen = CountLine("MUG", snapshot=D(3), book_at_scan=D(2))
    found = CountLine("BAG", snapshot=D(4), counted=D(4), book_at_scan=D(4))
    assert count_adjustments("full", [unseen, found]) == {"MUG": D(-2)}
    with pytest.raises(InventoryError, match="MUG is in the count but was not counted"):
        count_adjustments("cycle", [unseen, found])


def test_a_count_finds_what_the_book_did_not_know() -> None:
    new = CountLine("CAP", snapshot=D(0), counted=D(3), book_at_scan=D(0))
    oversold = CountLine("TEE", snapshot=D(-2), counted=D(0), book_at_scan=D(-2))
    assert count_adjustments("cycle", [new, oversold]) == {"CAP": D(3), "TEE": D(2)}
