"""GeoJSON answers of the geocoder (``GET /api/v1/geocode`` and ``/geocode/reverse``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["GeocodeCollection", "GeocodeFeature", "GeocodeProperties", "PointGeometry"]

Kind = Literal["address", "premises", "road", "junction"]


class PointGeometry(BaseModel):
    """A GeoJSON point in WGS-84 (longitude, latitude)."""

    type: Literal["Point"] = "Point"
    coordinates: tuple[float, float]


class GeocodeProperties(BaseModel):
    """What a candidate is and how well it matches."""

    label: str = Field(description="the name as registered, e.g. 北京路88号")
    kind: Kind = Field(description="address (door plate), premises, road or junction")
    score: float = Field(ge=0, le=1, description="rapidfuzz ratio of the search keys, 0-1")
    jurisdiction_code: str | None = Field(description="the grid cell (or area) it lies in")
    distance_m: float | None = Field(
        default=None, description="reverse geocoding: metres from the given point"
    )


class GeocodeFeature(BaseModel):
    """One candidate as a GeoJSON Feature."""

    type: Literal["Feature"] = "Feature"
    id: str = Field(description="kind/row id in the gazetteer or the address register")
    geometry: PointGeometry
    properties: GeocodeProperties


class GeocodeCollection(BaseModel):
    """Candidates, best first."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[GeocodeFeature]
