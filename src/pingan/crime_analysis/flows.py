"""Analysis flows shared by the API (as background jobs) and the CLI."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from pingan.alerts.service import store_warnings
from pingan.auth.service import Principal
from pingan.crime_analysis import data, precomputed, service
from pingan.inputs import Day
from pingan.jobs.service import Report
from pingan.store.engine import unit_of_work

__all__ = ["HISTORY_DAYS", "RECENT_DAYS", "WarningRun", "as_of_of", "warnings_run_flow"]

HISTORY_DAYS = 400
"""The history the warnings' baselines are fitted on."""
RECENT_DAYS = 62
"""The incidents read when the alarms come from the counts: the scan's 60 local days up to the
latest one, and a day's margin at each end for the time zone."""


def as_of_of(frame: data.IncidentFrame) -> dt.date:
    """The last local day of a selection."""
    day, _ = data.local_days(np.array([int(frame.until.timestamp()) - 1], dtype=np.int64))
    return dt.date.fromisoformat(str(day[0]))


class WarningRun(BaseModel):
    """Evaluate the latest data for early warnings."""

    model_config = ConfigDict(extra="forbid")

    as_of: Day | None = None
    by: Literal["district", "station", "community"] = "station"
    method: Literal["cusum", "ewma"] = "cusum"
    false_alarms_per_year: float = Field(default=1.0, gt=0, le=52)
    scan: bool = True
    replications: int = Field(default=999, ge=99, le=9999)


def warnings_run_flow(
    engine: Engine, principal: Principal, body: WarningRun, report: Report | None = None
) -> dict[str, Any]:
    """Load, evaluate and store warnings; returns counts and the stored ids. The alarms read
    the precomputed day counts when they are built (:func:`precomputed.warning_counts`), so a
    run reads the last :data:`RECENT_DAYS` days of incidents, not :data:`HISTORY_DAYS`.

    The evaluation runs in a read transaction (progress reports write the job row in units of
    work of their own, and on SQLite a write transaction held here would block them); only
    storing the warnings takes a short write transaction."""
    with unit_of_work(engine, write=False) as s:
        until = (
            dt.datetime.combine(body.as_of, dt.time(), dt.UTC) + dt.timedelta(days=1)
            if body.as_of
            else dt.datetime.now(dt.UTC)
        )
        since = until - dt.timedelta(days=HISTORY_DAYS)
        counts = precomputed.warning_counts(s, principal, since=since, until=until, by=body.by)
        if counts is None:  # every incident of the history, as before the counts
            frame = data.load_incidents(s, principal=principal, since=since, until=until)
        else:  # the targets and the scan need only the last days' incidents
            recent = max(since, until - dt.timedelta(days=RECENT_DAYS))
            frame = data.load_incidents(s, principal=principal, since=recent, until=until)
        as_of = body.as_of or as_of_of(frame)
        new = service.warnings_for(
            s,
            frame,
            as_of=as_of,
            by=body.by,
            method=body.method,
            false_alarm_rate=body.false_alarms_per_year / 365.0,
            scan=body.scan,
            replications=body.replications,
            progress=report,
            counts=counts,
        )
    with unit_of_work(engine) as s:
        stored, skipped = store_warnings(s, actor=principal.actor, warnings=new)
        s.commit()
        return {
            "as_of": as_of.isoformat(),
            "raised": len(new),
            "stored": len(stored),
            "already_stored": skipped,
            "ids": [w.id for w in stored],
        }
