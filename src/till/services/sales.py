"""Use cases of the sale path: accept a batch of sales from a till, fulfil them, refund.

A sale made at a till is a fact: the server accepts it exactly once, recomputes its totals
with the same engine the till used and flags (never refuses) an oversell or a difference.
Only a sale that cannot be a sale (unknown register, sku or staff; payments that do not
cover it) is refused, and then it is kept whole in `rejected_sales` for a manager.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Engine

from till.domain.acting import ActorRefused, ApprovalProof, SignInWay, judge_approval
from till.domain.gift_cards import (
    GiftCardError,
    LedgerRules,
    card_digest,
    masked,
)
from till.domain.inventory import Reservation, sale_reservations
from till.domain.locations import Location, Register
from till.domain.money import ZERO
from till.domain.sales import (
    AUDITED_FLAGS,
    Order,
    OrderError,
    Sale,
    accept_sale,
    order_fulfilled_event,
    receipt_series_of,
    sale_moment,
    sale_placed_event,
)
from till.domain.staff import Permission, PermissionDenied, StaffMember
from till.domain.store_credit import ON_ACCOUNT, STORE_CREDIT
from till.services.acting import CLOCK_SLACK, judge, sent_by
from till.services.auth import Principal
from till.services.ledgers import LedgerSale, apply_ledgers
from till.services.pricing import PricingContext
from till.storage.events import Actor
from till.storage.uow import UnitOfWork

Outcome = Literal["accepted", "duplicate", "rejected", "conflict"]


@dataclass(frozen=True, slots=True)
class SaleResult:
    """What happened to one pushed sale; a replay gets the same answer."""

    idempotency_key: str
    status: Outcome
    order_id: str | None = None
    receipt_number: str | None = None
    reason: str | None = None
    flags: tuple[str, ...] = ()


@dataclass(slots=True)
class PushedSale:
    """A sale as it came off the wire: parsed into the domain, or the reason it could not be."""

    idempotency_key: str
    register_code: str
    payload: dict[str, Any]
    sale: Sale | None = None
    error: str | None = None
    customer_key: str | None = None
    #: The registered till that pushed it (the audit log's "where"; batches from several
    #: tills are placed together).
    device_id: str | None = None
    #: The till's clock when it sent the sale, if it said: sale times of a till whose clock is
    #: off are placed on the server's clock (`sale_moment`), flagged `clock_skew`.
    till_clock: datetime | None = None
    #: The session that sent it (its member, device, register and series): who sold and where
    #: are judged against it. None only for callers inside the server (the demo seed).
    sender: Principal | None = None
    #: How the till says the seller got onto it (docs/sync.md): `online` or `offline_pin`.
    sign_in: SignInWay | None = None
    #: The server's signed approval the till attached, if it checked; else why not.
    approval: ApprovalProof | None = None
    approval_error: str | None = None


@dataclass(slots=True)
class _Lookups:
    """Registers, staff and open shifts, each read once per batch."""

    uow: UnitOfWork
    registers: dict[str, Register | None] = field(default_factory=dict)
    staff: dict[int, StaffMember | None] = field(default_factory=dict)
    shifts: dict[str, int | None] = field(default_factory=dict)

    def register(self, code: str) -> Register | None:
        if code not in self.registers:
            self.registers[code] = self.uow.reference.register(code)
        return self.registers[code]

    def member(self, staff_id: int) -> StaffMember | None:
        if staff_id not in self.staff:
            self.staff[staff_id] = self.uow.staff.by_id(staff_id)
        return self.staff[staff_id]

    def open_shift(self, register_code: str) -> int | None:
        if register_code not in self.shifts:
            shift = self.uow.shifts.open_shift(register_code)
            self.shifts[register_code] = None if shift is None else int(shift["id"])
        return self.shifts[register_code]


@dataclass(slots=True)
class _Placement:
    """A sale ready to be written: the order and everything written with it."""

    item: PushedSale
    order: Order
    location: Location
    member: StaffMember
    extra: dict[str, Any]
    flags: dict[str, dict[str, Any]]
    approver: StaffMember | None = None


@dataclass(frozen=True, slots=True)
class _Replay:
    """A sale whose key is already taken, by a stored sale or one earlier in this batch."""

    key: str


@dataclass(slots=True)
class _Batch:
    """One push: every sale decided in memory first, then written with a few statements."""

    uow: UnitOfWork
    context: PricingContext
    lookups: _Lookups
    known: dict[str, str]
    refused: dict[str, str]
    #: The server's clock when the batch arrived.
    received_at: datetime
    #: One entry per pushed sale, in order.
    outcomes: list[SaleResult | _Placement | _Replay] = field(default_factory=list)
    #: The shop's gift card and store credit rules, read once.
    ledger_rules: LedgerRules = field(default_factory=LedgerRules)

    def consider(self, item: PushedSale) -> None:
        """Decide a sale: a replay, a refusal, or a placement."""
        key = item.idempotency_key
        conflict = self._conflict(item)
        if conflict is not None:
            kept = self.uow.sales.reject(key, item.register_code, conflict, item.payload)
            self.outcomes.append(SaleResult(key, "conflict", reason=kept))
        elif key in self.known or key in self.refused:
            self.outcomes.append(_Replay(key))
        elif item.sale is None or item.error is not None:
            self.outcomes.append(self._reject(item, item.error or "malformed sale"))
        else:
            try:
                self.outcomes.append(_prepare(self, item, item.sale))
            except (OrderError, PermissionDenied, ActorRefused, GiftCardError, ValueError) as exc:
                self.outcomes.append(self._reject(item, str(exc)))

    def _conflict(self, item: PushedSale) -> str | None:
        """Why a sale reusing the key of an accepted sale is another sale, or None for a replay.

        A retry sends the very sale again; one whose receipt, register or lines differ is a
        different sale under a used key (a till's bug): it must not vanish as a duplicate.
        """
        key = item.idempotency_key
        if key not in self.known:
            return None
        first = next(
            (o.order for o in self.outcomes if isinstance(o, _Placement) and o.order.idempotency_key == key),
            None,
        ) or self.uow.sales.get(self.known[key])
        if first is None:
            return None
        sale = item.sale
        same = sale is not None and (
            (sale.receipt_number, sale.register_code, [(line.sku, line.qty) for line in sale.lines])
            == (first.receipt_number, first.register_code, [(line.sku, line.qty) for line in first.lines])
        )
        if same:
            return None
        return (
            f"conflict: idempotency key {key} already names sale {first.receipt_number}; "
            "this different sale was not placed"
        )

    def _reject(self, item: PushedSale, reason: str) -> SaleResult:
        kept = self.uow.sales.reject(item.idempotency_key, item.register_code, reason, item.payload)
        self.refused[item.idempotency_key] = kept
        return SaleResult(item.idempotency_key, "rejected", reason=kept)

    def write(self) -> list[SaleResult]:
        """Insert the placements; a racing process's sale or a taken receipt number loses here."""
        placements = [o for o in self.outcomes if isinstance(o, _Placement)]
        stored = self.uow.sales.add_many([(p.order, p.extra) for p in placements])
        placed: list[_Placement] = []
        for p in placements:
            key, order = p.item.idempotency_key, p.order
            winner = stored.get(key)
            if winner == order.id:
                placed.append(p)
            elif winner is not None:
                # Another process committed the same key a moment ago: theirs is the sale.
                self.known[key] = winner
            else:
                del self.known[key]
                self._reject(
                    p.item,
                    f"receipt number {order.receipt_number} is already used by another sale of "
                    f"{order.register_code}",
                )
        oversold = _write_placed(self.uow, placed)
        short = apply_ledgers(
            self.uow,
            [
                LedgerSale(p.order, p.item.sale, p.extra["shift_id"], p.member.id)
                for p in placed
                if p.item.sale is not None
            ],
            self.ledger_rules,
        )
        accepted = {p.order.id for p in placed}
        results: list[SaleResult] = []
        for outcome in self.outcomes:
            if isinstance(outcome, SaleResult):
                results.append(outcome)
            elif isinstance(outcome, _Placement) and outcome.order.id in accepted:
                flags = set(outcome.flags) | ({"oversold"} if outcome.order.id in oversold else set())
                flags |= short.get(outcome.order.id, set())
                order = outcome.order
                results.append(
                    SaleResult(
                        order.idempotency_key,
                        "accepted",
                        order.id,
                        order.receipt_number,
                        flags=tuple(sorted(flags)),
                    )
                )
            else:
                key = outcome.key if isinstance(outcome, _Replay) else outcome.item.idempotency_key
                results.append(self._answer_again(key))
        return results

    def _answer_again(self, key: str) -> SaleResult:
        # Placed first: a refusal under a placed key is a conflicting sale, kept beside it.
        if key in self.known:
            return _duplicate(self.uow, key, self.known[key])
        return SaleResult(key, "rejected", reason=self.refused[key])


def place_sales(engine: Engine, pushed: Sequence[PushedSale]) -> list[SaleResult]:
    """Accept a batch of sales in one transaction, each exactly once, goods handed over.

    A sale at a till is a sale whose goods left with the customer, so its fulfilment (the source
    deducted, the reservation compensated) is written in the same transaction: no sale is ever
    left half-done by a crash. The oversell check reads salable quantity after the source rows
    are locked and changed, so of two tills racing for the last unit, the one that went below
    zero is flagged; the answer carries the flag. A discount over the seller's limit and a
    typed price are written to the audit log in the same transaction (one statement a batch).

    The change feed is stamped by its readers (the live poller within 250 ms, or a till's next
    pull), not here: a busy shop's pushes would otherwise queue on the one sequencer row.
    """
    received_at = datetime.now(UTC)
    with UnitOfWork(engine, stamp=False) as uow:
        keys = [p.idempotency_key for p in pushed]
        context = PricingContext.load(uow)
        # One catalog read for the whole batch, not one per sale.
        context.products = uow.catalog.products(
            line.sku for p in pushed if p.sale is not None for line in p.sale.lines
        )
        batch = _Batch(
            uow,
            context,
            _Lookups(uow),
            uow.sales.ids_for_keys(keys),
            uow.sales.rejections_for(keys),
            received_at,
            ledger_rules=uow.reference.ledger_rules(),
        )
        for item in pushed:
            batch.consider(item)
        results = batch.write()
        uow.commit()
    return results


def _duplicate(uow: UnitOfWork, key: str, order_id: str) -> SaleResult:
    order = uow.sales.get(order_id)
    assert order is not None
    return SaleResult(key, "duplicate", order.id, order.receipt_number, flags=tuple(sorted(order.flags)))


def _prepare(batch: _Batch, item: PushedSale, sale: Sale) -> _Placement:
    """Check and price a sale in memory; raises OrderError for what cannot be a sale."""
    uow, context, lookups = batch.uow, batch.context, batch.lookups
    register = lookups.register(sale.register_code)
    if register is None:
        raise OrderError(f"unknown register {sale.register_code}")
    if register.location_code != sale.location_code:
        raise OrderError(f"register {register.code} is at {register.location_code}, not {sale.location_code}")
    location = context.location(sale.location_code)
    sender = item.sender
    moment = sale_moment(sale.created_at, batch.received_at, item.till_clock)
    if sender is None:
        member = lookups.member(sale.staff_id)
        if member is None:
            raise OrderError(f"unknown staff member {sale.staff_id}")
        authority, unverified, approval_doubt = member, None, None
    else:
        _check_register(sale, sender)
        acting = judge(
            uow, sender, sale.staff_id, item.sign_in, sale.location_code, moment, find=lookups.member
        )
        member, authority, unverified = acting.member, acting.authority, acting.unverified
        approval_doubt = judge_approval(
            sale.approved_by,
            item.approval,
            item.approval_error,
            device_id=sender.device_id,
            moment=moment,
            slack=CLOCK_SLACK,
        )
    member.require(Permission.SELL, sale.location_code)

    customer_id = sale.customer_id
    if item.customer_key is not None:
        customer_id = uow.customers.id_for_client_key(item.customer_key)
        if customer_id is None:
            raise OrderError(f"customer {item.customer_key} was not pushed before this sale")
    group_id = 0
    if customer_id is not None:
        customer = uow.customers.get(customer_id)
        if customer is None:
            raise OrderError(f"unknown customer {customer_id}")
        group_id = int(customer["group_id"])

    if customer_id is None and any(p.method in (STORE_CREDIT, ON_ACCOUNT) for p in sale.payments):
        raise OrderError("store credit and sales on account are a customer's: name the customer")
    if not batch.ledger_rules.gift_card_reload:
        for card in sale.gift_cards:
            if uow.gift_cards.find(card_digest(card.number)) is not None:
                raise GiftCardError(
                    f"gift card {masked(card.number[-4:])} is already active and this shop does not "
                    "reload gift cards"
                )

    products = {line.sku: context.products[line.sku] for line in sale.lines if line.sku in context.products}
    # An approval the server cannot check approves nothing; it is kept as a flag.
    approver = None if sale.approved_by is None else lookups.member(sale.approved_by)
    accepted = accept_sale(
        sale,
        order_id=str(uuid.uuid4()),
        rules=context.rules,
        products=products,
        location=location,
        seller=authority,
        approver=approver,
        approval_checked=approval_doubt is None,
        customer_id=customer_id,
        group_id=group_id,
        received_at=batch.received_at,
        till_clock=item.till_clock,
    )
    order, totals = accepted.order, accepted.priced.totals
    flags = dict(accepted.flags)
    if unverified is not None:
        flags["unverified_seller"] = unverified
    if approval_doubt is not None:
        flags["unverified_approval"] = {
            "approved_by": {
                "staff_id": sale.approved_by,
                "username": None if approver is None else approver.username,
            },
            "reason": approval_doubt,
        }
    order.flags = set(flags)
    extra = {
        "client_subtotal": sale.client_totals.subtotal,
        "client_discount": sale.client_totals.discount,
        "client_tax": sale.client_totals.tax,
        "client_grand_total": sale.client_totals.grand_total,
        "change_due": accepted.change,
        "discount_tax_compensation": totals.discount_tax_compensation,
        "shift_id": lookups.open_shift(sale.register_code),
        "business_day": accepted.business_day,
    }
    # A second sale with this key later in the same batch is a replay of this one.
    batch.known[sale.idempotency_key] = order.id
    return _Placement(item, order, location, member, extra, flags, approver)


def _check_register(sale: Sale, sender: Principal) -> None:
    """A till sells on its own register, numbering in its own series (old-form numbers stay
    accepted); a session not on a till sells at a location its member works at (judge)."""
    if sender.register_code is not None and sale.register_code != sender.register_code:
        raise OrderError(
            f"register {sale.register_code} is not this till's register ({sender.register_code}): "
            "a till sells on its own register"
        )
    series = receipt_series_of(sale.receipt_number)
    if series is not None and sender.receipt_series is not None and series != sender.receipt_series:
        raise OrderError(
            f"receipt number {sale.receipt_number} is of series {series}; this till numbers in "
            f"series {sender.receipt_series}"
        )


def _write_placed(uow: UnitOfWork, placed: list[_Placement]) -> set[str]:
    """Write what goes with each new sale; returns the ids of sales that oversold."""
    if not placed:
        return set()
    uow.sales.add_details([p.order for p in placed])
    uow.sales.flag_many([(p.order.id, name, detail) for p in placed for name, detail in p.flags.items()])
    uow.events.publish_many([("sale.placed", sale_placed_event(p.order, p.location)) for p in placed])
    # Every sale a session sent has a line naming its seller (as the server believes it), the
    # device and the session; its exceptions have one each beside it. One INSERT for them all.
    placed_lines = [
        (
            "sale.placed",
            {
                "order_id": p.order.id,
                "receipt_number": p.order.receipt_number,
                "grand_total": str(p.order.grand_total),
                **sent_by(p.item.sender),
                # A seller the server could not confirm is named as the till named them, and said so.
                **({"unverified": p.flags["unverified_seller"]} if "unverified_seller" in p.flags else {}),
            },
            Actor(p.member.id, p.member.username, p.item.device_id, p.location.code, p.order.register_code),
        )
        for p in placed
        if p.item.sender is not None
    ]
    uow.events.audit_many(
        placed_lines
        + [
            (
                AUDITED_FLAGS[name],
                {
                    "order_id": p.order.id,
                    "receipt_number": p.order.receipt_number,
                    **detail,
                    **sent_by(p.item.sender),
                },
                Actor(
                    p.member.id, p.member.username, p.item.device_id, p.location.code, p.order.register_code
                ),
            )
            for p in placed
            for name, detail in sorted(p.flags.items())
            if name in AUDITED_FLAGS
        ]
    )
    held = [
        (
            p.order.id,
            p.location,
            sale_reservations(p.location.stock_id, [(li.sku, li.qty) for li in p.order.lines], p.order.id),
        )
        for p in placed
    ]
    deductions, compensations = _hand_over(uow, held)
    # Holds and their compensations in one call: they net to nothing per sku, so a sale handed
    # over at once never touches (or locks) the reservation totals that every till's sale shares.
    uow.stock.append_reservations([r for _, _, reservations in held for r in reservations] + compensations)
    # Last before the oversell check and commit: source items and their feed rows are shared by
    # every till selling the same goods, so they are locked for as short a time as can be.
    _deduct(uow, deductions)
    salable: dict[int, dict[str, Decimal]] = {}
    for stock_id in {p.location.stock_id for p in placed}:
        skus = {line.sku for p in placed if p.location.stock_id == stock_id for line in p.order.lines}
        salable[stock_id] = uow.stock.salable(stock_id, skus)
    oversold: set[str] = set()
    for p in placed:
        levels = salable[p.location.stock_id]
        short = {line.sku: str(levels[line.sku]) for line in p.order.lines if levels[line.sku] < 0}
        if short:
            uow.sales.flag(p.order.id, "oversold", {"stock_id": p.location.stock_id, "salable": short})
            oversold.add(p.order.id)
    return oversold


def fulfil_orders(engine: Engine, limit: int = 500) -> int:
    """Hand over the goods of sales stored before fulfilment was part of placing them.

    Sales are fulfilled as they are placed; this sweep (`till fulfil`) only finishes older rows.
    Each order is claimed by a conditional UPDATE, so two sweeps never fulfil one twice.
    """
    with UnitOfWork(engine) as uow:
        pending = uow.sales.unfulfilled(limit)
        now = datetime.now(UTC)
        claimed: list[tuple[str, Location, list[Reservation]]] = []
        for order_id, location_code in pending:
            if not uow.sales.claim_fulfilment(order_id, now):
                continue
            location = uow.reference.location(location_code)
            assert location is not None
            held = sale_reservations(location.stock_id, uow.sales.line_quantities(order_id), order_id)
            claimed.append((order_id, location, held))
        deductions, compensations = _hand_over(uow, claimed)
        uow.stock.append_reservations(compensations)
        _deduct(uow, deductions)
        uow.commit()
    return len(claimed)


def _hand_over(
    uow: UnitOfWork, sales: list[tuple[str, Location, list[Reservation]]]
) -> tuple[dict[tuple[str, str], Decimal], list[Reservation]]:
    """Announce the hand-over of each sale's goods; returns what to deduct per (source, sku) and
    the compensations of the sales' holds (MSI's `shipment_created`), for the caller to write."""
    per_source: dict[tuple[str, str], Decimal] = {}
    compensations: list[Reservation] = []
    uow.events.publish_many(
        [
            ("order.fulfilled", order_fulfilled_event(order_id, location, held))
            for order_id, location, held in sales
        ]
    )
    for order_id, location, held in sales:
        for reservation in held:
            key = (location.source_code, reservation.sku)
            per_source[key] = per_source.get(key, ZERO) - reservation.quantity
            compensations.append(
                Reservation(
                    location.stock_id,
                    reservation.sku,
                    -reservation.quantity,
                    "shipment_created",
                    "order",
                    order_id,
                )
            )
    return per_source, compensations


def _deduct(uow: UnitOfWork, per_source: dict[tuple[str, str], Decimal]) -> None:
    """Take sold units out of their sources and tell the change feed."""
    stocks = {source: uow.stock.stocks_of_source(source) for source in {source for source, _ in per_source}}
    # Sorted: every writer locks source items in the same order, so none deadlock.
    uow.stock.deduct_many(sorted((source, sku, qty) for (source, sku), qty in per_source.items()))
    uow.stock_changed((sku, stock_id) for (source, sku) in per_source for stock_id in stocks[source])
