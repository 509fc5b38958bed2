"""The scheduler's reads and writes: the leader's lease, runs started and finished.

Keyword-only functions taking a Session; they never commit (the flows do).

The lease is one row per name. Taking it is one conditional UPDATE (``holder = me OR
expires_at < now``), so at most one holder wins however many processes try at once; a missing
row is inserted first (a concurrent insert of the same name loses on the primary key and simply
finds the row). A leader that stops renewing loses the lease when it expires.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pingan.scheduler.models import ScheduledRun, SchedulerLease

__all__ = [
    "finish_run",
    "last_runs",
    "last_slot",
    "list_runs",
    "mark_started",
    "start_run",
    "take_lease",
]

LEASE = "scheduler"


def take_lease(
    session: Session, *, holder: str, now: dt.datetime, ttl_s: float, name: str = LEASE
) -> bool:
    """Take or renew the lease ``name`` for ``holder`` until ``now + ttl_s``; True if held."""
    until = now + dt.timedelta(seconds=ttl_s)
    res = session.execute(
        update(SchedulerLease)
        .where(
            SchedulerLease.name == name,
            (SchedulerLease.holder == holder) | (SchedulerLease.expires_at < now),
        )
        .values(holder=holder, expires_at=until)
        .execution_options(synchronize_session=False)
    )
    if res.rowcount == 1:  # type: ignore[attr-defined]
        return True
    if session.get(SchedulerLease, name) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(SchedulerLease(name=name, holder=holder, expires_at=until))
    except IntegrityError:
        return False  # another process inserted it first
    return True


def start_run(
    session: Session,
    *,
    job: str,
    slot_at: dt.datetime,
    trigger: str,
    started_by: str,
    now: dt.datetime,
) -> ScheduledRun | None:
    """Record that ``job`` starts for ``slot_at``; None if that slot already has a run."""
    run = ScheduledRun(
        job=job,
        slot_at=slot_at,
        trigger=trigger,
        status="running",
        started_at=now,
        started_by=started_by,
    )
    try:
        with session.begin_nested():
            session.add(run)
    except IntegrityError:
        return None
    return run


def mark_started(session: Session, *, run_id: int, now: dt.datetime) -> None:
    """A run recorded when it was handed to its lane starts now: its time is its own, not the
    wait behind the lane's previous job."""
    session.execute(update(ScheduledRun).where(ScheduledRun.id == run_id).values(started_at=now))


def finish_run(
    session: Session,
    *,
    run_id: int,
    now: dt.datetime,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """Record how a run ended: ``ok`` with its summary, or ``failed`` with a safe error text."""
    session.execute(
        update(ScheduledRun)
        .where(ScheduledRun.id == run_id)
        .values(
            status="failed" if error is not None else "ok",
            finished_at=now,
            result=json.dumps(result, ensure_ascii=False) if result is not None else None,
            error=error,
        )
    )


def last_slot(session: Session, *, job: str) -> dt.datetime | None:
    """The newest slot a scheduled run of ``job`` was started for."""
    return session.scalar(
        select(func.max(ScheduledRun.slot_at)).where(
            ScheduledRun.job == job, ScheduledRun.trigger == "schedule"
        )
    )


def last_runs(session: Session) -> dict[str, ScheduledRun]:
    """The newest run of every job (scheduled or manual), by job name."""
    newest = (
        select(ScheduledRun.job, func.max(ScheduledRun.id).label("id"))
        .group_by(ScheduledRun.job)
        .subquery()
    )
    rows = session.scalars(select(ScheduledRun).join(newest, ScheduledRun.id == newest.c.id))
    return {r.job: r for r in rows}


def list_runs(
    session: Session, *, job: str | None = None, before_id: int | None = None, limit: int = 50
) -> list[ScheduledRun]:
    """Runs, newest first, optionally of one job, keyset-paged by id."""
    q = select(ScheduledRun).order_by(ScheduledRun.id.desc()).limit(limit)
    if job:
        q = q.where(ScheduledRun.job == job)
    if before_id is not None:
        q = q.where(ScheduledRun.id < before_id)
    return list(session.scalars(q))
