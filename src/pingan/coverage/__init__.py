"""Coverage kernels: travel-time fields, unit ranking, isochrones, coverage shares and siting.

Pure library: numpy, scipy, shapely, ``pingan.roads`` and ``pingan.geo`` only (patrol routes:
PyVRP's routing search, imported on first use).
"""

from __future__ import annotations

from typing import Any

from pingan.coverage.fields import (
    Ranked,
    Units,
    coverage_shares,
    isochrones,
    rank_units,
    travel_times,
)

__all__ = [
    "LSCP",
    "MCLP",
    "BackupCoverage",
    "PMedian",
    "PatrolResult",
    "PatrolRoutes",
    "Ranked",
    "SitingResult",
    "Units",
    "air_travel_s",
    "coverage_shares",
    "isochrones",
    "rank_units",
    "road_travel_matrix",
    "snap_to_mode",
    "travel_times",
]


_PATROL = ("PatrolRoutes", "PatrolResult", "air_travel_s", "road_travel_matrix", "snap_to_mode")


def __getattr__(name: str) -> Any:
    if name in _PATROL:
        from pingan.coverage import patrol_routes

        return getattr(patrol_routes, name)
    if name in ("MCLP", "LSCP", "BackupCoverage", "PMedian", "SitingResult"):
        from pingan.coverage import siting

        return getattr(siting, name)
    raise AttributeError(name)
