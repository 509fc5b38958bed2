"""Road classes, speeds per mode, and time-of-day speed profiles.

Speeds are free-flow km/h per OSM ``highway`` class and mode (car, motorcycle, foot). A
:class:`SpeedProfile` scales them by time of day: the default has a morning (07:00-09:00) and an
evening (17:00-19:30) peak that slow arterials most, and a night (22:00-06:00) that speeds them
up, so an 18:00 circle is smaller than a 03:00 one. Foot speed never changes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

__all__ = ["DEFAULT_PROFILE", "MODES", "ROAD_CLASSES", "SpeedProfile", "free_flow_kph"]

MODES: tuple[str, ...] = ("car", "motorcycle", "foot")

ROAD_CLASSES: tuple[str, ...] = (  # the one list of OSM highway classes pingan knows
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
    "living_street",
    "service",
    "road",
    "track",
    "pedestrian",
    "footway",
    "path",
    "steps",
    "cycleway",
)

_CAR: dict[str, float] = {
    "motorway": 80,
    "motorway_link": 45,
    "trunk": 60,
    "trunk_link": 40,
    "primary": 45,
    "primary_link": 35,
    "secondary": 40,
    "secondary_link": 30,
    "tertiary": 35,
    "tertiary_link": 28,
    "unclassified": 28,
    "residential": 25,
    "living_street": 12,
    "service": 15,
    "road": 25,
    "track": 12,
}
_MOTO: dict[str, float] = {k: min(v * 0.95 + 3, 75.0) for k, v in _CAR.items()}
_FOOT_CLASSES = frozenset(ROAD_CLASSES) - {"motorway", "motorway_link", "trunk_link"}

_PEAK: dict[str, float] = {  # multipliers on speed during peaks
    "motorway": 0.55,
    "motorway_link": 0.55,
    "trunk": 0.5,
    "trunk_link": 0.55,
    "primary": 0.55,
    "primary_link": 0.6,
    "secondary": 0.6,
    "secondary_link": 0.65,
    "tertiary": 0.7,
    "tertiary_link": 0.7,
    "unclassified": 0.8,
    "residential": 0.85,
    "living_street": 0.9,
    "service": 0.9,
    "road": 0.8,
    "track": 1.0,
}
_NIGHT: dict[str, float] = {k: 1.15 if v < 0.7 else 1.05 for k, v in _PEAK.items()}


@dataclass(frozen=True)
class SpeedProfile:
    """Free-flow speeds per mode and class, and multipliers per class for time windows.

    ``windows`` is a tuple of ``(start_hour, end_hour, multipliers)``; hours may wrap past
    midnight (22 → 6). Outside every window the multiplier is 1.
    """

    speeds_kph: dict[str, dict[str, float]] = field(
        default_factory=lambda: {
            "car": dict(_CAR),
            "motorcycle": dict(_MOTO),
            "foot": {c: 5.0 for c in _FOOT_CLASSES},
        }
    )
    windows: tuple[tuple[float, float, dict[str, float]], ...] = (
        (7.0, 9.0, _PEAK),
        (17.0, 19.5, _PEAK),
        (22.0, 6.0, _NIGHT),
    )

    def speed_kph(self, mode: str, road_class: str, at: dt.time | None = None) -> float:
        """Speed of ``mode`` on ``road_class`` at ``at`` (0 where the mode may not go)."""
        if mode not in self.speeds_kph:
            raise ValueError(f"mode: {mode!r} is not one of {', '.join(self.speeds_kph)}")
        base = self.speeds_kph[mode].get(road_class, 0.0)
        if mode == "foot" or at is None or base == 0:
            return base
        return base * self.multiplier(road_class, at)

    def multiplier(self, road_class: str, at: dt.time) -> float:
        """The time-of-day multiplier for a class at a wall-clock time."""
        h = at.hour + at.minute / 60.0
        for start, end, mult in self.windows:
            inside = start <= h < end if start < end else (h >= start or h < end)
            if inside:
                return mult.get(road_class, 1.0)
        return 1.0


DEFAULT_PROFILE = SpeedProfile()


def free_flow_kph(road_class: str, profile: SpeedProfile = DEFAULT_PROFILE) -> float:
    """The free-flow speed of ``road_class`` in km/h: by car, or on foot where cars may not go
    (0 where neither may). The one speed table is ``profile``'s (the routing's own)."""
    return float(profile.speed_kph("car", road_class) or profile.speed_kph("foot", road_class))
