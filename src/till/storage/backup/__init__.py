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

from till.storage.backup.common import (
    FORMAT,
    MANIFEST_TABLE,
    PG_DUMP_MAGIC,
    SQLITE_MAGIC,
    BackupRefused,
    Manifest,
    Progress,
    Restored,
    head_revision,
    known_revision,
    sqlite_path,
)
from till.storage.backup.server import (
    DumpTool,
    dump_revision,
    dump_server,
    dump_tool,
    restore_server,
    server_sessions,
    server_tables,
)
from till.storage.backup.sqlite import (
    backup_sqlite,
    check_backup,
    read_manifest,
    restore_sqlite,
    sqlite_in_use,
)

__all__ = [
    "FORMAT",
    "MANIFEST_TABLE",
    "PG_DUMP_MAGIC",
    "SQLITE_MAGIC",
    "BackupRefused",
    "DumpTool",
    "Manifest",
    "Progress",
    "Restored",
    "backup_sqlite",
    "check_backup",
    "dump_revision",
    "dump_server",
    "dump_tool",
    "head_revision",
    "known_revision",
    "read_manifest",
    "restore_server",
    "restore_sqlite",
    "server_sessions",
    "server_tables",
    "sqlite_in_use",
    "sqlite_path",
]
