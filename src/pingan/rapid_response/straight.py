"""Recommendations without a road network, and the recent ones kept for the dispatch that
follows.

Without roads a dispatcher still gets a ranked list: :func:`recommend_straight_line` ranks the
available units by a straight-line estimate, clearly marked as one. With roads, the ranking's
exact ETAs and routes are kept two minutes (:func:`remember`), so sending the top unit a moment
later stores them without routing again (:func:`recall`).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from typing import Any

import numpy as np

from pingan.errors import Invalid
from pingan.geo.crs import haversine_m
from pingan.rapid_response.data import KIND_MODE, Forces
from pingan.rapid_response.service import DRONE_SPEED_KPH, DRONE_TAKEOFF_S, _round

__all__ = ["STRAIGHT_LINE_KPH", "recall", "recommend_straight_line", "remember"]

# ------------------------------------------------------------ recent recommendations
_RECENT_S = 120.0
_recent: OrderedDict[
    tuple[float, float, int], tuple[float, float, float, dict[str, Any], float]
] = OrderedDict()
_recent_lock = threading.Lock()


def remember(point: tuple[float, float], units: list[dict[str, Any]], forces: Forces) -> None:
    """Keep each ranked unit's ETA and route to ``point`` for two minutes, with the position
    the unit had: the dispatch that follows the ranking stores them without routing again."""
    pos = {
        int(i): (float(x), float(y))
        for i, x, y in zip(forces.id, forces.lon, forces.lat, strict=True)
    }
    now = time.monotonic()
    with _recent_lock:
        for u in units:
            lon, lat = pos.get(int(u["id"]), (math.nan, math.nan))
            _recent[(round(point[0], 7), round(point[1], 7), int(u["id"]))] = (
                lon,
                lat,
                float(u["eta_s"]),
                u["route"],
                now,
            )
        while len(_recent) > 2000:
            _recent.popitem(last=False)


def recall(
    point: tuple[float, float], unit_id: int, lon: float | None, lat: float | None
) -> tuple[float, dict[str, Any]] | None:
    """The ETA and route :func:`remember` kept for this unit and point, if the unit has not
    moved since and it is less than two minutes old."""
    with _recent_lock:
        hit = _recent.get((round(point[0], 7), round(point[1], 7), unit_id))
    if hit is None or lon is None or lat is None:
        return None
    ulon, ulat, eta, route, at = hit
    if time.monotonic() - at > _RECENT_S or (ulon, ulat) != (lon, lat):
        return None
    return eta, route


STRAIGHT_LINE_KPH: dict[str, float] = {"car": 30.0, "motorcycle": 25.0, "foot": 5.0}
"""Speeds of the straight-line estimate used when there is no road network (a city car's
average door to door, not its speed on the road)."""


def recommend_straight_line(
    forces: Forces,
    point: tuple[float, float],
    *,
    k: int = 5,
    lang: str = "zh-CN",
) -> dict[str, Any]:
    """Without a road network: the ``k`` available units ranked by a straight-line ETA
    (great-circle distance at ``STRAIGHT_LINE_KPH`` of the unit's mode, drones at their own
    speed plus take-off), each clearly marked as an estimate (``basis = "straight_line"``), so
    a dispatcher always gets a ranked list. O(U log U)."""
    if k < 1:
        raise Invalid("k", f"must be >= 1, got {k}")
    avail = forces.status == "available"
    usable = avail & (forces.kind != "drone_base")
    if not usable.any():
        raise Invalid(
            "units",
            f"no available unit with a position in your jurisdiction ({len(forces)} units, "
            f"{int(avail.sum())} available)",
        )
    u = forces.subset(usable)
    modes = np.array([KIND_MODE.get(str(x), "car") for x in u.kind], dtype=str)
    dist = np.asarray(haversine_m(u.lon, u.lat, point[0], point[1]), dtype=np.float64)
    drone_kph = np.where(np.isfinite(u.speed_kph), u.speed_kph, DRONE_SPEED_KPH)
    in_range = (modes != "drone") | ~(dist > np.where(np.isfinite(u.range_m), u.range_m, np.inf))
    kph = np.array([STRAIGHT_LINE_KPH.get(m, 30.0) for m in modes.tolist()])
    kph = np.where(modes == "drone", drone_kph, kph)
    eta = dist / (kph / 3.6) + np.where(modes == "drone", DRONE_TAKEOFF_S, 0.0)
    eta = np.where(in_range, eta, np.inf)
    order = np.argsort(eta, kind="stable")
    order = order[np.isfinite(eta[order])][:k]
    out = []
    for rank, i in enumerate(order.tolist(), start=1):
        mode = str(modes[i])
        out.append(
            {
                "rank": rank,
                "id": int(u.id[i]),
                "code": u.code[i],
                "name": u.name_en[i] if lang == "en" else u.name_zh[i],
                "kind": str(u.kind[i]),
                "mode": mode,
                "basis": "straight_line",
                "eta_s": round(float(eta[i]), 1),
                "distance_m": round(float(dist[i]), 1),
                "route": {
                    "type": "LineString",
                    "coordinates": _round([[float(u.lon[i]), float(u.lat[i])], list(point)]),
                },
                "why": _why_straight(
                    mode, float(eta[i]), float(dist[i]), float(kph[i]), rank, len(u), lang
                ),
            }
        )
    return {
        "units": out,
        "busy": int((~avail & (forces.kind != "drone_base")).sum()),
        "snap_distance_m": None,
        "considered": len(u),
        "left_out_far_from_road": [],
        "at": None,
        "basis": "straight_line",
        "how": (
            "No road network: straight-line (great-circle) distance at "
            + ", ".join(f"{v:g} km/h by {m}" for m, v in STRAIGHT_LINE_KPH.items())
            + f", drones at their speed plus {DRONE_TAKEOFF_S:g} s take-off; an estimate, not a "
            "route. Import roads (pingan roads import) for exact ETAs by road."
        ),
    }


def _why_straight(
    mode: str, eta_s: float, dist_m: float, kph: float, rank: int, n: int, lang: str
) -> str:
    """Why a unit ranks where it does by the straight-line estimate, in the caller's language."""
    mins, secs = divmod(round(eta_s), 60)
    km = dist_m / 1000
    if lang == "en":
        return (
            f"ETA about {mins} min {secs:02d} s (estimate): {km:.1f} km in a straight line at "
            f"{kph:g} km/h, no road network; #{rank} of {n} available units"
        )
    return (
        f"预计约 {mins} 分 {secs:02d} 秒到达（估算）：直线距离 {km:.1f} 公里按 {kph:g} 公里/小时，"
        f"无路网；可用单位 {n} 个中第 {rank}"
    )
