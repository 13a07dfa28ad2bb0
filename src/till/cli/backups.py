"""`till backup` and `till restore` (docs/deploy.md, Backups)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from till.settings import get_settings

if TYPE_CHECKING:
    pass
from till.cli.base import app, console, phase_bars

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
