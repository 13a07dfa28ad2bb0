"""A receipt as the customer takes it away: one layout, drawn as text (e-mail), HTML (e-mail)
and ESC/POS bytes (a receipt printer), so every copy says the same thing.

A gift receipt is the same receipt without money: lines and quantities, the receipt number
and the date to return or exchange by.
"""

from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

#: Characters on a line in the printer's Font A: 80 mm paper and 58 mm paper.
WIDTHS = {80: 48, 58: 32}

_SYMBOLS = {"USD": "$", "CAD": "$", "AUD": "$", "EUR": "€", "GBP": "£"}
_METHODS = {"cash": "Cash", "card": "Card", "other": "Other"}


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    """One line sold: what, how many, its row total before discount and its own discount."""

    name: str
    qty: Decimal
    row_total: Decimal
    discount: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class Tender:
    """Money taken by one method."""

    method: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Receipt:
    """Everything printed on a receipt, in the retailer's words."""

    store_name: str
    receipt_number: str
    sold_at: datetime
    staff_name: str
    lines: list[ReceiptLine]
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    grand_total: Decimal
    tenders: list[Tender]
    change: Decimal
    currency: str = "USD"
    customer_name: str = ""
    coupon_code: str | None = None
    gift: bool = False
    return_by: date | None = None
    footer: list[str] = field(default_factory=list)

    @property
    def paid_in_cash(self) -> bool:
        """True when cash was taken: the drawer opens."""
        return any(t.method == "cash" for t in self.tenders)

    def as_gift(self) -> Receipt:
        """The gift receipt of this sale."""
        return Receipt(**{**{k: getattr(self, k) for k in self.__dataclass_fields__}, "gift": True})


# --- layout -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One printed line: text on the left, an amount on the right (both may be empty)."""

    left: str = ""
    right: str = ""
    center: bool = False
    bold: bool = False
    #: "double" (twice as wide and tall, half the columns) or "tall" (twice as tall).
    size: str = "normal"
    rule: bool = False


def money(amount: Decimal, currency: str = "USD") -> str:
    """`$12.50`, `-$1.00`; an unknown currency by its code (`CHF 12.50`)."""
    symbol = _SYMBOLS.get(currency, f"{currency} ")
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount).quantize(Decimal('0.01')):,}"


def _qty(qty: Decimal) -> str:
    return f"{qty.normalize():f}"


def layout(receipt: Receipt) -> list[Row]:
    """The rows of a receipt, top to bottom; drawing them is the renderer's job."""
    cur = receipt.currency
    rows = [Row(receipt.store_name, center=True, bold=True, size="double")]
    if receipt.gift:
        rows.append(Row("GIFT RECEIPT", center=True, bold=True))
    rows.append(Row(f"Receipt {receipt.receipt_number}", center=True))
    people = " · ".join(filter(None, [receipt.staff_name, "" if receipt.gift else receipt.customer_name]))
    rows.append(Row(f"{receipt.sold_at:%Y-%m-%d %H:%M}" + (f" · {people}" if people else ""), center=True))
    rows.append(Row(rule=True))
    for line in receipt.lines:
        label = f"{_qty(line.qty)} x {line.name}"
        if receipt.gift:
            rows.append(Row(label))
            continue
        rows.append(Row(label, money(line.row_total, cur)))
        if line.discount:
            rows.append(Row("  discount", money(-line.discount, cur)))
    rows.append(Row(rule=True))
    if receipt.gift:
        if receipt.return_by is not None:
            rows.append(Row(f"Return or exchange by {receipt.return_by:%Y-%m-%d}", center=True))
        rows.append(Row("with this receipt", center=True))
    else:
        rows.append(Row("Subtotal", money(receipt.subtotal, cur)))
        if receipt.discount:
            label = f"Discount (coupon {receipt.coupon_code})" if receipt.coupon_code else "Discount"
            rows.append(Row(label, money(-receipt.discount, cur)))
        rows.append(Row("Tax", money(receipt.tax, cur)))
        rows.append(Row("TOTAL", money(receipt.grand_total, cur), bold=True, size="tall"))
        rows.extend(
            Row(_METHODS.get(t.method, t.method.title()), money(t.amount, cur)) for t in receipt.tenders
        )
        rows.append(Row("Change", money(receipt.change, cur), bold=True))
    rows.extend(Row(text, center=True) for text in receipt.footer)
    rows.append(Row("Thank you", center=True))
    return rows


def wrap(row: Row, columns: int, *, pad_center: bool = True) -> list[str]:
    """A row as lines of at most `columns` characters: the amount is never cut, the text wraps
    (a word longer than a line is broken). A centred row is padded with spaces unless the
    printer centres it itself (`pad_center=False`)."""
    if row.rule:
        return ["-" * columns]
    if row.center:
        parts = _wrap(row.left, columns)
        return [part.center(columns).rstrip() for part in parts] if pad_center else parts
    if not row.right:
        return _wrap(row.left, columns)
    room = max(1, columns - len(row.right) - 1)
    parts = _wrap(row.left, room)
    first = parts[0].ljust(columns - len(row.right)) + row.right
    return [first, *parts[1:]]


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, subsequent_indent="  " if width > 8 else "") or [""]


# --- renderers ----------------------------------------------------------------------------------


def text(receipt: Receipt, columns: int = 48) -> str:
    """The receipt as plain text, `columns` wide (the plain part of an e-mail)."""
    lines: list[str] = []
    for row in layout(receipt):
        lines.extend(wrap(row, columns))
    return "\n".join(lines) + "\n"


def html_document(receipt: Receipt) -> str:
    """The receipt as an HTML e-mail body: the same rows, in a monospace two-column table."""
    cells: list[str] = []
    for row in layout(receipt):
        if row.rule:
            cells.append('<tr><td colspan="2"><hr style="border:0;border-top:1px dashed #888"></td></tr>')
            continue
        style = "font-weight:bold;" if row.bold else ""
        if row.size != "normal":
            style += "font-size:1.4em;"
        left, right = html.escape(row.left), html.escape(row.right)
        if row.center:
            cells.append(f'<tr><td colspan="2" style="text-align:center;{style}">{left}</td></tr>')
        else:
            cells.append(
                f'<tr><td style="{style}">{left}</td>'
                f'<td style="text-align:right;white-space:nowrap;{style}">{right}</td></tr>'
            )
    title = html.escape(f"{'Gift receipt' if receipt.gift else 'Receipt'} {receipt.receipt_number}")
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>'
        '<body><table style="font-family:Menlo,Consolas,monospace;max-width:26em;margin:auto;'
        'border-collapse:collapse">' + "".join(cells) + "</table></body></html>"
    )
