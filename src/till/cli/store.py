"""The demo store and seed profiles, and fulfilling the orders that wait for stock."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.table import Table

from till.settings import get_settings
from till.storage.db import make_engine
from till.storage.migrate import upgrade

if TYPE_CHECKING:
    pass
from till.cli.base import app, console, open_engine, phase_bars


@app.command()
def demo(
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="seed only")] = False,
    worker: Annotated[
        bool, typer.Option(help="run a worker beside the server: webhooks, jobs, price schedules")
    ] = True,
) -> None:
    """Seed the demo store (once), print the sign-ins and run it: the server and a worker
    (outbox relay, webhooks, exports, scheduled jobs and price schedules), supervised."""
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
    if store is not None:
        _print_demo(store)
    if no_serve:
        return
    import os

    from till.supervisor import Topology

    # The demo is for trying Till on this machine, where a webhook receiver is on loopback:
    # its own processes may send there unless the variable says otherwise (production never).
    os.environ.setdefault("TILL_WEBHOOKS_ALLOW_PRIVATE", "true")
    topology = Topology(1, 1 if worker else 0, host or settings.host, port or settings.port)
    url = f"http://{topology.host}:{topology.port}/"
    console.print(f"\nTill is at [bold]{url}[/]  (API docs: {url}docs)")
    console.print(
        "server and "
        + ("a worker (webhooks, jobs, price schedules)" if worker else "no worker")
        + f"; webhooks to private addresses allowed: {os.environ['TILL_WEBHOOKS_ALLOW_PRIVATE']}"
    )
    raise typer.Exit(topology.run(console.print))


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
    engine = open_engine()
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

    engine = open_engine()
    total = 0
    while done := fulfil_orders(engine):
        total += done
    console.print(f"fulfilled {total} sales")
