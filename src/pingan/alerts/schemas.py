"""API shapes of early warnings."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pingan.schemas import Page

__all__ = ["WarningAction", "WarningPage", "WarningRead"]


class WarningRead(BaseModel):
    """A warning with its numbers and its explanation."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    status: str
    category: str
    jurisdiction_id: int | None
    jpath: str = "/"
    station_id: int | None = None
    """The owning police station (from ``jpath``), to which an instruction goes."""
    center_lon: float | None
    center_lat: float | None
    radius_m: float | None
    window_start: dt.datetime
    window_end: dt.datetime
    observed: float
    expected: float
    statistic: float
    p_value: float | None
    severity: int
    explanation_zh: str
    explanation_en: str
    detail: dict[str, Any] = {}
    reason: str | None
    instruction_id: int | None
    created_at: dt.datetime
    allowed_actions: list[str] = []


class WarningPage(Page[WarningRead]):
    """A page of warnings."""


class WarningAction(BaseModel):
    """Acknowledge, dismiss (a reason is required) or mark a warning actioned."""

    model_config = ConfigDict(extra="forbid")

    to_state: Literal["acknowledged", "dismissed", "actioned"]
    reason: str = Field(default="", max_length=2000)
