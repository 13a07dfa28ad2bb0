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

import random
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, func, insert, select

from till.domain.catalog import (
    Attribute,
    AttributeOption,
    AttributeSet,
    Category,
    Product,
    SpecialPrice,
    TierPrice,
)
from till.domain.customers import Customer, CustomerGroup
from till.domain.staff import Role
from till.security import demo_password, hash_secret, offline_pin_verifier
from till.storage import tables as t
from till.storage.catalog_write import advance_sequences, insert_catalog, insert_chunked, next_id
from till.storage.feed import ensure_sequencer, record_changes, stamp_pending

STORE_NAME = "Linden & Loom"
STORE_TIMEZONE = "America/New_York"

NYC_SOURCE = "nyc_store"
WAREHOUSE_SOURCE = "nj_warehouse"
DEFAULT_STOCK_ID = 1
NYC_STOCK_ID = 2
WAREHOUSE_STOCK_ID = 3

NOT_LOGGED_IN_GROUP = 0
GENERAL_GROUP = 1
WHOLESALE_GROUP = 2
RETAILER_GROUP = 3

RETAIL_CUSTOMER = "Retail Customer"
WHOLESALE_CUSTOMER = "Wholesale Customer"
TAXABLE_GOODS = "Taxable Goods"
CLOTHING = "Clothing"
BOOKS = "Books"
GIFT_CARD = "Gift Card"

#: Magento's defaults for `tax/calculation/*` (Stores > Configuration > Sales > Tax).
TAX_CONFIG: dict[str, object] = {
    "algorithm": "TOTAL",
    "prices_include_tax": False,
    "apply_after_discount": True,
    "discount_on_prices_including_tax": False,
    "cross_border_trade": False,
}

#: GS1's example company prefix: real-looking EAN-13s that belong to no real product.
_DEMO_BARCODE_PREFIX = "0614141"


class SeedError(RuntimeError):
    """The database cannot take the demo data as asked (for example, it is already seeded)."""


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


# --- bulk-insert helpers (shared with the profiles) ----------------------------------------------


def ean13(body: str) -> str:
    """The 13-digit EAN for a 12-digit body: the body plus its GS1 check digit."""
    if len(body) != 12 or not body.isdigit():
        raise ValueError(f"an EAN-13 body is 12 digits, not {body!r}")
    # GS1 weights the digits 1, 3, 1, 3, ... from the left of a 12-digit body.
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def is_valid_ean13(code: str) -> bool:
    """True if `code` is 13 digits with a correct check digit."""
    return len(code) == 13 and code.isdigit() and ean13(code[:12]) == code


def stock_ids_of(conn: Connection, source_codes: Iterable[str]) -> list[int]:
    """The stocks that sell from any of these sources: whose salable quantity they change."""
    query = (
        select(t.stock_sources.c.stock_id)
        .where(t.stock_sources.c.source_code.in_(list(source_codes)))
        .distinct()
        .order_by(t.stock_sources.c.stock_id)
    )
    return [int(x) for x in conn.execute(query).scalars()]


def seeded_random(seed: str) -> random.Random:
    """A reproducible random stream for demo content (never for secrets)."""
    return random.Random(seed)  # noqa: S311 - made-up catalog data must repeat, not be secret


def store_today(timezone: str = STORE_TIMEZONE) -> date:
    """Today on the store's wall clock: the day special prices and coupons are judged by."""
    return datetime.now(ZoneInfo(timezone)).date()


def email_slug(text: str) -> str:
    """A name as the local part of an e-mail address: ASCII letters only, lower case."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


# --- the demo catalog ----------------------------------------------------------------------------

#: Colour labels and the short codes variant SKUs end with.
COLOURS: tuple[tuple[str, str], ...] = (
    ("Black", "BLK"),
    ("White", "WHT"),
    ("Navy", "NVY"),
    ("Grey", "GRY"),
    ("Red", "RED"),
    ("Olive", "OLV"),
    ("Sand", "SND"),
    ("Blue", "BLU"),
    ("Pink", "PNK"),
    ("Cream", "CRM"),
    ("Charcoal", "CHR"),
    ("Green", "GRN"),
)
#: Letter sizes first (the profiles use the first eight), then jeans waists.
SIZES: tuple[str, ...] = (
    "XXS", "XS", "S", "M", "L", "XL", "XXL", "3XL", "W28", "W30", "W32", "W34", "W36",
)  # fmt: skip

#: Option ids as Magento numbers them: one global sequence, so an id names one option.
COLOUR_OPTION_IDS: dict[str, str] = {label: str(101 + i) for i, (label, _) in enumerate(COLOURS)}
SIZE_OPTION_IDS: dict[str, str] = {label: str(201 + i) for i, label in enumerate(SIZES)}
COLOUR_SKU_CODES: dict[str, str] = dict(COLOURS)

ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute(
        "color",
        "Color",
        "int",
        "select",
        tuple(AttributeOption(v, label) for label, v in COLOUR_OPTION_IDS.items()),
    ),
    Attribute(
        "size",
        "Size",
        "int",
        "select",
        tuple(AttributeOption(v, label) for label, v in SIZE_OPTION_IDS.items()),
    ),
    Attribute("material", "Material", "varchar"),
    Attribute("brand", "Brand", "varchar"),
    Attribute("description", "Description", "text", "textarea"),
    Attribute("weight", "Weight (lbs)", "decimal", "weight"),
    Attribute("launch_date", "Launch date", "datetime", "date"),
    # Highest wash temperature in °C on the care label; 0 means dry clean only.
    Attribute("care_code", "Care code", "int"),
    Attribute("dishwasher_safe", "Dishwasher safe", "int", "boolean"),
)
_ATTRIBUTE_BY_CODE = {a.code: a for a in ATTRIBUTES}

ATTRIBUTE_SETS: tuple[AttributeSet, ...] = (
    AttributeSet("Default", frozenset({"description", "weight", "brand"})),
    AttributeSet(
        "Apparel",
        frozenset(
            {"color", "size", "material", "description", "weight", "launch_date", "care_code", "brand"}
        ),
    ),
    AttributeSet(
        "Accessories",
        frozenset({"color", "material", "description", "weight", "launch_date", "brand"}),
    ),
    AttributeSet(
        "Homeware",
        frozenset({"color", "material", "description", "weight", "launch_date", "brand", "dishwasher_safe"}),
    ),
    AttributeSet("Gift Card", frozenset({"description"})),
)

# Two levels: departments, then the shelves a cashier browses.
CATEGORIES: tuple[Category, ...] = (
    Category(1, "Women", None, 1),
    Category(2, "Tops", 1, 1),
    Category(3, "Dresses", 1, 2),
    Category(4, "Men", None, 2),
    Category(5, "Shirts", 4, 1),
    Category(6, "Trousers & Jeans", 4, 2),
    Category(7, "Outerwear", 4, 3),
    Category(8, "Accessories", None, 3),
    Category(9, "Bags", 8, 1),
    Category(10, "Hats, Scarves & Socks", 8, 2),
    Category(11, "Home", None, 4),
    Category(12, "Kitchen & Dining", 11, 1),
    Category(13, "Bedding & Bath", 11, 2),
    Category(14, "Decor", 11, 3),
    Category(15, "Gift Cards", None, 5),
)

_HOUSE_BRAND = "Linden & Loom"

_T = TAXABLE_GOODS
_C = CLOTHING
_OAK = {"brand": "Hollow Oak"}
_DW = {"dishwasher_safe": 1}
_HW = {"dishwasher_safe": 0}
_SimpleSpec = tuple[str, str, str, str, str | None, dict[str, Any]]

# fmt: off
# Shelf (category id, attribute set) -> sku, name, price, tax class, material, extra EAV values.
_SHELVES: tuple[tuple[int, str, tuple[_SimpleSpec, ...]], ...] = (
    (9, "Accessories", (
        ("ACC-TOTE-CANVAS", "Canvas Tote Bag", "38.00", _T, "Cotton canvas", {}),
        ("ACC-WEEKENDER-LTH", "Leather Weekender Bag", "245.00", _T, "Full-grain leather", _OAK),
        ("ACC-CROSSBODY", "Crossbody Pouch", "56.00", _T, "Pebbled leather", {}),
        ("ACC-BACKPACK-WAX", "Waxed Canvas Backpack", "129.00", _T, "Waxed cotton canvas", _OAK),
        ("ACC-MARKET-BASKET", "Woven Market Basket", "42.00", _T, "Seagrass", {}),
        ("ACC-CARD-HOLDER", "Leather Card Holder", "35.00", _T, "Vegetable-tanned leather", {}),
        ("ACC-ZIP-WALLET", "Zip-Around Wallet", "62.00", _T, "Vegetable-tanned leather", {}),
        ("ACC-LAPTOP-SLEEVE", "Felt Laptop Sleeve 14in", "48.00", _T, "Wool felt", {}),
        ("ACC-GYM-BAG", "Drawstring Gym Bag", "22.00", _T, "Recycled nylon", {}),
        ("ACC-BELT-BAG", "Nylon Belt Bag", "45.00", _T, "Recycled nylon", {}),
    )),
    (10, "Accessories", (
        ("ACC-BEANIE-MERINO", "Merino Rib Beanie", "32.00", _C, "Merino wool",
         {"color": "Charcoal"}),
        ("ACC-SCARF-WOOL", "Lambswool Scarf", "58.00", _C, "Lambswool", {"color": "Green"}),
        ("ACC-SCARF-CASHMERE", "Cashmere Scarf", "145.00", _C, "Cashmere", {"color": "Cream"}),
        ("ACC-BUCKET-HAT", "Cotton Bucket Hat", "36.00", _C, "Cotton twill", {"color": "Sand"}),
        ("ACC-CAP-BASEBALL", "Washed Baseball Cap", "28.00", _C, "Cotton twill", {"color": "Navy"}),
        ("ACC-BELT-LEATHER", "Leather Belt", "54.00", _T, "Bridle leather", {"color": "Black"}),
        ("ACC-BANDANA-SILK", "Silk Bandana", "30.00", _C, "Silk", {"color": "Red"}),
        ("ACC-GLOVES-KNIT", "Knit Gloves", "26.00", _C, "Merino blend", {"color": "Grey"}),
        ("ACC-SHOE-TREES", "Cedar Shoe Trees", "30.00", _T, "Aromatic cedar", {}),
    )),
    (3, "Apparel", (
        ("W-KAFTAN-LINEN", "Linen Kaftan (One Size)", "74.00", _C, "Washed linen",
         {"color": "Sand", "care_code": 30}),
    )),
    (2, "Apparel", (
        ("W-PONCHO-KNIT", "Knit Poncho (One Size)", "84.00", _C, "Alpaca blend",
         {"color": "Cream", "care_code": 0}),
    )),
    (7, "Apparel", (
        ("M-NECK-GAITER", "Merino Neck Gaiter (One Size)", "24.00", _C, "Merino wool",
         {"color": "Black", "care_code": 30}),
    )),
    (12, "Homeware", (
        ("HOME-MUG-STONE", "Stoneware Mug", "18.00", _T, "Stoneware", _DW),
        ("HOME-PLATE-DINNER", "Stoneware Dinner Plate", "24.00", _T, "Stoneware",
         _DW),
        ("HOME-BOWL-STONE", "Stoneware Bowl", "20.00", _T, "Stoneware", _DW),
        ("HOME-NAPKINS-LINEN", "Linen Napkins (Set of 4)", "36.00", _T, "Linen", {}),
        ("HOME-TABLECLOTH", "Linen Tablecloth", "98.00", _T, "Linen", {}),
        ("HOME-CARAFE", "Glass Carafe", "32.00", _T, "Borosilicate glass", _DW),
        ("HOME-TUMBLERS", "Tumbler Glasses (Set of 4)", "28.00", _T, "Recycled glass",
         _DW),
        ("HOME-SERVING-BOARD", "Olive Wood Serving Board", "48.00", _T, "Olive wood",
         _HW),
        ("HOME-SAUCEPAN", "Enamel Saucepan", "64.00", _T, "Enamelled steel", _HW),
        ("HOME-SKILLET", "Cast Iron Skillet 10in", "45.00", _T, "Cast iron", _HW),
        ("HOME-CHEF-KNIFE", "Chef's Knife 8in", "89.00", _T, "High-carbon steel",
         _HW),
        ("HOME-TEA-TOWELS", "Cotton Tea Towels (Set of 3)", "22.00", _T, "Cotton", {}),
        ("HOME-FRENCH-PRESS", "French Press 34oz", "39.00", _T, "Glass and steel",
         _DW),
        ("HOME-TEAPOT", "Ceramic Teapot", "54.00", _T, "Ceramic", _DW),
        ("HOME-APRON", "Canvas Apron", "42.00", _T, "Cotton canvas", {"color": "Olive"}),
        ("HOME-COASTERS", "Cork Coasters (Set of 6)", "16.00", _T, "Cork", {}),
    )),
    (12, "Default", (
        ("HOME-COOKBOOK", "The Simple Kitchen (Cookbook)", "35.00", BOOKS, None,
         {"brand": "Harbor Press"}),
    )),
    (13, "Homeware", (
        ("HOME-DUVET-LINEN-Q", "Linen Duvet Cover, Queen", "220.00", _T, "Stonewashed linen",
         {"color": "White"}),
        ("HOME-DUVET-LINEN-K", "Linen Duvet Cover, King", "260.00", _T, "Stonewashed linen",
         {"color": "White"}),
        ("HOME-SHEETS-PERCALE-Q", "Percale Sheet Set, Queen", "148.00", _T, "Cotton percale",
         {"color": "White"}),
        ("HOME-TOWEL-BATH", "Waffle Bath Towel", "34.00", _T, "Turkish cotton", {"color": "Cream"}),
        ("HOME-TOWEL-HAND", "Waffle Hand Towel", "18.00", _T, "Turkish cotton", {"color": "Cream"}),
        ("HOME-BATH-SHEET", "Turkish Bath Sheet", "58.00", _T, "Turkish cotton", {"color": "Grey"}),
        ("HOME-BATH-MAT", "Cotton Bath Mat", "38.00", _T, "Cotton", {}),
        ("HOME-THROW-WOOL", "Wool Throw Blanket", "125.00", _T, "Lambswool",
         {"color": "Charcoal"}),
        ("HOME-PILLOW-DOWN", "Down Pillow, Standard", "79.00", _T, "Down and feather", {}),
        ("HOME-ROBE-LOUNGE", "Waffle Lounge Robe", "88.00", _C, "Cotton waffle",
         {"color": "White"}),
    )),
    (14, "Homeware", (
        ("HOME-CANDLE-FIG", "Soy Candle, Fig", "32.00", _T, "Soy wax", {}),
        ("HOME-CANDLE-CEDAR", "Soy Candle, Cedar", "32.00", _T, "Soy wax", {}),
        ("HOME-VASE-S", "Ceramic Vase, Small", "42.00", _T, "Ceramic", {"color": "Sand"}),
        ("HOME-VASE-L", "Ceramic Vase, Large", "68.00", _T, "Ceramic", {"color": "Sand"}),
        ("HOME-CUSHION-LINEN", "Linen Cushion Cover 18in", "44.00", _T, "Linen",
         {"color": "Olive"}),
        ("HOME-RUG-JUTE", "Jute Rug 4x6ft", "149.00", _T, "Jute", {}),
        ("HOME-CANDLE-HOLDER", "Brass Candle Holder", "29.00", _T, "Solid brass", {}),
        ("HOME-PRINT-BOTANICAL", "Framed Botanical Print", "85.00", _T, "Oak, archival paper", {}),
    )),
)
# fmt: on

_GIFT_CARD_AMOUNTS = ("25.00", "50.00", "100.00", "250.00")

_XS_XL = ("XS", "S", "M", "L", "XL")
_WAISTS = ("W28", "W30", "W32", "W34", "W36")

_ConfigurableSpec = tuple[str, str, str, int, tuple[str, ...], tuple[str, ...], str, int]

# fmt: off
# sku, name, price, category, sizes, colours, material, care code
_CONFIGURABLES: tuple[_ConfigurableSpec, ...] = (
    ("W-BRETON-TEE", "Breton Stripe Tee", "34.00", 2, _XS_XL, ("Navy", "Red", "Black"),
     "Organic cotton jersey", 30),
    ("W-WRAP-DRESS", "Linen Wrap Dress", "89.00", 3, _XS_XL[:4], ("Sand", "Olive", "Black"),
     "Washed linen", 30),
    ("W-CABLE-SWEATER", "Cable Knit Sweater", "78.00", 2, _XS_XL[1:], ("Cream", "Grey", "Navy"),
     "Lambswool", 0),
    ("M-OXFORD-SHIRT", "Oxford Button-Down Shirt", "58.00", 5, (*_XS_XL[1:], "XXL"),
     ("White", "Blue", "Pink"), "Cotton oxford", 40),
    ("M-SLIM-CHINO", "Slim Chino", "64.00", 6, _WAISTS, ("Sand", "Navy", "Olive"),
     "Stretch cotton twill", 30),
    ("M-SELVEDGE-JEAN", "Selvedge Denim Jean", "128.00", 6, _WAISTS[1:], ("Blue", "Black"),
     "Japanese selvedge denim", 30),
    ("M-FIELD-JACKET", "Waxed Field Jacket", "189.00", 7, _XS_XL[1:], ("Olive", "Black"),
     "Waxed cotton", 0),
    ("ACC-CREW-SOCKS", "Merino Crew Socks", "14.00", 10, ("M", "L"),
     ("Black", "Grey", "Navy", "White"), "Merino blend", 40),
)
# fmt: on

_BLURBS = {
    2: "An easy layer cut for everyday wear.",
    3: "A relaxed silhouette that moves from desk to dinner.",
    5: "Tailored through the body with a soft collar.",
    6: "A clean leg with room to move.",
    7: "Built for wet streets and long weekends.",
    9: "Carries the day's essentials and ages beautifully.",
    10: "Finishes an outfit and keeps the cold out.",
    12: "Made for daily use in a busy kitchen.",
    13: "Soft, breathable and better with every wash.",
    14: "A quiet piece that makes a room feel finished.",
    15: "Redeemable in store and online, never expires.",
}


def _money(amount: str) -> Decimal:
    return Decimal(amount)


def _launch(index: int) -> datetime:
    # Launches spread over 2023-2025 at 14:00 UTC (09:00 in New York), one a fortnight.
    return datetime(2023, 1, 9, 14, 0, tzinfo=UTC) + timedelta(days=14 * (index % 75))


def _weight(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(f"{rng.uniform(low, high):.2f}")


def _typed(values: Mapping[str, Any]) -> dict[str, Any]:
    """EAV values as the attributes' types, colour and size labels turned into option ids."""
    typed: dict[str, Any] = {}
    for code, raw in values.items():
        value = raw
        if code == "color":
            value = COLOUR_OPTION_IDS[raw]
        elif code == "size":
            value = SIZE_OPTION_IDS[raw]
        typed[code] = _ATTRIBUTE_BY_CODE[code].coerce(value)
    return typed


def _demo_catalog(today: date) -> tuple[Product, ...]:
    """Every demo product as a validated domain object, in insertion order."""
    rng = seeded_random("linden-loom-catalog")
    specials = {
        # Active now, ending in three weeks.
        "HOME-THROW-WOOL": SpecialPrice(
            _money("99.00"), today - timedelta(days=7), today + timedelta(days=21)
        ),
        # Ended last month: the till must charge the base price.
        "ACC-WEEKENDER-LTH": SpecialPrice(
            _money("199.00"), today - timedelta(days=90), today - timedelta(days=30)
        ),
        # Starts in two weeks: not yet.
        "HOME-MUG-STONE": SpecialPrice(
            _money("14.00"), today + timedelta(days=14), today + timedelta(days=45)
        ),
        # Open-ended markdown.
        "W-KAFTAN-LINEN": SpecialPrice(_money("59.00"), today - timedelta(days=3), None),
    }
    jacket_sale = SpecialPrice(_money("159.00"), today - timedelta(days=2), today + timedelta(days=12))
    tiers = {
        "HOME-MUG-STONE": (
            TierPrice(Decimal(4), _money("16.00")),
            TierPrice(Decimal(1), _money("11.00"), WHOLESALE_GROUP),
            TierPrice(Decimal(24), _money("9.50"), WHOLESALE_GROUP),
        ),
        "HOME-TEA-TOWELS": (TierPrice(Decimal(3), _money("19.00")),),
        "HOME-TOWEL-BATH": (TierPrice(Decimal(4), _money("29.00")),),
        "HOME-TUMBLERS": (TierPrice(Decimal(6), _money("19.00"), WHOLESALE_GROUP),),
        "HOME-CANDLE-FIG": (TierPrice(Decimal(12), _money("18.00"), WHOLESALE_GROUP),),
        "HOME-CANDLE-CEDAR": (TierPrice(Decimal(12), _money("18.00"), WHOLESALE_GROUP),),
    }
    sock_tiers = (TierPrice(Decimal(3), _money("12.00")),)

    products: list[Product] = []
    serial = iter(range(1, 100_000))

    def barcode() -> str:
        return ean13(f"{_DEMO_BARCODE_PREFIX}{next(serial):05d}")

    shelved = [(cat, attr_set, item) for cat, attr_set, items in _SHELVES for item in items]
    for index, (category, attr_set, (sku, name, price, tax_class, material, extra)) in enumerate(shelved):
        values: dict[str, Any] = {
            "description": f"{name}. {_BLURBS[category]}",
            "weight": _weight(rng, 0.2, 6.0),
            "brand": _HOUSE_BRAND,
            "launch_date": _launch(index),
        }
        if material:
            values["material"] = material
        values.update(extra)
        if attr_set == "Default":
            values.pop("launch_date")
        products.append(
            Product(
                sku=sku,
                name=name,
                price=_money(price),
                attribute_set=attr_set,
                tax_class=tax_class,
                barcode=barcode(),
                special_price=specials.get(sku),
                tier_prices=tiers.get(sku, ()),
                category_ids=(category,),
                attributes=_typed(values),
            )
        )

    for amount in _GIFT_CARD_AMOUNTS:
        whole = amount.split(".")[0]
        products.append(
            Product(
                sku=f"GIFT-CARD-{whole}",
                name=f"Gift Card ${whole}",
                type="virtual",
                price=_money(amount),
                attribute_set="Gift Card",
                tax_class=GIFT_CARD,
                barcode=barcode(),
                category_ids=(15,),
                attributes=_typed({"description": f"A ${whole} gift card. {_BLURBS[15]}"}),
            )
        )

    for index, (sku, name, price, category, sizes, colours, material, care) in enumerate(_CONFIGURABLES):
        special = jacket_sale if sku == "M-FIELD-JACKET" else None
        products.append(
            Product(
                sku=sku,
                name=name,
                type="configurable",
                price=_money(price),
                attribute_set="Apparel",
                tax_class=CLOTHING,
                special_price=special,
                category_ids=(category,),
                configurable_attributes=("size", "color"),
                attributes=_typed(
                    {
                        "description": f"{name}. {_BLURBS[category]}",
                        "material": material,
                        "care_code": care,
                        "brand": _HOUSE_BRAND,
                        "launch_date": _launch(index * 7 + 3),
                    }
                ),
            )
        )
        for colour in colours:
            for size in sizes:
                products.append(
                    Product(
                        sku=f"{sku}-{size}-{COLOUR_SKU_CODES[colour]}",
                        name=f"{name} - {colour} / {size}",
                        price=_money(price),
                        attribute_set="Apparel",
                        tax_class=CLOTHING,
                        barcode=barcode(),
                        special_price=special,
                        tier_prices=sock_tiers if sku == "ACC-CREW-SOCKS" else (),
                        category_ids=(category,),
                        parent_sku=sku,
                        attributes=_typed(
                            {
                                "color": colour,
                                "size": size,
                                "material": material,
                                "care_code": care,
                                "weight": _weight(rng, 0.1, 2.5),
                            }
                        ),
                    )
                )
    return tuple(products)


# Stock the story needs, by (sku, source): sold out in one shop, everywhere, or only in one.
_STOCK_OVERRIDES: dict[tuple[str, str], int] = {
    ("ACC-WEEKENDER-LTH", NYC_SOURCE): 0,
    ("ACC-WEEKENDER-LTH", WAREHOUSE_SOURCE): 4,
    ("HOME-SKILLET", NYC_SOURCE): 0,
    ("HOME-SKILLET", WAREHOUSE_SOURCE): 0,
    ("HOME-RUG-JUTE", NYC_SOURCE): 0,
    ("HOME-RUG-JUTE", WAREHOUSE_SOURCE): 12,
    ("M-SELVEDGE-JEAN-W36-BLK", NYC_SOURCE): 0,
    ("W-BRETON-TEE-XS-RED", NYC_SOURCE): 0,
    ("W-BRETON-TEE-XS-RED", WAREHOUSE_SOURCE): 0,
}


def _source_items(products: Sequence[Product], now: datetime) -> list[dict[str, Any]]:
    rng = seeded_random("linden-loom-stock")
    rows: list[dict[str, Any]] = []
    for product in products:
        if not product.is_sellable:
            continue
        for source, low, high in ((NYC_SOURCE, 1, 24), (WAREHOUSE_SOURCE, 10, 180)):
            if product.type == "virtual":
                qty = 1000  # gift cards are codes, not boxes; plenty everywhere
            else:
                qty = _STOCK_OVERRIDES.get((product.sku, source), rng.randint(low, high))
            rows.append(
                {
                    "sku": product.sku,
                    "source_code": source,
                    "quantity": Decimal(qty),
                    "in_stock": qty > 0,
                    "updated_at": now,
                }
            )
    return rows


# --- people ---------------------------------------------------------------------------------------

_STAFF: tuple[tuple[str, str, Role, str, tuple[str, ...]], ...] = (
    # username, name, role, PIN, locations
    ("maya", "Maya Chen", Role.CASHIER, "1357", ("NYC",)),
    ("omar", "Omar Haddad", Role.CASHIER, "2468", ("WH",)),
    ("grace", "Grace Okafor", Role.MANAGER, "3690", ("NYC", "WH")),
    ("admin", "Sam Rivera", Role.ADMIN, "9012", ()),
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
    ("US Retail - Taxable Goods", (RETAIL_CUSTOMER,), (_T, BOOKS), (_NY, _NJ, _LA)),
    ("US Retail - Clothing", (RETAIL_CUSTOMER,), (_C,), (_NY, _LA)),
    ("Europe Retail - Standard VAT", (RETAIL_CUSTOMER,), (_T, _C), (_DE, _FR, _GB)),
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
    catalog = _demo_catalog(day)
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
        source_rows = _source_items(catalog, now)
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
