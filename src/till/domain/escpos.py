"""ESC/POS: a receipt as the bytes an Epson-compatible thermal printer takes.

The one encoder of Till: network printers get these bytes from the server's socket, USB and
serial printers get them from the PWA, which fetches them from the server (docs/client.md).
Commands used (Epson's ESC/POS reference): ESC @ initialise, ESC t select the character code
table, ESC a align, ESC E bold, GS ! character size, ESC d feed, GS V cut, ESC p pulse the
cash-drawer pin.
"""

from __future__ import annotations

from till.domain.receipts import WIDTHS, Receipt, Row, layout, wrap

ESC, GS = b"\x1b", b"\x1d"

INIT = ESC + b"@"
#: Code page 858 (page 19): Latin-1 letters and the euro sign.
CODE_PAGE = ESC + b"t\x13"
CODEC = "cp858"
LEFT, CENTER = ESC + b"a\x00", ESC + b"a\x01"
BOLD_ON, BOLD_OFF = ESC + b"E\x01", ESC + b"E\x00"
NORMAL, TALL, DOUBLE = GS + b"!\x00", GS + b"!\x01", GS + b"!\x11"
#: Feed four lines (past the cutter), then a partial cut.
FEED_AND_CUT = ESC + b"d\x04" + GS + b"V\x01"
#: Pulse drawer pin 2 for 50 ms on, 500 ms off: the wiring nearly every drawer uses.
DRAWER_KICK = ESC + b"p\x00\x19\xfa"


#: Real-time status requests: DLE EOT 1 (printer: online?) and DLE EOT 4 (roll paper).
STATUS_QUERY = b"\x10\x04\x01" + b"\x10\x04\x04"


def status_problem(answer: bytes) -> str | None:
    """What the two status bytes (answers to STATUS_QUERY) say is wrong, or None if ready.
    Each byte has bits 1 and 4 set and bits 0 and 7 clear; printer status bit 3 is offline
    (cover open, paper out or an error), paper status bits 5 and 6 are the paper end."""
    if len(answer) != 2 or any(b & 0x93 != 0x12 for b in answer):
        return f"answered {answer.hex(' ')}, not an ESC/POS status"
    printer, paper = answer
    if paper & 0x60:
        return "out of paper"
    if printer & 0x08:
        return "offline (cover open or an error)"
    return None


def columns_for(paper_mm: int) -> int:
    """Font A characters per line on this paper width (80 or 58 mm)."""
    if paper_mm not in WIDTHS:
        raise ValueError(f"a receipt printer's paper is 80 or 58 mm wide, not {paper_mm}")
    return WIDTHS[paper_mm]


def kicks_drawer(receipt: Receipt, open_drawer: bool) -> bool:
    """True when printing this receipt opens the drawer: asked for, cash taken, not a gift receipt."""
    return open_drawer and receipt.paid_in_cash and not receipt.gift


def encode(receipt: Receipt, paper_mm: int = 80, *, open_drawer: bool = False) -> bytes:
    """The bytes that print `receipt` and cut the paper; with `open_drawer` (a printer with a
    drawer, a sale paid in cash) the drawer is kicked first, so it opens while the paper feeds."""
    columns = columns_for(paper_mm)
    out = bytearray(INIT + CODE_PAGE)
    if kicks_drawer(receipt, open_drawer):
        out += DRAWER_KICK
    for row in layout(receipt):
        out += _row(row, columns)
    out += FEED_AND_CUT
    return bytes(out)


def _row(row: Row, columns: int) -> bytes:
    width = columns // 2 if row.size == "double" else columns
    out = bytearray(CENTER if row.center else LEFT)
    out += {"double": DOUBLE, "tall": TALL}.get(row.size, NORMAL)
    if row.bold:
        out += BOLD_ON
    for line in wrap(row, width, pad_center=False):
        out += line.encode(CODEC, errors="replace") + b"\n"
    if row.bold:
        out += BOLD_OFF
    if row.size != "normal":
        out += NORMAL
    return bytes(out)


def hex_dump(data: bytes) -> str:
    """A readable dump (offset, hex, printable text), kept beside each golden file."""
    lines = []
    for offset in range(0, len(data), 16):
        chunk = data[offset : offset + 16]
        shown = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:06x}  {chunk.hex(' '):<47}  {shown}")
    return "\n".join(lines) + "\n"
