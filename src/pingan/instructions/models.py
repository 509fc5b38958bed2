"""Instructions with one row per recipient, their timeline, attachments and escalation notices."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
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
from pingan.store.timeline import TimelineEvent

__all__ = [
    "PRIORITIES",
    "RECIPIENT_KINDS",
    "Instruction",
    "InstructionAttachment",
    "InstructionEvent",
    "InstructionRecipient",
    "Notice",
]

PRIORITIES: tuple[str, ...] = ("low", "normal", "high", "urgent")
RECIPIENT_KINDS: tuple[str, ...] = ("station", "unit", "officer")


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


class InstructionEvent(TimelineEvent, Base):
    """One entry of an instruction's timeline (issued, a recipient's transition, a report,
    an escalation, an attachment); the columns of :class:`~pingan.store.timeline.TimelineEvent`
    plus the instruction and, for a recipient's step, the recipient."""

    __tablename__ = "instruction_events"

    instruction_id: Mapped[int] = mapped_column(
        ForeignKey("instructions.id", ondelete="CASCADE"), index=True
    )
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("instruction_recipients.id", ondelete="CASCADE"), index=True
    )


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
