"""Input models of crime analysis, shared by the API (query parameters) and the CLI."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Selection"]


class Selection(BaseModel):
    """Which incidents: a period, categories and an area inside your jurisdiction."""

    model_config = ConfigDict(populate_by_name=True)

    since: dt.datetime | None = None
    until: dt.datetime | None = None
    subtype: str | None = None
    klass: str | None = Field(default=None, alias="class")
    group: str | None = None
    area: str | None = Field(default=None, description="jurisdiction code to narrow to")
    include_drill: bool = Field(default=False, description="count drill incidents too")
