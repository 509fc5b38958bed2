"""Duty checklists (一张清单管任务): bureau templates, per-station overrides and the
materialised checklist tasks in each officer's queue."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pingan.store.base import Base, UTCDateTime, utcnow

__all__ = [
    "CHECKLIST_FREQUENCIES",
    "CHECKLIST_TARGETS",
    "ChecklistOverride",
    "ChecklistTask",
    "ChecklistTemplate",
]

CHECKLIST_FREQUENCIES: tuple[str, ...] = ("daily", "weekly", "monthly", "quarterly")
CHECKLIST_TARGETS: tuple[str, ...] = ("station", "officer", "cell", "premises")


class ChecklistTemplate(Base):
    """A recurring duty of the bureau's checklist (职责任务清单).

    ``frequency`` daily/weekly/monthly/quarterly; ``times`` comma-separated local ``HH:MM`` slots
    (empty: once in the period); ``weekday`` (0 = Monday) for weekly, ``day_of_month`` for
    monthly and quarterly duties. ``target`` says what one task is for: the station, each officer
    of ``role``, each grid cell, or each premises of ``premises_kind``.
    """

    __tablename__ = "checklist_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    role: Mapped[str] = mapped_column(String(32))
    frequency: Mapped[str] = mapped_column(String(16))
    times: Mapped[str] = mapped_column(String(120), default="")
    weekday: Mapped[int] = mapped_column(Integer, default=0)
    day_of_month: Mapped[int] = mapped_column(Integer, default=1)
    window_min: Mapped[int] = mapped_column(Integer, default=60)
    target: Mapped[str] = mapped_column(String(16))
    premises_kind: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ChecklistOverride(Base):
    """A station's adjustment of a bureau template: disable it, or change its time/frequency."""

    __tablename__ = "checklist_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("checklist_templates.id", ondelete="CASCADE")
    )
    station_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    frequency: Mapped[str | None] = mapped_column(String(16))
    times: Mapped[str | None] = mapped_column(String(120))
    weekday: Mapped[int | None] = mapped_column(Integer)
    day_of_month: Mapped[int | None] = mapped_column(Integer)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("template_id", "station_id", name="uq_checklist_overrides_tpl_station"),
    )


class ChecklistTask(Base):
    """One materialised duty in an officer's queue; unique per template, target, day and slot,
    so running the scheduler twice creates nothing twice."""

    __tablename__ = "checklist_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("checklist_templates.id", ondelete="CASCADE")
    )
    station_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    target_kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int] = mapped_column(Integer)
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    slot: Mapped[str] = mapped_column(String(5))  # local HH:MM, "" = once in the period
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    close_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(8), default="open")
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint(
            "template_id", "target_id", "day", "slot", name="uq_checklist_tasks_occurrence"
        ),
        Index("ix_checklist_tasks_assignee_day", "assignee_id", "day"),
        Index("ix_checklist_tasks_station_day", "station_id", "day"),
        Index("ix_checklist_tasks_state_close", "state", "close_at"),
    )
