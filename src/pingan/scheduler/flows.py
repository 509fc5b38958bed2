"""Scheduler work that commits: a tick of the leader, one run of a job, a run started by hand.

A run is recorded in a transaction of its own before the job starts (so ``/jobs`` shows it
running, and a second process finds the slot taken), the job commits its own work, and the end
is recorded in a third transaction. A job that fails leaves ``failed`` with a safe error text
(a pingan error's message, else the exception's class) and the traceback in the server log.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pingan.audit.service import Actor, record
from pingan.config import get_settings
from pingan.errors import Conflict, NotFound, PingAnError
from pingan.scheduler import service
from pingan.scheduler.jobs import JOBS, Job, get_job
from pingan.scheduler.models import ScheduledRun
from pingan.scheduler.schemas import JobRead, RunRead
from pingan.store.base import utcnow
from pingan.store.engine import unit_of_work

__all__ = [
    "Due",
    "begin_run_flow",
    "due_jobs",
    "end_run_flow",
    "job_or_raise",
    "job_rows",
    "run_job_flow",
    "start_manual_run_flow",
]

log = logging.getLogger("pingan.scheduler")


@dataclass(frozen=True)
class Due:
    """A job whose slot has come and has no run yet."""

    job: Job
    slot_at: dt.datetime


def job_or_raise(name: str) -> Job:
    """The job called ``name``, or NotFound naming the known jobs."""
    job = get_job(name)
    if job is None:
        raise NotFound(
            f"job {name!r} not found; use one of {', '.join(j.name for j in JOBS)}", field="job"
        )
    return job


def due_jobs(
    engine: Engine, *, holder: str, now: dt.datetime, ttl_s: float, skip: frozenset[str]
) -> list[Due]:
    """Take or renew the lease; as leader, the jobs whose newest slot has no scheduled run yet
    (a scheduler that was down runs each missed job once, for its newest slot). ``skip``: jobs
    still running in this process."""
    tz = ZoneInfo(get_settings().timezone)
    with unit_of_work(engine) as s:
        leader = service.take_lease(s, holder=holder, now=now, ttl_s=ttl_s)
        s.commit()
        if not leader:
            return []
        out = []
        for job in JOBS:
            if job.name in skip:
                continue
            slot = job.schedule.latest_slot(now, tz)
            last = service.last_slot(s, job=job.name)
            if last is None or last < slot:
                out.append(Due(job, slot))
        return out


def run_job_flow(
    engine: Engine,
    job: Job,
    *,
    slot_at: dt.datetime,
    trigger: str = "schedule",
    started_by: str = "scheduler",
    run_id: int | None = None,
) -> int | None:
    """Run ``job`` for ``slot_at`` and record it; None if that slot already had a run.

    With ``run_id`` the run row exists already (a manual run recorded by
    :func:`start_manual_run_flow`, or a scheduled one by :func:`begin_run_flow`)."""
    if run_id is None:
        run_id = begin_run_flow(
            engine, job, slot_at=slot_at, trigger=trigger, started_by=started_by
        )
        if run_id is None:
            return None
    else:  # recorded when it was queued: it starts now
        with unit_of_work(engine) as s:
            service.mark_started(s, run_id=run_id, now=utcnow())
            s.commit()
    result = None
    error = None
    try:
        result = job.run(engine, utcnow())
    except PingAnError as exc:
        error = exc.message
        log.warning("scheduled job %s failed: %s", job.name, exc.message)
    except Exception as exc:  # a job's fault must not stop the scheduler
        error = type(exc).__name__
        log.exception("scheduled job %s failed", job.name)
    end_run_flow(engine, run_id=run_id, result=result, error=error)
    return run_id


def begin_run_flow(
    engine: Engine,
    job: Job,
    *,
    slot_at: dt.datetime,
    trigger: str = "schedule",
    started_by: str = "scheduler",
) -> int | None:
    """Record the start of a run of ``job`` for ``slot_at`` (its own transaction); its id, or
    None when that slot already has a run (another process took it)."""
    with unit_of_work(engine) as s:
        run = service.start_run(
            s, job=job.name, slot_at=slot_at, trigger=trigger, started_by=started_by, now=utcnow()
        )
        s.commit()
        return None if run is None else run.id


def end_run_flow(
    engine: Engine, *, run_id: int, result: dict[str, Any] | None, error: str | None
) -> None:
    """Record the end of run ``run_id``: its summary, or ``error`` (a safe text) when it failed."""
    with unit_of_work(engine) as s:
        service.finish_run(s, run_id=run_id, now=utcnow(), result=result, error=error)
        s.commit()


STALE_RUN = dt.timedelta(hours=1)
"""A run still marked running after this long is taken as lost (its server killed mid-run)."""


def start_manual_run_flow(session: Session, job: Job, *, actor: Actor) -> ScheduledRun:
    """Record a run of ``job`` started by hand now (audited) and commit; the caller then runs it
    with :func:`run_job_flow` and this run's id. A job whose newest run is still under way
    (started within :data:`STALE_RUN`) is a 409: a second press would run it twice at once."""
    now = utcnow()
    last = service.list_runs(session, job=job.name, limit=1)
    if last and last[0].status == "running" and now - last[0].started_at < STALE_RUN:
        raise Conflict(f"{job.name} is running (run {last[0].id}); wait for it", field="job")
    run = service.start_run(
        session, job=job.name, slot_at=now, trigger="manual", started_by=actor.name, now=now
    )
    if run is None:  # the same job started by hand twice in one microsecond
        raise Conflict("that job was started a moment ago; wait for it", field="job")
    record(
        session,
        actor=actor,
        action="run_job",
        entity="scheduled_run",
        entity_id=run.id,
        detail={"job": job.name},
    )
    session.commit()
    return run


def job_rows(session: Session, lang: str) -> list[JobRead]:
    """Every job with its schedule, next slot and newest run (one query for the runs)."""
    tz = ZoneInfo(get_settings().timezone)
    now = utcnow()
    last = service.last_runs(session)
    return [
        JobRead(
            name=j.name,
            label=j.label(lang),
            schedule=j.schedule.describe(lang),
            next_at=j.schedule.next_slot(now, tz),
            last_run=RunRead.of(last[j.name]) if j.name in last else None,
        )
        for j in JOBS
    ]
