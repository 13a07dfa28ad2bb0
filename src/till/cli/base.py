"""The `till` command itself: the app every command module registers on, the console, and
what several commands share (the settings check, progress bars, an engine)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console, Group, JustifyMethod, RenderableType
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from sqlalchemy import Engine

from till.settings import get_settings
from till.storage.db import make_engine

if TYPE_CHECKING:
    pass
app = typer.Typer(help="Till: an offline-first point of sale for Magento retailers.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)

# Exit codes a script can rely on (README, "The till command"): 0 done, 1 could not be done
# (nothing by that id, a failure on the way), 2 usage (a bad option or value; typer's own).
FAILED = 1
USAGE = 2


def fail(message: str) -> NoReturn:
    """Say why on stderr and exit 1: the command was well formed but could not be done."""
    errors.print(f"[red]{message}[/]")
    raise typer.Exit(FAILED)


def listing(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    keys: Collection[str],
    title: str | None = None,
    right: Collection[str] = (),
) -> RenderableType:
    """A table whose identifier columns (`keys`: what other commands take) are never cut,
    however narrow the terminal: the other columns fold instead, and where even the
    identifiers do not fit side by side, each row is printed as its own block of lines."""
    widths = {
        name: max([len(name), *(len(row[index]) for row in rows)]) for index, name in enumerate(columns)
    }
    # Borders and padding take 3 characters a column; a folded column needs room for a few.
    needed = 1 + sum(widths[name] + 3 if name in keys else 6 for name in columns)
    if needed > console.width:
        blocks: list[RenderableType] = [Text(title, style="bold")] if title else []
        for row in rows:
            lines = (f"{name}: {value}" for name, value in zip(columns, row, strict=True))
            blocks.append(Text("\n".join(lines) + "\n", overflow="fold"))
        return Group(*blocks)
    table = Table(title=title)
    for name in columns:
        justify: JustifyMethod = "right" if name in right else "left"
        if name in keys:
            table.add_column(name, no_wrap=True, min_width=widths[name], justify=justify)
        else:
            table.add_column(name, overflow="fold", justify=justify)
    for row in rows:
        table.add_row(*row)
    return table


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
