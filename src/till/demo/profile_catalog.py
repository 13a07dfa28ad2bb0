"""The catalogs of the performance profiles: their sizes, vocabulary, shapes and product maker."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from till.demo.catalog import COLOUR_SKU_CODES, SIZES
from till.demo.common import (
    NYC_SOURCE,
    WAREHOUSE_SOURCE,
    WHOLESALE_GROUP,
    SeedError,
    ean13,
    seeded_random,
)
from till.storage import tables as t

ProfileName = Literal["small", "medium", "large"]

#: Reports progress as (phase, done, total); phases are attributes, categories, products and
#: customers. A plain callable, so the domain needs no UI library.
ProgressCallback = Callable[[str, int, int], None]

#: Options of the two configurable attributes, as in the toolkit's profiles (3 and 8).
COLOURS_PER_CONFIGURABLE = 3
SIZES_PER_CONFIGURABLE = 8
VARIANTS_PER_CONFIGURABLE = COLOURS_PER_CONFIGURABLE * SIZES_PER_CONFIGURABLE

#: Products per transaction: big enough to amortise a commit, small enough to report progress.
PRODUCTS_PER_BATCH = 2000


@dataclass(frozen=True, slots=True)
class ProfileSpec:
    """The sizes of one toolkit profile, and the tags that keep its rows apart."""

    name: str
    sku_prefix: str
    #: Three digits that start every barcode of the profile (then 9 digits and a check digit).
    barcode_prefix: str
    simple_products: int
    configurable_products: int
    categories: int
    category_depth: int
    customers: int
    attribute_sets: int
    attributes_per_set: int
    options_per_attribute: int

    @property
    def tag(self) -> str:
        """Lower-case short tag, for attribute codes and e-mails ("ps", "pm", "pl")."""
        return self.sku_prefix.rstrip("-").lower()

    @property
    def variant_products(self) -> int:
        """Children of the configurable products."""
        return self.configurable_products * VARIANTS_PER_CONFIGURABLE

    @property
    def total_products(self) -> int:
        """Every product row the profile writes."""
        return self.simple_products + self.configurable_products + self.variant_products


PROFILES: dict[str, ProfileSpec] = {
    "small": ProfileSpec("small", "PS-", "761", 800, 16, 30, 3, 200, 10, 5, 5),
    "medium": ProfileSpec("medium", "PM-", "762", 24_000, 640, 300, 3, 2_000, 30, 10, 8),
    "large": ProfileSpec("large", "PL-", "763", 300_000, 8_000, 3_000, 5, 5_000, 50, 20, 15),
}


@dataclass(frozen=True, slots=True)
class ProfileCounts:
    """What a profile run wrote."""

    profile: str
    simple_products: int
    configurable_products: int
    variant_products: int
    categories: int
    category_depth: int
    attribute_sets: int
    attributes: int
    customers: int
    attribute_values: int
    source_items: int
    change_rows: int
    seconds: float

    @property
    def products(self) -> int:
        """Every product row: simple, configurable parents and their variants."""
        return self.simple_products + self.configurable_products + self.variant_products


# --- vocabulary -----------------------------------------------------------------------------------

_ADJECTIVES = (
    "Classic", "Relaxed", "Everyday", "Heritage", "Essential", "Modern", "Coastal", "Alpine", "Urban",
    "Vintage", "Soft", "Structured", "Lightweight", "Heavyweight", "Washed", "Textured", "Minimal",
    "Weekend", "Studio", "Field",
)  # fmt: skip
_FABRICS = (
    "Cotton", "Linen", "Merino", "Cashmere", "Denim", "Canvas", "Organic Cotton", "Wool", "Silk",
    "Jersey", "Corduroy", "Flannel",
)  # fmt: skip
_HOME_MATERIALS = (
    "Stoneware", "Oak", "Bamboo", "Recycled Glass", "Ceramic", "Jute", "Linen", "Brass", "Walnut",
    "Marble",
)  # fmt: skip
_APPAREL = (
    "Tee", "Shirt", "Sweater", "Cardigan", "Hoodie", "Jacket", "Coat", "Chino", "Jean", "Skirt", "Dress",
    "Shorts", "Polo", "Vest", "Blazer", "Overshirt",
)  # fmt: skip
_HOMEWARE = (
    "Mug", "Bowl", "Plate", "Vase", "Candle", "Throw", "Cushion Cover", "Tray", "Lamp", "Basket",
    "Planter", "Rug", "Frame", "Carafe", "Napkin Set", "Serving Board",
)  # fmt: skip
_ACCESSORIES_TAXABLE = ("Tote", "Backpack", "Wallet", "Belt", "Pouch", "Umbrella", "Card Holder")
_ACCESSORIES_CLOTHING = ("Scarf", "Beanie", "Cap", "Gloves", "Socks")
_SENTENCES = (
    "Made to last and easy to care for.",
    "A customer favourite, restocked every season.",
    "Designed in New York, made by partners we visit.",
    "Pairs well with the rest of the collection.",
    "Small-batch production, so colours vary slightly.",
    "Lighter than it looks and built for daily use.",
)
_DEPARTMENTS = (
    "Women", "Men", "Kids", "Home", "Accessories", "Outdoor", "Beauty", "Shoes", "Sport", "Travel",
    "Garden", "Pets", "Stationery", "Gifts", "Sale",
)  # fmt: skip
_SHELVES = (
    "New In", "Tops", "Bottoms", "Knitwear", "Outerwear", "Basics", "Kitchen", "Dining", "Bedding",
    "Bath", "Lighting", "Storage", "Decor", "Bags", "Hats", "Scarves", "Socks", "Belts", "Jewellery",
    "Sleepwear", "Swim", "Loungewear", "Tableware", "Textiles", "Candles", "Prints", "Plants",
    "Best Sellers", "Essentials", "Last Chance",
)  # fmt: skip

_TAXABLE = "Taxable Goods"
_CLOTHING = "Clothing"


def _product_kind(rng: random.Random) -> tuple[str, str]:
    """A name for a standalone simple product and its tax class."""
    roll = rng.random()
    adjective = rng.choice(_ADJECTIVES)
    if roll < 0.45:
        return f"{adjective} {rng.choice(_FABRICS)} {rng.choice(_APPAREL)}", _CLOTHING
    if roll < 0.85:
        return f"{adjective} {rng.choice(_HOME_MATERIALS)} {rng.choice(_HOMEWARE)}", _TAXABLE
    if roll < 0.93:
        return f"{adjective} {rng.choice(_FABRICS)} {rng.choice(_ACCESSORIES_CLOTHING)}", _CLOTHING
    return f"{adjective} {rng.choice(_FABRICS)} {rng.choice(_ACCESSORIES_TAXABLE)}", _TAXABLE


def _price(rng: random.Random) -> Decimal:
    return Decimal(f"{rng.randint(4, 299)}.{rng.choice(('00', '50', '95', '99'))}")


def _weight(rng: random.Random) -> Decimal:
    return Decimal(rng.randint(5, 1200)) / 100


# --- shapes --------------------------------------------------------------------------------------


def _level_sizes(count: int, depth: int) -> list[int]:
    """Nodes per level of a tree with `count` nodes exactly `depth` levels deep.

    The fan-out is the smallest f with f + f² + … + f^depth ≥ count; levels fill top-down
    and the last takes the rest, keeping at least one node for every level below.
    """
    if count < depth:
        raise SeedError(f"{count} categories cannot be nested {depth} deep")
    fanout = 1
    while sum(fanout**level for level in range(1, depth + 1)) < count:
        fanout += 1
    sizes: list[int] = []
    remaining = count
    for level in range(1, depth + 1):
        levels_below = depth - level
        # The deepest level takes the rest; those above keep one node for each level below.
        size = remaining if levels_below == 0 else min(fanout**level, remaining - levels_below)
        sizes.append(size)
        remaining -= size
    return sizes


@dataclass(slots=True)
class _Tree:
    rows: list[dict[str, Any]]
    leaves: list[int]


def category_tree(spec: ProfileSpec, first_id: int, rng: random.Random) -> _Tree:
    rows: list[dict[str, Any]] = []
    previous: list[int] = []
    parents_with_children: set[int] = set()
    next_category = first_id
    title = spec.name.capitalize()
    for size in _level_sizes(spec.categories, spec.category_depth):
        current: list[int] = []
        siblings: dict[int | None, int] = {}
        for i in range(size):
            # Round robin over the level above keeps the tree even, as the toolkit's is.
            parent = previous[i % len(previous)] if previous else None
            position = siblings.get(parent, 0) + 1
            siblings[parent] = position
            if parent is None:
                name = f"{title} {_DEPARTMENTS[i % len(_DEPARTMENTS)]}"
                if i >= len(_DEPARTMENTS):
                    name += f" {i // len(_DEPARTMENTS) + 1}"
            else:
                name = rng.choice(_SHELVES)
                parents_with_children.add(parent)
            rows.append({"id": next_category, "name": name, "parent_id": parent, "position": position})
            current.append(next_category)
            next_category += 1
        previous = current
    leaves = [row["id"] for row in rows if row["id"] not in parents_with_children]
    return _Tree(rows, leaves)


@dataclass(frozen=True, slots=True)
class _SetShape:
    name: str
    #: (attribute code, first option id) for each select attribute of the set.
    attributes: tuple[tuple[str, int], ...]


def attribute_sets_of(spec: ProfileSpec) -> tuple[list[_SetShape], list[dict[str, Any]]]:
    """The profile's attribute sets and its select attributes (as `attributes` rows)."""
    # Option ids continue one global sequence per profile, as Magento's option ids do, far
    # above the demo's so that an id names one option.
    option_id = 1_000_000 * (list(PROFILES).index(spec.name) + 1)
    title = spec.name.capitalize()
    shapes: list[_SetShape] = []
    attribute_rows: list[dict[str, Any]] = []
    for s in range(1, spec.attribute_sets + 1):
        members: list[tuple[str, int]] = []
        for a in range(1, spec.attributes_per_set + 1):
            code = f"{spec.tag}_set{s:02d}_attr{a:02d}"
            options = [
                {"value": str(option_id + v), "label": f"Option {v + 1}"}
                for v in range(spec.options_per_attribute)
            ]
            attribute_rows.append(
                {
                    "code": code,
                    "label": f"{title} set {s} attribute {a}",
                    "backend_type": "int",
                    "frontend_input": "select",
                    "options": options,
                    "is_required": False,
                }
            )
            members.append((code, option_id))
            option_id += spec.options_per_attribute
        shapes.append(_SetShape(f"{title} Set {s:02d}", tuple(members)))
    return shapes, attribute_rows


#: Demo attributes every profile set also holds: the variant axes and the common fields.
SHARED_MEMBERS = ("color", "size", "description", "weight", "launch_date")


# --- products ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Batch:
    products: list[dict[str, Any]]
    values: dict[str, list[dict[str, Any]]]
    tiers: list[dict[str, Any]]
    source_items: list[dict[str, Any]]
    sellable: list[str]

    @classmethod
    def empty(cls) -> _Batch:
        return cls([], {backend: [] for backend in t.product_values}, [], [], [])

    @property
    def value_count(self) -> int:
        return sum(len(rows) for rows in self.values.values())


class ProductMaker:
    """Builds the profile's product rows batch by batch, from one seeded random stream."""

    def __init__(
        self,
        spec: ProfileSpec,
        sets: list[_SetShape],
        leaves: list[int],
        option_ids: dict[str, dict[str, int]],
        first_id: int,
        today: date,
        now: datetime,
    ) -> None:
        self.spec = spec
        self.sets = sets
        self.leaves = leaves
        self.colour_ids = option_ids["color"]
        self.size_ids = option_ids["size"]
        self.next_id = first_id
        self.today = today
        self.now = now
        self.rng = seeded_random(f"till-profile-{spec.name}-products")
        self.stock_rng = seeded_random(f"till-profile-{spec.name}-stock")
        self.barcode_serial = 0
        self.placed = 0
        self.colours = [label for label in COLOUR_SKU_CODES if label in self.colour_ids]
        self.sizes = [size for size in SIZES[:SIZES_PER_CONFIGURABLE] if size in self.size_ids]
        if len(self.colours) < COLOURS_PER_CONFIGURABLE or len(self.sizes) < SIZES_PER_CONFIGURABLE:
            raise SeedError("the colour and size attributes lack the options a profile needs")

    def batches(self) -> Iterator[_Batch]:
        """Batches of about PRODUCTS_PER_BATCH products: configurables first, then simples."""
        batch = _Batch.empty()
        for n in range(1, self.spec.configurable_products + 1):
            self._configurable(batch, n)
            if len(batch.products) >= PRODUCTS_PER_BATCH:
                yield batch
                batch = _Batch.empty()
        for n in range(1, self.spec.simple_products + 1):
            self._simple(batch, n)
            if len(batch.products) >= PRODUCTS_PER_BATCH:
                yield batch
                batch = _Batch.empty()
        if batch.products:
            yield batch

    # -- pieces

    def _category(self) -> int:
        leaf = self.leaves[self.placed % len(self.leaves)]
        self.placed += 1
        return leaf

    def _barcode(self) -> str:
        self.barcode_serial += 1
        return ean13(f"{self.spec.barcode_prefix}{self.barcode_serial:09d}")

    def _row(self, sku: str, name: str, kind: str, price: Decimal, **extra: Any) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": self.next_id,
            "sku": sku,
            "name": name,
            "type": kind,
            "attribute_set": extra.pop("attribute_set"),
            "enabled": True,
            "price": price,
            "special_price": None,
            "special_from": None,
            "special_to": None,
            "tax_class": extra.pop("tax_class"),
            "barcode": None,
            "parent_sku": None,
            "configurable_attributes": [],
            "category_ids": [],
            "updated_at": self.now,
        }
        row.update(extra)
        self.next_id += 1
        return row

    def _value(self, batch: _Batch, backend: str, product_id: int, code: str, value: Any) -> None:
        batch.values[backend].append({"product_id": product_id, "attribute_code": code, "value": value})

    def _stock(self, batch: _Batch, sku: str) -> None:
        batch.sellable.append(sku)
        rng = self.stock_rng
        for source, high in ((NYC_SOURCE, 40), (WAREHOUSE_SOURCE, 300)):
            qty = 0 if rng.random() < 0.04 else rng.randint(1, high)
            batch.source_items.append(
                {
                    "sku": sku,
                    "source_code": source,
                    "quantity": Decimal(qty),
                    "in_stock": qty > 0,
                    "updated_at": self.now,
                }
            )

    def _special(self, row: dict[str, Any]) -> None:
        # Mostly live markdowns, with some ended and some scheduled, as a real catalog has.
        roll = self.rng.random()
        if roll < 0.6:
            start, end = self.today - timedelta(days=5), self.today + timedelta(days=20)
        elif roll < 0.8:
            start, end = self.today - timedelta(days=60), self.today - timedelta(days=10)
        else:
            start, end = self.today + timedelta(days=7), self.today + timedelta(days=30)
        row["special_price"] = (row["price"] * Decimal("0.8")).quantize(Decimal("0.01"))
        row["special_from"] = start
        row["special_to"] = end

    def _configurable(self, batch: _Batch, n: int) -> None:
        rng = self.rng
        fabric = rng.choice(_FABRICS)
        name = f"{rng.choice(_ADJECTIVES)} {fabric} {rng.choice(_APPAREL)}"
        price = _price(rng)
        category = self._category()
        shape = self.sets[(n - 1) % len(self.sets)]
        sku = f"{self.spec.sku_prefix}C{n:05d}"
        parent = self._row(
            sku,
            name,
            "configurable",
            price,
            attribute_set=shape.name,
            tax_class=_CLOTHING,
            configurable_attributes=["size", "color"],
            category_ids=[category],
        )
        batch.products.append(parent)
        self._value(batch, "text", parent["id"], "description", f"{name}. {rng.choice(_SENTENCES)}")
        launch = datetime(2024, 1, 1, 14, tzinfo=UTC) + timedelta(days=rng.randrange(700))
        self._value(batch, "datetime", parent["id"], "launch_date", launch)
        colours = rng.sample(self.colours, COLOURS_PER_CONFIGURABLE)
        for colour in colours:
            for size in self.sizes:
                child = self._row(
                    f"{sku}-{size}-{COLOUR_SKU_CODES[colour]}",
                    f"{name} - {colour} / {size}",
                    "simple",
                    price,
                    attribute_set=shape.name,
                    tax_class=_CLOTHING,
                    barcode=self._barcode(),
                    parent_sku=sku,
                    category_ids=[category],
                )
                batch.products.append(child)
                self._value(batch, "int", child["id"], "color", self.colour_ids[colour])
                self._value(batch, "int", child["id"], "size", self.size_ids[size])
                self._value(batch, "decimal", child["id"], "weight", _weight(rng))
                self._stock(batch, child["sku"])

    def _simple(self, batch: _Batch, n: int) -> None:
        rng = self.rng
        name, tax_class = _product_kind(rng)
        shape = self.sets[(n - 1) % len(self.sets)]
        row = self._row(
            f"{self.spec.sku_prefix}{n:06d}",
            name,
            "simple",
            _price(rng),
            attribute_set=shape.name,
            tax_class=tax_class,
            barcode=self._barcode(),
            category_ids=[self._category()],
        )
        if rng.random() < 0.04:
            self._special(row)
        batch.products.append(row)
        product_id = row["id"]
        self._value(batch, "text", product_id, "description", f"{name}. {rng.choice(_SENTENCES)}")
        self._value(batch, "decimal", product_id, "weight", _weight(rng))
        options = self.spec.options_per_attribute
        int_rows = batch.values["int"]
        for code, first_option in shape.attributes:
            int_rows.append(
                {
                    "product_id": product_id,
                    "attribute_code": code,
                    "value": first_option + rng.randrange(options),
                }
            )
        roll = rng.random()
        if roll < 0.03:
            # "Buy 5 or more" for everyone.
            price = row["price"]
            batch.tiers.append(
                {
                    "product_id": product_id,
                    "customer_group_id": None,
                    "qty": Decimal(5),
                    "price": (price * Decimal("0.9")).quantize(Decimal("0.01")),
                }
            )
        elif roll < 0.04:
            batch.tiers.append(
                {
                    "product_id": product_id,
                    "customer_group_id": WHOLESALE_GROUP,
                    "qty": Decimal(10),
                    "price": (row["price"] * Decimal("0.75")).quantize(Decimal("0.01")),
                }
            )
        self._stock(batch, row["sku"])
