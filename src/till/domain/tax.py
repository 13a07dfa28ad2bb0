"""Tax classes, rates and rules, and which rates apply to one item, the way Magento picks them.

Magento stores a rule as (customer tax classes x product tax classes x rates) with a priority and
a "calculate off subtotal only" flag. For one item it selects the rules for the customer's and the
product's class whose rates match the address, then turns them into a *calculation process*: rates
of equal priority add up into one group, and a group with a higher priority number compounds on the
ones before it unless its rule calculates off the subtotal only. This module follows
`Tax\\Model\\ResourceModel\\Calculation::_getRates`, `::getCalculationProcess` and
`::_calculateRate`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from till.domain.errors import DomainError

__all__ = [
    "Address",
    "AppliedRate",
    "RateGroup",
    "TaxClass",
    "TaxError",
    "TaxRate",
    "TaxRule",
    "applicable_rates",
    "combined_percent",
    "group_rates",
    "rate_matches_address",
]

TaxClassKind = Literal["customer", "product"]

#: Magento compares only this many leading characters of a postcode
#: (`tax/calculation/postcode_substring_length`, default 10; `Tax\\Helper\\Data`).
POSTCODE_SUBSTRING_LENGTH = 10

_HUNDRED = Decimal(100)
_RANGE = re.compile(r"^(\d+)-(\d+)$")
_DIGITS = re.compile(r"^\d+$")
# US ZIP+4 ("90210-1234") and Portuguese ("1000-001") postcodes are looked up by their first part,
# as `ResourceModel\Calculation::_getRates` does.
_SUFFIX_LENGTH = {"US": 4, "PT": 3}


class TaxError(DomainError):
    """Tax data that cannot be used as given (a negative rate, a rule naming no rate...)."""

    code = "tax_invalid"


@dataclass(frozen=True, slots=True)
class TaxClass:
    """A Magento tax class; customers and products each carry one ("Retail Customer", "Taxable Goods")."""

    code: str
    name: str
    kind: TaxClassKind


@dataclass(frozen=True, slots=True, kw_only=True)
class TaxRate:
    """A Magento tax rate (zone): a percent for a country, an optional region and postcode pattern.

    `region` and `postcode` accept `*` for any. `postcode` also accepts a prefix pattern (`900*`)
    and a numeric range (`90000-90299`, Magento's "zip is range").
    """

    code: str
    country: str
    region: str = "*"
    postcode: str = "*"
    percent: Decimal

    def __post_init__(self) -> None:
        if not isinstance(self.percent, Decimal) or not self.percent.is_finite():
            raise TaxError(f"tax rate {self.code!r}: the percent must be a decimal number")
        if self.percent < 0:
            raise TaxError(f"tax rate {self.code!r}: the percent {self.percent} is negative")
        if not self.country:
            raise TaxError(f"tax rate {self.code!r}: a country is required")


@dataclass(frozen=True, slots=True)
class TaxRule:
    """A Magento tax rule: which rates apply to which customer and product tax classes.

    `position` is kept for display only: Magento 2 orders rules by priority and then rule id, never
    by position, so pass rules in Magento's rule-id order to reproduce its grouping exactly.
    """

    code: str
    customer_classes: frozenset[str]
    product_classes: frozenset[str]
    rates: frozenset[str]
    priority: int = 0
    position: int = 0
    calculate_subtotal: bool = False

    def __post_init__(self) -> None:
        if not self.rates:
            raise TaxError(f"tax rule {self.code!r} names no tax rate")


@dataclass(frozen=True, slots=True)
class Address:
    """Where tax is due: for a till, usually the shop's own address."""

    country: str
    region: str = ""
    postcode: str = ""


@dataclass(frozen=True, slots=True)
class AppliedRate:
    """One rate that applies to an item, with the priority and subtotal flag of its rule."""

    code: str
    percent: Decimal
    priority: int = 0
    calculate_subtotal: bool = False


@dataclass(frozen=True, slots=True)
class RateGroup:
    """One step of Magento's calculation process: rates of equal priority, taxed together.

    `id` is the rate codes joined without a separator, as Magento builds it; `percent` is the
    group's effective percent (compounded on the groups before it unless `calculate_subtotal`).
    """

    id: str
    percent: Decimal
    rates: tuple[AppliedRate, ...]


def _postcode_templates(postcode: str, country: str) -> tuple[frozenset[str], bool, str]:
    """The search templates Magento builds for a postcode, whether it is numeric, its lookup form.

    Follows `ResourceModel\\Calculation::_createSearchPostCodeTemplates`: the postcode itself, the
    postcode followed by `*`, and every shorter prefix followed by `*`.
    """
    lookup = postcode.strip().upper()
    exact: str | None = None
    split = lookup.rsplit("-", 1)
    suffix = _SUFFIX_LENGTH.get(country.upper())
    if len(split) == 2 and suffix is not None and _DIGITS.match(split[1]) and len(split[1]) == suffix:
        exact, lookup = lookup, split[0]
    base = lookup[:POSTCODE_SUBSTRING_LENGTH]
    templates = {base, base + "*"}
    source = base
    if exact is not None:
        source = exact[:POSTCODE_SUBSTRING_LENGTH]
        templates.add(source)
    for cut in range(1, len(source)):
        templates.add(source[:-cut] + "*")
    return frozenset(templates), bool(_DIGITS.match(lookup)), lookup


def rate_matches_address(rate: TaxRate, address: Address) -> bool:
    """Whether a rate's zone covers an address (country, region, postcode), as Magento decides."""
    if rate.country.upper() != address.country.upper():
        return False
    if rate.region not in ("*", "") and rate.region.upper() != address.region.upper():
        return False
    pattern = rate.postcode.strip().upper()
    zip_range = _RANGE.match(pattern)
    if zip_range is not None and int(zip_range.group(1)) > int(zip_range.group(2)):
        # Magento refuses a range that ends before it starts, so this is a literal (a US ZIP+4).
        zip_range = None
    if address.postcode.strip() == "*":
        # A request postcode of "*" is not filtered at all, but never reaches the range rates.
        return zip_range is None
    templates, numeric, lookup = _postcode_templates(address.postcode, address.country)
    if zip_range is not None:
        return numeric and int(zip_range.group(1)) <= int(lookup) <= int(zip_range.group(2))
    return pattern in ("*", "") or pattern in templates


def _sort_key(rate: TaxRate) -> tuple[int, str, str, Decimal]:
    # Magento orders the matches of one rule by country, region, postcode and value, all descending:
    # a specific region sorts before "*" (region id 0), and the postcode compares as a string.
    region_rank = 0 if rate.region in ("*", "") else 1
    return (region_rank, rate.region.upper(), rate.postcode.strip().upper(), rate.percent)


def applicable_rates(
    rules: Sequence[TaxRule],
    rates: Iterable[TaxRate],
    *,
    customer_class: str,
    product_class: str,
    address: Address,
) -> tuple[AppliedRate, ...]:
    """The rates that apply to one item, in Magento's calculation order.

    Follows `ResourceModel\\Calculation::_getRates` then `::getCalculationProcess`: matching rows
    are ordered by rule priority, then rule (the order of `rules`), then the most specific zone
    first; a rate counted once already is not counted again; and **each rule contributes only its
    first matching rate** (Magento skips the other rows of the same rule). Group the result with
    `group_rates` to get Magento's calculation process.
    """
    if not customer_class or not product_class or not address.country:
        # `Calculation::getAppliedRates` returns nothing without a country or either class.
        return ()
    by_code: dict[str, TaxRate] = {}
    for rate in rates:
        if rate.code in by_code:
            raise TaxError(f"two tax rates share the code {rate.code!r}")
        by_code[rate.code] = rate
    ordered = sorted(enumerate(rules), key=lambda pair: (pair[1].priority, pair[0]))
    chosen: list[AppliedRate] = []
    seen: set[str] = set()
    for _, rule in ordered:
        if customer_class not in rule.customer_classes or product_class not in rule.product_classes:
            continue
        unknown = sorted(code for code in rule.rates if code not in by_code)
        if unknown:
            raise TaxError(f"tax rule {rule.code!r} names unknown rates: {', '.join(unknown)}")
        matching = [by_code[code] for code in rule.rates if rate_matches_address(by_code[code], address)]
        matching.sort(key=_sort_key, reverse=True)
        fresh = [rate for rate in matching if rate.code not in seen]
        seen.update(rate.code for rate in matching)
        if fresh:
            first = fresh[0]
            chosen.append(
                AppliedRate(
                    code=first.code,
                    percent=first.percent,
                    priority=rule.priority,
                    calculate_subtotal=rule.calculate_subtotal,
                )
            )
    return tuple(chosen)


def group_rates(rates: Sequence[AppliedRate]) -> tuple[RateGroup, ...]:
    """Magento's calculation process: equal priorities add up, higher priorities compound.

    A group compounds on the running total, `p * (100 + total) / 100`, unless the rule of its last
    rate calculates off the subtotal only (`ResourceModel\\Calculation::getCalculationProcess`).
    The input is stably sorted by priority first.
    """
    groups: list[RateGroup] = []
    total = Decimal(0)
    ordered = sorted(rates, key=lambda rate: rate.priority)
    start = 0
    while start < len(ordered):
        end = start
        while end + 1 < len(ordered) and ordered[end + 1].priority == ordered[start].priority:
            end += 1
        members = tuple(ordered[start : end + 1])
        summed = sum((rate.percent for rate in members), Decimal(0))
        compounds = not members[-1].calculate_subtotal
        percent = (_HUNDRED + total) * summed / _HUNDRED if compounds else summed
        total += percent
        groups.append(RateGroup("".join(rate.code for rate in members), percent, members))
        start = end + 1
    return tuple(groups)


def combined_percent(rates: Sequence[AppliedRate]) -> Decimal:
    """The item's total tax percent (`Calculation::getRate`): 7.5 then 5.5 compounded is 13.4125."""
    return sum((group.percent for group in group_rates(rates)), Decimal(0))
