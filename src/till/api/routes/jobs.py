"""Scheduled jobs (back office): list, history, change or run now."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from till.api.deps import (
    AdminDep,
    EngineDep,
    ManagerDep,
)
from till.api.schemas import problems
from till.queue import scheduler

#: Every back-office route is for managers or admins: any may answer 403.
router = APIRouter(prefix="/api/admin", tags=["back office"], responses=problems(403))


class JobChange(BaseModel):
    """Change a job: schedule (cron or '@every 30s'), on/off, params, or run it now."""

    schedule: str | None = Field(default=None, max_length=64)
    enabled: bool | None = None
    params: dict[str, Any] | None = None
    run_now: bool = False


@router.get("/jobs")
def list_jobs(engine: EngineDep, principal: ManagerDep) -> list[dict[str, Any]]:
    """Scheduled jobs: schedule, next run, last run and its result."""
    return scheduler.list_jobs(engine)


@router.get("/jobs/{name}/runs", responses=problems(404))
def job_runs(name: str, engine: EngineDep, principal: ManagerDep) -> list[dict[str, Any]]:
    """A job's recent runs."""
    scheduler.get_job(engine, name)
    return scheduler.job_history(engine, name)


@router.patch("/jobs/{name}", responses=problems(404))
def change_job(name: str, body: JobChange, engine: EngineDep, principal: AdminDep) -> dict[str, Any]:
    """Change a job (admins)."""
    return scheduler.change_job(
        engine,
        name,
        when=body.schedule,
        enabled=body.enabled,
        params=body.params,
        run_now=body.run_now,
        by=principal.actor(),
    )
