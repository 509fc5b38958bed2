"""The one parser of bounding boxes given as text (``W,S,E,N`` in WGS-84 degrees), used by the
API (map roads, OGC API Features ``bbox=``) and the command line (``--bbox``).

Rules: four comma-separated numbers; longitudes in [-180, 180], latitudes in [-90, 90];
``S <= N``; ``W <= E`` (boxes crossing the antimeridian are not supported). A degenerate box
(``W == E`` or ``S == N``) is allowed, as OGC API Features allows it.
"""

from __future__ import annotations

import math

__all__ = ["BBox", "BBoxError", "around", "parse_bbox"]

BBox = tuple[float, float, float, float]
"""``(west, south, east, north)`` in WGS-84 degrees."""


def around(lon: float, lat: float, radius_m: float) -> BBox:
    """The box of ``radius_m`` metres on each side of a point (a degree of latitude taken as
    111 km; the longitude's shrinking with latitude bounded at 84°): the index-friendly first
    test of a search by distance, which the caller refines with the exact distance."""
    dlat = radius_m / 111_000
    dlon = dlat / max(0.1, math.cos(math.radians(lat)))
    return (lon - dlon, lat - dlat, lon + dlon, lat + dlat)


class BBoxError(ValueError):
    """A bounding box that cannot be used; ``str()`` is ``"<field>: <reason>"``, and
    ``field`` and ``reason`` are kept apart for callers that wrap it (``Invalid`` in the API,
    ``--bbox`` in the command line)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def parse_bbox(text: str | None, *, field: str = "bbox") -> BBox | None:
    """``"W,S,E,N"`` → ``(w, s, e, n)`` floats; None for None or ``""`` (no box).

    Raises :class:`BBoxError` naming ``field`` and the fix, e.g.
    ``bbox: expected 4 numbers W,S,E,N, got 3``.
    """
    if text is None or text == "":
        return None
    parts = text.split(",")
    if len(parts) != 4:
        raise BBoxError(field, f"expected 4 numbers W,S,E,N, got {len(parts)}")
    try:
        w, s, e, n = (float(p) for p in parts)
    except ValueError:
        raise BBoxError(field, f"not numbers: {text!r}; give four numbers W,S,E,N") from None
    if not all(math.isfinite(v) for v in (w, s, e, n)) or not (
        -180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= n <= 90
    ):
        raise BBoxError(
            field,
            f"longitudes must be in [-180, 180], latitudes in [-90, 90] with S ≤ N, got {text!r}",
        )
    if w > e:
        raise BBoxError(
            field,
            f"boxes crossing the antimeridian (W > E) are not supported; give W < E, got {text!r}",
        )
    return (w, s, e, n)
