"""What the demo seeds share: the store's constants, barcodes, seeded randomness and dates."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from till.storage import tables as t

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
