"""SQLite: an online backup with SQLite's backup API, checked, and a restore that keeps the old file."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from till import __version__

#: Written into every SQLite backup; a file without it is not a Till backup.
from till.storage.backup.common import (
    FORMAT,
    MANIFEST_TABLE,
    SQLITE_MAGIC,
    BackupRefused,
    Manifest,
    Progress,
    Restored,
    _fsync,
    _fsync_dir,
    _quiet,
    head_revision,
    known_revision,
)
from till.storage.db import make_engine
from till.storage.events import Actor, EventRepository
from till.storage.migrate import upgrade

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
