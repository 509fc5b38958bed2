"""What the scheduler's API answers: jobs with their schedule and newest run, and runs."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pydantic import BaseModel

from pingan.scheduler.models import ScheduledRun

__all__ = ["JobRead", "RunPage", "RunRead"]


class RunRead(BaseModel):
    """One run of a job."""

    id: int
    job: str
    trigger: str
    status: str
    slot_at: dt.datetime
    started_at: dt.datetime
    finished_at: dt.datetime | None
    duration_s: float | None
    started_by: str
    result: dict[str, Any] | None
    error: str | None

    @classmethod
    def of(cls, run: ScheduledRun) -> RunRead:
        """The API form of a run row."""
        return cls(
            id=run.id,
            job=run.job,
            trigger=run.trigger,
            status=run.status,
            slot_at=run.slot_at,
            started_at=run.started_at,
            finished_at=run.finished_at,
            duration_s=(run.finished_at - run.started_at).total_seconds()
            if run.finished_at
            else None,
            started_by=run.started_by,
            result=json.loads(run.result) if run.result else None,
            error=run.error,
        )


class JobRead(BaseModel):
    """A job: its name, label and schedule in the caller's language, when it runs next, and
    its newest run."""

    name: str
    label: str
    schedule: str
    next_at: dt.datetime
    last_run: RunRead | None


class RunPage(BaseModel):
    """A page of runs, newest first; ``next_before_id`` asks for the next page."""

    items: list[RunRead]
    next_before_id: int | None
