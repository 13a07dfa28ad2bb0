"""Stock to Magento: the source items a sale, refund, adjustment or stock move changes.

Part of `MagentoExporter` (`till.magento.export`). Each write goes through the push ledger
(`magento_stock_pushes`): the quantity read before and the quantity sent are recorded before
the write, so a retry after a crash can tell whether it landed. With the companion module
(`Till_Pos`) a move is relative (`quantity = quantity + delta`) and applied once per movement
id; a count is absolute by nature (docs/magento.md, "Lost updates on source items").
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from till.magento.client import SOURCE_ITEM_ADJUST, MagentoClient
from till.storage.magento_links import (
    baselines,
    pushes_of,
    qty,
    record_push,
    save_baseline,
)

log = logging.getLogger("till.magento.export")


class SourceItemPushes:
    """The source-item half of the exporter (needs its `engine` and `client`)."""

    engine: Engine
    client: MagentoClient

    async def export_adjustment(self, message_id: str, payload: dict[str, Any]) -> None:
        """A stock adjustment at a till as source-item changes (a count sets the quantity)."""
        sku = str(payload["sku"])
        source = str(payload["source_code"])
        if payload["reason"] == "count":
            await self.push_stock(
                f"adjust:{message_id}", [], counted=[(sku, source, qty(payload["quantity"]))]
            )
            return
        moves = [(sku, source, qty(payload["delta"]))]
        if payload.get("to_source_code"):
            moves = [
                (sku, source, -qty(payload["quantity"])),
                (sku, str(payload["to_source_code"]), qty(payload["quantity"])),
            ]
        await self.push_stock(f"adjust:{message_id}", moves)

    async def export_movement(self, payload: dict[str, Any]) -> None:
        """A transfer, delivery or count step as deltas to source items, keyed by the step
        (`transfer:12:send`), so a replayed or duplicated message is applied once."""
        moves = [(str(m["sku"]), str(m["source_code"]), qty(m["delta"])) for m in payload["moves"]]
        await self.push_stock(f"move:{payload['movement']}", moves)

    async def push_stock(
        self,
        movement: str,
        moves: Sequence[tuple[str, str, Decimal]],
        *,
        counted: Sequence[tuple[str, str, Decimal]] = (),
    ) -> None:
        """Apply one Till stock movement to Magento's source items, exactly once.

        `moves` add a delta, `counted` set a quantity. The ledger keeps, per (sku, source), the
        quantity read and the quantity sent; a retry that finds Magento at the quantity sent
        knows the write landed, at the quantity read that it did not, and anything else (the
        write's fate unknowable because Magento moved too) is marked `uncertain` for the stock
        reconciliation instead of being sent twice.
        """
        if moves and not counted and await self._adjusts(movement):
            await self._adjust(movement, moves)
            return
        wanted: dict[tuple[str, str], tuple[Decimal, bool]] = {}
        for sku, source, delta in moves:
            old, _ = wanted.get((sku, source), (Decimal(0), False))
            wanted[(sku, source)] = (old + delta, False)
        for sku, source, counted_qty in counted:
            wanted[(sku, source)] = (counted_qty, True)
        with self.engine.connect() as conn:
            ledger = pushes_of(conn, movement)
        todo = {
            key: value
            for key, value in wanted.items()
            if ledger.get(key, {}).get("state") not in ("done", "uncertain")
        }
        if not todo:
            return
        current = await self._source_items(sorted({sku for sku, _ in todo}), sorted({src for _, src in todo}))
        send: list[dict[str, Any]] = []
        with self.engine.begin() as conn:
            for (sku, source), (amount, absolute) in sorted(todo.items()):
                now_qty, status = current.get((sku, source), (Decimal(0), 1))
                row = ledger.get((sku, source))
                if row is not None and row["state"] == "sent":
                    before, after = qty(row["before_qty"]), qty(row["after_qty"])
                    landed_or_unknowable = now_qty == after or now_qty != before
                    if landed_or_unknowable:
                        # Magento holds what was sent (done), or moved too so the write's fate is
                        # unknowable (uncertain, left for reconciliation): never sent twice. Else
                        # (Magento still at `before`) the write never landed and is sent again.
                        state = "done" if now_qty == after else "uncertain"
                        if state == "uncertain":
                            log.warning("stock push %s %s@%s: Magento moved meanwhile", movement, sku, source)
                        record_push(
                            conn,
                            movement,
                            sku,
                            source,
                            delta=qty(row["delta"]),
                            before=before,
                            after=after,
                            state=state,
                        )
                        if state == "done":
                            save_baseline(conn, sku, source, after, status)
                        continue
                else:
                    before = now_qty
                    after = qty(amount) if absolute else qty(now_qty + amount)
                delta = after - before if absolute else qty(amount)
                record_push(
                    conn, movement, sku, source, delta=delta, before=before, after=after, state="sent"
                )
                send.append(
                    {
                        "sku": sku,
                        "source_code": source,
                        "quantity": str(after),
                        # Nothing on the shelf (or oversold): out of stock; anything: in stock.
                        "status": 1 if after > 0 else 0,
                    }
                )
        if not send:
            return
        # Absolute quantities: sending them twice changes nothing, so a timeout may be retried.
        # At most the input list limit a call: with Web API input limits on, Magento refuses
        # an array of more (Framework/Webapi/Validator/EntityArrayValidator.php).
        limit = self.client.settings.input_list_limit
        for start in range(0, len(send), limit):
            chunk = send[start : start + limit]
            await self.client.post("/V1/inventory/source-items", {"sourceItems": chunk}, idempotent=True)
        with self.engine.begin() as conn:
            for item in send:
                key = (item["sku"], item["source_code"])
                amount, absolute = todo[key]
                after = qty(item["quantity"])
                before = current.get(key, (Decimal(0), 1))[0]
                if ledger.get(key, {}).get("state") == "sent":
                    before = qty(ledger[key]["before_qty"])
                record_push(
                    conn,
                    movement,
                    key[0],
                    key[1],
                    delta=after - before if absolute else qty(amount),
                    before=before,
                    after=after,
                    state="done",
                )
                # Magento now holds what Till wrote: a pull must not count this change again.
                save_baseline(conn, key[0], key[1], after, int(item["status"]))

    async def _adjusts(self, movement: str) -> bool:
        """Does this movement go through the companion module's relative write? A movement ends
        the way it began (a relative write in flight is finished relatively, an absolute one
        absolutely); a new one goes relative when the store has the module."""
        with self.engine.connect() as conn:
            ledger = list(pushes_of(conn, movement).values())
        if any(row["state"] == "sent" and row["before_qty"] is None for row in ledger):
            return True
        if ledger:
            return False
        return SOURCE_ITEM_ADJUST in await self.client.till_pos()

    async def _adjust(self, movement: str, moves: Sequence[tuple[str, str, Decimal]]) -> None:
        """Moves through Till_Pos (`POST /V1/till-pos/source-items/adjust`): Magento adds each
        delta to whatever the source item holds at that moment, in one statement, so nothing
        written between Till's decision and Magento's write is overwritten. The module applies a
        movement once (it keeps the movement id), so a retry after a lost answer is safe."""
        wanted: dict[tuple[str, str], Decimal] = {}
        for sku, source, delta in moves:
            wanted[(sku, source)] = wanted.get((sku, source), Decimal(0)) + delta
        with self.engine.connect() as conn:
            ledger = pushes_of(conn, movement)
        settled = ("done", "uncertain")
        todo = {k: qty(d) for k, d in wanted.items() if ledger.get(k, {}).get("state") not in settled}
        if not todo:
            return
        with self.engine.begin() as conn:
            for (sku, source), delta in todo.items():
                record_push(conn, movement, sku, source, delta=delta, before=None, after=None, state="sent")
        deltas = [
            {"sku": sku, "source_code": source, "delta": str(delta)}
            for (sku, source), delta in sorted(todo.items())
        ]
        answers: list[dict[str, Any]] = []
        limit = self.client.settings.input_list_limit
        for start in range(0, len(deltas), limit):
            body = {"movement": movement, "deltas": deltas[start : start + limit]}
            answers += await self.client.post("/V1/till-pos/source-items/adjust", body, idempotent=True)
        with self.engine.begin() as conn:
            seen = baselines(conn, list(todo))
            for answer in answers:
                key = (str(answer["sku"]), str(answer["source_code"]))
                delta, after = todo[key], qty(answer["quantity"])
                record_push(
                    conn, movement, *key, delta=delta, before=after - delta, after=after, state="done"
                )
                # Magento's quantity as Till last saw it, moved by Till's own delta only: whatever
                # else moved the item meanwhile (a web shipment) is still news to the next pull.
                old = seen.get(key)
                save_baseline(conn, *key, old[0] + delta if old else after, int(answer["status"]))

    async def _source_items(
        self, skus: list[str], sources: list[str]
    ) -> dict[tuple[str, str], tuple[Decimal, int]]:
        # Paged by (sku, source_code), the list's key: offset pages of an unsorted list (MySQL
        # gives it no order) could skip a row, which would then read as 0 and be written as -q.
        items = await self.client.search_all(
            "/V1/inventory/source-items",
            [[("sku", ",".join(skus), "in")], [("source_code", ",".join(sources), "in")]],
            keys=(("sku", "sku"), ("source_code", "source_code")),
        )
        return {
            (str(i["sku"]), str(i["source_code"])): (qty(i.get("quantity") or 0), int(i.get("status") or 0))
            for i in items
        }
