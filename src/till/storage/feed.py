"""The change feed: what changed, in an order a reader can page through without skipping.

Writers un-stamp the entity's one `change_log` row (or add it) in their own transaction.
After commit, one serialized step (the sequencer row is locked) stamps every committed,
unstamped row with the next sequence numbers, above all numbers given before. Readers page
by that number. A row whose transaction commits late is simply stamped later, with a higher
number, so a cursor never moves past a change that was not yet visible. Auto-increment ids
alone cannot promise that: they are handed out at insert, not at commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, case, func, insert, null, select, update
from sqlalchemy.dialects import mysql, postgresql, sqlite

from till.storage.tables import change_log, feed_sequencer

DATASETS = ("products", "prices", "stock", "customers", "tax", "staff")
#: PostgreSQL's notification channel: a commit that changed the feed says so on it.
FEED_CHANNEL = "till_feed"


@dataclass(frozen=True, slots=True)
class Change:
    """One change of one entity: its sequence, key and whether it was upserted or deleted."""

    seq: int
    dataset: str
    entity_key: str
    op: str
    scope: str | None


def record_changes(
    conn: Connection, dataset: str, keys: Iterable[str], *, op: str = "upsert", scope: str | None = None
) -> None:
    """Record that entities changed, in the caller's transaction.

    The feed holds one row per entity: a change un-stamps it (sequence back to NULL), and the
    stamping step after commit gives it a number above every number handed out before. A reader
    gets each entity as it is now, so only its newest change matters, and the feed stays as
    long as the number of entities, not of changes (a busy shop changes the same stock all day).
    The row is found by its unique key, never by a scan, so writers lock only their own rows.
    """
    wanted = sorted(set(keys))
    if not wanted:
        return
    now = datetime.now(UTC)
    rows = [
        {"dataset": dataset, "entity_key": key, "op": op, "scope": scope, "created_at": now} for key in wanted
    ]
    dialect = conn.dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert_(change_log)
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["dataset", "entity_key"],
                set_={
                    "seq": null(),
                    "op": statement.excluded.op,
                    "scope": statement.excluded.scope,
                    "created_at": statement.excluded.created_at,
                },
            ),
            rows,
        )
    else:
        upsert = mysql.insert(change_log)
        conn.execute(
            upsert.on_duplicate_key_update(
                seq=null(),
                op=upsert.inserted.op,
                scope=upsert.inserted.scope,
                created_at=upsert.inserted.created_at,
            ),
            rows,
        )


def ensure_sequencer(conn: Connection) -> None:
    """Create the single sequencer row if it is missing."""
    if conn.execute(select(feed_sequencer.c.id).where(feed_sequencer.c.id == 1)).first() is None:
        conn.execute(insert(feed_sequencer).values(id=1, last_seq=0))


def has_unstamped(conn: Connection) -> bool:
    """True if some committed change still waits for its sequence number."""
    return (
        conn.execute(select(change_log.c.id).where(change_log.c.seq.is_(None)).limit(1)).first() is not None
    )


def stamp_pending(engine: Engine, *, wait: bool = True) -> int:
    """Give every committed, unstamped change a sequence number; returns how many.

    Runs in its own transaction after the writers' commits. Holding the sequencer row lock
    makes the stamping steps run one at a time, across processes and machines. With
    `wait=False` (readers: pulls and live polls) a step already running is left to do the
    work instead of being queued behind: a hundred tills pulling at once would otherwise line
    up on that one row. What it does not stamp, the next step does.
    """
    with engine.connect() as probe:
        if not has_unstamped(probe):
            return 0
    with engine.begin() as conn:
        last = conn.execute(
            select(feed_sequencer.c.last_seq)
            .where(feed_sequencer.c.id == 1)
            .with_for_update(skip_locked=not wait)
        ).scalar()
        if last is None:
            if wait:
                raise RuntimeError("the change feed has no sequencer row: run `till migrate`")
            return 0  # another step holds the sequencer and is stamping
        # Rows a writer holds right now (it is un-stamping them again) are skipped, not waited
        # for: the writer locks its rows in key order and the stamper in table order, so
        # waiting could deadlock. A skipped row is stamped by a later step, with a higher number.
        pending = sorted(
            conn.execute(
                select(change_log.c.id).where(change_log.c.seq.is_(None)).with_for_update(skip_locked=True)
            ).scalars()
        )
        if not pending:
            return 0
        # Numbers follow `last` densely in id order. Only rows locked above are stamped: a row
        # that commits after the SELECT waits for the next stamping, so no number is handed out
        # at or under `last`, behind a reader's cursor.
        # One statement per thousand rows, not one per row: the sequencer lock is held meanwhile.
        numbered = list(enumerate(pending, start=int(last) + 1))
        for start in range(0, len(numbered), 1000):
            chunk = numbered[start : start + 1000]
            conn.execute(
                update(change_log)
                .where(change_log.c.id.in_([row_id for _, row_id in chunk]))
                .values(seq=case({row_id: seq for seq, row_id in chunk}, value=change_log.c.id))
            )
        conn.execute(
            update(feed_sequencer).where(feed_sequencer.c.id == 1).values(last_seq=int(last) + len(pending))
        )
        stamped = len(pending)
        return int(stamped)


def read_changes(
    conn: Connection,
    dataset: str,
    after: int,
    limit: int,
    scopes: Sequence[str | None] | None = None,
) -> list[Change]:
    """Stamped changes of a data set after the cursor, oldest first."""
    query = (
        select(change_log.c.seq, change_log.c.entity_key, change_log.c.op, change_log.c.scope)
        .where(change_log.c.dataset == dataset, change_log.c.seq > after)
        .order_by(change_log.c.seq)
        .limit(limit)
    )
    if scopes is not None:
        named = [s for s in scopes if s is not None]
        query = query.where(change_log.c.scope.in_(named) | change_log.c.scope.is_(None))
    return [Change(int(row.seq), dataset, row.entity_key, row.op, row.scope) for row in conn.execute(query)]


def latest_seq(conn: Connection) -> int:
    """The highest sequence handed out so far: where a fresh reader may start."""
    value = conn.execute(select(feed_sequencer.c.last_seq).where(feed_sequencer.c.id == 1)).scalar()
    return int(value or 0)


def dataset_heads(conn: Connection, datasets: Sequence[str]) -> dict[str, int]:
    """The highest stamped sequence of each data set (0 for one with no change yet), in one
    statement of index look-ups (`ix_change_log_dataset_seq`), however long the feed."""
    columns = [
        select(func.max(change_log.c.seq))
        .where(change_log.c.dataset == name)
        .scalar_subquery()
        .label(f"h{i}")
        for i, name in enumerate(datasets)
    ]
    row = conn.execute(select(*columns)).one()
    return {name: int(row[i] or 0) for i, name in enumerate(datasets)}
