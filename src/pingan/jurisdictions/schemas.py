"""API shapes of jurisdictions."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AssignIn", "AssignOut", "JurisdictionCreate", "JurisdictionRead", "JurisdictionUpdate"]


class JurisdictionRead(BaseModel):
    """A jurisdiction; ``geometry`` only on single reads."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    level: str
    name_zh: str
    name_en: str
    parent_id: int | None
    path: str
    owner_id: int | None
    min_lon: float | None
    min_lat: float | None
    max_lon: float | None
    max_lat: float | None
    site_lon: float | None
    site_lat: float | None
    geometry: dict[str, Any] | None = None


class JurisdictionCreate(BaseModel):
    """A new jurisdiction (administrators)."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=64)
    level: str
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    parent_code: str | None = None
    geometry: dict[str, Any]
    owner_username: str | None = None
    site_lon: float | None = Field(default=None, ge=-180, le=180)
    site_lat: float | None = Field(default=None, ge=-90, le=90)


class JurisdictionUpdate(BaseModel):
    """Names, and the owning community officer of a grid cell."""

    model_config = ConfigDict(extra="forbid")
    name_zh: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, min_length=1, max_length=200)
    owner_username: str | None = None


class AssignIn(BaseModel):
    """Points to assign (WGS-84), at most 100,000."""

    model_config = ConfigDict(extra="forbid")
    lon: list[float] = Field(max_length=100_000)
    lat: list[float] = Field(max_length=100_000)


class AssignOut(BaseModel):
    """Per point: the finest jurisdiction's id and code (null outside), and the outsiders."""

    jurisdiction_id: list[int | None]
    code: list[str | None]
    outside: list[int]
