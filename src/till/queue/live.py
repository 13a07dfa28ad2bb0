"""Live fan-out with RabbitMQ: every app process hears the worker's nudge.

The tills' event streams read the change feed in the database, so any process can serve any
till. Without a broker each process polls the feed four times a second. With RabbitMQ the
`live` consumer publishes a nudge to the fanout exchange `<prefix>.live`; each app process
binds its own exclusive, auto-deleted queue to it and polls at once when nudged, so it can
poll rarely otherwise (`TILL_LIVE_FALLBACK_SECONDS`). A lost nudge costs latency, never a
change: the next poll finds it, and a till that reconnects pulls from its cursors.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import aio_pika

log = logging.getLogger(__name__)


async def listen_for_nudges(
    settings: Any, wake: Callable[[], None], on_state: Callable[[bool], None]
) -> None:
    """Call `wake()` for every nudge; `on_state(True/False)` as the broker comes and goes."""
    while True:
        try:
            connection = await aio_pika.connect(settings.amqp_url, timeout=10)
            async with connection:
                channel = await connection.channel()
                exchange = await channel.declare_exchange(
                    f"{settings.amqp_prefix}.live", aio_pika.ExchangeType.FANOUT
                )
                queue = await channel.declare_queue(exclusive=True, auto_delete=True)
                await queue.bind(exchange)
                on_state(True)
                async with queue.iterator(no_ack=True) as messages:
                    async for _ in messages:
                        wake()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("live nudges unavailable (%s); polling the feed often meanwhile", exc)
        on_state(False)
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(5)
