"""Counting the drawer at a shift's close: notes and coins by face value, and the close rule.

A count is quantities of each note and coin of the store's currency; its total is the sum of
quantity × face value, exact. The close rule is what a manager sets: a blind count (whoever
counts does not see the expected cash until the count is committed) and the difference above
which the close needs a note saying why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from till.domain.errors import DomainError
from till.domain.money import ZERO, round_money


class CashCountError(DomainError):
    """A count or a close rule that cannot be right."""

    code = "cash_count_invalid"


def _faces(*values: str) -> tuple[Decimal, ...]:
    return tuple(Decimal(v) for v in values)


#: Notes and coins in circulation, largest first. The US dollar coin shares its face with the
#: note: one count of "1.00" holds both.
DENOMINATIONS: Mapping[str, Mapping[str, tuple[Decimal, ...]]] = {
    "USD": {
        "notes": _faces("100.00", "50.00", "20.00", "10.00", "5.00", "2.00", "1.00"),
        "coins": _faces("0.50", "0.25", "0.10", "0.05", "0.01"),
    },
    "EUR": {
        "notes": _faces("500.00", "200.00", "100.00", "50.00", "20.00", "10.00", "5.00"),
        "coins": _faces("2.00", "1.00", "0.50", "0.20", "0.10", "0.05", "0.02", "0.01"),
    },
    "GBP": {
        "notes": _faces("50.00", "20.00", "10.00", "5.00"),
        "coins": _faces("2.00", "1.00", "0.50", "0.20", "0.10", "0.05", "0.02", "0.01"),
    },
}

#: More of one note or coin than any drawer holds: a typing slip, not a count.
MAX_PIECES = 100_000


def faces_of(currency: str) -> tuple[Decimal, ...]:
    """Every face value of a currency, notes then coins."""
    known = DENOMINATIONS.get(currency)
    if known is None:
        raise CashCountError(f"no notes and coins known for {currency}; count the total instead")
    return known["notes"] + known["coins"]


@dataclass(frozen=True, slots=True)
class CashCount:
    """How many of each note and coin were counted in the drawer."""

    currency: str
    pieces: Mapping[Decimal, int]

    def __post_init__(self) -> None:
        faces = set(faces_of(self.currency))
        for face, quantity in self.pieces.items():
            if face not in faces:
                raise CashCountError(f"{face} is not a note or coin of {self.currency}")
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
                raise CashCountError(f"the number of {face} is a whole number of zero or more")
            if quantity > MAX_PIECES:
                raise CashCountError(f"{quantity} × {face} is more than a drawer holds")

    @property
    def total(self) -> Decimal:
        """The counted cash: quantities × face values."""
        return round_money(sum((face * qty for face, qty in self.pieces.items()), ZERO))

    def wire(self) -> dict[str, int]:
        """The count as kept and sent: face value (two places) to quantity, non-zero only,
        largest first."""
        return {f"{face:.2f}": qty for face, qty in sorted(self.pieces.items(), reverse=True) if qty}


@dataclass(frozen=True, slots=True)
class CloseRule:
    """A manager's rule for closing: a blind count, and the difference a note must explain."""

    blind_count: bool = False
    #: None: a note is never required (a store that has set no rule).
    note_over: Decimal | None = None

    def __post_init__(self) -> None:
        allowance = self.note_over
        if allowance is not None and (allowance < 0 or round_money(allowance) != allowance):
            raise CashCountError("the difference allowed without a note is an amount of zero or more")

    def needs_note(self, difference: Decimal) -> bool:
        """A difference larger (either way) than the allowance needs a note."""
        return self.note_over is not None and abs(difference) > self.note_over


def check_close_note(rule: CloseRule, difference: Decimal, note: str) -> None:
    """A close whose difference the rule says to explain needs a note."""
    if rule.needs_note(difference) and not note.strip():
        side = "short" if difference < 0 else "over"
        raise CashCountError(f"the drawer is {side} by {abs(difference):.2f}: say why in a note")
