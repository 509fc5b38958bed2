"""The tables of the demo incident model (documented in ``src/pingan/demo/model.md``): hour,
day-of-week and holiday profiles, the subtype streams with their counts, trends and places,
the planted patterns and the lifecycle timings; read by :mod:`pingan.demo.simulate`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import numpy as np
import yaml
from numpy.typing import NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
StrA = NDArray[np.str_]

LOCAL_OFFSET_S: Final = 8 * 3600  # Asia/Shanghai, no daylight saving
DAY_S: Final = 86_400
YEAR_S: Final = 365.25 * DAY_S
SOURCES: Final[tuple[str, ...]] = ("call_110", "online", "patrol", "camera", "walk_in")
_TAXONOMY_PATH: Final = Path(__file__).resolve().parents[1] / "incidents" / "taxonomy.yaml"


def _norm(a: list[float]) -> F64:
    x = np.asarray(a, dtype=np.float64)
    return np.asarray(x / x.sum(), dtype=np.float64)


# fmt: off
HOUR_PROFILES: Final[dict[str, F64]] = {
    "night_leisure": _norm([8, 6, 4.5, 3, 2, 1.2, 0.8, 0.8, 1, 1.2, 1.5, 2, 2.5, 2.5, 2.5, 2.8,
                            3, 3.5, 4.5, 6, 7.5, 9, 10, 9.5]),
    "day_commerce": _norm([0.8, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 2, 3.5, 4.5, 5.5, 6.5, 6.8, 6, 6,
                           6.2, 6.5, 7, 7, 6, 4.5, 3.5, 2.5, 1.5]),
    "commute": _norm([1.5, 1, 0.8, 0.6, 0.6, 1, 2.5, 6, 8, 6, 4.5, 4.5, 4.5, 4.5, 4.5, 5, 6, 8,
                      8.5, 6, 4.5, 3.5, 2.8, 2]),
    "home_evening": _norm([3, 2, 1.2, 0.8, 0.6, 0.6, 1, 1.8, 2.5, 3, 3.5, 3.8, 4, 3.8, 3.8, 4,
                           4.2, 5, 6.5, 7.5, 8, 7.5, 6, 4.5]),
    "burglary": _norm([3, 4, 4.5, 4, 3, 2, 1.5, 2, 3.5, 5, 5.5, 5.5, 5, 5, 5.5, 5.5, 5, 4, 3,
                       2.5, 2.5, 2.5, 2.5, 2.5]),
    "vehicle_night": _norm([5, 5.5, 5.5, 5, 4.5, 3.5, 2.5, 2.5, 3, 3.5, 3.5, 3.5, 3.5, 3.5, 3.5,
                            3.5, 3.5, 3.5, 4, 4.5, 5, 5, 5, 5]),
    "office": _norm([0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 4, 7, 8, 8, 6.5, 6, 8, 8, 7.5,
                     6.5, 4, 2.5, 1.5, 1, 0.7, 0.5]),
    "flat": _norm([2.5, 2, 1.8, 1.6, 1.6, 1.8, 2.5, 3.5, 4.5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 4.8,
                   4.5, 4, 3.5, 3]),
}
# fmt: on
# Monday .. Sunday multipliers
DOW_PROFILES: Final[dict[str, tuple[float, ...]]] = {
    "nightlife": (0.85, 0.85, 0.9, 0.95, 1.25, 1.4, 1.1),
    "commerce": (0.9, 0.9, 0.9, 0.95, 1.05, 1.25, 1.2),
    "commute": (1.08, 1.05, 1.05, 1.05, 1.1, 0.85, 0.8),
    "work": (1.25, 1.2, 1.2, 1.2, 1.15, 0.5, 0.4),
    "home": (0.95, 0.95, 0.95, 0.95, 1.0, 1.1, 1.15),
    "flat": (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
}

# holiday -> effect group -> multiplier (1 where absent)
HOLIDAY_EFFECTS: Final[dict[str, dict[str, float]]] = {
    "spring_festival": {
        "property": 0.8,
        "burglary": 1.35,
        "crowd": 0.85,
        "traffic": 0.7,
        "nightlife": 1.1,
        "family": 1.35,
        "fire": 2.2,
        "work": 0.3,
        "noise": 1.5,
        "fraud": 0.9,
    },
    "qingming": {"fire": 1.8, "traffic": 1.25, "crowd": 1.15},
    "may_day": {"crowd": 1.35, "traffic": 1.2, "nightlife": 1.15, "work": 0.5, "burglary": 1.15},
    "dragon_boat": {"crowd": 1.2, "nightlife": 1.15, "family": 1.1, "work": 0.5},
    "mid_autumn": {"family": 1.25, "crowd": 1.2, "nightlife": 1.15, "work": 0.5},
    "national_day": {"crowd": 1.45, "traffic": 1.3, "nightlife": 1.2, "burglary": 1.2, "work": 0.4},
}

# Fixed table of Chinese holidays (first day; local dates). Lunar-calendar days per year:
# (Spring Festival, Qingming, Dragon Boat, Mid-Autumn).
_LUNAR: Final[dict[int, tuple[str, str, str, str]]] = {
    2018: ("02-16", "04-05", "06-18", "09-24"),
    2019: ("02-05", "04-05", "06-07", "09-13"),
    2020: ("01-25", "04-04", "06-25", "10-01"),
    2021: ("02-12", "04-04", "06-14", "09-21"),
    2022: ("02-01", "04-05", "06-03", "09-10"),
    2023: ("01-22", "04-05", "06-22", "09-29"),
    2024: ("02-10", "04-04", "06-10", "09-17"),
    2025: ("01-29", "04-04", "05-31", "10-06"),
    2026: ("02-17", "04-05", "06-19", "09-25"),
    2027: ("02-06", "04-05", "06-09", "09-15"),
    2028: ("01-26", "04-04", "05-28", "10-03"),
    2029: ("02-13", "04-04", "06-16", "09-22"),
    2030: ("02-03", "04-05", "06-05", "09-12"),
}


def _holiday_table() -> dict[str, list[tuple[date, int]]]:
    out: dict[str, list[tuple[date, int]]] = {k: [] for k in HOLIDAY_EFFECTS}
    for y, (sf, qm, db, ma) in _LUNAR.items():

        def d(md: str, y: int = y) -> date:
            return date(y, int(md[:2]), int(md[3:]))

        out["spring_festival"].append((d(sf) - timedelta(days=1), 8))  # eve .. 6th day
        out["qingming"].append((d(qm), 3))
        out["may_day"].append((date(y, 5, 1), 5))
        out["dragon_boat"].append((d(db), 3))
        out["mid_autumn"].append((d(ma), 3))
        out["national_day"].append((date(y, 10, 1), 7))
    return out


HOLIDAYS: Final[dict[str, list[tuple[date, int]]]] = _holiday_table()


@dataclass(frozen=True)
class _Stream:
    share: float
    hour: str
    dow: str
    space: dict[str, float]


@dataclass(frozen=True)
class SubtypeModel:
    """Model of one subtype: annual count (last 12 months), cycles, trend and streams."""

    annual: float
    yoy: float  # relative change of the last 12 months over the 12 before
    season_amp: float
    season_peak_doy: int
    holiday_group: str
    streams: tuple[_Stream, ...]
    sources: tuple[float, float, float, float, float]  # call_110, online, patrol, camera, walk_in


def _one(hour: str, dow: str, space: dict[str, float]) -> tuple[_Stream, ...]:
    return (_Stream(1.0, hour, dow, space),)


_S110: Final = (0.86, 0.04, 0.04, 0.02, 0.04)
# the yoy of the five non-burglary property subtypes is solved so that the group changes by
# -24.2 % in total while burglary (also in "two robberies, one theft") changes by -31.6 %
_TWO_ROB: Final = -0.316
_SIX: Final = -0.242


def _six_others_yoy() -> float:
    burg = 5200.0
    others = 2200.0 + 12_000.0 + 7500.0 + 5000.0 + 10_000.0
    last = burg + others
    prev_burg = burg / (1 + _TWO_ROB)
    prev_total = last / (1 + _SIX)
    return others / (prev_total - prev_burg) - 1.0


_P: Final = _six_others_yoy()

SUBTYPE_MODEL: Final[dict[str, SubtypeModel]] = {
    "robbery": SubtypeModel(
        900,
        _TWO_ROB,
        0.12,
        350,
        "property",
        (
            _Stream(
                0.6,
                "night_leisure",
                "nightlife",
                {"street": 0.5, "entertainment_venue": 0.3, "rental_house": 0.2},
            ),
            _Stream(
                0.4,
                "day_commerce",
                "commerce",
                {"street": 0.4, "bank": 0.25, "metro_station": 0.2, "market": 0.15},
            ),
        ),
        _S110,
    ),
    "snatching": SubtypeModel(
        1100,
        _TWO_ROB,
        0.12,
        350,
        "crowd",
        _one(
            "day_commerce",
            "commerce",
            {"street": 0.35, "market": 0.2, "metro_station": 0.2, "mall": 0.1, "bus_station": 0.15},
        ),
        _S110,
    ),
    "burglary": SubtypeModel(
        5200,
        _TWO_ROB,
        0.1,
        20,
        "burglary",
        _one(
            "burglary", "flat", {"residential_compound": 0.55, "rental_house": 0.35, "street": 0.1}
        ),
        (0.8, 0.06, 0.04, 0.0, 0.1),
    ),
    "vehicle_theft": SubtypeModel(
        2200,
        _P,
        0.1,
        340,
        "property",
        _one(
            "vehicle_night",
            "flat",
            {"residential_compound": 0.4, "street": 0.4, "mall": 0.1, "hospital": 0.1},
        ),
        _S110,
    ),
    "bicycle_theft": SubtypeModel(
        12_000,
        _P,
        0.15,
        200,
        "property",
        _one(
            "vehicle_night",
            "flat",
            {
                "residential_compound": 0.35,
                "school": 0.15,
                "metro_station": 0.15,
                "rental_house": 0.15,
                "street": 0.2,
            },
        ),
        (0.75, 0.15, 0.03, 0.02, 0.05),
    ),
    "pickpocketing": SubtypeModel(
        7500,
        _P,
        0.1,
        280,
        "crowd",
        _one(
            "day_commerce",
            "commerce",
            {
                "market": 0.3,
                "metro_station": 0.25,
                "mall": 0.2,
                "bus_station": 0.15,
                "hospital": 0.1,
            },
        ),
        (0.7, 0.15, 0.05, 0.05, 0.05),
    ),
    "theft_from_vehicle": SubtypeModel(
        5000,
        _P,
        0.1,
        340,
        "property",
        _one(
            "vehicle_night",
            "flat",
            {
                "street": 0.4,
                "mall": 0.15,
                "hospital": 0.15,
                "residential_compound": 0.2,
                "hotel": 0.1,
            },
        ),
        _S110,
    ),
    "other_theft": SubtypeModel(
        10_000,
        _P,
        0.1,
        330,
        "property",
        _one(
            "day_commerce",
            "commerce",
            {
                "street": 0.3,
                "mall": 0.15,
                "market": 0.15,
                "business": 0.15,
                "school": 0.1,
                "hotel": 0.15,
            },
        ),
        (0.7, 0.15, 0.03, 0.02, 0.1),
    ),
    "fraud": SubtypeModel(
        9500,
        0.18,
        0.08,
        15,
        "fraud",
        _one(
            "office",
            "work",
            {"residential_compound": 0.45, "business": 0.2, "bank": 0.15, "street": 0.2},
        ),
        (0.45, 0.3, 0.0, 0.0, 0.25),
    ),
    "assault": SubtypeModel(
        3300,
        0.0,
        0.12,
        200,
        "nightlife",
        (
            _Stream(0.6, "night_leisure", "nightlife", {"entertainment_venue": 0.6, "street": 0.4}),
            _Stream(0.4, "home_evening", "home", {"street": 0.5, "residential_compound": 0.5}),
        ),
        _S110,
    ),
    "fight": SubtypeModel(
        8500,
        0.0,
        0.15,
        200,
        "nightlife",
        (
            _Stream(
                0.6, "night_leisure", "nightlife", {"entertainment_venue": 0.75, "street": 0.25}
            ),
            _Stream(
                0.4,
                "day_commerce",
                "commerce",
                {"street": 0.4, "market": 0.2, "school": 0.15, "residential_compound": 0.25},
            ),
        ),
        _S110,
    ),
    "disturbance": SubtypeModel(
        7500,
        0.0,
        0.1,
        200,
        "nightlife",
        (
            _Stream(0.5, "night_leisure", "nightlife", {"entertainment_venue": 0.7, "street": 0.3}),
            _Stream(
                0.5,
                "day_commerce",
                "commerce",
                {"hospital": 0.25, "market": 0.2, "business": 0.25, "street": 0.3},
            ),
        ),
        _S110,
    ),
    "noise": SubtypeModel(
        18_000,
        0.05,
        0.2,
        200,
        "noise",
        _one(
            "night_leisure",
            "home",
            {
                "residential_compound": 0.5,
                "rental_house": 0.2,
                "entertainment_venue": 0.2,
                "street": 0.1,
            },
        ),
        (0.85, 0.1, 0.05, 0.0, 0.0),
    ),
    "gambling": SubtypeModel(
        2200,
        -0.1,
        0.3,
        30,
        "family",
        _one(
            "night_leisure",
            "home",
            {"rental_house": 0.5, "residential_compound": 0.2, "business": 0.3},
        ),
        (0.5, 0.2, 0.3, 0.0, 0.0),
    ),
    "traffic_accident": SubtypeModel(
        40_000,
        0.03,
        0.12,
        190,
        "traffic",
        _one("commute", "commute", {"arterial": 0.6, "collector": 0.3, "street": 0.1}),
        (0.9, 0.0, 0.05, 0.05, 0.0),
    ),
    "traffic_congestion": SubtypeModel(
        11_000,
        0.0,
        0.1,
        250,
        "traffic",
        _one("commute", "commute", {"arterial": 0.75, "collector": 0.2, "school": 0.05}),
        (0.6, 0.0, 0.1, 0.3, 0.0),
    ),
    "drunk_driving": SubtypeModel(
        2800,
        -0.05,
        0.15,
        30,
        "nightlife",
        _one(
            "night_leisure",
            "nightlife",
            {"arterial": 0.5, "entertainment_venue": 0.3, "collector": 0.2},
        ),
        (0.3, 0.0, 0.7, 0.0, 0.0),
    ),
    "fire": SubtypeModel(
        2400,
        0.0,
        0.35,
        60,
        "fire",
        _one(
            "flat",
            "flat",
            {"residential_compound": 0.4, "rental_house": 0.25, "business": 0.15, "street": 0.2},
        ),
        (0.9, 0.0, 0.05, 0.05, 0.0),
    ),
    "neighbour_dispute": SubtypeModel(
        16_000,
        0.0,
        0.1,
        200,
        "family",
        _one(
            "home_evening",
            "home",
            {"residential_compound": 0.6, "rental_house": 0.3, "street": 0.1},
        ),
        _S110,
    ),
    "family_dispute": SubtypeModel(
        11_500,
        0.0,
        0.1,
        30,
        "family",
        _one(
            "home_evening",
            "home",
            {"residential_compound": 0.6, "rental_house": 0.35, "street": 0.05},
        ),
        _S110,
    ),
    "labour_dispute": SubtypeModel(
        3800,
        0.0,
        0.4,
        15,
        "work",
        _one("office", "work", {"business": 0.6, "street": 0.2, "mall": 0.1, "market": 0.1}),
        (0.7, 0.1, 0.0, 0.0, 0.2),
    ),
    "commercial_dispute": SubtypeModel(
        4800,
        0.0,
        0.1,
        15,
        "work",
        _one("office", "work", {"market": 0.3, "mall": 0.25, "business": 0.3, "hotel": 0.15}),
        (0.75, 0.1, 0.0, 0.0, 0.15),
    ),
    "missing_person": SubtypeModel(
        3200,
        0.0,
        0.1,
        40,
        "crowd",
        _one(
            "day_commerce",
            "flat",
            {
                "street": 0.4,
                "hospital": 0.15,
                "metro_station": 0.15,
                "market": 0.15,
                "school": 0.15,
            },
        ),
        _S110,
    ),
    "medical_help": SubtypeModel(
        9000,
        0.0,
        0.1,
        15,
        "other",
        _one(
            "flat",
            "flat",
            {"street": 0.5, "residential_compound": 0.3, "metro_station": 0.1, "mall": 0.1},
        ),
        (0.95, 0.0, 0.03, 0.02, 0.0),
    ),
    "lost_property": SubtypeModel(
        11_000,
        0.0,
        0.1,
        280,
        "crowd",
        _one(
            "day_commerce",
            "commerce",
            {"metro_station": 0.3, "bus_station": 0.2, "mall": 0.2, "street": 0.3},
        ),
        (0.5, 0.2, 0.0, 0.0, 0.3),
    ),
    "lockout": SubtypeModel(
        7500,
        0.0,
        0.05,
        15,
        "other",
        _one(
            "home_evening",
            "flat",
            {"residential_compound": 0.65, "rental_house": 0.3, "hotel": 0.05},
        ),
        (0.95, 0.05, 0.0, 0.0, 0.0),
    ),
    "other_assistance": SubtypeModel(
        21_000,
        0.0,
        0.05,
        200,
        "other",
        _one("flat", "flat", {"street": 0.5, "residential_compound": 0.3, "other": 0.2}),
        _S110,
    ),
    "other": SubtypeModel(
        9500,
        0.0,
        0.05,
        200,
        "other",
        _one("flat", "flat", {"street": 0.6, "other": 0.2, "business": 0.2}),
        _S110,
    ),
}

YOY_TARGETS: Final[dict[str, float]] = {
    "two_robberies_one_theft": _TWO_ROB,
    "six_property_crimes": _SIX,
    "fraud": 0.18,
}

# near-repeat self-excitation of burglary: offspring per event, their delay and distance
NEAR_REPEAT_ALPHA: Final = 0.25
NEAR_REPEAT_MEAN_DAYS: Final = 3.0  # 1 + Poisson(2) days after the parent
NEAR_REPEAT_SIGMA_M: Final = 70.0

# planted patterns (counts at scale 1)
EMERGING_CLUSTER: Final[dict[str, Any]] = {
    "subtype": "bicycle_theft",
    "days": 7,
    "count": 45,
    "sigma_m": 100.0,
    "radius_m": 300.0,
}
LONG_TERM_HOTSPOT: Final[dict[str, Any]] = {
    "subtype": "pickpocketing",
    "per_day": 2.0,
    "sigma_m": 60.0,
    "radius_m": 200.0,
}

_JITTER_M: Final[dict[str, float]] = {"street": 35.0, "arterial": 12.0, "collector": 15.0}
_PLACE_JITTER_M: Final = 30.0
_DISPATCH_MEDIAN_S: Final = {1: 35.0, 2: 70.0, 3: 150.0, 4: 360.0}
_HANDLE_MEDIAN_MIN: Final = {
    "criminal": 45.0,
    "public_order": 30.0,
    "traffic": 35.0,
    "fire": 60.0,
    "dispute": 50.0,
    "assistance": 25.0,
    "other": 20.0,
}
_TRANSFER_P: Final = {
    "fire": 0.6,
    "medical_help": 0.35,
    "fraud": 0.4,
    "traffic_congestion": 0.3,
    "labour_dispute": 0.3,
    "commercial_dispute": 0.4,
}
_REPEAT_P: Final = {1: 0.08, 2: 0.05, 3: 0.02, 4: 0.01}
# unit speeds (km/h) and detour factor for the straight-line response model
UNIT_SPEED_KPH: Final = {
    "patrol_car": 32.0,
    "motorcycle": 28.0,
    "foot_team": 5.0,
    "mobile_kiosk": 15.0,
    "fixed_post": 5.0,
}
DETOUR: Final = 1.3
_CHUNK: Final = 600_000
# final-state codes used internally (index into this tuple)
_STATES: Final = (
    "received",
    "dispatched",
    "en_route",
    "on_scene",
    "resolved",
    "closed",
    "cancelled",
    "duplicate",
    "transferred",
)


@lru_cache(maxsize=1)
def load_taxonomy() -> dict[str, Any]:
    """The incident taxonomy (``src/pingan/incidents/taxonomy.yaml``) as a dict."""
    with _TAXONOMY_PATH.open(encoding="utf-8") as f:
        data: dict[str, Any] = yaml.safe_load(f)
    return data


def expected_hour_profile(subtype: str) -> F64:
    """Model share of incidents per local hour (24 values summing to 1) for ``subtype``.

    The mixture of its streams' hour profiles weighted by stream share. Time O(1).
    """
    if subtype not in SUBTYPE_MODEL:
        raise ValueError(f"subtype: {subtype!r} is not in the demo model")
    m = SUBTYPE_MODEL[subtype]
    out = np.zeros(24)
    for s in m.streams:
        out += s.share * HOUR_PROFILES[s.hour]
    return np.asarray(out / out.sum(), dtype=np.float64)
