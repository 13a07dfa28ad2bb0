"""PostgreSQL and MariaDB: backups and restores with their own tools (pg_dump, mariadb-dump)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL, make_url

#: Written into every SQLite backup; a file without it is not a Till backup.
from till.storage.backup.common import PG_DUMP_MAGIC, BackupRefused, _fsync, head_revision, known_revision
from till.storage.db import make_engine
from till.storage.events import Actor, EventRepository
from till.storage.migrate import upgrade

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
