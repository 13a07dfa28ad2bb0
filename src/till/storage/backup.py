"""Backups and restores of a Till store (`till backup PATH`, `till restore PATH`).

SQLite, Till's embedded database, is backed up online: SQLite's backup API copies the pages
of one read snapshot (a read transaction held for the whole copy, so the server keeps
writing to its WAL meanwhile and the copy never restarts or tears), into a single file that
carries its own manifest (format, Till version, schema revision, row counts and a SHA-256 of
every table's rows). Restoring checks all of that before it touches anything, builds the new
database beside the configured one, migrates it forward if the backup is older, keeps the
current database aside, and only then renames the new file into place.

PostgreSQL and MariaDB are backed up by their own tools, pg_dump (custom format) and
mariadb-dump (one consistent transaction); docs/deploy.md "Backups" has the procedures,
point-in-time recovery included.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL, make_url

from till import __version__
from till.storage.db import make_engine
from till.storage.events import Actor, EventRepository
from till.storage.migrate import alembic_config, upgrade

#: Written into every SQLite backup; a file without it is not a Till backup.
FORMAT = "till-backup/1"
MANIFEST_TABLE = "till_backup_manifest"
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"

#: `progress(phase, done, total)`, as the CLI's progress bars take it (total 0: not known).
Progress = Callable[[str, int, int], None]


def _quiet(_phase: str, _done: int, _total: int) -> None:
    """No progress display."""


class BackupRefused(Exception):
    """A backup or restore that must not go ahead; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a backup holds, checked again before it is restored."""

    format: str
    till_version: str
    schema_revision: str
    created_at: str
    database: str
    row_counts: dict[str, int]
    #: SHA-256 of each table's rows, in rowid order.
    digests: dict[str, str]

    @property
    def total_rows(self) -> int:
        """Rows in every table."""
        return sum(self.row_counts.values())


@dataclass(frozen=True, slots=True)
class Restored:
    """What a restore did."""

    manifest: Manifest
    database: Path
    #: Where the database that was replaced now is (None if there was none).
    kept_aside: Path | None
    schema_revision: str


def sqlite_path(database_url: str) -> Path | None:
    """The file of a SQLite URL, or None for a server database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise BackupRefused("an in-memory SQLite database has nothing to back up")
    return Path(url.database)


def head_revision() -> str:
    """The newest schema revision this Till knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def known_revision(revision: str) -> bool:
    """True if this Till's migrations include `revision` (so it can migrate from it)."""
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except Exception:  # alembic raises several kinds for an id it does not have
        return False


# --- SQLite: backup --------------------------------------------------------------------------


def backup_sqlite(
    database: Path, target: Path, *, progress: Progress = _quiet, pages_per_step: int = 256
) -> Manifest:
    """Copy a live SQLite store to `target` (which must not exist) with its manifest."""
    if not database.is_file():
        raise BackupRefused(f"there is no database at {database}")
    if target.exists():
        raise BackupRefused(f"{target} exists; give a new file name (a backup never overwrites)")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(database, isolation_level=None, timeout=30)
    try:
        # One read snapshot for the whole copy: writers go on in the WAL, and the backup
        # sees none of them, so it neither restarts (as it would, step by step, on every
        # write from another connection) nor mixes before and after.
        source.execute("BEGIN")
        revision = _revision(source, database)
        copy = sqlite3.connect(partial, isolation_level=None)
        try:
            try:
                source.backup(
                    copy,
                    pages=pages_per_step,
                    progress=lambda _status, remaining, total: progress("copy", total - remaining, total),
                )
            finally:
                source.execute("COMMIT")
            # One self-contained file, whatever journal mode the store runs in.
            copy.execute("PRAGMA journal_mode=DELETE")
            counts, digests = _fingerprint(copy, progress)
            manifest = Manifest(
                format=FORMAT,
                till_version=__version__,
                schema_revision=revision,
                created_at=datetime.now(UTC).isoformat(),
                database=database.name,
                row_counts=counts,
                digests=digests,
            )
            copy.execute("CREATE TABLE till_backup_manifest (manifest TEXT NOT NULL)")
            copy.execute("INSERT INTO till_backup_manifest VALUES (?)", (json.dumps(asdict(manifest)),))
            _check_integrity(copy, "the backup just written")
        finally:
            copy.close()
        _fsync(partial)
        os.replace(partial, target)
        _fsync_dir(target.parent)
    finally:
        source.close()
        partial.unlink(missing_ok=True)
    return manifest


def _revision(conn: sqlite3.Connection, where: Path) -> str:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        row = None
    if row is None:
        raise BackupRefused(f"{where} is not a Till database (it has no schema revision)")
    return str(row[0])


def _tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name != ? ORDER BY name",
        (MANIFEST_TABLE,),
    )
    return [str(name) for (name,) in rows]


def _fingerprint(conn: sqlite3.Connection, progress: Progress) -> tuple[dict[str, int], dict[str, str]]:
    """Row count and SHA-256 of the rows of each table."""
    tables = _tables(conn)
    counts: dict[str, int] = {}
    digests: dict[str, str] = {}
    for done, table in enumerate(tables, start=1):
        digest = hashlib.sha256()
        count = 0
        rows = conn.execute(f'SELECT * FROM "{table}" ORDER BY rowid')  # noqa: S608 - from sqlite_master
        for row in rows:
            digest.update(repr(row).encode())
            digest.update(b"\n")
            count += 1
        counts[table] = count
        digests[table] = digest.hexdigest()
        progress("checksum", done, len(tables))
    return counts, digests


def _check_integrity(conn: sqlite3.Connection, what: str) -> None:
    try:
        result = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        result = [str(exc)]
    if result != ["ok"]:
        raise BackupRefused(f"{what} is damaged (SQLite's integrity check: {'; '.join(result[:5])})")


def _fsync(path: Path) -> None:
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform opens directories
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --- SQLite: restore -------------------------------------------------------------------------


def read_manifest(backup: Path) -> Manifest:
    """The manifest of a Till backup file, or BackupRefused saying why it is not one."""
    if not backup.is_file():
        raise BackupRefused(f"there is no file {backup}")
    with backup.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head != SQLITE_MAGIC:
        raise BackupRefused(f"{backup} is not a Till backup (not a SQLite file)")
    conn = sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)
    try:
        try:
            row = conn.execute("SELECT manifest FROM till_backup_manifest").fetchone()
        except sqlite3.DatabaseError as exc:
            if "no such table" not in str(exc):
                raise BackupRefused(f"{backup} is damaged: {exc}") from None
            row = None
        if row is None:
            raise BackupRefused(
                f"{backup} is not a Till backup (it has no manifest); make one with `till backup`"
            )
        try:
            found = json.loads(row[0])
            manifest = Manifest(**found)
        except (TypeError, ValueError) as exc:
            raise BackupRefused(f"{backup} has a damaged manifest: {exc}") from None
        if manifest.format != FORMAT:
            raise BackupRefused(f"{backup} is a {manifest.format} backup; this Till reads {FORMAT}")
        return manifest
    finally:
        conn.close()


def check_backup(backup: Path, *, progress: Progress = _quiet) -> Manifest:
    """Everything restore checks before it touches the store: a Till backup, of a schema this
    Till knows, whole (SQLite's integrity check) and unchanged since it was made."""
    manifest = read_manifest(backup)
    if not known_revision(manifest.schema_revision):
        raise BackupRefused(
            f"{backup} was made by a newer Till (schema {manifest.schema_revision}, Till "
            f"{manifest.till_version}); this is Till {__version__} at schema {head_revision()}: "
            "upgrade Till first"
        )
    conn = sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)
    try:
        inside = _revision(conn, backup)
        if inside != manifest.schema_revision:
            raise BackupRefused(
                f"{backup} does not match its manifest (schema {inside}, manifest says "
                f"{manifest.schema_revision})"
            )
        _check_integrity(conn, str(backup))
        counts, digests = _fingerprint(conn, progress)
    finally:
        conn.close()
    changed = sorted(
        t for t in set(manifest.digests) | set(digests) if manifest.digests.get(t) != digests.get(t)
    )
    if changed or counts != manifest.row_counts:
        raise BackupRefused(
            f"{backup} does not match its manifest: {', '.join(changed) or 'row counts'} changed "
            "since the backup was made"
        )
    return manifest


def sqlite_in_use(database: Path) -> bool:
    """True if another process has the database open (a running server holds a shared lock
    on it for as long as its connections are open, idle or not).

    Probes with a POSIX lock on SQLite's lock bytes, taken and given back at once. The calling
    process must hold no connection to this database: closing the probe's file would drop the
    locks of its own connections (POSIX locks are per process)."""
    if not database.exists():
        return False
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: a leftover WAL file is the best sign
        return Path(f"{database}-wal").exists()
    shared_first, shared_size = 0x40000002, 510  # SQLite's SHARED lock range on unix
    fd = os.open(database, os.O_RDWR)
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, shared_size, shared_first)
        except OSError:
            return True
        fcntl.lockf(fd, fcntl.LOCK_UN, shared_size, shared_first)
        return False
    finally:
        os.close(fd)


def restore_sqlite(
    backup: Path, database: Path, *, force: bool = False, progress: Progress = _quiet
) -> Restored:
    """Replace the store at `database` with a checked backup, migrated forward if older.

    The new database is built beside the old one (`<name>.restoring`) and renamed over it
    only when whole; the old one is kept as `<name>.before-restore-<time>`. A store that a
    running server has open is refused unless `force`."""
    manifest = check_backup(backup, progress=progress)
    if sqlite_in_use(database) and not force:
        raise BackupRefused(
            f"{database} is open in another process (is `till serve` or `till worker` running?); "
            "stop it first, or pass --force if nothing is"
        )
    database.parent.mkdir(parents=True, exist_ok=True)
    building = database.with_name(database.name + ".restoring")
    for leftover in _files_of(building):
        leftover.unlink()
    try:
        source = sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)
        copy = sqlite3.connect(building, isolation_level=None)
        try:
            source.backup(
                copy,
                pages=256,
                progress=lambda _status, remaining, total: progress("restore", total - remaining, total),
            )
            copy.execute("DROP TABLE till_backup_manifest")
        finally:
            copy.close()
            source.close()
        progress("migrate", 0, 1)
        revision = _migrate(building, backup, manifest)
        progress("migrate", 1, 1)
        check = sqlite3.connect(building, isolation_level=None)
        try:
            _check_integrity(check, "the restored database")
            check.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            check.execute("PRAGMA journal_mode=DELETE")
        finally:
            check.close()
        _fsync(building)
        kept = _set_aside(database)
        os.replace(building, database)
        _fsync_dir(database.parent)
    finally:
        for leftover in _files_of(building):
            leftover.unlink()
    return Restored(manifest, database, kept, revision)


def _files_of(database: Path) -> Iterator[Path]:
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = Path(f"{database}{suffix}")
        if candidate.exists():
            yield candidate


def _migrate(building: Path, backup: Path, manifest: Manifest) -> str:
    """Bring the restored copy to this Till's schema and record the restore in its audit log."""
    engine = make_engine(f"sqlite:///{building}")
    try:
        upgrade(engine)
        with engine.begin() as conn:
            revision = str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one())
            EventRepository(conn).audit(
                "store.restored",
                {
                    "backup": backup.name,
                    "backup_made_at": manifest.created_at,
                    "backup_till_version": manifest.till_version,
                    "schema_from": manifest.schema_revision,
                    "schema_to": revision,
                    "rows": manifest.total_rows,
                },
                Actor.command_line("till restore"),
            )
        return revision
    finally:
        engine.dispose()


def _set_aside(database: Path) -> Path | None:
    """Keep the current database (with what its WAL holds) under a dated name."""
    if not database.exists():
        return None
    # Fold the WAL into the file first, or the copy set aside would miss the newest commits
    # (and a stale WAL left beside the new file would be replayed into it).
    conn = sqlite3.connect(database, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    aside = database.with_name(f"{database.name}.before-restore-{stamp}")
    os.replace(database, aside)
    for suffix in ("-wal", "-shm"):
        stale = Path(f"{database}{suffix}")
        if stale.exists():
            os.replace(stale, Path(f"{aside}{suffix}"))
    return aside


# --- PostgreSQL and MariaDB: their own tools -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class DumpTool:
    """A server database's own backup and restore programs, and how to call them."""

    backend: str
    dump: str
    restore: str

    def available(self) -> bool:
        """True if the dump program is on PATH."""
        return shutil.which(self.dump) is not None


def dump_tool(database_url: str) -> DumpTool:
    """pg_dump/pg_restore or mariadb-dump/mariadb for a server URL."""
    backend = make_url(database_url).get_backend_name()
    if backend == "postgresql":
        return DumpTool("postgresql", "pg_dump", "pg_restore")
    if backend in ("mysql", "mariadb"):
        dump = "mariadb-dump" if shutil.which("mariadb-dump") else "mysqldump"
        client = "mariadb" if shutil.which("mariadb") else "mysql"
        return DumpTool("mariadb", dump, client)
    raise BackupRefused(f"no backup procedure for {backend}")


def _pg_args(url: URL) -> tuple[list[str], dict[str, str]]:
    args = [f"--dbname={url.database}"]
    if url.host:
        args.append(f"--host={url.host}")
    if url.port:
        args.append(f"--port={url.port}")
    if url.username:
        args.append(f"--username={url.username}")
    # The password goes through the environment, never the command line (`ps` shows that).
    env = {"PGPASSWORD": url.password} if url.password else {}
    return args, {**os.environ, **env}


def _maria_args(url: URL) -> tuple[list[str], dict[str, str]]:
    args = []
    if url.host:
        args.append(f"--host={url.host}")
    if url.port:
        args.append(f"--port={url.port}")
    if url.username:
        args.append(f"--user={url.username}")
    env = {"MYSQL_PWD": str(url.password)} if url.password else {}
    return args, {**os.environ, **env}


def _run(command: list[str], env: dict[str, str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    # The database's own client programs, arguments as a list: no shell.
    kwargs.setdefault("stdout", subprocess.PIPE)
    done = subprocess.run(command, env=env, stderr=subprocess.PIPE, check=False, **kwargs)  # noqa: S603
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip() or f"exit status {done.returncode}"
        raise BackupRefused(f"{Path(command[0]).name} failed: {message}")
    return done


def dump_server(database_url: str, target: Path) -> DumpTool:
    """Back a PostgreSQL (pg_dump -Fc) or MariaDB (mariadb-dump --single-transaction) store up
    to `target`; BackupRefused if the tool is missing or fails."""
    tool = dump_tool(database_url)
    if not tool.available():
        raise BackupRefused(f"{tool.dump} is not on PATH")
    if target.exists():
        raise BackupRefused(f"{target} exists; give a new file name (a backup never overwrites)")
    url = make_url(database_url)
    partial = target.with_name(target.name + ".partial")
    try:
        if tool.backend == "postgresql":
            args, env = _pg_args(url)
            _run([tool.dump, "--format=custom", f"--file={partial}", *args], env)
        else:
            args, env = _maria_args(url)
            with partial.open("wb") as out:
                _run(
                    [
                        tool.dump,
                        *args,
                        "--single-transaction",
                        "--routines",
                        "--triggers",
                        "--hex-blob",
                        str(url.database),
                    ],
                    env,
                    stdout=out,
                )
        _fsync(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return tool


_MARIA_REVISION = re.compile(rb"INSERT INTO `alembic_version` VALUES\s*\('([0-9a-f]+)'\)")


def dump_revision(database_url: str, dump: Path) -> str:
    """The schema revision inside a pg_dump or mariadb-dump file of a Till store."""
    tool = dump_tool(database_url)
    if not dump.is_file():
        raise BackupRefused(f"there is no file {dump}")
    with dump.open("rb") as handle:
        head = handle.read(4096)
    if tool.backend == "postgresql":
        if not head.startswith(PG_DUMP_MAGIC):
            raise BackupRefused(f"{dump} is not a pg_dump custom-format archive of a Till store")
        listing = _run(
            [tool.restore, "--data-only", "--table=alembic_version", "--file=-", str(dump)], dict(os.environ)
        ).stdout
        found = re.search(rb"COPY public\.alembic_version .*?\n([0-9a-f]+)\n", listing, re.DOTALL)
    else:
        if b"-- MariaDB dump" not in head and b"-- MySQL dump" not in head:
            raise BackupRefused(f"{dump} is not a mariadb-dump file of a Till store")
        found = _MARIA_REVISION.search(dump.read_bytes())
    if found is None:
        raise BackupRefused(f"{dump} is not a backup of a Till store (it has no schema revision)")
    return found.group(1).decode()


def server_tables(engine: Engine) -> list[str]:
    """Tables in the database a URL names (empty for a new database)."""
    from sqlalchemy import inspect

    return sorted(inspect(engine).get_table_names())


def server_sessions(engine: Engine) -> int:
    """Other sessions connected to the same database (a running Till has some)."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            query = (
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        else:
            query = (
                "SELECT count(*) FROM information_schema.PROCESSLIST "
                "WHERE DB = DATABASE() AND ID <> CONNECTION_ID()"
            )
        return int(conn.execute(text(query)).scalar_one())


def restore_server(database_url: str, dump: Path, *, force: bool = False) -> str:
    """Load a pg_dump/mariadb-dump backup into the (new, empty) database of `database_url`,
    then migrate it forward; answers the schema revision. A database that already holds
    tables is refused: restore into a new one and point TILL_DATABASE_URL at it."""
    tool = dump_tool(database_url)
    revision = dump_revision(database_url, dump)
    if not known_revision(revision):
        raise BackupRefused(
            f"{dump} was made by a newer Till (schema {revision}); this Till is at schema "
            f"{head_revision()}: upgrade Till first"
        )
    engine = make_engine(database_url, pool_size=1)
    try:
        existing = server_tables(engine)
        if existing:
            raise BackupRefused(
                f"the database {make_url(database_url).database} already holds {len(existing)} "
                "tables; restore into a new, empty database and point TILL_DATABASE_URL at it"
            )
        if server_sessions(engine) and not force:
            raise BackupRefused(
                "other sessions are connected to the database (is Till running on it?); stop "
                "them first, or pass --force if they are yours"
            )
        engine.dispose()
        url = make_url(database_url)
        if tool.backend == "postgresql":
            args, env = _pg_args(url)
            options = ["--no-owner", "--single-transaction", "--exit-on-error"]
            _run([tool.restore, *options, *args, str(dump)], env)
        else:
            args, env = _maria_args(url)
            with dump.open("rb") as source:
                _run([tool.restore, *args, str(url.database)], env, stdin=source)
        upgrade(engine)
        with engine.begin() as conn:
            head = str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one())
            EventRepository(conn).audit(
                "store.restored",
                {"backup": dump.name, "schema_from": revision, "schema_to": head},
                Actor.command_line("till restore"),
            )
        return head
    finally:
        engine.dispose()
