"""API shapes of scorecards, computed scores, figure sources, rankings, trends, surveys and
inspections."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pingan.inputs import Day, Id, Instant

__all__ = [
    "EntityScore",
    "EvaluationRead",
    "Figure",
    "IndicatorIn",
    "IndicatorRead",
    "InspectionCreate",
    "InspectionRead",
    "Level",
    "PeriodRead",
    "RankingItem",
    "RankingRead",
    "ScorecardCreate",
    "ScorecardRead",
    "ScorecardUpdate",
    "SourceRow",
    "SourcesRead",
    "SurveyCreate",
    "SurveyPage",
    "SurveyRead",
    "TrendPoint",
    "TrendRead",
]

Level = Literal["officer", "cell", "community", "station"]
PeriodKind = Literal["month", "quarter", "half", "year"]
Direction = Literal["higher", "lower"]
Code = Field(pattern=r"^[a-z0-9_]{1,64}$")


class IndicatorIn(BaseModel):
    """One indicator of a card: ``source`` names what is measured (one of
    ``pingan.evaluation.sources.SOURCES``; checked by the service, 422 naming
    ``indicators[i].source``)."""

    model_config = ConfigDict(extra="forbid")
    code: str = Code
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1, max_length=64)
    weight: float = Field(ge=0, le=1000)
    target: float = Field(gt=0)
    direction: Direction


def _check_indicators(v: list[IndicatorIn] | None) -> list[IndicatorIn] | None:
    if v is None:
        return v
    codes = [i.code for i in v]
    dup = sorted({c for c in codes if codes.count(c) > 1})
    if dup:
        raise ValueError(f"indicator codes must be unique; repeated: {', '.join(dup)}")
    if sum(i.weight for i in v) <= 0:
        raise ValueError("the weights must sum to more than 0")
    return v


class ScorecardCreate(BaseModel):
    """A new scorecard."""

    model_config = ConfigDict(extra="forbid")
    code: str = Code
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    period_kind: PeriodKind = "quarter"
    jurisdiction_id: Id | None = None
    achievement_cap: float = Field(default=1.2, gt=0, le=10)
    active: bool = True
    description: str = Field(default="", max_length=4000)
    indicators: list[IndicatorIn] = Field(min_length=1, max_length=40)

    _ind = field_validator("indicators")(_check_indicators)


class ScorecardUpdate(BaseModel):
    """Changes to a scorecard; ``indicators`` replaces the whole list."""

    model_config = ConfigDict(extra="forbid")
    name_zh: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, min_length=1, max_length=200)
    period_kind: PeriodKind | None = None
    achievement_cap: float | None = Field(default=None, gt=0, le=10)
    active: bool | None = None
    description: str | None = Field(default=None, max_length=4000)
    indicators: list[IndicatorIn] | None = Field(default=None, min_length=1, max_length=40)

    _ind = field_validator("indicators")(_check_indicators)


class IndicatorRead(BaseModel):
    code: str
    name_zh: str
    name_en: str
    source: str
    unit: str
    weight: float
    target: float
    direction: str
    how_zh: str
    how_en: str


class ScorecardRead(BaseModel):
    """A card; ``id`` is null for the packaged default."""

    id: int | None
    code: str
    name_zh: str
    name_en: str
    period_kind: str
    jpath: str
    achievement_cap: float
    active: bool = True
    indicators: list[IndicatorRead]


class PeriodRead(BaseModel):
    label: str
    kind: str
    first: dt.date
    last: dt.date
    partial: bool


class Figure(BaseModel):
    """One indicator of one entity: the value and how it scored; ``sources`` lists its rows."""

    code: str
    unit: str
    value: float | None
    numerator: float | None
    denominator: float | None
    target: float
    achievement: float | None
    weight: float
    contribution: float
    no_data_reason: str | None
    sources: str


class EntityScore(BaseModel):
    entity_id: int
    code: str
    name_zh: str
    name_en: str
    parent_zh: str
    parent_en: str
    score: float | None
    rank: int | None
    coverage: float
    figures: list[Figure]


class EvaluationRead(BaseModel):
    """Scores of every entity of a level in scope, ranked."""

    scorecard: ScorecardRead
    period: PeriodRead
    level: str
    scope_jpath: str
    computed_at: dt.datetime
    how: str
    total: int
    limit: int
    offset: int
    items: list[EntityScore]


class RankingItem(BaseModel):
    rank: int | None
    entity_id: int
    code: str
    name_zh: str
    name_en: str
    parent_zh: str
    parent_en: str
    score: float | None
    coverage: float


class RankingRead(BaseModel):
    period: PeriodRead
    level: str
    scorecard_code: str
    total: int
    median: float | None
    items: list[RankingItem]
    how: str


class TrendPoint(BaseModel):
    period: str
    first: dt.date
    last: dt.date
    score: float | None
    rank: int | None
    median: float | None
    mean: float | None
    entities: int
    values: dict[str, float | None]


class TrendRead(BaseModel):
    level: str
    entity_id: int | None
    scorecard_code: str
    indicators: list[str]
    points: list[TrendPoint]


class SourceRow(BaseModel):
    id: int
    ref_id: int
    label: str | None
    at: dt.datetime | None
    link: str | None
    numerator: float | None = None
    denominator: float | None = None
    value: float | None = None


class SourcesRead(BaseModel):
    """The records one figure was computed from."""

    indicator: str
    source: str
    record: str
    level: str
    entity_id: int
    period: str
    part: str
    how_zh: str
    how_en: str
    reason: str | None
    total: int
    limit: int
    offset: int
    items: list[SourceRow]


class SurveyCreate(BaseModel):
    """The aggregated result of a resident-satisfaction survey in one grid cell."""

    model_config = ConfigDict(extra="forbid")
    cell_id: Id
    period_start: Day
    period_end: Day
    respondents: int = Field(ge=1, le=1_000_000)
    satisfied: int = Field(ge=0, le=1_000_000)
    method: Literal["visit", "phone", "online", "mixed"] = "visit"
    note: str = Field(default="", max_length=2000)


class SurveyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    cell_id: int
    period_start: dt.date
    period_end: dt.date
    respondents: int
    satisfied: int
    method: str
    note: str
    created_at: dt.datetime


class SurveyPage(BaseModel):
    items: list[SurveyRead]
    total: int
    limit: int
    offset: int


class InspectionCreate(BaseModel):
    """An inspection of a premises by the caller."""

    model_config = ConfigDict(extra="forbid")
    premises_id: Id
    inspected_at: Instant
    outcome: Literal["ok", "issues_found", "rectified"] = "ok"
    note: str = Field(default="", max_length=2000)


class InspectionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    premises_id: int
    officer_id: int | None
    inspected_at: dt.datetime
    outcome: str
    note: str
