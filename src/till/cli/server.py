"""Running Till: migrate, serve, up (app processes and workers), worker, status, openapi."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from till.settings import get_settings
from till.storage.db import make_engine
from till.storage.migrate import upgrade

if TYPE_CHECKING:
    from typing import Any

from till.cli.base import app, console, errors, listing, open_engine


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    settings = get_settings()
    upgrade(make_engine(settings.database_url))
    console.print(f"[green]schema up to date[/] on {settings.database_url.split('@')[-1]}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
    processes: Annotated[int, typer.Option(min=1, help="app processes (stateless; share the database)")] = 1,
    workers: Annotated[int | None, typer.Option(hidden=True, help="deprecated: --processes")] = None,
    access_log: Annotated[
        bool, typer.Option(help="log every request (the load balancer usually does)")
    ] = False,
) -> None:
    """Run the API server (and the built PWA at /); queue work is `till worker`'s."""
    import uvicorn

    if workers is not None:
        # `--workers` means queue workers everywhere else (`till worker`, `till up`).
        errors.print("till serve --workers is deprecated: it counts app processes; say --processes")
        processes = workers
    settings = get_settings()
    upgrade(make_engine(settings.database_url))
    uvicorn.run(
        "till.api.main:app",
        host=host or settings.host,
        port=port or settings.port,
        workers=processes,
        log_level="info",
        access_log=access_log,
        # Tills keep their connection between pushes; a load balancer's idle timeout (60 s
        # on the common ones) should end it first, not the app after uvicorn's default 5 s.
        timeout_keep_alive=75,
        # uvicorn kills a worker that answers no health check within this: its default of 5 s
        # kills busy workers on a loaded machine (and a starting one, still importing).
        timeout_worker_healthcheck=60,
    )


@app.command()
def openapi() -> None:
    """Print the API's OpenAPI document (the PWA generates its types from it)."""
    from till.api.app import create_app
    from till.settings import Settings

    document = create_app(Settings(database_url="sqlite://")).openapi()
    print(json.dumps(document, indent=2, sort_keys=True))


@app.command()
def up(
    app_processes: Annotated[int, typer.Option(min=1, help="stateless app processes (uvicorn)")] = 2,
    workers: Annotated[int, typer.Option(min=0, help="`till worker` processes")] = 1,
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
) -> None:
    """The production topology on this machine: app processes and workers, supervised.

    Point TILL_DATABASE_URL at PostgreSQL or MariaDB and set TILL_QUEUE_TRANSPORT=rabbitmq
    (TILL_AMQP_URL) for production; docs/deploy.md shows the same parts across machines.
    """
    from till.supervisor import Topology

    settings = get_settings()
    upgrade(make_engine(settings.database_url))
    topology = Topology(app_processes, workers, host or settings.host, port or settings.port)
    console.print(
        f"[green]Till[/] at http://{topology.host}:{topology.port}/ with {app_processes} app processes and "
        f"{workers} workers on {settings.database_url.split('@')[-1]} ({settings.queue_transport} queue)"
    )
    raise typer.Exit(topology.run(console.print))


@app.command()
def worker(
    relay: Annotated[bool, typer.Option(help="relay the outbox to the transport")] = True,
    consume: Annotated[bool, typer.Option(help="run the consumers")] = True,
    schedule: Annotated[bool, typer.Option(help="run due scheduled jobs")] = True,
) -> None:
    """Run a worker: outbox relay, consumers (webhooks, exports, live), scheduler. One on
    SQLite; as many as you like on PostgreSQL or MariaDB (docs/queue.md, "How many workers")."""
    import asyncio
    import signal

    from till.bootstrap import build_worker

    worker_logging()
    settings = get_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        runner = build_worker(settings, engine, relay=relay, consume=consume, schedule=schedule)
        console.print(
            f"[green]worker {runner.name}[/] on {settings.queue_transport}; "
            f"exporters: {', '.join(e.name for e in runner.exporters) or 'none'}"
        )
        await runner.run(stop)

    asyncio.run(main())


def worker_logging() -> None:
    """INFO for Till's own lines (one per webhook delivery among them); the HTTP client's
    per-request lines only from WARNING, since each delivery already says how it went."""
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Queues, outbox, sales per minute, sync lag per register, workers and flags."""
    from till.magento.monitoring import magento_snapshot
    from till.magento.settings import get_magento_settings
    from till.queue.metrics import snapshot

    settings = get_settings()
    engine = open_engine()
    data = snapshot(engine, settings.queue_transport)
    data["magento"] = magento_snapshot(engine, configured=get_magento_settings().configured)
    if as_json:
        print(json.dumps(data, indent=2))
        return
    columns = ("queue", "waiting", "in flight", "dead", "processed", "failures", "mean 5 min", "mean total")
    rows = [
        (
            name,
            str(q["waiting"]),
            str(q["in_flight"]),
            str(q["dead"]),
            str(q["processed"]),
            str(q["failures"]),
            "-" if q["mean_ms_5m"] is None else f"{q['mean_ms_5m']:.1f} ms",
            "-" if q["mean_ms_total"] is None else f"{q['mean_ms_total']:.1f} ms",
        )
        for name, q in data["queues"].items()
    ]
    console.print(
        listing(columns, rows, keys=("queue",), right=columns[1:], title=f"Queues ({data['transport']})")
    )
    oldest = data["outbox"]["oldest_unsent_age_seconds"]
    console.print(
        f"outbox unsent: [bold]{data['outbox']['unsent']}[/]"
        + ("" if oldest is None else f" (oldest {oldest:.0f} s)")
        + f"   sales in the last minute: [bold]{data['sales_last_minute']}[/]"
        + f"   workers: [bold]{len(data['workers'])}[/]"
    )
    if not data["workers"]:
        console.print(
            "[bold red]no worker is running[/]: webhooks, exports, scheduled jobs and price schedules "
            "wait until one starts (`till worker`, or `till up`)"
        )
    sync = [
        (register, f"{figures['lag_seconds']:.1f} s", f"{figures['last_sale_age_seconds']:.0f} s ago")
        for register, figures in data["sync"].items()
    ]
    console.print(
        listing(("register", "sync lag", "last sale"), sync, keys=("register",), title="Sync per register")
    )
    if data["flags"]:
        console.print("open flags: " + ", ".join(f"{k} {v}" for k, v in sorted(data["flags"].items())))
    _print_magento(data["magento"])


def _print_magento(data: dict[str, Any]) -> None:
    """The connector's part of `till status`."""
    if not data["configured"] and not data["pulls"]:
        return
    export = data["export"]
    oldest = export["oldest_waiting_age_seconds"]
    calls = data["calls"]
    total = sum(c["calls"] for c in calls.values())
    errors = sum(c["errors"] for c in calls.values())
    seconds = sum(c["seconds"] for c in calls.values())
    console.print(
        f"magento exports waiting: [bold]{export['waiting']}[/]"
        + ("" if oldest is None else f" (oldest {oldest:.0f} s)")
        + f"   dead: [bold]{export['dead']}[/]"
        + f"   calls: [bold]{total}[/]"
        + (f" (mean {seconds * 1000 / total:.0f} ms, errors {errors / total:.1%})" if total else "")
        + f"   stock differences open: [bold]{data['reconcile']['open']}[/]"
    )
    pulls = Table("data set", "last success", "age", "items", "last error", title="Magento pulls")
    for dataset, state in data["pulls"].items():
        age = state["age_seconds"]
        pulls.add_row(
            dataset,
            state["last_success_at"] or "never",
            "-" if age is None else f"{age:.0f} s",
            str(state["items"]),
            state["last_error"] or "",
        )
    console.print(pulls)
