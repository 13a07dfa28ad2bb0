"""The `till` command itself: the app every command module registers on, the console, and
what several commands share (the settings check, progress bars, an engine)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine

from till.settings import get_settings
from till.storage.db import make_engine

if TYPE_CHECKING:
    pass
app = typer.Typer(help="Till: an offline-first point of sale for Magento retailers.", no_args_is_help=True)
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


def open_engine() -> Engine:
    """An engine on the settings' database."""
    return make_engine(get_settings().database_url)
