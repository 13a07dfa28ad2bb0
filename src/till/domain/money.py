"""Exact money arithmetic, rounded the way Magento rounds.

Amounts are `Decimal`; they travel as decimal strings, never floats. Magento's
`Tax\\Model\\Calculation::round()` rounds to 2 decimal places, half away from zero,
which is `ROUND_HALF_UP` in Python's decimal module.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from till.domain.errors import DomainError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

#: Quantities are stored with four decimals, as Magento's `qty_ordered` is decimal(12,4).
QTY_PLACES = Decimal("0.0001")


class MoneyError(DomainError):
    """An amount that is not a finite decimal number."""

    code = "money_invalid"


def to_decimal(value: str | int | Decimal) -> Decimal:
    """Parse an amount or quantity; floats are refused because they are not exact."""
    if isinstance(value, float):  # pragma: no cover - guarded by the type checker too
        raise MoneyError("amounts must be decimal strings, not floats")
    try:
        result = Decimal(value)
    except (InvalidOperation, ValueError) as exc:
        raise MoneyError(f"not a decimal number: {value!r}") from exc
    if not result.is_finite():
        raise MoneyError(f"not a finite number: {value!r}")
    return result


def round_money(amount: Decimal) -> Decimal:
    """Round to cents, half away from zero (PHP `round($x, 2)`)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def round_qty(qty: Decimal) -> Decimal:
    """Round a quantity to the four places Magento stores."""
    return qty.quantize(QTY_PLACES, rounding=ROUND_HALF_UP)


def plain_str(value: Decimal) -> str:
    """The wire form of a quantity or a rate: plain decimal notation, never an exponent
    (`Decimal("2E+1")` is "20")."""
    return f"{value:f}"


def money_str(amount: Decimal) -> str:
    """The wire form of an amount: a plain decimal string with two places."""
    return f"{round_money(amount):f}"


def sum_money(amounts: list[Decimal] | tuple[Decimal, ...]) -> Decimal:
    """Sum amounts, starting from an exact zero with cents."""
    total = ZERO
    for amount in amounts:
        total += amount
    return total
