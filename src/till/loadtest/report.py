"""The figures of a load test: throughput, latency percentiles, errors, CPU, consistency."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from till.loadtest.check import Consistency
from till.loadtest.cpu import CpuSample
from till.loadtest.tills import Ledger, Options, Outcome, Recorder


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summary(
    options: Options,
    outcome: Outcome,
    recorder: Recorder,
    ledger: Ledger,
    cpu_before: CpuSample,
    cpu_after: CpuSample,
    consistency: Consistency | None,
) -> dict[str, Any]:
    """Everything worth printing or recording, as plain data (milliseconds, counts)."""
    acknowledged = ledger.acknowledged()
    endpoints = {
        name: {
            "count": len(values),
            "p50_ms": round(percentile(values, 50) * 1000, 1),
            "p95_ms": round(percentile(values, 95) * 1000, 1),
            "p99_ms": round(percentile(values, 99) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1),
        }
        for name, values in sorted(recorder.latencies.items())
    }
    per_sale = 1000 / acknowledged if acknowledged else 0.0
    result: dict[str, Any] = {
        "options": asdict(options),
        "sales_made": len(ledger.sales),
        "sales_acknowledged": acknowledged,
        "sales_pending": ledger.pending(),
        "refunds_done": sum(1 for r in ledger.refunds.values() if r.done),
        "selling_seconds": round(outcome.selling_seconds, 1),
        "total_seconds": round(outcome.total_seconds, 1),
        "drained": outcome.drained,
        "sales_per_second": round(acknowledged / outcome.total_seconds, 1) if outcome.total_seconds else 0,
        "endpoints": endpoints,
        "errors": dict(recorder.errors.most_common()),
        "rejected": dict(ledger.rejected.most_common()),
        "flags": dict(ledger.flags.most_common()),
        "live_events": recorder.events,
        "pulled_items": ledger.pulled_items,
        "cpu": {
            "app_processes": cpu_after.app_processes,
            "app_ms_per_sale": round((cpu_after.app - cpu_before.app) * per_sale, 2),
            "database_ms_per_sale": round((cpu_after.database - cpu_before.database) * per_sale, 2),
        },
    }
    if consistency is not None:
        result["consistency"] = {
            "ok": consistency.ok,
            "acknowledged": consistency.acknowledged,
            "stored": consistency.stored,
            "missing": consistency.missing[:20],
            "unexpected": consistency.unexpected[:20],
            "refunds_done": consistency.refunds_done,
            "refunds_stored": consistency.refunds_stored,
            "refunds_missing": consistency.refunds_missing[:20],
            "skus_checked": consistency.skus_checked,
            "stock_off": {k: [str(e), str(a)] for k, (e, a) in list(consistency.stock_off.items())[:20]},
        }
    return result
