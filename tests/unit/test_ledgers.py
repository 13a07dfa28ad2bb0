"""Gift cards and customers' accounts in the domain (docs/ledgers.md): numbers, shortfalls,
the offline allowance's bound, accounts, and the shift report's rows."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from till.domain.gift_cards import (
    GENERATED_DIGITS,
    GiftCardError,
    GiftCardSold,
    LedgerRules,
    card_digest,
    masked,
    offline_allowance,
    read_card_number,
    shortfall,
)
from till.domain.refunds import TenderError
from till.domain.sales import ClientTotals, OrderError, Payment, Sale, SaleLine
from till.domain.shifts import ShiftSale, shift_report
from till.domain.store_credit import Account, AccountError, check_account_payment, held_for
from till.services.gift_cards import new_card_number

cents = st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False, allow_infinity=False)


def test_a_typed_number_is_read_without_its_spaces_and_dashes() -> None:
    assert read_card_number("6006 4912-3456 7890") == "6006491234567890"
    assert read_card_number("ab12cd34") == "AB12CD34"
    with pytest.raises(GiftCardError):
        read_card_number("1234")
    with pytest.raises(GiftCardError):
        read_card_number("1234 5678 ; DROP")


def test_generated_numbers_are_long_random_and_never_repeat() -> None:
    numbers = {new_card_number() for _ in range(2000)}
    assert len(numbers) == 2000
    assert all(len(n) == GENERATED_DIGITS and n.isdigit() and n[0] != "0" for n in numbers)
    # Every digit position varies (not a counter): the last digits are not predictable.
    assert len({n[-4:] for n in numbers}) > 1000


def test_a_card_is_stored_as_a_digest_and_shown_by_its_last_four() -> None:
    number = "6006491234567890"
    assert card_digest("6006 4912 3456 7890") == card_digest(number)
    assert number not in card_digest(number)
    assert masked(number[-4:]) == "**** 7890"


def test_a_card_is_sold_for_a_positive_amount_in_cents() -> None:
    with pytest.raises(GiftCardError):
        GiftCardSold("6006491234567890", Decimal("0"))
    with pytest.raises(GiftCardError):
        GiftCardSold("6006491234567890", Decimal("10.005"))
    with pytest.raises(GiftCardError):
        GiftCardSold("6006491234567890", Decimal("10"), "plastic")  # type: ignore[arg-type]


def test_a_spend_within_the_balance_is_no_shortfall_and_one_beyond_is_measured() -> None:
    assert shortfall(Decimal("60.00"), Decimal("60.00"), Decimal("50.00")) is None
    short = shortfall(Decimal("10.00"), Decimal("50.00"), Decimal("50.00"))
    assert short is not None and short.amount == Decimal("40.00") and not short.beyond_cap
    # A card already overspent held nothing: the whole spend is short, and beyond a cap of 30.
    short = shortfall(Decimal("-5.00"), Decimal("40.00"), Decimal("30.00"))
    assert short is not None and short.amount == Decimal("40.00") and short.beyond_cap


def test_one_till_spending_a_card_again_and_again_is_beyond_the_cap_once_overspent_by_more() -> None:
    """A 60.00 card, cap 50.00, spent 31.57 six times: each spend alone is short by less than
    the cap, but the card ends 129.42 below zero, which no till following the rule could do."""
    cap, spend, balance = Decimal("50.00"), Decimal("31.57"), Decimal("60.00")
    beyond = []
    for _ in range(6):
        short = shortfall(balance, spend, cap)
        beyond.append(None if short is None else short.beyond_cap)
        balance -= spend
    assert balance == Decimal("-129.42")
    assert beyond == [None, False, False, True, True, True]


def test_a_card_never_sold_is_beyond_the_cap_whatever_it_was_spent() -> None:
    short = shortfall(None, Decimal("1.00"), Decimal("50.00"))
    assert short is not None and short.amount == Decimal("1.00") and short.beyond_cap


def test_charging_an_account_again_and_again_is_beyond_the_cap_once_that_far_beyond_its_limit() -> None:
    """No limit (0.00), cap 50.00: four charges of 31.57 take the account to -126.28."""
    cap, charge, balance = Decimal("50.00"), Decimal("31.57"), Decimal(0)
    beyond = []
    for _ in range(4):
        short = shortfall(held_for("on_account", balance, Decimal(0)), charge, cap)
        assert short is not None
        beyond.append(short.beyond_cap)
        balance -= charge
    assert beyond == [False, True, True, True]
    # Store credit spent from an account already 40.00 beyond its limit is judged on the whole.
    short = shortfall(held_for("store_credit", Decimal("-140.00"), Decimal("100.00")), Decimal("20.00"), cap)
    assert short is not None and short.amount == Decimal("20.00") and short.beyond_cap


@given(balance=cents, cap=cents, first=st.integers(1, 5), second=st.integers(1, 5))
def test_two_tills_offline_within_their_allowance_overspend_a_card_by_at_most_the_cap(
    balance: Decimal, cap: Decimal, first: int, second: int
) -> None:
    """Each till saw `balance` and spends, over several sales, what its allowance still lets it."""
    spent = []
    for sales in (first, second):
        taken = Decimal(0)
        for _ in range(sales):
            taken += offline_allowance(balance, taken, cap)
        spent.append(taken)
    assert all(s <= min(balance, cap) for s in spent)
    assert sum(spent) - balance <= cap


def test_a_sale_of_gift_cards_only_needs_no_goods_line_and_sells_each_card_once() -> None:
    def sale(lines: tuple[SaleLine, ...], cards: tuple[GiftCardSold, ...]) -> Sale:
        return Sale(
            "key-00000001",
            "NYC1",
            "NYC1-000001",
            "NYC",
            1,
            datetime.now(UTC),
            lines,
            (Payment("cash", Decimal("10.00")),),
            ClientTotals(*[Decimal(0)] * 4),
            gift_cards=cards,
        )

    card = GiftCardSold("6006491234567890", Decimal("10.00"))
    assert sale((), (card,)).gift_cards == (card,)
    with pytest.raises(OrderError, match="at least one line"):
        sale((), ())
    with pytest.raises(OrderError, match="each gift card once"):
        sale((), (card, card))


def test_a_gift_card_payment_keeps_only_the_masked_card() -> None:
    payment = Payment("gift_card", Decimal("5.00"), card_number="6006 4912 3456 7890")
    assert payment.reference == "**** 7890"
    with pytest.raises(OrderError):
        Payment("gift_card", Decimal("5.00"))


def test_change_is_due_on_cards_and_goods_together() -> None:
    from till.domain.refunds import change_due

    assert change_due(Decimal("12.00") + Decimal("20.00"), [Payment("cash", Decimal("40.00"))]) == Decimal(
        "8.00"
    )
    with pytest.raises(TenderError):
        change_due(Decimal("32.00"), [Payment("gift_card", Decimal("33.00"), card_number="60064912")])


def test_an_account_holds_credit_or_a_debt_up_to_its_limit() -> None:
    assert Account(Decimal("15.00"), Decimal("0")).credit == Decimal("15.00")
    owing = Account(Decimal("-30.00"), Decimal("100.00"))
    assert (owing.credit, owing.owed, owing.available_on_account) == (
        Decimal(0),
        Decimal("30.00"),
        Decimal("70.00"),
    )
    assert held_for("store_credit", Decimal("-30.00"), Decimal("100.00")) == Decimal(0)
    assert held_for("on_account", Decimal("-30.00"), Decimal("100.00")) == Decimal("70.00")
    with pytest.raises(AccountError):
        check_account_payment(Decimal("0"), "cash")
    with pytest.raises(AccountError):
        check_account_payment(Decimal("5"), "store_credit")


def test_ledger_rules_default_and_refuse_a_cap_below_zero() -> None:
    assert LedgerRules.of(None) == LedgerRules(Decimal("50.00"), True, Decimal("50.00"))
    assert LedgerRules.of({"gift_card_reload": False}).gift_card_reload is False
    with pytest.raises(GiftCardError):
        LedgerRules(Decimal("-1"))


def test_a_gift_card_sold_is_a_liability_row_and_a_payment_on_account_counts_in_the_shift() -> None:
    report = shift_report(
        register_code="NYC1",
        opened_at=datetime.now(UTC),
        opening_float=Decimal("100.00"),
        sales=[
            # 12.00 of goods and a 20.00 card, paid 40.00 cash: 8.00 change.
            ShiftSale(
                Decimal("12.00"),
                Decimal("1.00"),
                Decimal(0),
                (("cash", Decimal("40.00")),),
                change_given=Decimal("8.00"),
                gift_cards_sold=Decimal("20.00"),
            ),
            # 30.00 of goods: 25.00 on a card, 5.00 on account.
            ShiftSale(
                Decimal("30.00"),
                Decimal("2.00"),
                Decimal(0),
                (("gift_card", Decimal("25.00")), ("on_account", Decimal("5.00"))),
            ),
        ],
        movements=[],
        account_payments=[("cash", Decimal("15.00")), ("card", Decimal("7.00"))],
    )
    assert report.gross_sales == Decimal("42.00")
    assert report.gift_cards_sold == Decimal("20.00")
    assert report.account_payments == Decimal("22.00")
    assert report.payments_by_method == {
        "card": Decimal("7.00"),
        "cash": Decimal("47.00"),
        "gift_card": Decimal("25.00"),
        "on_account": Decimal("5.00"),
    }
    assert report.expected_cash == Decimal("147.00")
