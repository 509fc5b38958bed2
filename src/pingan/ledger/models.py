"""The table of the services ledger: one row per service an officer did for people (a visit, a
mediation, help, …) with its place (the grid cell and community the point falls in), local day,
minutes and an optional note that holds no personal data of the person served."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pingan.store.base import Base, UTCDateTime, utcnow

__all__ = ["KINDS", "LedgerEntry"]

KINDS: tuple[str, ...] = (
    "visit",
    "mediation",
    "help",
    "lost_found",
    "certificate",
    "school_talk",
    "other",
)
"""The kinds of service (labels in the i18n files under ``ledger.kind.<kind>``)."""


class LedgerEntry(Base):
    """One service done by ``officer_id`` at ``at`` (its local ``day`` in the bureau's zone),
    at a point inside the cell ``cell_id`` of the community ``community_id``."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    day: Mapped[dt.date] = mapped_column(Date)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    cell_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"))
    jpath: Mapped[str] = mapped_column(String(255))
    minutes: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_ledger_entries_jpath_day", "jpath", "day"),
        Index("ix_ledger_entries_officer_day", "officer_id", "day"),
    )
