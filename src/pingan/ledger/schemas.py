"""API shapes of the services ledger: ``EntryCreate`` in; ``EntryRead``, ``EntryPage`` and
``SummaryRead`` out. Input models forbid unknown fields; ``kind`` is a ``Literal`` so that a bad
value is a 422 naming the field and listing the kinds."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pingan.inputs import Instant
from pingan.schemas import Page

__all__ = [
    "By",
    "EntryCreate",
    "EntryPage",
    "EntryRead",
    "Kind",
    "Period",
    "SummaryRead",
    "SummaryRow",
]

Kind = Literal["visit", "mediation", "help", "lost_found", "certificate", "school_talk", "other"]
By = Literal["officer", "cell", "community"]
Period = Literal["day", "month"]


class EntryCreate(BaseModel):
    """A service done for people: its kind, when (with a time zone), where (WGS-84), how many
    minutes, and an optional note, which must hold no personal data of the person served (no
    names, phone or ID numbers): the ledger counts work, not people."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind
    at: Instant = Field(examples=["2026-12-07T09:30:00+08:00"])
    lon: float = Field(ge=-180, le=180, examples=[102.7123])
    lat: float = Field(ge=-90, le=90, examples=[25.0406])
    minutes: int = Field(ge=1, le=600, examples=[20])
    note: str = Field(default="", max_length=500)


class EntryRead(BaseModel):
    """A stored ledger entry: the officer is the caller who recorded it; the cell and the
    community are those the point falls in."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    officer_id: int
    kind: str
    at: dt.datetime
    lon: float
    lat: float
    cell_id: int | None
    community_id: int | None
    minutes: int
    note: str
    created_at: dt.datetime
    station_id: int | None = None
    day: dt.date | None = None
    officer_name: str | None = None
    cell_name: str | None = None
    community_name: str | None = None


class EntryPage(Page[EntryRead]):
    """A page of ledger entries, newest first."""


class SummaryRow(BaseModel):
    """The entries and minutes of one officer, cell or community in one day or month (local
    time), with the entries per kind."""

    key_id: int | None
    key_name: str
    key_name_en: str
    period: str
    entries: int
    minutes: int
    by_kind: dict[str, int]


class SummaryRead(BaseModel):
    """Counts of the ledger per ``by`` and ``period`` between ``since`` and ``until``."""

    by: By
    period: Period
    since: dt.date
    until: dt.date
    rows: list[SummaryRow]
    rows_total: int = Field(description="rows there are; fewer are listed when `limit` is given")
    total_entries: int
    total_minutes: int
