"""`till magento`: check the connection to Magento 2.4, pull its data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from till.storage.migrate import upgrade

if TYPE_CHECKING:
    from till.magento.client import MagentoClient
from till.cli.base import app, console, open_engine, phase_bars

magento_app = typer.Typer(
    help="Connect to Magento 2.4: check the connection, pull its data.", no_args_is_help=True
)
app.add_typer(magento_app, name="magento")


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
    """Pull catalog, customers, tax, MSI stock and cart price rules from Magento into Till (and
    the tills' feed)."""
    import asyncio

    from till.magento.client import MagentoError
    from till.magento.pull import DATASETS, PullFailed, PullReport, not_supported_rules, pull

    engine = open_engine()
    upgrade(engine)
    client = _magento_client()
    with phase_bars() as report:

        async def go() -> PullReport:
            async with client:
                return await pull(engine, client, full=full, datasets=dataset or DATASETS, progress=report)

        failed: PullFailed | None = None
        try:
            result = asyncio.run(go())
        except PullFailed as exc:
            failed, result = exc, exc.report
        except MagentoError as exc:
            console.print(f"[red]✗ the pull stopped: {exc}[/] (what was pulled before is kept)")
            raise typer.Exit(1) from exc
    table = Table(
        "data set", "read", "changed", "skipped", title="Magento pull" + (" (full)" if full else "")
    )
    for name, count in result.read.items():
        table.add_row(name, str(count), str(result.changed.get(name, 0)), str(result.skipped.get(name, 0)))
    console.print(table)
    if "promotions" in result.read:
        for rule_id, reason in sorted(not_supported_rules(engine).items(), key=lambda r: int(r[0])):
            console.print(f"[yellow]cart price rule {rule_id} is not offered at the tills:[/] {reason}")
    console.print(
        f"{client.stats.calls} calls, {client.stats.errors} errors, {client.stats.retries} retries, "
        f"{client.stats.seconds:.1f} s in Magento"
    )
    if failed is not None:
        for name, why in failed.report.failed.items():
            console.print(f"[red]✗ {name} not pulled: {why}[/]")
        raise typer.Exit(1)


@magento_app.command("check")
def magento_check() -> None:
    """Say whether the Magento URL and credentials work, which API scopes are missing, and what
    would be synced."""
    import asyncio

    from till.magento.check import CheckReport, check

    engine = open_engine()
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
    for warning in result.warnings:
        console.print(f"[yellow]! {warning}[/]")
    table = Table("would be synced", "count", title="Magento holds")
    for name, count in result.counts.items():
        table.add_row(name, str(count))
    console.print(table)
    if not result.ok:
        raise typer.Exit(1)
