"""What every data set of the pull shares: the report, the context, parsing and upserts."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, insert, select, update

from till.domain.catalog import (
    Attribute,
)
from till.magento.client import MagentoError
from till.magento.settings import MagentoSettings
from till.storage.magento_links import (
    pull_state,
    save_pull_state,
)

log = logging.getLogger("till.magento.pull")

DATASETS = (
    "stores",
    "tax",
    "customer_groups",
    "attributes",
    "categories",
    "products",
    "customers",
    "inventory",
    "stock",
    "promotions",
)
#: Magento's "ALL GROUPS" customer group id in tier prices.
ALL_GROUPS_ID = 32000
#: Attributes that are columns of Till's product (or Magento bookkeeping), not EAV values.
FIXED_ATTRIBUTES = frozenset(
    {
        "sku",
        "name",
        "price",
        "status",
        "special_price",
        "special_from_date",
        "special_to_date",
        "tax_class_id",
        "category_ids",
        "tier_price",
        "media_gallery",
        "quantity_and_stock_status",
        "options_container",
        "has_options",
        "required_options",
        "image",
        "small_image",
        "thumbnail",
        "swatch_image",
        "url_path",
        "msrp_display_actual_price_type",
        "page_layout",
        "custom_layout_update_file",
    }
)
#: Delta lists are paged by (updated_at, entity_id): `MagentoClient.search_by_key`.
BY_UPDATE = (("updated_at", "updated_at"), ("entity_id", "id"))
#: MSI sources and stocks sorted by their primary keys (magento/inventory Inventory/etc/db_schema.xml;
#: Source/Command/GetList.php and Stock/Command/GetList.php sort by the column as named).
BY_SOURCE_CODE = (("source_code", "ASC"),)
BY_STOCK_ID = (("stock_id", "ASC"),)
IMAGE_URL = Attribute(code="image_url", label="Image URL", backend_type="varchar", frontend_input="text")
MAGENTO_OFFSET = "magento"
Progress = Callable[[str, int, int], None]


@dataclass
class PullReport:
    """What a pull read and what it changed, per data set."""

    read: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    #: Data sets that failed, with why (the others were pulled all the same).
    failed: dict[str, str] = field(default_factory=dict)

    def add(self, dataset: str, read: int = 0, changed: int = 0, skipped: int = 0) -> None:
        self.read[dataset] = self.read.get(dataset, 0) + read
        self.changed[dataset] = self.changed.get(dataset, 0) + changed
        if skipped:
            self.skipped[dataset] = self.skipped.get(dataset, 0) + skipped


class PullFailed(MagentoError):
    """Some data sets failed (`report.failed`); the others were pulled and are kept."""

    def __init__(self, report: PullReport) -> None:
        reasons = "; ".join(f"{name}: {why}" for name, why in report.failed.items())
        super().__init__(f"{len(report.failed)} data set(s) failed: {reasons}")
        self.report = report


@dataclass
class _Context:
    """Ids Magento uses in one data set and names Till uses, gathered along the pull."""

    tax_classes: dict[int, str] = field(default_factory=dict)
    attribute_codes: dict[int, str] = field(default_factory=dict)
    attributes: dict[str, Attribute] = field(default_factory=dict)
    set_names: dict[int, str] = field(default_factory=dict)
    touched_skus: set[str] = field(default_factory=set)


def magento_time(moment: datetime) -> str:
    """A moment as Magento's `updated_at` (UTC, seconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _parse_time(value: str) -> datetime:
    return datetime.strptime(value[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def _dec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value)[:10]).date()
    except ValueError:
        return None


def _custom(item: dict[str, Any]) -> dict[str, Any]:
    return {a["attribute_code"]: a.get("value") for a in item.get("custom_attributes") or []}


def _upsert(conn: Connection, table: Table, keys: dict[str, Any], values: dict[str, Any]) -> bool:
    """Update the row with these keys, or insert it; True when something differed."""
    where = and_(*(table.c[k] == v for k, v in keys.items()))
    current = conn.execute(select(*(table.c[k] for k in values)).where(where)).first()
    if current is None:
        conn.execute(insert(table).values(**keys, **values))
        return True
    if all(_same(getattr(current, k), v) for k, v in values.items()):
        return False
    conn.execute(update(table).where(where).values(**values))
    return True


def _norm(value: Any) -> str:
    """A stored or pulled EAV value in one comparable form (4-place decimals, UTC moments)."""
    if isinstance(value, Decimal | float):
        return str(Decimal(str(value)).quantize(Decimal("0.0001")))
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _same(stored: Any, new: Any) -> bool:
    if isinstance(new, Decimal) and stored is not None:
        return Decimal(str(stored)).quantize(Decimal("0.0001")) == new.quantize(Decimal("0.0001"))
    if isinstance(new, datetime):
        return True  # timestamps of our own making never count as a change
    return bool(stored == new)


def _since(engine: Engine, dataset: str, settings: MagentoSettings, full: bool) -> str | None:
    if full:
        return None
    with engine.connect() as conn:
        state = pull_state(conn, dataset)
    if state is None or not state["updated_since"]:
        return None
    start = _parse_time(state["updated_since"]) - timedelta(seconds=settings.overlap_seconds)
    return magento_time(start)


def _finish(engine: Engine, dataset: str, newest: str | None, items: int, full: bool) -> None:
    with engine.begin() as conn:
        previous = pull_state(conn, dataset)
        kept = newest or (previous["updated_since"] if previous else None)
        save_pull_state(conn, dataset, updated_since=kept, items=items, full=full)


def _finish_in(conn: Connection, dataset: str, items: int) -> None:
    save_pull_state(conn, dataset, updated_since=None, items=items, full=True)
