"""Store credit and sales on account: one ledger per customer, kept by Till.

Magento Open Source has no store credit, so Till keeps it. A customer's balance is what the shop
owes them (a refund to credit raises it) less what they owe the shop (a sale charged to their
account lowers it, below zero down to the credit limit a manager set). Spending credit is the
`store_credit` tender; charging the account is the `on_account` tender; a payment on account
later, at any till, raises the balance again and counts in that shift's figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from till.domain.errors import DomainError
from till.domain.money import ZERO, round_money

#: What a ledger entry of a customer records; amounts are signed (what it did to the balance).
AccountEntryKind = Literal["refunded", "spent", "charged", "paid"]
#: The tenders that draw on a customer's ledger, and the tenders a payment on account takes.
STORE_CREDIT = "store_credit"
ON_ACCOUNT = "on_account"
ACCOUNT_PAYMENT_METHODS = ("cash", "card", "other")


class AccountError(DomainError):
    """A store-credit or account operation that cannot be done as given."""

    code = "account_invalid"


def check_credit_limit(limit: Decimal) -> None:
    """A credit limit is zero (no sales on account) or more, in cents."""
    if limit < 0 or round_money(limit) != limit:
        raise AccountError("a credit limit is an amount of zero or more, in cents")


def check_account_payment(amount: Decimal, method: str) -> None:
    """A payment on account is a positive amount in cents, taken in cash, by card or other."""
    if amount <= 0 or round_money(amount) != amount:
        raise AccountError("a payment on account is a positive amount in cents")
    if method not in ACCOUNT_PAYMENT_METHODS:
        raise AccountError(f"a payment on account is taken in cash, by card or other, not {method!r}")


@dataclass(frozen=True, slots=True)
class Account:
    """A customer's ledger as read: balance (positive: credit the customer holds) and limit."""

    balance: Decimal
    credit_limit: Decimal

    @property
    def credit(self) -> Decimal:
        """Store credit the customer may spend (the `store_credit` tender)."""
        return max(self.balance, ZERO)

    @property
    def available_on_account(self) -> Decimal:
        """What may still be charged to the account (the `on_account` tender): the credit the
        customer holds plus the limit."""
        return max(self.balance + self.credit_limit, ZERO)

    @property
    def owed(self) -> Decimal:
        """What the customer owes the shop."""
        return max(-self.balance, ZERO)


def held_for(tender: str, balance: Decimal, credit_limit: Decimal) -> Decimal:
    """What a ledger held for a tender before a spend: credit for `store_credit`, credit plus
    limit for `on_account`; below zero by as much as the account already stood beyond its limit
    (so a shortfall's overspend counts what earlier spends took too)."""
    beyond_limit = min(balance + credit_limit, ZERO)
    if tender == STORE_CREDIT:
        return Account(balance, credit_limit).credit + beyond_limit
    return balance + credit_limit
