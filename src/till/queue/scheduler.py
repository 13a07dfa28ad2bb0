"""The adjustment scheduler: cron-like jobs stored in the database.

Any number of processes run `Scheduler.tick()`. A due run is claimed by a compare-and-set:
`UPDATE scheduled_jobs SET next_run_at = :next WHERE name = :job AND next_run_at = :due`.
Only one process's UPDATE matches (the others see 0 rows, because the first moved
`next_run_at` on), on SQLite, PostgreSQL and MariaDB alike, with no lock held while the job
runs. The winner records the run in `job_runs`, whose unique (job, due_at) is a second guard.
A missed run (every scheduler down) runs once when one comes back, not once per missed time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from till.domain.errors import Invalid, NotFound
from till.queue import schedule, store
from till.storage.events import Actor, EventRepository
from till.storage.tables import job_runs, scheduled_jobs

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a job may use: the database, the settings, and the worker's transport (if any)."""

    engine: Engine
    settings: Any
    replay: Callable[[dict[str, Any]], Awaitable[None]] | None = None


JobFunction = Callable[[JobContext, dict[str, Any]], Awaitable[str]]
#: Job kinds by name; a job row names its kind.
JOBS: dict[str, JobFunction] = {}


#: (name, kind, schedule, params) of the jobs made on first start; people change them after.
DEFAULT_JOBS: list[tuple[str, str, str, dict[str, Any]]] = []


def register_job(
    kind: str, function: JobFunction, defaults: tuple[tuple[str, str, dict[str, Any]], ...] = ()
) -> None:
    """Register a job kind and the jobs of that kind made on first start, each as
    (name, schedule, params). The composition root (till.bootstrap) calls this for the core
    jobs and integrations (the Magento connector) call it from their `install`: the queue knows
    no job of its own but its housekeeping below."""
    JOBS[kind] = function
    for name, when, params in defaults:
        if all(row[0] != name for row in DEFAULT_JOBS):
            DEFAULT_JOBS.append((name, kind, when, params))


def ensure_default_jobs(engine: Engine, now: datetime | None = None) -> None:
    """Create the default jobs that do not exist yet."""
    now = now or datetime.now(UTC)
    with engine.begin() as conn:
        have = set(conn.execute(select(scheduled_jobs.c.name)).scalars())
    for name, kind, when, params in DEFAULT_JOBS:
        if name not in have:
            with contextlib.suppress(IntegrityError):  # another process made it a moment ago
                add_job(engine, name, kind, when, params, now=now)


def add_job(
    engine: Engine,
    name: str,
    kind: str,
    when: str,
    params: dict[str, Any] | None = None,
    *,
    enabled: bool = True,
    now: datetime | None = None,
) -> None:
    """Store a job; its first run is the schedule's next moment."""
    if kind not in JOBS:
        raise Invalid(f"no job kind {kind!r}; kinds: {', '.join(sorted(JOBS))}")
    schedule.check(when)
    with engine.begin() as conn:
        conn.execute(
            insert(scheduled_jobs).values(
                name=name,
                kind=kind,
                schedule=when,
                params=params or {},
                enabled=enabled,
                next_run_at=schedule.next_run(when, now or datetime.now(UTC)),
            )
        )


def change_job(
    engine: Engine,
    name: str,
    *,
    when: str | None = None,
    enabled: bool | None = None,
    params: dict[str, Any] | None = None,
    run_now: bool = False,
    by: Actor,
) -> dict[str, Any]:
    """Change a job's schedule, switch it on or off, or make it due now."""
    values: dict[str, Any] = {}
    now = datetime.now(UTC)
    if when is not None:
        schedule.check(when)
        values.update(schedule=when, next_run_at=schedule.next_run(when, now))
    if enabled is not None:
        values["enabled"] = enabled
    if params is not None:
        values["params"] = params
    if run_now:
        values["next_run_at"] = now
    with engine.begin() as conn:
        if (
            values
            and not conn.execute(
                update(scheduled_jobs).where(scheduled_jobs.c.name == name).values(**values)
            ).rowcount
        ):
            raise NotFound(f"no job {name}")
        if values:
            asked = {"schedule": when, "enabled": enabled, "params": params, "run_now": run_now or None}
            EventRepository(conn).audit(
                "job.changed", {"job": name, **{k: v for k, v in asked.items() if v is not None}}, by
            )
    return get_job(engine, name)


def _job_json(row: Any) -> dict[str, Any]:
    def iso(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat()

    return {
        "name": row.name,
        "kind": row.kind,
        "schedule": row.schedule,
        "params": row.params,
        "enabled": bool(row.enabled),
        "next_run_at": iso(row.next_run_at),
        "last_run_at": iso(row.last_run_at),
        "last_status": row.last_status,
        "last_result": row.last_result,
    }


def list_jobs(engine: Engine) -> list[dict[str, Any]]:
    """Every job with its next and last run."""
    with engine.connect() as conn:
        return [_job_json(r) for r in conn.execute(select(scheduled_jobs).order_by(scheduled_jobs.c.name))]


def get_job(engine: Engine, name: str) -> dict[str, Any]:
    """One job, or NotFound."""
    with engine.connect() as conn:
        row = conn.execute(select(scheduled_jobs).where(scheduled_jobs.c.name == name)).first()
    if row is None:
        raise NotFound(f"no job {name}")
    return _job_json(row)


def job_history(engine: Engine, name: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Recent runs, newest first."""
    query = select(job_runs).order_by(job_runs.c.id.desc()).limit(limit)
    if name:
        query = query.where(job_runs.c.job == name)
    with engine.connect() as conn:
        return [
            {
                "job": r.job,
                "due_at": r.due_at.isoformat() if r.due_at else None,
                "worker": r.worker,
                "status": r.status,
                "result": r.result,
                "started_at": r.started_at.isoformat() if r.started_at else None,
            }
            for r in conn.execute(query)
        ]


class Scheduler:
    """Runs due jobs; safe to run in any number of processes at once."""

    def __init__(self, context: JobContext, worker: str) -> None:
        self.context = context
        self.worker = worker

    def _claim(self, now: datetime) -> list[tuple[str, str, dict[str, Any], Any]]:
        engine = self.context.engine
        with engine.connect() as conn:
            due = conn.execute(
                select(
                    scheduled_jobs.c.name,
                    scheduled_jobs.c.kind,
                    scheduled_jobs.c.schedule,
                    scheduled_jobs.c.params,
                    scheduled_jobs.c.next_run_at,
                ).where(scheduled_jobs.c.enabled.is_(True), scheduled_jobs.c.next_run_at <= now)
            ).all()
        won = []
        for name, kind, when, params, due_at in due:
            try:
                following = schedule.next_run(when, max(now, due_at or now))
            except schedule.BadSchedule:
                following = now + timedelta(days=1)
            with engine.begin() as conn:
                claimed = conn.execute(
                    update(scheduled_jobs)
                    .where(scheduled_jobs.c.name == name, scheduled_jobs.c.next_run_at == due_at)
                    .values(next_run_at=following)
                ).rowcount
                if not claimed:
                    continue  # another scheduler took this run
                try:
                    with conn.begin_nested():
                        conn.execute(
                            insert(job_runs).values(
                                job=name,
                                due_at=due_at,
                                worker=self.worker,
                                started_at=now,
                                status="running",
                            )
                        )
                except IntegrityError:
                    continue
            won.append((name, kind, dict(params or {}), due_at))
        return won

    async def tick(self, now: datetime | None = None) -> list[str]:
        """Claim and run every due job; returns the names of the jobs this process ran."""
        now = now or datetime.now(UTC)
        ran = []
        for name, kind, params, due_at in await asyncio.to_thread(self._claim, now):
            status, result = "ok", ""
            function = JOBS.get(kind)
            try:
                if function is None:
                    raise LookupError(f"no job kind {kind!r} in this process")
                result = await function(self.context, params)
            except Exception as exc:
                log.exception("job %s failed", name)
                status, result = "failed", f"{type(exc).__name__}: {exc}"
            await asyncio.to_thread(self._finish, name, due_at, status, result)
            ran.append(name)
        return ran

    def _finish(self, name: str, due_at: Any, status: str, result: str) -> None:
        finished = datetime.now(UTC)
        with self.context.engine.begin() as conn:
            conn.execute(
                update(job_runs)
                .where(job_runs.c.job == name, job_runs.c.due_at == due_at)
                .values(finished_at=finished, status=status, result=result[:4000])
            )
            conn.execute(
                update(scheduled_jobs)
                .where(scheduled_jobs.c.name == name)
                .values(last_run_at=finished, last_status=status, last_result=result[:4000])
            )


# --- the queue's own housekeeping (registered by the composition root) ---------------------


async def retry_exports(context: JobContext, params: dict[str, Any]) -> str:
    """Replay dead-lettered exports (after Magento was away, say)."""
    if context.replay is None:
        return "no transport in this process"
    letters = await asyncio.to_thread(store.dead_letters, context.engine, None, int(params.get("limit", 500)))
    replayed = 0
    for letter in letters:
        if letter["queue"].startswith("export."):
            await context.replay(letter)
            replayed += 1
    return f"replayed {replayed} exports"


async def purge_outbox(context: JobContext, params: dict[str, Any]) -> str:
    """Delete delivered outbox rows (and finished queue rows) after the retention period."""
    days = int(params.get("retention_days", context.settings.outbox_retention_days))
    purged = await asyncio.to_thread(store.purge, context.engine, timedelta(days=days))
    return ", ".join(f"{k} {v}" for k, v in purged.items())
