"""The `till` command: serve, demo, migrate, seed, staff."""

from __future__ import annotations

import json
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine

from till.domain.staff import Role
from till.settings import get_settings
from till.storage.db import make_engine
from till.storage.migrate import upgrade

app = typer.Typer(help="Till: an offline-first point of sale for Magento retailers.", no_args_is_help=True)
staff_app = typer.Typer(help="Manage staff.", no_args_is_help=True)
app.add_typer(staff_app, name="staff")
console = Console()


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
                tasks[phase] = progress.add_task(phase, total=total)
            progress.update(tasks[phase], completed=done, total=total)

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

    staff_id = add_staff(
        _engine(),
        username=username,
        name=name,
        role=role,
        password=password,
        pin=pin,
        locations=location or [],
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
    from till.storage.uow import UnitOfWork

    with UnitOfWork(_engine()) as uow:
        found = uow.staff.by_username(username)
        if found is None:
            raise typer.BadParameter(f"no staff member {username}")
        uow.staff.update(found[0].id, active=False)
        uow.changed("staff", [str(found[0].id)])
        uow.commit()
    console.print(f"deactivated {username}")


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
