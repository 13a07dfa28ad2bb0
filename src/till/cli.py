"""The `till` command: serve, demo, migrate, seed, staff."""

from __future__ import annotations

import json
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
    from till.magento.client import MagentoClient

app = typer.Typer(help="Till: an offline-first point of sale for Magento retailers.", no_args_is_help=True)
staff_app = typer.Typer(help="Manage staff.", no_args_is_help=True)
app.add_typer(staff_app, name="staff")
magento_app = typer.Typer(
    help="Connect to Magento 2.4: check the connection, pull its data.", no_args_is_help=True
)
app.add_typer(magento_app, name="magento")
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
