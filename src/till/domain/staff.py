"""Staff, roles and permissions, scoped to locations.

The server enforces these; the till uses the same table to hide what a cashier may not do.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from till.domain.errors import Invalid, TillError


class Role(StrEnum):
    """What a member of staff is trusted with."""

    CASHIER = "cashier"
    MANAGER = "manager"
    ADMIN = "admin"


class Permission(StrEnum):
    """One thing a role may do."""

    SELL = "sell"
    REFUND = "refund"
    DISCOUNT = "discount"
    PRICE_OVERRIDE = "price_override"
    STOCK_ADJUST = "stock_adjust"
    #: Receive a transfer or a delivery by scanning what arrived.
    STOCK_RECEIVE = "stock_receive"
    #: Scan shelves in a stock count (approving its variance needs stock_adjust).
    STOCK_COUNT = "stock_count"
    SHIFT_OPEN = "shift_open"
    SHIFT_CLOSE = "shift_close"
    CASH_MOVEMENT = "cash_movement"
    CUSTOMER_CREATE = "customer_create"
    REPORTS = "reports"
    MANAGE_STAFF = "manage_staff"
    MANAGE_DEVICES = "manage_devices"
    #: Read the audit log: admins only, since it records what managers did too.
    AUDIT = "audit"
    #: Take back a sale made at another location (a return at another store): find and read
    #: that sale to refund it at one's own register; the goods go back on this store's shelf.
    RETURN_ELSEWHERE = "return_elsewhere"
    #: Set the shop's gift card and store credit rules and a customer's credit limit.
    LEDGERS = "ledgers"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CASHIER: frozenset(
        {
            Permission.SELL,
            Permission.DISCOUNT,
            Permission.SHIFT_OPEN,
            Permission.CASH_MOVEMENT,
            Permission.CUSTOMER_CREATE,
            Permission.STOCK_RECEIVE,
            Permission.STOCK_COUNT,
        }
    ),
    Role.MANAGER: frozenset(set(Permission) - {Permission.MANAGE_STAFF, Permission.AUDIT}),
    Role.ADMIN: frozenset(Permission),
}

#: How a refusal names what was asked, where the permission's name does not say it.
_DOING: dict[Permission, str] = {Permission.AUDIT: "read the audit log"}

#: The largest discount, in percent of a line or cart, each role may give.
DISCOUNT_LIMITS: dict[Role, Decimal] = {
    Role.CASHIER: Decimal("10"),
    Role.MANAGER: Decimal("50"),
    Role.ADMIN: Decimal("100"),
}


#: Digits a PIN has. A till keeps an offline verifier of the PIN of each member who signed in
#: on it, which whoever holds the till can search; a member trusted beyond a cashier (refunds,
#: price overrides, larger discounts...) needs a PIN whose whole space costs that search more
#: than a day of one core (security.OFFLINE_PIN_ITERATIONS).
PIN_DIGITS = 4
ELEVATED_PIN_DIGITS = 6
MAX_PIN_DIGITS = 8


def is_elevated(role: Role) -> bool:
    """True if the role may do anything a cashier may not."""
    return bool(ROLE_PERMISSIONS[role] - ROLE_PERMISSIONS[Role.CASHIER])


def fewest_pin_digits(role: Role) -> int:
    """The shortest PIN a member of this role may have."""
    return ELEVATED_PIN_DIGITS if is_elevated(role) else PIN_DIGITS


def check_pin(role: Role, pin: str) -> None:
    """Refuse a PIN a member of this role may not have, saying what is needed."""
    fewest = fewest_pin_digits(role)
    if not (pin.isascii() and pin.isdigit() and fewest <= len(pin) <= MAX_PIN_DIGITS):
        raise Invalid(
            f"a {role.value}'s PIN is {fewest} to {MAX_PIN_DIGITS} digits"
            + (" (a role beyond a cashier's needs at least 6)" if fewest > PIN_DIGITS else ""),
            code="pin_too_short" if pin.isdigit() and len(pin) < fewest else "invalid",
        )


class PermissionDenied(TillError, PermissionError):
    """A member of staff asked for something their role or location does not allow."""


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A person who signs in at a till; `locations` empty means every location."""

    id: int
    username: str
    name: str
    role: Role
    locations: frozenset[str] = frozenset()
    active: bool = True
    discount_limit: Decimal | None = None

    @property
    def max_discount_percent(self) -> Decimal:
        """This person's own limit if set, else their role's."""
        return self.discount_limit if self.discount_limit is not None else DISCOUNT_LIMITS[self.role]

    def works_at(self, location_code: str) -> bool:
        """True if this person may act at the location."""
        return not self.locations or location_code in self.locations

    def can(self, permission: Permission, location_code: str | None = None) -> bool:
        """True if the role grants the permission and, when given, the location is theirs."""
        if not self.active or permission not in ROLE_PERMISSIONS[self.role]:
            return False
        return location_code is None or self.works_at(location_code)

    def require(self, permission: Permission, location_code: str | None = None) -> None:
        """Raise PermissionDenied with a reason a person can act on."""
        if not self.active:
            raise PermissionDenied(f"{self.username} is deactivated")
        if permission not in ROLE_PERMISSIONS[self.role]:
            doing = _DOING.get(permission, permission.value.replace("_", " "))
            if permission not in ROLE_PERMISSIONS[Role.MANAGER]:
                raise PermissionDenied(f"only an admin may {doing}")
            raise PermissionDenied(f"a {self.role.value} may not {doing}; ask a manager")
        if location_code is not None and not self.works_at(location_code):
            raise PermissionDenied(f"{self.username} does not work at {location_code}")

    def require_discount(self, percent: Decimal) -> None:
        """Refuse a discount over this person's limit."""
        if percent > self.max_discount_percent:
            raise PermissionDenied(
                f"a discount of {percent}% is over {self.username}'s limit of "
                f"{self.max_discount_percent}%; ask a manager"
            )


def discount_percent(row_total: Decimal, discount: Decimal) -> Decimal:
    """A discount amount as a percent of the row it comes off (0 for an empty row)."""
    if row_total <= 0:
        return Decimal("0")
    return discount * 100 / row_total
