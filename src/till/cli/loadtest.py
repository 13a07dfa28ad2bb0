"""`till loadtest`: simulated tills against a running server."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    pass
from till.cli.base import app, console, open_engine


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
    engine = open_engine()
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
