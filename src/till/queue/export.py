"""The export hook the Magento connector plugs into.

An exporter names the topics it handles and exports one event at a time::

    class OrderExporter:
        name = "magento-orders"
        topics = frozenset({"sale.placed", "refund.created"})

        async def export(self, message_id: str, topic: str, payload: dict) -> None:
            ...  # raise to retry (backoff with jitter, then a dead letter)

    register_exporter(OrderExporter())

The worker gives each exporter its own queue (`export.<name>`), so one exporter's failures
never hold back another's. A message is exported at least once and, once an export returns,
never again (the consumer records its id in `processed_messages` in the database). An export
that succeeded just before its worker died can run a second time: use `message_id` as the
idempotency key on the other side where it matters. Exporters are registered in code
(`register_exporter`) or named in the setting `TILL_EXPORTERS=module:attribute,…`.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Exporter(Protocol):
    """Exports events to another system (Magento, an ERP); raise to retry."""

    name: str
    topics: frozenset[str]

    async def export(self, message_id: str, topic: str, payload: dict[str, Any]) -> None:
        """Export one event; return when the other system has it."""
        ...


#: Registered exporters, in registration order.
EXPORTERS: list[Exporter] = []


def register_exporter(exporter: Exporter) -> Exporter:
    """Add an exporter (replacing one of the same name); returns it, so it works as a decorator
    on an instance factory too."""
    if not isinstance(exporter, Exporter):
        raise TypeError(f"{exporter!r} is not an Exporter (name, topics, async export)")
    if not exporter.name or not all(c.isalnum() or c in "-_" for c in exporter.name):
        raise ValueError(f"exporter name {exporter.name!r}: use letters, digits, - and _")
    unregister_exporter(exporter.name)
    EXPORTERS.append(exporter)
    return exporter


def unregister_exporter(name: str) -> None:
    """Remove the exporter of this name, if any."""
    EXPORTERS[:] = [e for e in EXPORTERS if e.name != name]


def load_exporters(spec: str) -> list[Exporter]:
    """Import and register `module:attribute` entries (comma-separated); an attribute may be
    an exporter, a class or a callable returning one. Returns every registered exporter."""
    for entry in filter(None, (part.strip() for part in spec.split(","))):
        module_name, _, attribute = entry.partition(":")
        if not attribute:
            raise ValueError(f"exporter {entry!r}: write module:attribute")
        target = getattr(importlib.import_module(module_name), attribute)
        # A class or factory is called; an instance is used as it is.
        is_instance = isinstance(target, Exporter) and not inspect.isclass(target)
        register_exporter(target if is_instance else target())
    return list(EXPORTERS)


def exporter(name: str) -> Exporter | None:
    """The registered exporter of this name."""
    return next((e for e in EXPORTERS if e.name == name), None)
