"""An exporter for the fault tests, loaded by worker processes through TILL_EXPORTERS.

It appends `start <message id> <pid>` and `done <message id> <pid>` lines to the file named
by TILL_PROBE_LOG, and can sleep between them (TILL_PROBE_SLOW seconds) so a test can kill
the worker in the middle of a message.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any


class Probe:
    """Exports `sale.placed` events to a file."""

    name = "probe"
    topics = frozenset({"sale.placed"})

    async def export(self, message_id: str, topic: str, payload: dict[str, Any]) -> None:
        path = os.environ["TILL_PROBE_LOG"]
        with open(path, "a") as log:
            log.write(f"start {message_id} {os.getpid()}\n")
        await asyncio.sleep(float(os.environ.get("TILL_PROBE_SLOW", "0")))
        with open(path, "a") as log:
            log.write(f"done {message_id} {os.getpid()}\n")


def lines(path: str) -> list[tuple[str, str, int]]:
    """The log as (event, message id, pid)."""
    if not os.path.exists(path):
        return []
    with open(path) as log:
        return [(a, b, int(c)) for a, b, c in (line.split() for line in log if line.strip())]
