"""Customers and customer groups, as Magento has them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from till.domain.errors import DomainError

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

#: Magento's built-in group for customers who are not signed in.
NOT_LOGGED_IN_GROUP = 0
GENERAL_GROUP = 1


class CustomerError(DomainError):
    """Customer details that cannot be saved as given."""

    code = "customer_invalid"


@dataclass(frozen=True, slots=True)
class CustomerGroup:
    """A group such as General, Wholesale or Retailer, with the tax class it pays."""

    id: int
    code: str
    tax_class: str = "Retail Customer"


@dataclass(frozen=True, slots=True)
class Customer:
    """A customer the till can attach to a sale."""

    email: str
    firstname: str
    lastname: str
    group_id: int = GENERAL_GROUP
    phone: str | None = None

    def __post_init__(self) -> None:
        if not EMAIL.match(self.email):
            raise CustomerError(f"{self.email!r} is not an e-mail address")
        if not self.firstname.strip() or not self.lastname.strip():
            raise CustomerError("a customer needs a first and a last name")

    @property
    def name(self) -> str:
        """First and last name, for receipts and search."""
        return f"{self.firstname} {self.lastname}"
