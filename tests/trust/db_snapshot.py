"""The whole database as comparable rows, to prove that a refused request changed nothing."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from sqlalchemy import Engine, select

from till.storage.tables import metadata

Row = tuple[tuple[str, str], ...]
Snapshot = dict[str, Counter[Row]]


def snapshot(engine: Engine) -> Snapshot:
    """Every row of every table, as comparable values."""
    found: Snapshot = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = conn.execute(select(table)).mappings().all()
            found[table.name] = Counter(
                tuple(sorted((k, json.dumps(v, sort_keys=True, default=str)) for k, v in row.items()))
                for row in rows
            )
    return found


def changes(
    before: Snapshot, after: Snapshot
) -> dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """Per table that changed: (rows added, rows removed), each row as a dict of JSON values."""
    found = {}
    for name in before:
        added = after[name] - before[name]
        removed = before[name] - after[name]
        if added or removed:
            found[name] = (
                [{k: json.loads(v) for k, v in row} for row in added.elements()],
                [{k: json.loads(v) for k, v in row} for row in removed.elements()],
            )
    return found
