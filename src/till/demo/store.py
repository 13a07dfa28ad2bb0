"""The demo store: Linden & Loom, a small apparel and homeware retailer in New York.

`seed_demo` fills an empty database, in one transaction, with everything a person needs to
try Till without Magento: two shops on MSI sources and stocks, registers, staff of every role,
an EAV catalog with simple, configurable and virtual products, stock at both sources,
customers in Magento's groups, US and European tax, cart rules and the store settings. Every
synced entity also gets a change-feed row, so a till's first pull brings it all.

Select attributes (colour, size) keep Magento's shape: the product's value is the option id in
the `int` table and the attribute's `options` list maps ids to labels, as Magento's REST API
returns them. Dates that matter for pricing (special prices, the expired coupon) are relative
to the day of seeding, so "active today" stays true whenever the demo is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from till.demo.catalog import ATTRIBUTE_SETS, ATTRIBUTES, CATEGORIES, demo_catalog, demo_source_items
from till.demo.common import (
    BOOKS,
    CLOTHING,
    DEFAULT_STOCK_ID,
    GENERAL_GROUP,
    NOT_LOGGED_IN_GROUP,
    NYC_SOURCE,
    NYC_STOCK_ID,
    RETAIL_CUSTOMER,
    RETAILER_GROUP,
    STORE_NAME,
    STORE_TIMEZONE,
    TAX_CONFIG,
    TAXABLE_GOODS,
    WAREHOUSE_SOURCE,
    WAREHOUSE_STOCK_ID,
    WHOLESALE_CUSTOMER,
    WHOLESALE_GROUP,
    SeedError,
    email_slug,
    stock_ids_of,
    store_today,
)
from till.domain.catalog import (
    Product,
)
from till.domain.customers import Customer, CustomerGroup
from till.domain.staff import Role
from till.security import demo_password, hash_secret, offline_pin_verifier
from till.storage import tables as t
from till.storage.catalog_write import advance_sequences, insert_catalog, insert_chunked, next_id
from till.storage.feed import ensure_sequencer, record_changes, stamp_pending

# --- what the seed returns ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoStaff:
    """A member of staff a person can sign in as, with the secrets in clear for the demo."""

    id: int
    username: str
    name: str
    role: Role
    password: str
    pin: str
    #: Location codes this person works at; empty means every location.
    locations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DemoLocation:
    """A shop of the demo store and the MSI source and stock it sells from."""

    code: str
    name: str
    source_code: str
    stock_id: int


@dataclass(frozen=True, slots=True)
class DemoRegister:
    """A till of the demo store."""

    code: str
    name: str
    location_code: str


@dataclass(frozen=True, slots=True)
class DemoStore:
    """What a person needs to sign in to the demo store, and how much of it there is."""

    name: str
    staff: tuple[DemoStaff, ...]
    locations: tuple[DemoLocation, ...]
    registers: tuple[DemoRegister, ...]
    coupons: tuple[str, ...]
    products: int
    sellable_products: int
    customers: int

    def staff_member(self, username: str) -> DemoStaff:
        """The demo staff member with this username."""
        for member in self.staff:
            if member.username == username:
                return member
        raise KeyError(username)


# --- people ---------------------------------------------------------------------------------------

_STAFF: tuple[tuple[str, str, Role, str, tuple[str, ...]], ...] = (
    # username, name, role, PIN, locations
    ("maya", "Maya Chen", Role.CASHIER, "1357", ("NYC",)),
    ("omar", "Omar Haddad", Role.CASHIER, "2468", ("WH",)),
    ("grace", "Grace Okafor", Role.MANAGER, "369036", ("NYC", "WH")),
    ("admin", "Sam Rivera", Role.ADMIN, "901290", ()),
)

FIRST_NAMES = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Mateo", "Sophia", "Elijah", "Isabella", "James", "Mia",
    "Benjamin", "Amelia", "Lucas", "Harper", "Henry", "Zoë", "Theodore", "Chloe", "Jack", "Priya",
    "Daniel", "Nora", "Samuel", "Aaliyah", "David", "Hannah", "Joseph", "Lily", "Wei", "Grace", "Carlos",
    "Ruth", "Andre", "Fatima", "Kenji", "Elena", "Marcus", "Ingrid", "José",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
    "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King",
    "Wright", "Scott", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "O'Connor", "Patel",
    "Kowalski",
)  # fmt: skip
MAIL_DOMAINS = ("example.com", "example.net", "example.org")


def _demo_customers() -> list[Customer]:
    customers: list[Customer] = []
    for i, first in enumerate(FIRST_NAMES):
        # A coprime stride pairs every first name with a different last name.
        last = LAST_NAMES[(i * 13) % len(LAST_NAMES)]
        group = {5: WHOLESALE_GROUP, 6: RETAILER_GROUP}.get(i % 8, GENERAL_GROUP)
        email = f"{email_slug(first)}.{email_slug(last)}@{MAIL_DOMAINS[i % 3]}"
        # 555-0100 to 555-0199 are reserved for fiction; every fourth customer gave no phone.
        phone = None if i % 4 == 3 else f"+1 212-555-{100 + i:04d}"
        customers.append(Customer(email, first, last, group, phone))
    return customers


CUSTOMER_GROUPS: tuple[CustomerGroup, ...] = (
    CustomerGroup(NOT_LOGGED_IN_GROUP, "NOT LOGGED IN", RETAIL_CUSTOMER),
    CustomerGroup(GENERAL_GROUP, "General", RETAIL_CUSTOMER),
    CustomerGroup(WHOLESALE_GROUP, "Wholesale", WHOLESALE_CUSTOMER),
    CustomerGroup(RETAILER_GROUP, "Retailer", RETAIL_CUSTOMER),
)

# --- tax and cart rules ---------------------------------------------------------------------------

_NY = "US-NY-*-Rate 1"
_NJ = "US-NJ-*-Rate 1"
_LA = "US-CA-90001-90899-Rate 1"
_DE = "DE-*-*-VAT 19"
_DE_REDUCED = "DE-*-*-VAT 7"
_FR = "FR-*-*-VAT 20"
_FR_REDUCED = "FR-*-*-VAT 5.5"
_GB = "GB-*-*-VAT 20"

# code, country, region, postcode, percent
_TAX_RATES: tuple[tuple[str, str, str, str, str], ...] = (
    (_NY, "US", "NY", "*", "8.875"),
    (_NJ, "US", "NJ", "*", "6.625"),
    # A postcode range (Los Angeles County) to show ranges; no wildcard rate overlaps it.
    (_LA, "US", "CA", "90001-90899", "9.5"),
    (_DE, "DE", "*", "*", "19"),
    (_DE_REDUCED, "DE", "*", "*", "7"),
    (_FR, "FR", "*", "*", "20"),
    (_FR_REDUCED, "FR", "*", "*", "5.5"),
    (_GB, "GB", "*", "*", "20"),
)

# code, customer classes, product classes, rates. Wholesale Customer and Gift Card appear in
# no rule, so they pay no tax. Clothing is exempt in New Jersey, so its US rule leaves NJ out.
_TAX_RULES: tuple[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...] = (
    ("US Retail - Taxable Goods", (RETAIL_CUSTOMER,), (TAXABLE_GOODS, BOOKS), (_NY, _NJ, _LA)),
    ("US Retail - Clothing", (RETAIL_CUSTOMER,), (CLOTHING,), (_NY, _LA)),
    ("Europe Retail - Standard VAT", (RETAIL_CUSTOMER,), (TAXABLE_GOODS, CLOTHING), (_DE, _FR, _GB)),
    # Books are zero-rated in the UK: no GB rate for them.
    ("Europe Retail - Reduced VAT", (RETAIL_CUSTOMER,), (BOOKS,), (_DE_REDUCED, _FR_REDUCED)),
)

_ALL_GROUPS = [NOT_LOGGED_IN_GROUP, GENERAL_GROUP, WHOLESALE_GROUP, RETAILER_GROUP]


def _cart_rules(today: date) -> list[dict[str, Any]]:
    base: dict[str, Any] = {
        "coupon_code": None,
        "active": True,
        "from_date": None,
        "to_date": None,
        "customer_groups": _ALL_GROUPS,
        "min_subtotal": None,
        "skus": None,
        "sort_order": 0,
        "stop_further_rules": False,
    }
    rules: list[dict[str, Any]] = [
        {
            "name": "Welcome: 10% off",
            "coupon_code": "WELCOME10",
            "action": "by_percent",
            "amount": Decimal("10"),
        },
        {
            "name": "$5 off orders of $25 or more",
            "coupon_code": "SAVE5",
            "action": "cart_fixed",
            "amount": Decimal("5.00"),
            "min_subtotal": Decimal("25.00"),
            "customer_groups": [NOT_LOGGED_IN_GROUP, GENERAL_GROUP, RETAILER_GROUP],
        },
        {
            "name": "Summer sale: 20% off (ended)",
            "coupon_code": "SUMMER20",
            "action": "by_percent",
            "amount": Decimal("20"),
            "from_date": today - timedelta(days=120),
            "to_date": today - timedelta(days=30),
        },
        {
            "name": "Linen week: $10 off each duvet cover",
            "coupon_code": "LINEN10",
            "action": "by_fixed",
            "amount": Decimal("10.00"),
            "skus": ["HOME-DUVET-LINEN-Q", "HOME-DUVET-LINEN-K"],
        },
        {
            "name": "Wholesale: 5% off everything",
            "action": "by_percent",
            "amount": Decimal("5"),
            "customer_groups": [WHOLESALE_GROUP],
            "sort_order": 10,
        },
    ]
    return [{"id": i, **base, **rule} for i, rule in enumerate(rules, start=1)]


# --- seeding --------------------------------------------------------------------------------------

_LOCATIONS = (
    DemoLocation("NYC", "Manhattan Store", NYC_SOURCE, NYC_STOCK_ID),
    DemoLocation("WH", "Newark Warehouse trade counter", WAREHOUSE_SOURCE, WAREHOUSE_STOCK_ID),
)
_REGISTERS = (
    DemoRegister("NYC1", "Manhattan front counter", "NYC"),
    DemoRegister("NYC2", "Manhattan fitting rooms", "NYC"),
    DemoRegister("WH1", "Warehouse trade counter", "WH"),
)

#: Tables that hold a store's own data: if any has rows, this is not a fresh database.
_OCCUPIED_IF_ROWS = (t.products, t.sources, t.locations, t.staff, t.customers)


def _occupied_tables(conn: Connection) -> list[str]:
    return [
        table.name
        for table in _OCCUPIED_IF_ROWS
        if conn.execute(select(func.count()).select_from(table)).scalar_one() > 0
    ]


def _refuse_if_in_use(conn: Connection) -> None:
    occupied = _occupied_tables(conn)
    if occupied:
        raise SeedError(
            "the demo store goes into an empty database, but this one already has "
            f"{', '.join(occupied)}; use a new database file or drop the existing data first"
        )


def is_empty(engine: Engine) -> bool:
    """True if the database holds no products, sources, locations, staff or customers."""
    with engine.connect() as conn:
        return not _occupied_tables(conn)


def _insert_places(conn: Connection) -> None:
    conn.execute(
        insert(t.sources),
        [
            {"code": NYC_SOURCE, "name": "Manhattan Store shop floor", "enabled": True},
            {"code": WAREHOUSE_SOURCE, "name": "Newark Warehouse", "enabled": True},
        ],
    )
    conn.execute(
        insert(t.stocks),
        [
            {"id": DEFAULT_STOCK_ID, "name": "Default Stock"},
            {"id": NYC_STOCK_ID, "name": "Manhattan Store"},
            {"id": WAREHOUSE_STOCK_ID, "name": "Newark Warehouse"},
        ],
    )
    # Lower number first, as in Magento's source selection: the web store ships from the
    # warehouse and falls back to the shop.
    conn.execute(
        insert(t.stock_sources),
        [
            {"stock_id": DEFAULT_STOCK_ID, "source_code": WAREHOUSE_SOURCE, "priority": 1},
            {"stock_id": DEFAULT_STOCK_ID, "source_code": NYC_SOURCE, "priority": 2},
            {"stock_id": NYC_STOCK_ID, "source_code": NYC_SOURCE, "priority": 1},
            {"stock_id": WAREHOUSE_STOCK_ID, "source_code": WAREHOUSE_SOURCE, "priority": 1},
        ],
    )
    addresses = {"NYC": ("NY", "10001"), "WH": ("NJ", "07102")}
    conn.execute(
        insert(t.locations),
        [
            {
                "code": loc.code,
                "name": loc.name,
                "source_code": loc.source_code,
                "stock_id": loc.stock_id,
                "timezone": STORE_TIMEZONE,
                "country": "US",
                "region": addresses[loc.code][0],
                "postcode": addresses[loc.code][1],
                "currency": "USD",
            }
            for loc in _LOCATIONS
        ],
    )
    conn.execute(
        insert(t.registers),
        [{"code": r.code, "location_code": r.location_code, "name": r.name} for r in _REGISTERS],
    )


def _insert_catalog(conn: Connection, catalog: Sequence[Product], now: datetime) -> list[dict[str, Any]]:
    return insert_catalog(
        conn,
        attributes=ATTRIBUTES,
        attribute_sets=ATTRIBUTE_SETS,
        categories=CATEGORIES,
        products=catalog,
        now=now,
    )


def seed_demo(engine: Engine, *, today: date | None = None) -> DemoStore:
    """Seed the demo store into an empty database, in one transaction.

    `today` (the store's local date by default) anchors special-price and coupon dates.
    Raises SeedError, changing nothing, if the database already holds store data.
    """
    day = today if today is not None else store_today()
    now = datetime.now(UTC)
    with engine.connect() as conn:
        _refuse_if_in_use(conn)
    catalog = demo_catalog(day)
    customers = _demo_customers()
    # argon2 is slow on purpose: hash before taking the write lock, not while holding it.
    staff = tuple(
        DemoStaff(i, username, name, role, demo_password(username), pin, locations)
        for i, (username, name, role, pin, locations) in enumerate(_STAFF, start=1)
    )
    staff_rows = [
        {
            "id": member.id,
            "username": member.username,
            "name": member.name,
            "role": member.role.value,
            "password_hash": hash_secret(member.password),
            "pin_hash": hash_secret(member.pin),
            "pin_offline": offline_pin_verifier(member.pin),
            "locations": list(member.locations),
            "active": True,
            "discount_limit": None,
            "failed_attempts": 0,
            "locked_until": None,
            "updated_at": now,
        }
        for member in staff
    ]

    with engine.begin() as conn:
        # Again under the write lock: another seeder may have won the race since the first look.
        _refuse_if_in_use(conn)
        ensure_sequencer(conn)
        conn.execute(
            insert(t.settings),
            [
                {"key": "store", "value": {"name": STORE_NAME, "currency": "USD", "locale": "en-US"}},
                {"key": "tax_config", "value": TAX_CONFIG},
            ],
        )
        _insert_places(conn)
        conn.execute(insert(t.staff), staff_rows)

        product_rows = _insert_catalog(conn, catalog, now)
        source_rows = demo_source_items(catalog, now)
        insert_chunked(conn, t.source_items, source_rows)

        conn.execute(
            insert(t.customer_groups),
            [{"id": g.id, "code": g.code, "tax_class": g.tax_class} for g in CUSTOMER_GROUPS],
        )
        first_customer = next_id(conn, t.customers.c.id)
        customer_rows = [
            {
                "id": customer_id,
                "email": c.email,
                "firstname": c.firstname,
                "lastname": c.lastname,
                "phone": c.phone,
                "group_id": c.group_id,
                "created_at": now,
                "updated_at": now,
            }
            for customer_id, c in enumerate(customers, start=first_customer)
        ]
        insert_chunked(conn, t.customers, customer_rows)

        conn.execute(
            insert(t.tax_rates),
            [
                {
                    "code": code,
                    "country": country,
                    "region": region,
                    "postcode": postcode,
                    "percent": Decimal(percent),
                }
                for code, country, region, postcode, percent in _TAX_RATES
            ],
        )
        conn.execute(
            insert(t.tax_rules),
            [
                {
                    "code": code,
                    "customer_classes": list(cust),
                    "product_classes": list(prod),
                    "rates": list(rates),
                    "priority": 0,
                    "position": position,
                    "calculate_subtotal": False,
                }
                for position, (code, cust, prod, rates) in enumerate(_TAX_RULES)
            ],
        )
        rules = _cart_rules(day)
        conn.execute(insert(t.cart_rules), rules)
        advance_sequences(conn, (t.products, t.customers, t.staff, t.cart_rules))

        skus = [row["sku"] for row in product_rows]
        sellable = [p.sku for p in catalog if p.is_sellable]
        stock_ids = stock_ids_of(conn, (NYC_SOURCE, WAREHOUSE_SOURCE))
        record_changes(conn, "products", skus)
        record_changes(conn, "prices", skus)
        for sid in stock_ids:
            record_changes(conn, "stock", [f"{sku}@{sid}" for sku in sellable], scope=str(sid))
        record_changes(conn, "customers", [str(row["id"]) for row in customer_rows])
        record_changes(
            conn,
            "tax",
            [f"rate:{r[0]}" for r in _TAX_RATES] + [f"rule:{r[0]}" for r in _TAX_RULES] + ["config"],
        )
        record_changes(conn, "promotions", [str(rule["id"]) for rule in rules])
        record_changes(conn, "staff", [str(member.id) for member in staff])

    # Number the new feed rows now, so a till that signs in next pulls everything at once.
    stamp_pending(engine)
    return DemoStore(
        name=STORE_NAME,
        staff=staff,
        locations=_LOCATIONS,
        registers=_REGISTERS,
        coupons=tuple(r["coupon_code"] for r in rules if r["coupon_code"]),
        products=len(product_rows),
        sellable_products=len(sellable),
        customers=len(customer_rows),
    )


__all__ = [
    "FIRST_NAMES",
    "LAST_NAMES",
    "MAIL_DOMAINS",
    "NYC_STOCK_ID",
    "DemoLocation",
    "DemoRegister",
    "DemoStaff",
    "DemoStore",
    "SeedError",
    "is_empty",
    "seed_demo",
]
