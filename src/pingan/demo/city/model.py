"""The public data classes of the demo city (areas, roads, places, forces, cameras, people)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from shapely.geometry import Polygon

from pingan.demo.city.common import F64, HALF_HEIGHT_M, HALF_WIDTH_M, I64, BoolA, StrA


@dataclass(frozen=True)
class Area:
    """A district, station, community or grid cell (or the bureau itself)."""

    code: str
    level: str
    name_zh: str
    name_en: str
    parent_code: str | None
    polygon: Polygon
    owner_officer: str | None = None
    station_lon: float | None = None
    station_lat: float | None = None


@dataclass(frozen=True)
class RoadArrays:
    """Undirected road segments; ``oneway`` means vehicles may only go ``u -> v``."""

    node_lon: F64
    node_lat: F64
    u: I64
    v: I64
    road_class: StrA
    length_m: F64
    oneway: BoolA
    bridge: BoolA
    name_zh: StrA
    name_en: StrA
    speed_kph: F64  # free-flow speed of the class (SPEED_KPH_BY_CLASS)


@dataclass(frozen=True)
class Places:
    """Points of interest as equal-length arrays."""

    kind: StrA
    name_zh: StrA
    name_en: StrA
    lon: F64
    lat: F64
    cell_code: StrA
    capacity: I64
    police_room: BoolA


@dataclass(frozen=True)
class KeyArea:
    """A rapid-response key area with its 1/3/5-minute response standard."""

    code: str
    name_zh: str
    name_en: str
    polygon: Polygon
    response_standard_s: int
    kind: str


@dataclass(frozen=True)
class Units:
    """Police forces (posts, kiosks, vehicles, teams, drones) with positions and status."""

    code: StrA
    kind: StrA
    name_zh: StrA
    name_en: StrA
    station_code: StrA
    lon: F64
    lat: F64
    status: StrA


@dataclass(frozen=True)
class Cameras:
    """Cameras with position, heading (degrees clockwise from north), field of view and range."""

    code: StrA
    lon: F64
    lat: F64
    heading_deg: F64
    fov_deg: F64
    range_m: F64
    station_code: StrA
    status: StrA
    """online, offline or maintenance"""
    resolution: StrA
    """sd, hd or uhd"""
    owner: StrA
    """public or social"""
    place_index: NDArray[np.int64]
    """index into ``City.places`` of the premises a social camera belongs to (-1: none)"""


@dataclass(frozen=True)
class Person:
    """A fictional user of the demo."""

    username: str
    display_name_zh: str
    display_name_en: str
    role: str
    jurisdiction_code: str


@dataclass(frozen=True)
class City:
    """The whole demo city."""

    seed: int
    name_zh: str
    name_en: str
    center_lon: float
    center_lat: float
    bureau: Area
    districts: list[Area]
    stations: list[Area]
    communities: list[Area]
    cells: list[Area]
    lake: Polygon
    roads: RoadArrays
    places: Places
    key_areas: list[KeyArea]
    units: Units
    cameras: Cameras
    people: list[Person]
    half_width_m: float = field(default=HALF_WIDTH_M)
    half_height_m: float = field(default=HALF_HEIGHT_M)


# internal: what the build steps hand each other
@dataclass(frozen=True)
class _Areas:
    """The jurisdictions of the city as areas, with what later steps look up."""

    bureau: Area
    districts: list[Area]
    stations: list[Area]
    communities: list[Area]
    cells: list[Area]
    lake: Polygon
    stations_ll: list[Polygon]
    st_codes: list[str]


@dataclass(frozen=True)
class _RoadNet:
    """The road network in the local frame and as the city's arrays."""

    x: F64
    y: F64
    ru: NDArray[np.int64]
    rv: NDArray[np.int64]
    lon: F64
    lat: F64
    node_cls: NDArray[np.int64]  # best (most major) class at each node
    arrays: RoadArrays
