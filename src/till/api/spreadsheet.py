"""CSV cells a spreadsheet will not run: OWASP's advice against formula injection."""

from __future__ import annotations

import re
from typing import Any

#: A cell starting with one of these is a formula (or becomes one) in Excel, LibreOffice and
#: Google Sheets.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: A plain number (e.g. a negative amount) is no formula: it stays as it is.
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$")


def safe_cell(value: Any) -> Any:
    """The value, with a `'` in front when it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value
