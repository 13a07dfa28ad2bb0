"""The async integration (docs/queue.md): dead letters, webhook endpoints, scheduled jobs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from till.settings import get_settings

if TYPE_CHECKING:
    pass
from till.cli.base import app, console, errors, fail, listing, open_engine

deadletters_app = typer.Typer(help="Dead letters: list, inspect, replay, discard.", no_args_is_help=True)
app.add_typer(deadletters_app, name="deadletters")
webhooks_app = typer.Typer(help="Webhook endpoints.", no_args_is_help=True)
app.add_typer(webhooks_app, name="webhooks")
jobs_app = typer.Typer(help="Scheduled jobs.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")


@deadletters_app.command("list")
def deadletters_list(
    queue: Annotated[str | None, typer.Option(help="only this queue")] = None,
    limit: Annotated[int, typer.Option()] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Dead letters, newest first."""
    from till.queue import store

    letters = store.dead_letters(open_engine(), queue, limit)
    if as_json:
        print(json.dumps(letters, indent=2))
        return
    rows = [
        (
            str(letter["id"]),
            letter["queue"],
            letter["topic"],
            letter["message_id"],
            str(letter["attempts"]),
            letter["dead_at"] or "",
            (letter["last_error"] or "")[:60],
        )
        for letter in letters
    ]
    console.print(
        listing(
            ("id", "queue", "topic", "message id", "tries", "dead at", "last error"),
            rows,
            keys=("id", "queue", "topic", "message id"),
        )
    )


@deadletters_app.command("show")
def deadletters_show(letter_id: int) -> None:
    """One dead letter, whole (JSON)."""
    from till.queue.deadletters import inspect
    from till.services.errors import NotFound

    try:
        print(json.dumps(inspect(open_engine(), letter_id), indent=2))
    except NotFound as exc:
        fail(str(exc))


@deadletters_app.command("replay")
def deadletters_replay(
    letter_ids: Annotated[list[int] | None, typer.Argument(help="ids; none with --all")] = None,
    all_: Annotated[bool, typer.Option("--all", help="every dead letter (of --queue)")] = False,
    queue: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Put dead letters back in their queues with fresh tries."""
    import asyncio

    from till.bootstrap import make_transport
    from till.queue import store
    from till.queue.deadletters import replay
    from till.services.errors import NotFound
    from till.storage.events import Actor

    engine = open_engine()
    ids = list(letter_ids or [])
    if all_:
        ids += [letter["id"] for letter in store.dead_letters(engine, queue, 100_000)]
    if not ids:
        raise typer.BadParameter("give dead letter ids or --all")
    settings = get_settings()
    replayed, missing = 0, 0
    with Progress(TextColumn("replaying"), BarColumn(), MofNCompleteColumn(), console=errors) as progress:
        task = progress.add_task("replay", total=len(ids))
        for letter_id in ids:
            try:
                asyncio.run(
                    replay(
                        engine,
                        make_transport(engine, settings, "replay"),
                        letter_id,
                        by=Actor.command_line("till deadletters replay"),
                    )
                )
                replayed += 1
            except NotFound as exc:
                errors.print(f"[red]{exc}[/]")
                missing += 1
            progress.advance(task)
    console.print(f"replayed {replayed}")
    if missing:
        raise typer.Exit(1)


@deadletters_app.command("discard")
def deadletters_discard(letter_ids: list[int]) -> None:
    """Give up on dead letters for good."""
    from till.queue.deadletters import discard
    from till.services.errors import NotFound
    from till.storage.events import Actor

    engine = open_engine()
    discarded = 0
    for letter_id in letter_ids:
        try:
            discard(engine, letter_id, by=Actor.command_line("till deadletters discard"))
            discarded += 1
        except NotFound as exc:
            errors.print(f"[red]{exc}[/]")
    console.print(f"discarded {discarded}")
    if discarded < len(letter_ids):
        raise typer.Exit(1)


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
            open_engine(),
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
def webhooks_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Webhook endpoints."""
    from till.queue.webhooks import list_endpoints

    endpoints = list_endpoints(open_engine())
    if as_json:
        print(json.dumps(endpoints, indent=2, default=str))
        return
    rows = [
        (str(e["id"]), e["name"], e["url"], ", ".join(e["topics"]), "yes" if e["active"] else "no")
        for e in endpoints
    ]
    console.print(listing(("id", "name", "url", "topics", "active"), rows, keys=("id", "name", "url")))


@webhooks_app.command("remove")
def webhooks_remove(endpoint_id: int) -> None:
    """Delete a webhook endpoint."""
    from till.queue.webhooks import remove_endpoint
    from till.services.errors import NotFound
    from till.storage.events import Actor

    try:
        remove_endpoint(open_engine(), endpoint_id, by=Actor.command_line("till webhooks remove"))
    except NotFound as exc:
        fail(str(exc))
    console.print(f"removed {endpoint_id}")


@jobs_app.command("list")
def jobs_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Scheduled jobs with next and last run."""
    from till.bootstrap import ensure_default_jobs
    from till.queue.scheduler import list_jobs

    engine = open_engine()
    ensure_default_jobs(engine)
    jobs = list_jobs(engine)
    if as_json:
        print(json.dumps(jobs, indent=2, default=str))
        return
    rows = [
        (
            job["name"],
            job["kind"],
            job["schedule"],
            "yes" if job["enabled"] else "no",
            job["next_run_at"] or "",
            job["last_run_at"] or "",
            job["last_status"] or "",
            (job["last_result"] or "")[:50],
        )
        for job in jobs
    ]
    columns = ("name", "kind", "schedule", "enabled", "next run", "last run", "status", "result")
    console.print(listing(columns, rows, keys=("name",)))


@jobs_app.command("set")
def jobs_set(
    name: str,
    schedule: Annotated[str | None, typer.Option(help="cron 'm h dom mon dow' (UTC) or '@every 30s'")] = None,
    enable: Annotated[bool | None, typer.Option("--enable/--disable")] = None,
    now: Annotated[bool, typer.Option("--now", help="make it due now")] = False,
) -> None:
    """Change a job's schedule, switch it on or off, or make it due now."""
    from till.bootstrap import ensure_default_jobs
    from till.queue.scheduler import change_job
    from till.storage.events import Actor

    engine = open_engine()
    ensure_default_jobs(engine)
    try:
        job = change_job(
            engine, name, when=schedule, enabled=enable, run_now=now, by=Actor.command_line("till jobs set")
        )
    except LookupError as exc:
        fail(str(exc).strip("'\""))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    console.print(f"{job['name']}: {job['schedule']}, next run {job['next_run_at']}")
