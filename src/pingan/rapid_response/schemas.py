"""Request bodies of the coverage API (validated once, at the boundary)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["OptimiseRun", "RecommendRequest"]

Mode = Literal["car", "motorcycle", "foot"]
TIME_PATTERN = r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$"


class RecommendRequest(BaseModel):
    """Which units to recommend for an incident."""

    model_config = ConfigDict(extra="forbid")

    k: int = Field(default=5, ge=1, le=50, description="how many units")
    at: str | None = Field(
        default=None,
        pattern=TIME_PATTERN,
        description="time of day HH:MM for the speed profile; default the incident's local time",
    )
    max_snap_m: float = Field(
        default=500.0, gt=0, le=5000, description="farthest a point may be from a road"
    )


class OptimiseRun(BaseModel):
    """A siting run: where ``posts`` posts should stand to cover the most historical demand."""

    model_config = ConfigDict(extra="forbid")

    posts: int = Field(ge=1, le=10_000, description="number of posts in the plan")
    standard_s: float = Field(gt=0, le=7200, description="response standard in seconds")
    keep_existing: int = Field(
        default=0, ge=0, le=10_000, description="today's posts that must stay"
    )
    candidates: Literal["road_nodes", "premises", "sites"] = "road_nodes"
    sites: list[tuple[float, float]] | None = Field(
        default=None, max_length=20_000, description="[lon, lat] candidates for candidates=sites"
    )
    spacing_m: float = Field(default=300.0, gt=0, le=10_000, description="road-node spacing")
    mode: Mode = "car"
    at: str | None = Field(default=None, pattern=TIME_PATTERN)
    method: Literal["exact", "heuristic"] = "exact"
    time_limit_s: float | None = Field(default=60.0, gt=0, le=3600)
    history_days: int = Field(default=365, ge=1, le=3650)
