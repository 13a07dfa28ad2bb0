"""Messages, queue names and the retry policy shared by both transports."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection

#: Topics a till's live stream cares about: stock and price changes.
LIVE_TOPICS = frozenset(
    {"sale.placed", "order.fulfilled", "refund.created", "stock.adjusted", "price.changed"}
)
LIVE_QUEUE = "live"


def webhook_queue(endpoint_id: int) -> str:
    """The queue of one webhook endpoint: each endpoint retries on its own."""
    return f"webhook.{endpoint_id}"


def export_queue(exporter_name: str) -> str:
    """The queue of one exporter."""
    return f"export.{exporter_name}"


@dataclass(frozen=True, slots=True)
class Message:
    """One event as a consumer receives it; `attempt` counts from 1."""

    message_id: str
    topic: str
    payload: dict[str, Any]
    queue: str
    attempt: int = 1
    created_at: str | None = None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter, then a dead letter after `max_attempts` tries."""

    max_attempts: int = 8
    base_seconds: float = 2.0
    max_seconds: float = 600.0
    rand: Callable[[], float] = field(default=random.random, compare=False)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after the `attempt`-th failure: half fixed, half random ("equal
        jitter"), so retries of many messages failing together spread out but never fire at once."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** max(0, attempt - 1))
        return float(ceiling / 2 + ceiling / 2 * self.rand())

    def gives_up(self, attempt: int) -> bool:
        """True once `attempt` tries have failed: the message becomes a dead letter."""
        return attempt >= self.max_attempts


@dataclass(frozen=True, slots=True)
class Route:
    """A queue and the topics it takes (`*` takes every topic)."""

    queue: str
    topics: frozenset[str]

    def takes(self, topic: str) -> bool:
        """True if messages of `topic` go to this queue."""
        return "*" in self.topics or topic in self.topics


#: The routes a relay uses: fixed, or read in the relay's transaction right after it claims
#: the outbox rows (so a route committed before an event is always there for that event).
RouteSource = Sequence[Route] | Callable[["Connection"], Sequence[Route]]
