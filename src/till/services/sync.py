"""The sync protocol's use cases (docs/sync.md): bootstrap, pull per data set, push a batch.

A pull page lists each changed entity once, as it is now (or as deleted), and a cursor to ask
from next. A cursor is a sequence of the change feed; it never skips a change committed late by
a concurrent transaction (see till.storage.feed). A push saves the batch's customers, then hands
its sales to the group-commit writer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from till.domain.acting import ActedBy, ActorRefused
from till.domain.catalog import Product
from till.domain.customers import Customer, CustomerError
from till.domain.errors import Invalid
from till.domain.locations import Location
from till.domain.money import ZERO, money_str, plain_str
from till.domain.staff import (
    DISCOUNT_LIMITS,
    ROLE_PERMISSIONS,
    Permission,
    PermissionDenied,
    Role,
    StaffMember,
)
from till.domain.store_credit import Account
from till.security import offline_pin_iterations, verifier_iterations
from till.services.acting import acting_for, keep_refused
from till.services.auth import Principal
from till.services.customers import add_customer
from till.services.errors import NotFound
from till.services.sale_writer import SaleWriter
from till.services.sales import PushedSale, SaleResult
from till.services.shifts import close_rule_in, close_rule_json
from till.storage.catalog import wire_value
from till.storage.feed import dataset_heads, latest_seq, read_changes, stamp_pending
from till.storage.uow import UnitOfWork

DATASETS = ("products", "prices", "stock", "customers", "tax", "promotions", "staff")


class FeedHeads:
    """The newest sequence of each data set, read from the database at most once per `ttl`
    seconds per process, and again at once when the live poller sees the feed move
    (`invalidate`); while the poller finds it where it was, no read at all (`confirm`). It
    answers "which data sets have news since these cursors" for every connected till of the
    process without a query each (`POST /api/sync/changes`)."""

    def __init__(self, engine: Engine, ttl: float = 2.5) -> None:
        self.engine = engine
        self.ttl = ttl
        self._read: tuple[float, dict[str, int], int] | None = None

    def fresh(self) -> tuple[dict[str, int], int] | None:
        """The heads and feed position if read less than `ttl` seconds ago and not invalidated."""
        read = self._read
        if read is None or time.monotonic() - read[0] >= self.ttl:
            return None
        return read[1], read[2]

    def read(self) -> tuple[dict[str, int], int]:
        """The heads and the feed position, from memory or the database."""
        known = self.fresh()
        if known is not None:
            return known
        # Stamp here too, as a pull does: a writer that died before stamping hides nothing.
        stamp_pending(self.engine, wait=False)
        with UnitOfWork(self.engine) as uow:
            position = latest_seq(uow.conn)
            heads = dataset_heads(uow.conn, DATASETS)
        self._read = (time.monotonic(), heads, position)
        return heads, position

    def invalidate(self) -> None:
        """Read again at the next question (the feed moved)."""
        self._read = None

    def confirm(self, position: int) -> None:
        """The live poller found the feed at `position`: heads read at that position are
        still true, for another `ttl` seconds, without a query."""
        read = self._read
        if read is not None and read[2] == position:
            self._read = (time.monotonic(), read[1], read[2])


def news(heads: dict[str, int], cursors: dict[str, int]) -> list[str]:
    """The data sets, in pull order, with a change after the till's cursor (no cursor: 0)."""
    return [name for name in DATASETS if heads.get(name, 0) > cursors.get(name, 0)]


def reference_data(engine: Engine, staff: StaffMember) -> dict[str, Any]:
    """Small reference data a till keeps whole: store, locations and registers the member works
    at, attributes, attribute sets, categories, customer groups, what each role may do, and the
    feed position to pull from."""
    with UnitOfWork(engine) as uow:
        return {
            "store": uow.reference.setting("store") or {},
            # The manager's close rule, kept by the till so a blind count holds offline too.
            "shift_close": close_rule_json(close_rule_in(uow)),
            "locations": [
                {
                    "code": loc.code,
                    "name": loc.name,
                    "source_code": loc.source_code,
                    "stock_id": loc.stock_id,
                    "timezone": loc.timezone,
                    "currency": loc.currency,
                    "country": loc.address.country,
                    "region": loc.address.region,
                    "postcode": loc.address.postcode,
                }
                for loc in uow.reference.locations()
                if staff.works_at(loc.code)
            ],
            "registers": [
                {"code": r.code, "location_code": r.location_code, "name": r.name}
                for r in uow.reference.registers()
                if staff.works_at(r.location_code)
            ],
            "attributes": [
                {
                    "code": a.code,
                    "label": a.label,
                    "backend_type": a.backend_type,
                    "frontend_input": a.frontend_input,
                    # An option's value travels in its attribute's type, as a product's does.
                    "options": [
                        {"value": _option_value(a.backend_type, o.value), "label": o.label} for o in a.options
                    ],
                }
                for a in uow.catalog.attributes()
            ],
            "attribute_sets": {s.name: sorted(s.attribute_codes) for s in uow.catalog.attribute_sets()},
            "categories": [
                {"id": c.id, "name": c.name, "parent_id": c.parent_id, "position": c.position}
                for c in uow.catalog.categories()
            ],
            "customer_groups": [
                {"id": g.id, "code": g.code, "tax_class": g.tax_class}
                for g in uow.reference.customer_groups().values()
            ],
            # Gift card and store credit rules: the offline caps a till holds itself to.
            "ledger_rules": uow.reference.ledger_rules().as_json(),
            "datasets": list(DATASETS),
            "feed_position": latest_seq(uow.conn),
            "roles": roles_json(),
        }


def _option_value(backend_type: str, value: str) -> str | int:
    """A select option's value as a product's attribute carries it: an option id of an `int`
    attribute is a JSON integer in both places (it was a string here, a number there)."""
    return int(value) if backend_type == "int" and value.lstrip("-").isdigit() else value


def roles_json() -> dict[str, dict[str, Any]]:
    """What each role may do and its discount limit (`till.domain.staff`), for the till to hide
    what a cashier may not do and to sign in offline; the server enforces the same table."""
    return {
        role.value: {
            "permissions": [p.value for p in Permission if p in ROLE_PERMISSIONS[role]],
            "max_discount_percent": plain_str(DISCOUNT_LIMITS[role]),
        }
        for role in Role
    }


@dataclass(frozen=True, slots=True)
class PushedCustomer:
    """A customer a till made (often offline), as it came off the wire."""

    client_key: str | None
    email: str
    firstname: str
    lastname: str
    group_id: int
    phone: str | None = None
    #: Who made it on the till, if the till said (else the session's member).
    acted_by: ActedBy | None = None
    #: Its body as it came, kept if it is refused.
    payload: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class CustomerResult:
    """What happened to one pushed customer: its id, or why it could not be saved."""

    client_key: str | None
    customer_id: int | None = None
    created: bool = False
    error: str | None = None


@dataclass(frozen=True, slots=True)
class PushResult:
    """The answer to a push: one result per customer and per sale, in the order pushed."""

    customers: list[CustomerResult]
    sales: list[SaleResult]


def accept_push(
    engine: Engine,
    writer: SaleWriter,
    customers: Sequence[PushedCustomer],
    sales: Sequence[PushedSale],
    sender: Principal | None = None,
) -> PushResult:
    """Save a batch's customers (one transaction; a customer known by e-mail is linked, not
    duplicated), then place its sales, which may name those customers, through the writer.
    A customer whose maker (`acted_by`) cannot have used the sending till is refused and kept
    for a manager (`refused_actions`), as any queued action is."""
    results: list[CustomerResult] = []
    refused: list[tuple[PushedCustomer, str]] = []
    if customers:
        with UnitOfWork(engine) as uow:
            for item in customers:
                try:
                    if sender is not None:
                        _judge_maker(uow, sender, item.acted_by)
                    customer = Customer(item.email, item.firstname, item.lastname, item.group_id, item.phone)
                    customer_id, created = add_customer(uow, customer, item.client_key, link_existing=True)
                except PermissionDenied as exc:
                    refused.append((item, str(exc)))
                    results.append(CustomerResult(item.client_key, error=str(exc)))
                    continue
                except CustomerError as exc:
                    results.append(CustomerResult(item.client_key, error=str(exc)))
                    continue
                results.append(CustomerResult(item.client_key, customer_id, created))
            uow.commit()
    for item, reason in refused:
        assert sender is not None
        keep_refused(
            engine,
            sender,
            kind="customer",
            key=item.client_key,
            register_code=sender.register_code,
            staff_id=None if item.acted_by is None else item.acted_by.staff_id,
            reason=reason,
            payload=item.payload or {},
        )
    return PushResult(results, writer.place(sales))


def _judge_maker(uow: UnitOfWork, sender: Principal, acted_by: ActedBy | None) -> None:
    """Refuse a customer made by someone who cannot have used the sending till (PermissionDenied)."""
    if acted_by is None or acted_by.staff_id == sender.staff.id:
        return
    register = None if sender.register_code is None else uow.reference.register(sender.register_code)
    if register is None:
        raise ActorRefused(
            f"staff {acted_by.staff_id} did not sign in here: a session not on a registered till acts "
            f"only for its own member ({sender.staff.username})"
        )
    by, _ = acting_for(uow, sender, acted_by, register.location_code)
    by.staff.require(Permission.CUSTOMER_CREATE, register.location_code)


@dataclass(frozen=True, slots=True)
class PullPage:
    """One page of a data set's changes."""

    dataset: str
    items: list[dict[str, Any]]
    deleted: list[str]
    cursor: int
    has_more: bool


def pull(
    engine: Engine, dataset: str, cursor: int, limit: int, location_code: str, device_id: str | None = None
) -> PullPage:
    """Changes of `dataset` after `cursor`, for a till at `location_code`; `device_id` is the
    registered till pulling (None: a session on no till), which decides whose offline PIN
    verifiers the staff data set carries."""
    if dataset not in DATASETS:
        raise NotFound(f"no data set {dataset!r}; there are {', '.join(DATASETS)}")
    if cursor < 0:
        raise Invalid("a cursor is zero or a number a previous page gave")
    # Stamp here too: a writer that died between commit and stamping leaves rows unseen.
    stamp_pending(engine, wait=False)
    with UnitOfWork(engine) as uow:
        location = uow.reference.location(location_code)
        if location is None:
            raise NotFound(f"no location {location_code}")
        # Read the high-water mark first: every change up to it is committed and visible.
        ceiling = latest_seq(uow.conn)
        scopes = [str(location.stock_id), None] if dataset == "stock" else None
        changes = [c for c in read_changes(uow.conn, dataset, cursor, limit, scopes) if c.seq <= ceiling]
        has_more = len(changes) == limit
        next_cursor = changes[-1].seq if has_more else max(cursor, ceiling)
        latest: dict[str, str] = {}
        for change in changes:
            latest[change.entity_key] = change.op
        upserts = [key for key, op in latest.items() if op != "delete"]
        if dataset == "staff":
            resolved = _staff(uow, upserts, location, device_id)
        else:
            resolved = RESOLVERS[dataset](uow, upserts, location)
        deleted = [key for key, op in latest.items() if op == "delete"]
        deleted += [key for key in upserts if key not in resolved]
        items = [resolved[key] for key in upserts if key in resolved]
    return PullPage(dataset, items, deleted, next_cursor, has_more)


def product_json(product: Product) -> dict[str, Any]:
    """A product as the till stores it."""
    special = product.special_price
    return {
        "sku": product.sku,
        "name": product.name,
        "type": product.type,
        "attribute_set": product.attribute_set,
        "enabled": product.enabled,
        "price": money_str(product.price),
        "special_price": None if special is None else money_str(special.price),
        "special_from": None if special is None or special.starts is None else special.starts.isoformat(),
        "special_to": None if special is None or special.ends is None else special.ends.isoformat(),
        "tier_prices": [
            {"qty": plain_str(t.qty), "price": money_str(t.price), "customer_group_id": t.customer_group_id}
            for t in product.tier_prices
        ],
        "tax_class": product.tax_class,
        "barcode": product.barcode,
        "category_ids": list(product.category_ids),
        "attributes": {code: wire_value(value) for code, value in sorted(product.attributes.items())},
        "configurable_attributes": list(product.configurable_attributes),
        "parent_sku": product.parent_sku,
    }


def _products(uow: UnitOfWork, keys: list[str], _location: Location) -> dict[str, dict[str, Any]]:
    return {sku: product_json(p) for sku, p in uow.catalog.products(keys).items()}


def _prices(uow: UnitOfWork, keys: list[str], _location: Location) -> dict[str, dict[str, Any]]:
    fields = ("sku", "price", "special_price", "special_from", "special_to", "tier_prices")
    return {sku: {f: data[f] for f in fields} for sku, data in _products(uow, keys, _location).items()}


def _stock(uow: UnitOfWork, keys: list[str], location: Location) -> dict[str, dict[str, Any]]:
    skus = [key.rsplit("@", 1)[0] for key in keys if key.endswith(f"@{location.stock_id}")]
    salable = uow.stock.salable(location.stock_id, skus)
    return {
        f"{sku}@{location.stock_id}": {"sku": sku, "stock_id": location.stock_id, "salable": plain_str(qty)}
        for sku, qty in salable.items()
    }


def _customers(uow: UnitOfWork, keys: list[str], _location: Location) -> dict[str, dict[str, Any]]:
    ids = [int(k) for k in keys if k.isdigit()]
    accounts = uow.accounts.get_many(ids)
    found: dict[str, dict[str, Any]] = {}
    for row in uow.customers.get_many(ids):
        # The balance travels with the customer: the till shows it and spends against it offline.
        account = accounts.get(int(row["id"]), Account(ZERO, ZERO))
        found[str(row["id"])] = {
            **customer_json(row),
            "account_balance": money_str(account.balance),
            "credit_limit": money_str(account.credit_limit),
        }
    return found


def customer_json(row: dict[str, Any]) -> dict[str, Any]:
    """A customer row as the till stores it."""
    return {
        "id": row["id"],
        "email": row["email"],
        "firstname": row["firstname"],
        "lastname": row["lastname"],
        "phone": row["phone"],
        "group_id": row["group_id"],
    }


def _tax(uow: UnitOfWork, keys: list[str], _location: Location) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    if "config" in keys:
        config = uow.reference.tax_config()
        found["config"] = {
            "kind": "config",
            "algorithm": config.algorithm,
            "prices_include_tax": config.prices_include_tax,
            "apply_after_discount": config.apply_after_discount,
            "discount_on_prices_including_tax": config.discount_on_prices_including_tax,
            "cross_border_trade": config.cross_border_trade,
            "apply_tax_on": config.apply_tax_on,
        }
    for rate in uow.reference.tax_rates():
        if f"rate:{rate.code}" in keys:
            found[f"rate:{rate.code}"] = {
                "kind": "rate",
                "code": rate.code,
                "country": rate.country,
                "region": rate.region,
                "postcode": rate.postcode,
                "percent": plain_str(rate.percent),
            }
    for rule in uow.reference.tax_rules():
        if f"rule:{rule.code}" in keys:
            found[f"rule:{rule.code}"] = {
                "kind": "rule",
                "code": rule.code,
                "customer_classes": sorted(rule.customer_classes),
                "product_classes": sorted(rule.product_classes),
                "rates": sorted(rule.rates),
                "priority": rule.priority,
                "position": rule.position,
                "calculate_subtotal": rule.calculate_subtotal,
            }
    return found


def _promotions(uow: UnitOfWork, keys: list[str], _location: Location) -> dict[str, dict[str, Any]]:
    ids = [int(k) for k in keys if k.isdigit()]
    if not ids:
        return {}
    return {str(row["id"]): _plain(row) for row in uow.reference.cart_rule_rows_by_id(ids)}


def _staff(
    uow: UnitOfWork, keys: list[str], location: Location, device_id: str | None = None
) -> dict[str, dict[str, Any]]:
    """Active members of the location. A member's offline PIN verifier goes only to a till they
    have signed in on online (`staff_devices`), and only at today's work factor: a till in a
    cashier's hands holds no verifier of a manager who never used it. `pin_version` moves with
    each PIN change or reset; the till replaces the member's row, old verifier and all."""
    ids = [int(k) for k in keys if k.isdigit()]
    if not ids:
        return {}
    signed_in_here = uow.staff.signed_in_on(device_id) if device_id is not None else set()
    floor = offline_pin_iterations()
    found: dict[str, dict[str, Any]] = {}
    for row in uow.staff.rows_by_ids(ids):
        works_here = not row["locations"] or location.code in row["locations"]
        if not (row["active"] and works_here):
            continue  # absent → sent as deleted: this till must forget them
        verifier = row["pin_offline"] or None
        if row["id"] not in signed_in_here or verifier_iterations(verifier or "") < floor:
            verifier = None
        found[str(row["id"])] = {
            "id": row["id"],
            "username": row["username"],
            "name": row["name"],
            "role": row["role"],
            "locations": list(row["locations"]),
            "pin_offline": verifier,
            "pin_version": row["pin_version"],
            "discount_limit": None if row["discount_limit"] is None else plain_str(row["discount_limit"]),
        }
    return found


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, Decimal):
            out[key] = money_str(value)
        elif hasattr(value, "isoformat"):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


RESOLVERS: dict[str, Callable[[UnitOfWork, list[str], Location], dict[str, dict[str, Any]]]] = {
    "products": _products,
    "prices": _prices,
    "stock": _stock,
    "customers": _customers,
    "tax": _tax,
    "promotions": _promotions,
    "staff": _staff,
}
