"""Instructions with one row per recipient, their timeline, attachments and escalation notices;
checklist templates, per-station overrides and the materialised checklist tasks."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from pingan.store.base import Base, UTCDateTime, utcnow

__all__ = [
    "CHECKLIST_FREQUENCIES",
    "CHECKLIST_TARGETS",
    "PRIORITIES",
    "RECIPIENT_KINDS",
    "ChecklistOverride",
    "ChecklistTask",
    "ChecklistTemplate",
    "Instruction",
    "InstructionAttachment",
    "InstructionEvent",
    "InstructionRecipient",
    "Notice",
]

PRIORITIES: tuple[str, ...] = ("low", "normal", "high", "urgent")
RECIPIENT_KINDS: tuple[str, ...] = ("station", "unit", "officer")
CHECKLIST_FREQUENCIES: tuple[str, ...] = ("daily", "weekly", "monthly", "quarterly")
CHECKLIST_TARGETS: tuple[str, ...] = ("station", "officer", "cell", "premises")


class Instruction(Base):
    """An instruction (指令) issued by the command center, a district or a station chief.

    ``jpath`` is the issuer's office (the level escalation notices go to); the recipients carry
    their own paths and states in :class:`InstructionRecipient`.
    """

    __tablename__ = "instructions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(String(8))
    issuer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    issuer_level: Mapped[str] = mapped_column(String(16))
    issuer_jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"))
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    sign_by: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    complete_by: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    warning_id: Mapped[int | None] = mapped_column(ForeignKey("early_warnings.id"), index=True)
    dispute_id: Mapped[int | None] = mapped_column(Integer, index=True)  # pingan.disputes
    premises_id: Mapped[int | None] = mapped_column(ForeignKey("premises.id"), index=True)
    recipient_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_instructions_issuer_created", "issuer_id", "created_at"),
        Index("ix_instructions_jpath_created", "jpath", "created_at"),
    )


class InstructionRecipient(Base):
    """One recipient of an instruction (a station, a unit or an officer) with its own state.

    The deadlines and the priority are copied from the instruction so that queues are read from
    this table alone, by index, in O(page size).
    """

    __tablename__ = "instruction_recipients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instruction_id: Mapped[int] = mapped_column(
        ForeignKey("instructions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    station_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    priority: Mapped[str] = mapped_column(String(8))
    sign_by: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    complete_by: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    signed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    first_reported_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reported_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    report_text: Mapped[str | None] = mapped_column(Text)
    report_lon: Mapped[float | None] = mapped_column(Float)
    report_lat: Mapped[float | None] = mapped_column(Float)
    sign_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    complete_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_instruction_recipients_officer_state", "officer_id", "state"),
        Index("ix_instruction_recipients_station_state", "station_id", "state"),
        Index("ix_instruction_recipients_state_sign_by", "state", "sign_by"),
        Index("ix_instruction_recipients_state_complete_by", "state", "complete_by"),
    )


class InstructionEvent(Base):
    """One entry of an instruction's timeline (issued, a recipient's transition, a report,
    an escalation, an attachment)."""

    __tablename__ = "instruction_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instruction_id: Mapped[int] = mapped_column(
        ForeignKey("instructions.id", ondelete="CASCADE"), index=True
    )
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("instruction_recipients.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(24))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[str] = mapped_column(Text, default="{}")


class InstructionAttachment(Base):
    """Metadata of a file attached to an instruction (or to one recipient's report); the bytes
    live under ``data_dir/attachments/`` named by their SHA-256."""

    __tablename__ = "instruction_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instruction_id: Mapped[int] = mapped_column(
        ForeignKey("instructions.id", ondelete="CASCADE"), index=True
    )
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("instruction_recipients.id", ondelete="CASCADE")
    )
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_path: Mapped[str] = mapped_column(String(300))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notice(Base):
    """An escalation notice to the issuer's level: a recipient is overdue to sign or to complete.

    Unique per recipient and kind, so the escalation pass is idempotent.
    """

    __tablename__ = "task_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    instruction_id: Mapped[int] = mapped_column(
        ForeignKey("instructions.id", ondelete="CASCADE"), index=True
    )
    recipient_id: Mapped[int] = mapped_column(
        ForeignKey("instruction_recipients.id", ondelete="CASCADE")
    )
    message_zh: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("recipient_id", "kind", name="uq_task_notices_recipient_kind"),
    )


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
