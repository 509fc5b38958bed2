"""The scheduler's tables: the leader's lease and one row per run of a job."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pingan.store.base import Base, UTCDateTime

__all__ = ["ScheduledRun", "SchedulerLease"]


class SchedulerLease(Base):
    """Who leads the scheduler until when: one row per lease name."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ScheduledRun(Base):
    """One run of a job: the slot it ran for (scheduled runs are unique per job and slot),
    who started it, when it ran and what it did."""

    __tablename__ = "scheduled_runs"
    __table_args__ = (UniqueConstraint("job", "slot_at", "trigger", name="uq_scheduled_run_slot"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(40), index=True)
    slot_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    trigger: Mapped[str] = mapped_column(String(16))  # schedule | manual
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | ok | failed
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    started_by: Mapped[str] = mapped_column(String(120))
    result: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
