"""Tax rate selection and grouping (till.domain.tax), beyond the shared vectors."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from till.domain.tax import (
    Address,
    AppliedRate,
    TaxClass,
    TaxError,
    TaxRate,
    TaxRule,
    applicable_rates,
    combined_percent,
    group_rates,
    rate_matches_address,
)

D = Decimal


def rate(code: str, postcode: str = "*", region: str = "CA", country: str = "US") -> TaxRate:
    return TaxRate(code=code, country=country, region=region, postcode=postcode, percent=D("1"))


def matches(pattern: str, postcode: str, country: str = "US") -> bool:
    return rate_matches_address(
        rate("R", pattern, region="*", country=country), Address(country, "", postcode)
    )


class TestPostcodes:
    @pytest.mark.parametrize(
        ("pattern", "postcode", "expected"),
        [
            ("*", "90034", True),
            ("*", "", True),
            ("", "90034", True),
            ("90034", "90034", True),
            ("90034", "90035", False),
            ("900*", "90034", True),
            ("90*", "90034", True),
            ("9003*", "90034", True),
            ("90034*", "90034", True),
            ("901*", "90034", False),
            ("900*", "", False),
            ("90000-90099", "90034", True),
            ("90000-90099", "90099", True),
            ("90000-90099", "90100", False),
            ("90000-90099", "", False),
            ("90000-90099", "9003A", False),
        ],
    )
    def test_patterns(self, pattern: str, postcode: str, expected: bool) -> None:
        assert matches(pattern, postcode) is expected

    def test_case_and_spaces_do_not_matter(self) -> None:
        assert matches("SW1A*", "sw1a 1aa", country="GB")
        assert matches("sw1a 1aa", "SW1A 1AA ", country="GB")

    def test_us_zip_plus_four_uses_the_first_part(self) -> None:
        assert matches("900*", "90034-1234")
        assert matches("90000-90099", "90034-1234")
        assert matches("90034-1234", "90034-1234")

    def test_portuguese_postcode_uses_the_first_part(self) -> None:
        assert matches("1000-1999", "1000-001", country="PT")
        # Elsewhere a dash is just part of the postcode.
        assert not matches("1000-1999", "1000-001", country="FR")

    def test_only_the_first_ten_characters_count(self) -> None:
        assert matches("ABCDEFGHIJ", "ABCDEFGHIJKL", country="GB")

    def test_star_postcode_matches_any_pattern_but_no_range(self) -> None:
        assert matches("900*", "*")
        assert not matches("90000-90099", "*")

    def test_country_and_region(self) -> None:
        ca = rate("CA")
        assert rate_matches_address(ca, Address("us", "ca", "1"))
        assert not rate_matches_address(ca, Address("US", "TX", "1"))
        assert not rate_matches_address(ca, Address("US", "", "1"))
        assert not rate_matches_address(ca, Address("CA", "CA", "1"))
        anywhere = rate("US", region="*")
        assert rate_matches_address(anywhere, Address("US", "", ""))


class TestValidation:
    def test_negative_rate(self) -> None:
        with pytest.raises(TaxError, match="negative"):
            TaxRate(code="X", country="US", percent=D("-1"))

    def test_rate_needs_a_country(self) -> None:
        with pytest.raises(TaxError, match="country"):
            TaxRate(code="X", country="", percent=D("1"))

    def test_rate_percent_must_be_decimal(self) -> None:
        with pytest.raises(TaxError, match="decimal"):
            TaxRate(code="X", country="US", percent=1.5)  # type: ignore[arg-type]

    def test_rule_needs_a_rate(self) -> None:
        with pytest.raises(TaxError, match="no tax rate"):
            TaxRule("R", frozenset({"c"}), frozenset({"p"}), frozenset())

    def test_rule_naming_an_unknown_rate(self) -> None:
        rule = TaxRule("R", frozenset({"c"}), frozenset({"p"}), frozenset({"GHOST"}))
        with pytest.raises(TaxError, match="GHOST"):
            applicable_rates([rule], [], customer_class="c", product_class="p", address=Address("US"))

    def test_duplicate_rate_codes(self) -> None:
        rule = TaxRule("R", frozenset({"c"}), frozenset({"p"}), frozenset({"A"}))
        with pytest.raises(TaxError, match="share the code"):
            applicable_rates(
                [rule],
                [rate("A"), rate("A")],
                customer_class="c",
                product_class="p",
                address=Address("US", "CA"),
            )

    def test_tax_class_is_plain_data(self) -> None:
        retail = TaxClass("3", "Retail Customer", "customer")
        assert retail.kind == "customer"


class TestApplicableRates:
    rule = TaxRule("R", frozenset({"retail"}), frozenset({"goods"}), frozenset({"CA"}))

    def select(self, customer: str = "retail", product: str = "goods", country: str = "US") -> int:
        return len(
            applicable_rates(
                [self.rule],
                [rate("CA")],
                customer_class=customer,
                product_class=product,
                address=Address(country, "CA", "90034"),
            )
        )

    def test_needs_both_classes_and_a_country(self) -> None:
        assert self.select() == 1
        assert self.select(customer="") == 0
        assert self.select(product="") == 0
        assert self.select(country="") == 0
        assert self.select(customer="wholesale") == 0

    def test_rules_are_taken_by_priority_then_given_order(self) -> None:
        rates = [
            TaxRate(code="A", country="US", percent=D("1")),
            TaxRate(code="B", country="US", percent=D("2")),
            TaxRate(code="C", country="US", percent=D("3")),
        ]
        classes = (frozenset({"c"}), frozenset({"p"}))
        rules = [
            TaxRule("late", *classes, frozenset({"C"}), priority=2),
            TaxRule("second", *classes, frozenset({"B"}), priority=0, position=9),
            TaxRule("first", *classes, frozenset({"A"}), priority=0, position=1),
        ]
        applied = applicable_rates(rules, rates, customer_class="c", product_class="p", address=Address("US"))
        # Position does not reorder (Magento 2 orders by priority, then rule id).
        assert [item.code for item in applied] == ["B", "A", "C"]
        assert [group.id for group in group_rates(applied)] == ["BA", "C"]


class TestGrouping:
    def test_equal_priorities_add_up(self) -> None:
        rates = [AppliedRate("A", D("8.25")), AppliedRate("B", D("5"))]
        (group,) = group_rates(rates)
        assert (group.id, group.percent) == ("AB", D("13.25"))

    def test_higher_priority_compounds(self) -> None:
        rates = [AppliedRate("TX", D("7.5"), 1), AppliedRate("AUSTIN", D("5.5"), 2)]
        assert [group.percent for group in group_rates(rates)] == [D("7.5"), D("5.9125")]
        assert combined_percent(rates) == D("13.4125")

    def test_calculate_subtotal_stops_compounding(self) -> None:
        rates = [AppliedRate("TX", D("7.5"), 1), AppliedRate("AUSTIN", D("5.5"), 2, True)]
        assert combined_percent(rates) == D("13")

    def test_the_last_rate_of_a_group_decides(self) -> None:
        first = AppliedRate("A", D("10"), 0)
        group = [AppliedRate("B", D("1"), 1, True), AppliedRate("C", D("1"), 1, False)]
        assert combined_percent([first, *group]) == D("10") + D("2.2")
        group.reverse()
        assert combined_percent([first, *group]) == D("12")

    def test_no_rates(self) -> None:
        assert group_rates([]) == ()
        assert combined_percent([]) == 0

    @given(
        st.lists(
            st.tuples(st.decimals(min_value=0, max_value=30, places=4), st.integers(0, 3), st.booleans()),
            max_size=6,
        )
    )
    def test_combined_percent_bounds(self, spec: list[tuple[Decimal, int, bool]]) -> None:
        rates = [AppliedRate(f"R{i}", pct, prio, sub) for i, (pct, prio, sub) in enumerate(spec)]
        total = sum((pct for pct, _, _ in spec), D(0))
        combined = combined_percent(rates)
        assert combined >= total  # compounding only ever adds
        if len({prio for _, prio, _ in spec}) <= 1 or all(sub for _, _, sub in spec):
            assert combined == total
        groups = group_rates(rates)
        assert sum(len(group.rates) for group in groups) == len(rates)
        assert [group.rates[0].priority for group in groups] == sorted({prio for _, prio, _ in spec})
