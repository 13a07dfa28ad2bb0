"""The demo store's catalog: attributes, attribute sets, categories and products."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from till.demo.common import (
    _DEMO_BARCODE_PREFIX,
    BOOKS,
    CLOTHING,
    GIFT_CARD,
    NYC_SOURCE,
    TAXABLE_GOODS,
    WAREHOUSE_SOURCE,
    WHOLESALE_GROUP,
    ean13,
    seeded_random,
)
from till.domain.catalog import (
    Attribute,
    AttributeOption,
    AttributeSet,
    Category,
    Product,
    SpecialPrice,
    TierPrice,
)

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


def demo_catalog(today: date) -> tuple[Product, ...]:
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


def demo_source_items(products: Sequence[Product], now: datetime) -> list[dict[str, Any]]:
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
