"""Early warnings raised by the analytics kernels, with the numbers that raised them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pingan.store.base import Base, UTCDateTime, utcnow

__all__ = ["WARNING_KINDS", "EarlyWarning", "EarlyWarningEvent"]

WARNING_KINDS: tuple[str, ...] = (
    "ewma",  # Poisson EWMA alarm for an area × category
    "cusum",  # Poisson CUSUM alarm
    "scan_cluster",  # significant prospective space-time permutation cluster
    "emerging_hotspot",  # a grid cell newly significant in Gi*
    "target_exceeded",  # a group's daily target (e.g. 两抢一盗 ≤ 9) exceeded
)


class EarlyWarning(Base):
    """One warning: a place (area or circle), a category, a time window and its statistics.

    ``explanation_zh``/``explanation_en`` say in words how it was raised; ``detail`` (JSON)
    keeps every number (baseline, statistic, threshold, false-alarm rate, location ids…).
    ``dedup_key`` makes repeated runs over the same data idempotent.
    """

    __tablename__ = "early_warnings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    category: Mapped[str] = mapped_column(String(64))  # subtype, group or class code
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"))
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    center_lon: Mapped[float | None] = mapped_column(Float)
    center_lat: Mapped[float | None] = mapped_column(Float)
    radius_m: Mapped[float | None] = mapped_column(Float)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    observed: Mapped[float] = mapped_column(Float)
    expected: Mapped[float] = mapped_column(Float)
    statistic: Mapped[float] = mapped_column(Float)
    p_value: Mapped[float | None] = mapped_column(Float)
    severity: Mapped[int] = mapped_column(Integer, default=2)  # 1 high … 3 low
    explanation_zh: Mapped[str] = mapped_column(Text)
    explanation_en: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text, default="{}")
    dedup_key: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(Text)
    instruction_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("dedup_key", name="uq_early_warnings_dedup_key"),
        Index("ix_early_warnings_jpath_created", "jpath", "created_at"),
    )


class EarlyWarningEvent(Base):
    """A step in a warning's handling (acknowledged, dismissed with a reason, actioned)."""

    __tablename__ = "early_warning_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warning_id: Mapped[int] = mapped_column(
        ForeignKey("early_warnings.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
