"""``/api/v1/scheduler``: the scheduled jobs, their runs, and running a job now (administrators)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request

from pingan.api.deps import SessionDep, allowed
from pingan.api.errors import ErrorBody
from pingan.auth.service import Principal
from pingan.errors import NotFound
from pingan.scheduler import service
from pingan.scheduler.flows import job_or_raise, job_rows, start_manual_run_flow
from pingan.scheduler.models import ScheduledRun
from pingan.scheduler.runner import run_in_background
from pingan.scheduler.schemas import JobRead, RunPage, RunRead

__all__ = ["job_rows", "router"]

router = APIRouter(prefix="/api/v1/scheduler", tags=["scheduler"], responses=ErrorBody)
Lang = Literal["zh-CN", "en"]
JobRunner = Annotated[Principal, allowed("job.run")]
ProvinceRunner = Annotated[Principal, allowed("province.run")]
PROVINCE_JOB = "province"


@router.get("/jobs", operation_id="list_scheduled_jobs")
def list_jobs(principal: JobRunner, session: SessionDep, lang: Lang = "zh-CN") -> list[JobRead]:
    """The scheduled jobs: label, schedule, next run and newest run."""
    return job_rows(session, lang)


@router.post("/jobs/{name}/run", status_code=202, operation_id="run_scheduled_job")
def run_job(
    request: Request,
    principal: JobRunner,
    session: SessionDep,
    name: Annotated[str, Path(max_length=40)],
) -> RunRead:
    """Run a job now in the background (audited); poll ``GET /runs/{id}`` for its end. A job
    whose run is still under way is a 409."""
    return _start(request, session, principal, name)


def _start(request: Request, session: SessionDep, principal: Principal, name: str) -> RunRead:
    """Record a manual run of job ``name`` (409 while one is under way) and start it."""
    job = job_or_raise(name)
    run = start_manual_run_flow(session, job, actor=principal.actor)  # commits: the lock is free
    out = RunRead.of(run)
    run_in_background(request.app.state.engine, job, run_id=run.id)
    return out


@router.get("/runs", operation_id="list_scheduled_runs")
def list_runs(
    principal: JobRunner,
    session: SessionDep,
    job: Annotated[str | None, Query(max_length=40)] = None,
    before_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> RunPage:
    """Runs, newest first (keyset paging with ``before_id``)."""
    rows = service.list_runs(session, job=job, before_id=before_id, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return RunPage(
        items=[RunRead.of(r) for r in rows], next_before_id=rows[-1].id if more else None
    )


@router.get("/runs/{run_id}", operation_id="get_scheduled_run")
def get_run(
    principal: JobRunner,
    session: SessionDep,
    run_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> RunRead:
    """One run: its state, times and summary."""
    row = session.get(ScheduledRun, run_id)
    if row is None:
        raise NotFound(f"run {run_id} does not exist", field="run_id")
    return RunRead.of(row)


@router.post("/province/run", status_code=202, operation_id="run_province_analyses")
def run_province(request: Request, principal: ProvinceRunner, session: SessionDep) -> RunRead:
    """Run the job ``province`` now (the button on ``/province``): this database's incidents
    exported to the province folder and the analyses run again; audited. Poll
    ``GET /province/runs/{id}``; a run already under way is a 409."""
    return _start(request, session, principal, PROVINCE_JOB)


@router.get("/province/runs/{run_id}", operation_id="get_province_run")
def get_province_run(
    principal: ProvinceRunner,
    session: SessionDep,
    run_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> RunRead:
    """One run of the job ``province``: its state, times and summary (runs of other jobs are
    not found here)."""
    row = session.get(ScheduledRun, run_id)
    if row is None or row.job != PROVINCE_JOB:
        raise NotFound(f"run {run_id} of the province analyses does not exist", field="run_id")
    return RunRead.of(row)
