"""Coverage kernels: travel-time fields, unit ranking, isochrones, coverage shares and siting.

Pure library: numpy, scipy, shapely, ``pingan.roads`` and ``pingan.geo`` only.
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
    "MoveUp",
    "PMedian",
    "Ranked",
    "SitingResult",
    "Units",
    "coverage_shares",
    "isochrones",
    "rank_units",
    "travel_times",
]


def __getattr__(name: str) -> Any:
    if name in ("MCLP", "LSCP", "BackupCoverage", "PMedian", "SitingResult", "MoveUp"):
        from pingan.coverage import siting

        return getattr(siting, name)
    raise AttributeError(name)
