"""ESC/POS receipts against golden files: the exact bytes a thermal printer gets for a typical
sale, a gift receipt, a discounted sale and a long product name (80 mm), and a 58 mm copy.

Each `golden/<name>.bin` has a readable `golden/<name>.hex` beside it (offset, hex, text). After
a deliberate layout change, rewrite both with `TILL_WRITE_GOLDEN=1 pytest tests/unit/test_escpos.py`
and read the hex diff in review.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from till.domain import escpos
from till.domain.receipts import Receipt, ReceiptLine, Tender, text

GOLDEN = Path(__file__).parent / "golden"
D = Decimal


def _typical(**changes: object) -> Receipt:
    values: dict[str, object] = {
        "store_name": "Till Demo Manhattan",
        "receipt_number": "NYC1-000042",
        "sold_at": datetime(2026, 11, 25, 10, 4, tzinfo=ZoneInfo("America/New_York")),
        "staff_name": "Maya Chen",
        "lines": [
            ReceiptLine("Linen Shirt - Blue / M", D(1), D("49.00")),
            ReceiptLine("Espresso Cup", D(2), D("24.00")),
        ],
        "subtotal": D("73.00"),
        "discount": D("0.00"),
        "tax": D("6.48"),
        "grand_total": D("79.48"),
        "tenders": [Tender("cash", D("100.00"))],
        "change": D("20.52"),
        "return_by": date(2026, 12, 25),
    }
    values.update(changes)
    return Receipt(**values)  # type: ignore[arg-type]


def _discounted() -> Receipt:
    return _typical(
        customer_name="Zoë Durand",
        coupon_code="WINTER10",
        lines=[
            ReceiptLine("Linen Shirt - Blue / M", D(1), D("49.00"), D("4.90")),
            ReceiptLine("Espresso Cup", D(2), D("24.00"), D("2.40")),
        ],
        discount=D("7.30"),
        tax=D("5.83"),
        grand_total=D("71.53"),
        tenders=[Tender("card", D("50.00")), Tender("cash", D("30.00"))],
        change=D("8.47"),
    )


def _long_name() -> Receipt:
    return _typical(
        lines=[
            ReceiptLine(
                "Organic Cotton Oversized Hooded Sweatshirt with Embroidered Logo - Heather Grey / XXL",
                D(3),
                D("1234.50"),
            )
        ],
        subtotal=D("1234.50"),
        tax=D("109.56"),
        grand_total=D("1344.06"),
        tenders=[Tender("card", D("1344.06"))],
        change=D("0.00"),
    )


CASES = {
    "typical_80mm": (_typical(), 80),
    "gift_80mm": (_typical().as_gift(), 80),
    "discounted_80mm": (_discounted(), 80),
    "long_name_80mm": (_long_name(), 80),
    "typical_58mm": (_typical(), 58),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_bytes_equal_the_golden_file(name: str) -> None:
    receipt, paper = CASES[name]
    data = escpos.encode(receipt, paper, open_drawer=True)
    if os.environ.get("TILL_WRITE_GOLDEN"):
        (GOLDEN / f"{name}.bin").write_bytes(data)
        (GOLDEN / f"{name}.hex").write_text(escpos.hex_dump(data))
    assert data == (GOLDEN / f"{name}.bin").read_bytes()
    assert escpos.hex_dump(data) == (GOLDEN / f"{name}.hex").read_text()


def _printed_lines(data: bytes) -> list[str]:
    """The text a printer would put on paper (commands removed), one entry per line."""
    body = data
    for command in (
        escpos.INIT,
        escpos.CODE_PAGE,
        escpos.DRAWER_KICK,
        escpos.LEFT,
        escpos.CENTER,
        escpos.BOLD_ON,
        escpos.BOLD_OFF,
        escpos.NORMAL,
        escpos.TALL,
        escpos.DOUBLE,
        escpos.FEED_AND_CUT,
    ):
        body = body.replace(command, b"")
    return body.decode(escpos.CODEC).split("\n")[:-1]


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_line_is_wider_than_the_paper_and_no_amount_is_cut(name: str) -> None:
    receipt, paper = CASES[name]
    lines = _printed_lines(escpos.encode(receipt, paper))
    assert max(len(line) for line in lines) <= escpos.columns_for(paper)
    if not receipt.gift:
        for amount in ("79.48", "20.52") if name.startswith("typical") else ():
            assert any(line.rstrip().endswith(amount) for line in lines), amount


def test_a_cash_sale_opens_the_drawer_first_and_a_card_sale_or_a_gift_receipt_never() -> None:
    start = escpos.INIT + escpos.CODE_PAGE
    assert escpos.encode(_typical(), open_drawer=True).startswith(start + escpos.DRAWER_KICK)
    assert escpos.DRAWER_KICK not in escpos.encode(_typical(), open_drawer=False)
    assert escpos.DRAWER_KICK not in escpos.encode(_long_name(), open_drawer=True), "card only"
    assert escpos.DRAWER_KICK not in escpos.encode(_typical().as_gift(), open_drawer=True)
    assert escpos.encode(_typical()).endswith(escpos.FEED_AND_CUT)


def test_a_gift_receipt_has_lines_and_quantities_but_no_money() -> None:
    printed = "\n".join(_printed_lines(escpos.encode(_typical().as_gift())))
    assert "GIFT RECEIPT" in printed and "2 x Espresso Cup" in printed
    assert "Return or exchange by 2026-12-25" in printed and "NYC1-000042" in printed
    assert "$" not in printed and "49.00" not in printed and "Cash" not in printed


def test_the_discounted_sale_shows_each_lines_discount_and_the_coupon() -> None:
    printed = _printed_lines(escpos.encode(_discounted()))
    assert [line for line in printed if "discount" in line.lower()] == [
        "  discount" + "-$4.90".rjust(48 - 10),
        "  discount" + "-$2.40".rjust(48 - 10),
        "Discount (coupon WINTER10)" + "-$7.30".rjust(48 - 26),
    ]
    assert "Zoë Durand" in "\n".join(printed), "an accented name prints in code page 858"


def test_a_long_name_wraps_and_its_price_stays_whole_at_58_mm() -> None:
    lines = _printed_lines(escpos.encode(_long_name(), 58))
    first = next(i for i, line in enumerate(lines) if line.startswith("3 x Organic"))
    assert lines[first].endswith(" $1,234.50") and len(lines[first]) == 32
    assert lines[first + 1].startswith("  ") and "$" not in lines[first + 1]


def test_the_e_mail_text_is_the_printed_text() -> None:
    printed = [line.strip() for line in _printed_lines(escpos.encode(_discounted()))]
    mailed = [line.strip() for line in text(_discounted(), 48).splitlines()]
    # the store name prints double width (24 columns); everything else is the same lines
    assert printed[1:] == mailed[1:]
