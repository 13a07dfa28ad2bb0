"""What both kinds of backup share: the format, the manifest, revisions and fsync."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from till.storage.migrate import alembic_config

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
