"""Dispute cases (矛盾纠纷), their parties, mediation log, follow-up visits and timeline.

Parties carry minimised personal data only: a display name and a phone number, both encrypted
at rest (``PINGAN_DATA_KEY``), masked in lists and revealed only through an audited request with a
reason. A party may be flagged ``vulnerable`` with a situational reason category; there are no
demographic, ethnic or religious fields. The escalation risk belongs to the case.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pingan.store.base import Base, EncryptedStr, UTCDateTime, utcnow
from pingan.store.timeline import TimelineEvent

__all__ = [
    "FOLLOW_UP_OUTCOMES",
    "KINDS",
    "MEDIATION_METHODS",
    "MEDIATION_OUTCOMES",
    "PARTY_ROLES",
    "REFERRAL_TARGETS",
    "RISK_LEVELS",
    "SOURCES",
    "VULNERABLE_REASONS",
    "Dispute",
    "DisputeEvent",
    "DisputeFollowUp",
    "DisputeParty",
    "MediationStep",
]

KINDS: tuple[str, ...] = (
    "neighbourhood",
    "family",
    "property_landlord",
    "labour_wages",
    "commercial",
    "other",
)
SOURCES: tuple[str, ...] = ("call_110", "visit", "screening")
PARTY_ROLES: tuple[str, ...] = ("complainant", "respondent", "other")
VULNERABLE_REASONS: tuple[str, ...] = (
    "health_or_disability",
    "child_at_risk",
    "domestic_abuse_risk",
    "economic_hardship",
    "social_isolation",
    "other",
)
MEDIATION_METHODS: tuple[str, ...] = ("on_site", "at_station", "phone", "joint_committee", "other")
MEDIATION_OUTCOMES: tuple[str, ...] = ("agreed", "partial", "failed", "no_show")
REFERRAL_TARGETS: tuple[str, ...] = ("court", "mediation_committee", "other_department")
FOLLOW_UP_OUTCOMES: tuple[str, ...] = ("stable", "recurring", "unreachable")
RISK_LEVELS: tuple[str, ...] = ("low", "medium", "high")


class Dispute(Base):
    """One dispute case at a place, owned by the grid cell's community officer."""

    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    source: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text, default="")
    address_text: Mapped[str | None] = mapped_column(String(300))
    address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id"))
    premises_id: Mapped[int | None] = mapped_column(ForeignKey("premises.id"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    threats_reported: Mapped[bool] = mapped_column(Boolean, default=False)
    violence_reported: Mapped[bool] = mapped_column(Boolean, default=False)
    weapons_mentioned: Mapped[bool] = mapped_column(Boolean, default=False)
    referral_target: Mapped[str | None] = mapped_column(String(24))
    referral_note: Mapped[str | None] = mapped_column(Text)
    risk_level: Mapped[str] = mapped_column(String(8), default="low", index=True)
    risk_rules: Mapped[str] = mapped_column(Text, default="[]")
    risk_evaluated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    risk_instruction_id: Mapped[int | None] = mapped_column(Integer)  # pingan.instructions
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    mediating_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    referred_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_disputes_jpath_registered", "jpath", "registered_at"),
        Index("ix_disputes_lat_lon", "lat", "lon"),
    )


class DisputeParty(Base):
    """A party to a dispute: role, encrypted display name and phone, optional vulnerability."""

    __tablename__ = "dispute_parties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dispute_id: Mapped[int] = mapped_column(
        ForeignKey("disputes.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str | None] = mapped_column(EncryptedStr(512))
    phone: Mapped[str | None] = mapped_column(EncryptedStr(512))
    vulnerable: Mapped[bool] = mapped_column(Boolean, default=False)
    vulnerable_reason: Mapped[str | None] = mapped_column(String(32))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MediationStep(Base):
    """One mediation step: when, by whom, how, with what outcome and the next date."""

    __tablename__ = "dispute_mediation_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dispute_id: Mapped[int] = mapped_column(
        ForeignKey("disputes.id", ondelete="CASCADE"), index=True
    )
    held_on: Mapped[dt.date] = mapped_column(Date)
    mediator: Mapped[str] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(24))
    outcome: Mapped[str] = mapped_column(String(16))
    next_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DisputeFollowUp(Base):
    """A follow-up visit after resolution: scheduled for a day, then recorded with an outcome."""

    __tablename__ = "dispute_follow_ups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dispute_id: Mapped[int] = mapped_column(
        ForeignKey("disputes.id", ondelete="CASCADE"), index=True
    )
    due_on: Mapped[dt.date] = mapped_column(Date)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    scheduled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DisputeEvent(TimelineEvent, Base):
    """One entry of a dispute's timeline: a transition, a mediation step, a risk change (the
    columns of :class:`~pingan.store.timeline.TimelineEvent`)."""

    __tablename__ = "dispute_events"

    dispute_id: Mapped[int] = mapped_column(
        ForeignKey("disputes.id", ondelete="CASCADE"), index=True
    )
