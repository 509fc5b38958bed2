"""Scorecards and their indicators, aggregated resident-satisfaction surveys and premises
inspections.

A scorecard scores the *work* done in grid cells (instructions signed and completed, duties
done, disputes resolved, incidents, inspections, survey results): it holds no personal
attributes, and surveys are stored as aggregated counts per cell and period only, never as a
resident's answer.
"""

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
    "DIRECTIONS",
    "INSPECTION_OUTCOMES",
    "PERIOD_KINDS",
    "SURVEY_METHODS",
    "Indicator",
    "PremisesInspection",
    "SatisfactionSurvey",
    "Scorecard",
]

PERIOD_KINDS: tuple[str, ...] = ("month", "quarter", "half", "year")
DIRECTIONS: tuple[str, ...] = ("higher", "lower")
SURVEY_METHODS: tuple[str, ...] = ("visit", "phone", "online", "mixed")
INSPECTION_OUTCOMES: tuple[str, ...] = ("ok", "issues_found", "rectified")


class Scorecard(Base):
    """A configurable scorecard: which indicators, with what weights and targets, apply to a
    jurisdiction (``jurisdiction_id`` None: the whole bureau) for a kind of period."""

    __tablename__ = "evaluation_scorecards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    period_kind: Mapped[str] = mapped_column(String(16))
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"))
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    achievement_cap: Mapped[float] = mapped_column(Float, default=1.2)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Indicator(Base):
    """One indicator of a scorecard: what it measures (``source``), its weight, its target and
    whether a higher or a lower value is better."""

    __tablename__ = "evaluation_indicators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_scorecards.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    code: Mapped[str] = mapped_column(String(64))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(64))
    weight: Mapped[float] = mapped_column(Float)
    target: Mapped[float] = mapped_column(Float)
    direction: Mapped[str] = mapped_column(String(8))

    __table_args__ = (
        UniqueConstraint("scorecard_id", "code", name="uq_evaluation_indicators_card_code"),
    )


class SatisfactionSurvey(Base):
    """The aggregated result of a resident-satisfaction survey in one grid cell for a period:
    how many residents answered and how many were satisfied. No per-resident answers."""

    __tablename__ = "satisfaction_surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    respondents: Mapped[int] = mapped_column(Integer)
    satisfied: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(16), default="visit")
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint(
            "cell_id", "period_start", "period_end", name="uq_satisfaction_cell_period"
        ),
        Index("ix_satisfaction_surveys_period", "period_start", "period_end"),
    )


class PremisesInspection(Base):
    """A visit inspecting one premises (安全检查): when, by whom, with what outcome."""

    __tablename__ = "premises_inspections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    premises_id: Mapped[int] = mapped_column(
        ForeignKey("premises.id", ondelete="CASCADE"), index=True
    )
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    inspected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
