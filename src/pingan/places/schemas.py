"""API shapes of addresses, premises and key areas."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pingan.inputs import refuse_null
from pingan.places.kinds import PremisesKind

__all__ = ["KeyAreaCreate", "KeyAreaRead", "PremisesCreate", "PremisesRead", "PremisesUpdate"]


class PremisesCreate(BaseModel):
    """A new premises; contact data is personal data (encrypted, masked, audited)."""

    model_config = ConfigDict(extra="forbid")
    code: str | None = Field(default=None, max_length=64)
    kind: PremisesKind
    name: str = Field(min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    address_text: str | None = Field(default=None, max_length=300)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    crs: Literal["WGS84", "GCJ02", "BD09"] = "WGS84"
    capacity: int = Field(default=0, ge=0, le=1_000_000)
    police_room: bool = False
    contact_name: str | None = Field(default=None, max_length=100)
    contact_phone: str | None = Field(default=None, max_length=32, pattern=r"^[0-9+\-() ]{3,32}$")


class PremisesUpdate(BaseModel):
    """Changes to a premises."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    address_text: str | None = Field(default=None, max_length=300)
    capacity: int | None = Field(default=None, ge=0, le=1_000_000)
    police_room: bool | None = None
    contact_name: str | None = Field(default=None, max_length=100)
    contact_phone: str | None = Field(default=None, max_length=32, pattern=r"^[0-9+\-() ]{3,32}$")

    @field_validator("name", "capacity", "police_room")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        return refuse_null(value)


class PremisesRead(BaseModel):
    """A premises with its contact masked."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    kind: str
    name: str
    name_en: str | None
    address_text: str | None
    lon: float
    lat: float
    jurisdiction_id: int
    capacity: int
    police_room: bool
    contact_name_masked: str | None = None
    contact_phone_masked: str | None = None
    contact_recorded_at: dt.datetime | None


class KeyAreaCreate(BaseModel):
    """A rapid-response key area with its response standard."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=64)
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    kind: str = Field(default="other", max_length=32)
    geometry: dict[str, Any]
    response_standard_s: int = Field(gt=0, le=3600)


class KeyAreaRead(BaseModel):
    """A key area."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name_zh: str
    name_en: str
    kind: str
    response_standard_s: int
    jurisdiction_id: int
    centroid_lon: float
    centroid_lat: float
    geometry: dict[str, Any] | None = None
