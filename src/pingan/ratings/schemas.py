"""API and CLI shapes of the star ratings (input models forbid unknown fields)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pingan.places.models import Premises
from pingan.ratings.models import Hazard, Rating

__all__ = [
    "AwardRow",
    "AwardsRead",
    "ComputeRead",
    "ComputeRequest",
    "EvidenceRead",
    "FeatureSet",
    "HazardCreate",
    "HazardPage",
    "HazardRead",
    "RatedPage",
    "RatedRow",
    "RatingItemRead",
    "RatingRead",
    "RevokeRequest",
    "hazard_read",
    "rated_row",
    "rating_read",
]

Colour = Literal["red", "yellow", "green"]


class EvidenceRead(BaseModel):
    """A row behind an item: its table, id and a short description."""

    table: str
    id: int
    text: str


class RatingItemRead(BaseModel):
    """One criteria item: points earned, the maximum, and the evidence rows behind them."""

    code: str
    label: str
    label_en: str
    points: float
    max: float
    count: int = Field(description="how many evidence rows there were (at most 20 are listed)")
    note: str
    note_zh: str = ""
    evidence: list[EvidenceRead]


class RatingRead(BaseModel):
    """A premises' current rating, explained item by item."""

    premises_id: int
    premises_code: str
    premises_name: str
    kind: str
    station_id: int | None
    stars: int
    colour: Colour
    score: float
    max_score: float
    criteria_version: str
    computed_at: dt.datetime
    valid_until: dt.date
    revoked: bool
    items: list[RatingItemRead]


def rating_read(r: Rating, p: Premises) -> RatingRead:
    """The API form of a rating row."""
    return RatingRead(
        premises_id=p.id,
        premises_code=p.code,
        premises_name=p.name,
        kind=r.kind,
        station_id=r.station_id,
        stars=r.stars,
        colour=r.colour,  # type: ignore[arg-type]
        score=r.score,
        max_score=r.max_score,
        criteria_version=r.criteria_version,
        computed_at=r.computed_at,
        valid_until=r.valid_until,
        revoked=r.revoked_at is not None,
        items=[RatingItemRead.model_validate(i) for i in json.loads(r.items)],
    )


class ComputeRequest(BaseModel):
    """Rate every premises in your jurisdiction, or in one station."""

    model_config = ConfigDict(extra="forbid")

    station: str | None = Field(default=None, max_length=64, description="a station code")


class ComputeRead(BaseModel):
    """What a computation wrote."""

    criteria_version: str
    rated: int
    stars: dict[str, int]
    computed_at: dt.datetime


class RatedRow(BaseModel):
    """A premises with its current rating, for lists and the map."""

    premises_id: int
    code: str
    name: str
    kind: str
    lon: float
    lat: float
    station_id: int | None
    stars: int
    colour: Colour
    score: float
    max_score: float
    valid_until: dt.date
    revoked: bool


def rated_row(r: Rating, p: Premises) -> RatedRow:
    """The list form of a rating."""
    return RatedRow(
        premises_id=p.id,
        code=p.code,
        name=p.name,
        kind=r.kind,
        lon=p.lon,
        lat=p.lat,
        station_id=r.station_id,
        stars=r.stars,
        colour=r.colour,  # type: ignore[arg-type]
        score=r.score,
        max_score=r.max_score,
        valid_until=r.valid_until,
        revoked=r.revoked_at is not None,
    )


class RatedPage(BaseModel):
    """A page of rated premises."""

    total: int
    limit: int
    offset: int
    items: list[RatedRow]


class AwardRow(BaseModel):
    """A five-star premises of the year."""

    station_id: int | None
    station_code: str | None
    station_name: str | None
    premises_id: int
    code: str
    name: str
    kind: str
    score: float
    computed_at: dt.datetime


class AwardsRead(BaseModel):
    """The annual five-star list, by station."""

    year: int
    items: list[AwardRow]


class RevokeRequest(BaseModel):
    """Withdraw a premises' current rating and every sign printed from it or earlier."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=300)


class FeatureSet(BaseModel):
    """Record whether a premises has a security feature."""

    model_config = ConfigDict(extra="forbid")

    present: bool
    note: str = Field(default="", max_length=300)


class HazardCreate(BaseModel):
    """A hazard point (lon, lat) or segment (a GeoJSON LineString) to be rectified."""

    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(default=None, max_length=64)
    category: Literal["traffic", "fire", "public_order"]
    title: str = Field(min_length=1, max_length=200)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    geometry: dict[str, Any] | None = None
    level: Literal["station", "district", "city"] = "station"
    owner: str = Field(default="", max_length=200)
    deadline: dt.date | None = None
    premises_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class HazardUpdate(BaseModel):
    """A hazard's owner, deadline or status (open or rectifying)."""

    model_config = ConfigDict(extra="forbid")

    owner: str | None = Field(default=None, max_length=200)
    deadline: dt.date | None = Field(default=None, ge=dt.date(2000, 1, 1), le=dt.date(2100, 12, 31))
    status: Literal["open", "rectifying"] | None = None


class HazardRead(BaseModel):
    """A hazard with the incidents within 100 m of it in the last 12 months."""

    id: int
    code: str
    category: str
    title: str
    lon: float
    lat: float
    geometry: dict[str, Any] | None
    level: str
    owner: str
    deadline: dt.date | None
    status: str
    premises_id: int | None
    incidents_12m: int | None = None


def hazard_read(h: Hazard, incidents_12m: int | None = None) -> HazardRead:
    """The API form of a hazard."""
    return HazardRead(
        id=h.id,
        code=h.code,
        category=h.category,
        title=h.title,
        lon=h.lon,
        lat=h.lat,
        geometry=json.loads(h.geometry) if h.geometry else None,
        level=h.level,
        owner=h.owner,
        deadline=h.deadline,
        status=h.status,
        premises_id=h.premises_id,
        incidents_12m=incidents_12m,
    )


class HazardPage(BaseModel):
    """A page of hazards."""

    total: int
    limit: int
    offset: int
    items: list[HazardRead]
