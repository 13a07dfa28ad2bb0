"""The `till` command: serve, demo, migrate, seed, staff, backup and restore, and more."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine

from till.domain.staff import Role
from till.settings import get_settings
from till.storage.db import make_engine
from till.storage.migrate import upgrade

if TYPE_CHECKING:
    from typing import Any

    from till.magento.client import MagentoClient

app = typer.Typer(help="Till: an offline-first point of sale for Magento retailers.", no_args_is_help=True)
staff_app = typer.Typer(help="Manage staff.", no_args_is_help=True)
app.add_typer(staff_app, name="staff")
magento_app = typer.Typer(
    help="Connect to Magento 2.4: check the connection, pull its data.", no_args_is_help=True
)
app.add_typer(magento_app, name="magento")
console = Console()


@app.callback()
def _settings_first() -> None:
    """Read the settings before any command, so a bad one stops Till with its reason."""
    from pydantic import ValidationError

    try:
        get_settings()
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            console.print(f"[red]settings: {where + ': ' if where else ''}{message}[/]")
        raise typer.Exit(2) from None


@contextmanager
def phase_bars() -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress display with a bar per phase; yields `report(phase, done, total)`
    (a total of 0 means not known yet)."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def report(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = progress.add_task(phase, total=total or None)
            progress.update(tasks[phase], completed=done, total=total or None)

        yield report


def _engine() -> Engine:
    return make_engine(get_settings().database_url)


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
    workers: Annotated[int, typer.Option(help="app processes (stateless; share the database)")] = 1,
    access_log: Annotated[
        bool, typer.Option(help="log every request (the load balancer usually does)")
    ] = False,
) -> None:
    """Run the API server (and the built PWA at /)."""
    import uvicorn

    settings = get_settings()
    upgrade(make_engine(settings.database_url))
    uvicorn.run(
        "till.api.main:app",
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
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
def demo(
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="seed only")] = False,
) -> None:
    """Seed the demo store (once), print the sign-ins and serve it."""
    from till.demo.store import SeedError, seed_demo

    settings = get_settings()
    if settings.production:
        console.print("[red]the demo store and its printed passwords are not for production[/]")
        raise typer.Exit(1)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    try:
        store = seed_demo(engine)
        console.print("[green]demo store seeded[/]")
    except SeedError:
        store = None
        console.print("[yellow]the database has a store already; not seeding again[/]")
    url = f"http://{host or settings.host}:{port or settings.port}/"
    if store is not None:
        _print_demo(store)
    console.print(f"\nTill is at [bold]{url}[/]  (API docs: {url}docs)")
    if not no_serve:
        serve(host=host, port=port, workers=1)


def _print_demo(store: object) -> None:
    table = Table(title="Demo sign-ins")
    for column in ("username", "role", "password", "PIN", "locations"):
        table.add_column(column)
    for member in getattr(store, "staff", ()):
        table.add_row(
            member.username,
            member.role,
            member.password,
            member.pin,
            ", ".join(member.locations) or "all",
        )
    console.print(table)


@app.command()
def seed(
    profile: Annotated[
        str, typer.Option(help="catalog size, as Magento's performance toolkit: small, medium or large")
    ] = "small",
) -> None:
    """Add a catalog of a performance-toolkit size, with a progress bar."""
    from till.demo.profiles import seed_profile

    if profile not in ("small", "medium", "large"):
        raise typer.BadParameter("choose small, medium or large")
    engine = _engine()
    upgrade(engine)
    with phase_bars() as report:
        counts = seed_profile(engine, profile_name(profile), report)
    console.print(f"[green]seeded {profile}[/]: {counts}")


def profile_name(value: str) -> Literal["small", "medium", "large"]:
    """A validated profile name."""
    if value == "small":
        return "small"
    if value == "medium":
        return "medium"
    return "large"


@app.command()
def fulfil() -> None:
    """Deduct sold goods from their sources (normally done right after each sale)."""
    from till.services.sales import fulfil_orders

    engine = _engine()
    total = 0
    while done := fulfil_orders(engine):
        total += done
    console.print(f"fulfilled {total} sales")


@app.command()
def openapi() -> None:
    """Print the API's OpenAPI document (the PWA generates its types from it)."""
    from till.api.app import create_app
    from till.settings import Settings

    document = create_app(Settings(database_url="sqlite://")).openapi()
    print(json.dumps(document, indent=2, sort_keys=True))


@staff_app.command("add")
def staff_add(
    username: str,
    name: Annotated[str, typer.Option(help="full name")],
    role: Annotated[Role, typer.Option(help="cashier, manager or admin")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    pin: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    location: Annotated[list[str] | None, typer.Option(help="location code; repeat; none = all")] = None,
) -> None:
    """Add a member of staff."""
    from till.services.auth import add_staff
    from till.storage.events import Actor

    staff_id = add_staff(
        _engine(),
        username=username,
        name=name,
        role=role,
        password=password,
        pin=pin,
        locations=location or [],
        by=Actor.command_line("till staff add"),
    )
    console.print(f"added {username} (id {staff_id})")


@staff_app.command("list")
def staff_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List staff."""
    from till.storage.uow import UnitOfWork

    with UnitOfWork(_engine()) as uow:
        members = uow.staff.all()
    if as_json:
        print(
            json.dumps(
                [
                    {
                        "id": m.id,
                        "username": m.username,
                        "role": m.role.value,
                        "locations": sorted(m.locations),
                        "active": m.active,
                    }
                    for m in members
                ]
            )
        )
        return
    table = Table("id", "username", "name", "role", "locations", "active")
    for m in members:
        table.add_row(
            str(m.id),
            m.username,
            m.name,
            m.role.value,
            ", ".join(sorted(m.locations)) or "all",
            "yes" if m.active else "no",
        )
    console.print(table)


@staff_app.command("deactivate")
def staff_deactivate(username: str) -> None:
    """Deactivate a member: their tokens stop working and tills forget them."""
    from till.services.auth import change_staff
    from till.services.errors import NotFound
    from till.storage.events import Actor

    try:
        change_staff(_engine(), username, active=False, by=Actor.command_line("till staff deactivate"))
    except NotFound as exc:
        raise typer.BadParameter(str(exc)) from None
    console.print(f"deactivated {username}")


# --- backups (docs/deploy.md "Backups") -------------------------------------------------------

_SERVER_PROCEDURE = {
    "postgresql": (
        "Install the PostgreSQL client programs (pg_dump of the server's major version or newer) and "
        "run `till backup` again, or by hand:\n"
        "  pg_dump --format=custom --file=till.dump --dbname=<database> --host=<host> --username=<user>\n"
        "For recovery to any moment, archive the WAL as well (docs/deploy.md, Backups)."
    ),
    "mariadb": (
        "Install the MariaDB client programs and run `till backup` again, or by hand:\n"
        "  mariadb-dump --single-transaction --routines --triggers --hex-blob <database> > till.sql\n"
        "For recovery to any moment, keep the binary logs as well (docs/deploy.md, Backups)."
    ),
}


@app.command()
def backup(
    path: Annotated[Path, typer.Argument(help="the backup file to write (must not exist)")],
) -> None:
    """Back the store up while Till keeps running: SQLite with its backup API and a manifest;
    PostgreSQL with pg_dump -Fc; MariaDB with mariadb-dump --single-transaction."""
    from till.storage import backup as backups

    database_url = get_settings().database_url
    try:
        database = backups.sqlite_path(database_url)
        if database is not None:
            if path.exists():  # before the progress display opens
                raise backups.BackupRefused(
                    f"{path} exists; give a new file name (a backup never overwrites)"
                )
            with phase_bars() as report:
                manifest = backups.backup_sqlite(database, path, progress=report)
            console.print(
                f"[green]backed up[/] {database} to {path}: {manifest.total_rows} rows in "
                f"{len(manifest.row_counts)} tables, schema {manifest.schema_revision}, "
                f"Till {manifest.till_version}; {manifest.row_counts.get('orders', 0)} sales"
            )
            return
        tool = backups.dump_tool(database_url)
        if not tool.available():
            console.print(f"[yellow]{tool.dump} is not on PATH[/], so nothing was backed up.")
            console.print(_SERVER_PROCEDURE[tool.backend], markup=False)
            raise typer.Exit(1)
        with console.status(f"{tool.dump} is copying the database…"):
            backups.dump_server(database_url, path)
        console.print(f"[green]backed up[/] with {tool.dump} to {path} ({path.stat().st_size} bytes)")
    except backups.BackupRefused as exc:
        console.print(f"[red]backup refused:[/] {exc}", markup=True)
        raise typer.Exit(1) from None


@app.command()
def restore(
    path: Annotated[Path, typer.Argument(help="a file `till backup` wrote")],
    force: Annotated[
        bool, typer.Option("--force", help="restore even though the database seems to be in use")
    ] = False,
) -> None:
    """Replace the configured store with a backup: checked first (a Till backup, not from a
    newer Till, unchanged), migrated forward if older; the replaced SQLite file is kept aside."""
    from till.storage import backup as backups

    database_url = get_settings().database_url
    try:
        database = backups.sqlite_path(database_url)
        if database is not None:
            backups.read_manifest(path)  # a file that is no backup is refused before any display
            with phase_bars() as report:
                done = backups.restore_sqlite(path, database, force=force, progress=report)
            console.print(
                f"[green]restored[/] {path} (made {done.manifest.created_at} by Till "
                f"{done.manifest.till_version}, {done.manifest.row_counts.get('orders', 0)} sales) "
                f"into {database}, schema {done.schema_revision}"
            )
            if done.kept_aside is not None:
                console.print(f"the store it replaced is kept at {done.kept_aside}")
            return
        tool = backups.dump_tool(database_url)
        if shutil.which(tool.restore) is None:
            console.print(f"[yellow]{tool.restore} is not on PATH[/], so nothing was restored.")
            console.print(_SERVER_PROCEDURE[tool.backend], markup=False)
            raise typer.Exit(1)
        with console.status(f"{tool.restore} is loading {path}…"):
            revision = backups.restore_server(database_url, path, force=force)
        console.print(f"[green]restored[/] {path} with {tool.restore}, schema {revision}")
    except backups.BackupRefused as exc:
        console.print(f"[red]restore refused:[/] {exc}")
        raise typer.Exit(1) from None


# --- async integration (docs/queue.md) ------------------------------------------------------

deadletters_app = typer.Typer(help="Dead letters: list, inspect, replay, discard.", no_args_is_help=True)
app.add_typer(deadletters_app, name="deadletters")
webhooks_app = typer.Typer(help="Webhook endpoints.", no_args_is_help=True)
app.add_typer(webhooks_app, name="webhooks")
jobs_app = typer.Typer(help="Scheduled jobs.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")


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
    """Run a worker: outbox relay, consumers (webhooks, exports, live), scheduler. Run many."""
    import asyncio
    import logging
    import signal

    from till.queue.worker import Worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    from till.magento.worker import install as install_magento

    install_magento(engine)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        runner = Worker(engine, settings, relay=relay, consume=consume, schedule=schedule)
        console.print(
            f"[green]worker {runner.name}[/] on {settings.queue_transport}; "
            f"exporters: {', '.join(e.name for e in runner.exporters) or 'none'}"
        )
        await runner.run(stop)

    asyncio.run(main())


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Queues, outbox, sales per minute, sync lag per register, workers and flags."""
    from till.magento.monitoring import magento_snapshot
    from till.magento.settings import get_magento_settings
    from till.queue.metrics import snapshot

    settings = get_settings()
    engine = _engine()
    data = snapshot(engine, settings.queue_transport)
    data["magento"] = magento_snapshot(engine, configured=get_magento_settings().configured)
    if as_json:
        print(json.dumps(data, indent=2))
        return
    queues = Table(title=f"Queues ({data['transport']})")
    for column in (
        "queue",
        "waiting",
        "in flight",
        "dead",
        "processed",
        "failures",
        "mean 5 min",
        "mean total",
    ):
        queues.add_column(column, justify="left" if column == "queue" else "right", no_wrap=True)
    for name, q in data["queues"].items():
        queues.add_row(
            name,
            str(q["waiting"]),
            str(q["in_flight"]),
            str(q["dead"]),
            str(q["processed"]),
            str(q["failures"]),
            "-" if q["mean_ms_5m"] is None else f"{q['mean_ms_5m']:.1f} ms",
            "-" if q["mean_ms_total"] is None else f"{q['mean_ms_total']:.1f} ms",
        )
    console.print(queues)
    oldest = data["outbox"]["oldest_unsent_age_seconds"]
    console.print(
        f"outbox unsent: [bold]{data['outbox']['unsent']}[/]"
        + ("" if oldest is None else f" (oldest {oldest:.0f} s)")
        + f"   sales in the last minute: [bold]{data['sales_last_minute']}[/]"
        + f"   workers: [bold]{len(data['workers'])}[/]"
    )
    sync = Table("register", "sync lag", "last sale", title="Sync per register")
    for register, figures in data["sync"].items():
        sync.add_row(
            register, f"{figures['lag_seconds']:.1f} s", f"{figures['last_sale_age_seconds']:.0f} s ago"
        )
    console.print(sync)
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


@deadletters_app.command("list")
def deadletters_list(
    queue: Annotated[str | None, typer.Option(help="only this queue")] = None,
    limit: Annotated[int, typer.Option()] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Dead letters, newest first."""
    from till.queue import store

    letters = store.dead_letters(_engine(), queue, limit)
    if as_json:
        print(json.dumps(letters, indent=2))
        return
    table = Table("id", "queue", "topic", "message id", "tries", "dead at", "last error")
    for letter in letters:
        table.add_row(
            str(letter["id"]),
            letter["queue"],
            letter["topic"],
            letter["message_id"],
            str(letter["attempts"]),
            letter["dead_at"] or "",
            (letter["last_error"] or "")[:60],
        )
    console.print(table)


@deadletters_app.command("show")
def deadletters_show(letter_id: int) -> None:
    """One dead letter, whole (JSON)."""
    from till.queue.deadletters import inspect
    from till.services.errors import NotFound

    try:
        print(json.dumps(inspect(_engine(), letter_id), indent=2))
    except NotFound as exc:
        raise typer.BadParameter(str(exc)) from None


@deadletters_app.command("replay")
def deadletters_replay(
    letter_ids: Annotated[list[int] | None, typer.Argument(help="ids; none with --all")] = None,
    all_: Annotated[bool, typer.Option("--all", help="every dead letter (of --queue)")] = False,
    queue: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Put dead letters back in their queues with fresh tries."""
    import asyncio

    from till.queue import store
    from till.queue.deadletters import replay
    from till.services.errors import NotFound
    from till.storage.events import Actor

    engine = _engine()
    ids = list(letter_ids or [])
    if all_:
        ids += [letter["id"] for letter in store.dead_letters(engine, queue, 100_000)]
    if not ids:
        raise typer.BadParameter("give dead letter ids or --all")
    settings = get_settings()
    with Progress(TextColumn("replaying"), BarColumn(), MofNCompleteColumn(), console=console) as progress:
        task = progress.add_task("replay", total=len(ids))
        for letter_id in ids:
            try:
                asyncio.run(
                    replay(engine, settings, letter_id, by=Actor.command_line("till deadletters replay"))
                )
            except NotFound as exc:
                console.print(f"[yellow]{exc}[/]")
            progress.advance(task)
    console.print(f"replayed {len(ids)}")


@deadletters_app.command("discard")
def deadletters_discard(letter_ids: list[int]) -> None:
    """Give up on dead letters for good."""
    from till.queue.deadletters import discard
    from till.services.errors import NotFound
    from till.storage.events import Actor

    engine = _engine()
    for letter_id in letter_ids:
        try:
            discard(engine, letter_id, by=Actor.command_line("till deadletters discard"))
        except NotFound as exc:
            raise typer.BadParameter(str(exc)) from None
    console.print(f"discarded {len(letter_ids)}")


@webhooks_app.command("add")
def webhooks_add(
    name: str,
    url: str,
    topic: Annotated[list[str], typer.Option(help="topic to send; repeat; '*' = every topic")],
) -> None:
    """Add a webhook endpoint; prints its signing secret once."""
    from till.queue.webhooks import add_endpoint
    from till.storage.events import Actor

    try:
        endpoint = add_endpoint(
            _engine(),
            name,
            url,
            topic,
            by=Actor.command_line("till webhooks add"),
            allow_private=get_settings().webhooks_allow_private,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    console.print(f"endpoint {endpoint['id']} added; signing secret (shown once): {endpoint['secret']}")


@webhooks_app.command("list")
def webhooks_list() -> None:
    """Webhook endpoints."""
    from till.queue.webhooks import list_endpoints

    table = Table("id", "name", "url", "topics", "active")
    for e in list_endpoints(_engine()):
        table.add_row(
            str(e["id"]), e["name"], e["url"], ", ".join(e["topics"]), "yes" if e["active"] else "no"
        )
    console.print(table)


@webhooks_app.command("remove")
def webhooks_remove(endpoint_id: int) -> None:
    """Delete a webhook endpoint."""
    from till.queue.webhooks import remove_endpoint
    from till.services.errors import NotFound
    from till.storage.events import Actor

    try:
        remove_endpoint(_engine(), endpoint_id, by=Actor.command_line("till webhooks remove"))
    except NotFound as exc:
        raise typer.BadParameter(str(exc)) from None
    console.print(f"removed {endpoint_id}")


@jobs_app.command("list")
def jobs_list() -> None:
    """Scheduled jobs with next and last run."""
    from till.queue.scheduler import ensure_default_jobs, list_jobs

    engine = _engine()
    ensure_default_jobs(engine)
    table = Table("name", "kind", "schedule", "enabled", "next run", "last run", "status", "result")
    for job in list_jobs(engine):
        table.add_row(
            job["name"],
            job["kind"],
            job["schedule"],
            "yes" if job["enabled"] else "no",
            job["next_run_at"] or "",
            job["last_run_at"] or "",
            job["last_status"] or "",
            (job["last_result"] or "")[:50],
        )
    console.print(table)


@jobs_app.command("set")
def jobs_set(
    name: str,
    schedule: Annotated[str | None, typer.Option(help="cron 'm h dom mon dow' (UTC) or '@every 30s'")] = None,
    enable: Annotated[bool | None, typer.Option("--enable/--disable")] = None,
    now: Annotated[bool, typer.Option("--now", help="make it due now")] = False,
) -> None:
    """Change a job's schedule, switch it on or off, or make it due now."""
    from till.queue.scheduler import change_job, ensure_default_jobs
    from till.storage.events import Actor

    engine = _engine()
    ensure_default_jobs(engine)
    try:
        job = change_job(
            engine, name, when=schedule, enabled=enable, run_now=now, by=Actor.command_line("till jobs set")
        )
    except (ValueError, LookupError) as exc:
        raise typer.BadParameter(str(exc)) from None
    console.print(f"{job['name']}: {job['schedule']}, next run {job['next_run_at']}")


def _magento_client() -> MagentoClient:
    from till.magento.client import MagentoClient
    from till.magento.settings import get_magento_settings

    settings = get_magento_settings()
    if not settings.configured:
        console.print(
            "[yellow]Magento is not configured[/] (TILL_MAGENTO_BASE_URL is empty): Till runs standalone."
        )
        raise typer.Exit(1)
    return MagentoClient(settings)


@magento_app.command("pull")
def magento_pull(
    full: Annotated[
        bool, typer.Option("--full", help="read everything and reconcile, not only changes")
    ] = False,
    dataset: Annotated[list[str] | None, typer.Option(help="only these data sets; repeat")] = None,
) -> None:
    """Pull catalog, customers, tax and MSI stock from Magento into Till (and the tills' feed)."""
    import asyncio

    from till.magento.client import MagentoError
    from till.magento.pull import DATASETS, PullReport, pull

    engine = _engine()
    upgrade(engine)
    client = _magento_client()
    with phase_bars() as report:

        async def go() -> PullReport:
            async with client:
                return await pull(engine, client, full=full, datasets=dataset or DATASETS, progress=report)

        try:
            result = asyncio.run(go())
        except MagentoError as exc:
            console.print(f"[red]✗ the pull stopped: {exc}[/] (what was pulled before is kept)")
            raise typer.Exit(1) from exc
    table = Table(
        "data set", "read", "changed", "skipped", title="Magento pull" + (" (full)" if full else "")
    )
    for name, count in result.read.items():
        table.add_row(name, str(count), str(result.changed.get(name, 0)), str(result.skipped.get(name, 0)))
    console.print(table)
    console.print(
        f"{client.stats.calls} calls, {client.stats.errors} errors, {client.stats.retries} retries, "
        f"{client.stats.seconds:.1f} s in Magento"
    )


@magento_app.command("check")
def magento_check() -> None:
    """Say whether the Magento URL and credentials work, which API scopes are missing, and what
    would be synced."""
    import asyncio

    from till.magento.check import CheckReport, check

    engine = _engine()
    upgrade(engine)
    client = _magento_client()

    async def go() -> CheckReport:
        async with client:
            return await check(engine, client)

    result = asyncio.run(go())
    console.print(f"Magento at [bold]{result.base_url}[/], signing in with {result.auth}")
    if result.error:
        console.print(f"[red]✗ {result.error}[/]")
        raise typer.Exit(1)
    console.print("[green]✓ reachable, credentials accepted[/]")
    for acl, purpose in result.missing:
        console.print(f"[red]✗ missing API scope[/] {acl} (needed for {purpose})")
    if not result.missing:
        console.print(f"[green]✓ all {len(result.granted)} API scopes granted[/]")
    for problem in result.problems:
        console.print(f"[red]✗ {problem}[/]")
    table = Table("would be synced", "count", title="Magento holds")
    for name, count in result.counts.items():
        table.add_row(name, str(count))
    console.print(table)
    if not result.ok:
        raise typer.Exit(1)


if __name__ == "__main__":  # pragma: no cover
    app()


@app.command()
def loadtest(
    url: Annotated[str, typer.Option(help="the Till server to load")] = "http://127.0.0.1:8000",
    tills: Annotated[int, typer.Option(min=1, max=9999, help="simulated tills (registers)")] = 100,
    duration: Annotated[float, typer.Option(min=1, help="seconds of selling")] = 60,
    rate: Annotated[
        float | None, typer.Option(min=0.01, help="sales/s over all tills (open loop); default closed loop")
    ] = None,
    think: Annotated[float, typer.Option(min=0, help="closed loop: seconds between a till's sales")] = 1.0,
    batch: Annotated[int, typer.Option(min=1, max=200, help="sales per push")] = 20,
    offline_share: Annotated[float, typer.Option(min=0, max=1, help="share of tills that go offline")] = 0.1,
    offline_seconds: Annotated[float, typer.Option(min=0, help="how long they stay offline")] = 10,
    refund_share: Annotated[float, typer.Option(min=0, max=1, help="share of sales refunded")] = 0.05,
    pull_every: Annotated[float, typer.Option(min=0.1, help="seconds between a till's delta pulls")] = 15,
    first_sync: Annotated[bool, typer.Option(help="each till pulls every data set from cursor 0")] = True,
    live: Annotated[bool, typer.Option(help="each till keeps the live event stream open")] = True,
    sessions: Annotated[int, typer.Option(min=1, help="staff sign-ins shared by the tills")] = 10,
    location: Annotated[str, typer.Option(help="where the tills sell")] = "NYC",
    stock: Annotated[int, typer.Option(min=0, help="units each basket sku receives before the run")] = 0,
    server_pid: Annotated[
        list[int] | None, typer.Option(help="server process ids for CPU accounting; default: found")
    ] = None,
    check: Annotated[bool, typer.Option(help="check consistency against the database afterwards")] = True,
    json_out: Annotated[
        str | None, typer.Option("--json", help="also write the figures to this file")
    ] = None,
) -> None:
    """Load a running server with simulated tills, then check every sale is there exactly once.

    Reads TILL_DATABASE_URL (the server's database) to create the run's registers and staff and
    to check consistency afterwards.
    """
    import asyncio

    from till.loadtest import check as consistency
    from till.loadtest import cpu
    from till.loadtest.plan import prepare
    from till.loadtest.report import summary
    from till.loadtest.tills import Ledger, Options, Recorder, run_tills

    options = Options(
        url=url.rstrip("/"),
        tills=tills,
        duration=duration,
        rate=rate,
        think=think,
        batch=batch,
        offline_share=offline_share,
        offline_seconds=offline_seconds,
        refund_share=refund_share,
        pull_every=pull_every,
        first_sync=first_sync,
        live=live,
        sessions=sessions,
    )
    engine = _engine()
    with console.status("preparing registers, staff and priced baskets…"):
        plan = prepare(engine, location=location, tills=tills, stock=stock)
    console.print(f"run [bold]{plan.run}[/]: {tills} tills at {location}, {len(plan.baskets)} baskets")
    recorder, ledger = Recorder(), Ledger()
    pids = cpu.server_pids(server_pid)
    before = cpu.sample(pids)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("selling", total=duration)

        def tick(elapsed: float) -> None:
            made, acked = len(ledger.sales), ledger.acknowledged()
            errors = sum(recorder.errors.values())
            per_second = acked / max(elapsed, 0.1)
            phase = "selling" if elapsed < duration else "draining outboxes"
            progress.update(
                task,
                completed=min(elapsed, duration),
                description=f"{phase}: {made} made, {acked} acknowledged ({per_second:.0f}/s), "
                f"{made - acked} unsent, {errors} errors",
            )

        outcome = asyncio.run(run_tills(plan, options, recorder, ledger, tick))
    after = cpu.sample(pids)
    result = consistency.check(engine, plan, ledger) if check else None
    figures = summary(options, outcome, recorder, ledger, before, after, result)
    _print_load_figures(figures)
    if json_out:
        with open(json_out, "w") as out:
            json.dump(figures, out, indent=2)
    if not outcome.drained or (result is not None and not result.ok):
        raise typer.Exit(1)


def _print_load_figures(figures: dict[str, object]) -> None:
    endpoints = figures["endpoints"]
    assert isinstance(endpoints, dict)
    table = Table(title="latency by endpoint")
    for column in ("endpoint", "calls", "p50 ms", "p95 ms", "p99 ms", "max ms"):
        table.add_column(column, justify="left" if column == "endpoint" else "right")
    for name, row in endpoints.items():
        table.add_row(name, *(str(row[k]) for k in ("count", "p50_ms", "p95_ms", "p99_ms", "max_ms")))
    console.print(table)
    cpu = figures["cpu"]
    assert isinstance(cpu, dict)
    console.print(
        f"sales: {figures['sales_acknowledged']} acknowledged of {figures['sales_made']} made in "
        f"{figures['total_seconds']} s = [bold]{figures['sales_per_second']} sales/s[/]; "
        f"refunds {figures['refunds_done']}; live events {figures['live_events']}; "
        f"pulled items {figures['pulled_items']}"
    )
    console.print(
        f"server CPU per sale: app {cpu['app_ms_per_sale']} ms ({cpu['app_processes']} processes), "
        f"database {cpu['database_ms_per_sale']} ms"
    )
    for title in ("errors", "rejected", "flags"):
        if figures[title]:
            console.print(f"{title}: {figures[title]}")
    verdict = figures.get("consistency")
    if isinstance(verdict, dict):
        colour = "green" if verdict["ok"] else "red"
        console.print(
            f"[{colour}]consistency {'OK' if verdict['ok'] else 'FAILED'}[/]: {verdict['stored']} stored of "
            f"{verdict['acknowledged']} acknowledged, missing {len(verdict['missing'])}, unexpected "
            f"{len(verdict['unexpected'])}; refunds {verdict['refunds_stored']}/{verdict['refunds_done']}; "
            f"salable right for {verdict['skus_checked'] - len(verdict['stock_off'])} of "
            f"{verdict['skus_checked']} skus"
        )
        if not verdict["ok"]:
            console.print(verdict)
    if not figures["drained"]:
        console.print(f"[red]{figures['sales_pending']} sales still unsent when the drain timed out[/]")
