"""Coverage kernels: travel-time fields, unit ranking, isochrones, coverage shares, camera
field-of-view coverage and siting.

Pure library: numpy, scipy, shapely, ``pingan.roads`` and ``pingan.geo`` only (patrol routes:
PyVRP's routing search, imported on first use).
"""

from __future__ import annotations

from typing import Any

from pingan.coverage.cameras import (
    camera_coverage,
    camera_coverage_brute,
    camera_coverage_matrix,
    camera_coverage_matrix_occluded,
    camera_coverage_occluded,
    camera_pairs,
)
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
    "MoveUp",
    "PMedian",
    "PatrolResult",
    "PatrolRoutes",
    "Ranked",
    "SitingResult",
    "Units",
    "air_travel_s",
    "camera_coverage",
    "camera_coverage_brute",
    "camera_coverage_matrix",
    "camera_coverage_matrix_occluded",
    "camera_coverage_occluded",
    "camera_pairs",
    "coverage_shares",
    "isochrones",
    "node_xy_m",
    "rank_units",
    "road_travel_matrix",
    "snap_to_mode",
    "travel_times",
]


_PATROL = (
    "PatrolRoutes",
    "PatrolResult",
    "air_travel_s",
    "node_xy_m",
    "road_travel_matrix",
    "snap_to_mode",
)


def __getattr__(name: str) -> Any:
    if name in _PATROL:
        from pingan.coverage import patrol_routes

        return getattr(patrol_routes, name)
    if name in ("MCLP", "LSCP", "BackupCoverage", "PMedian", "SitingResult", "MoveUp"):
        from pingan.coverage import siting

        return getattr(siting, name)
    raise AttributeError(name)
