"""Constants of the demo city: its frame, classes, kinds and the precision grid."""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from pingan import roads
from pingan.places.kinds import PREMISES_KINDS
from pingan.resources.models import RESOURCE_KINDS

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
BoolA = NDArray[np.bool_]
StrA = NDArray[np.str_]

CENTER_LON: Final = 102.71
CENTER_LAT: Final = 25.04
HALF_WIDTH_M: Final = 12_500.0
HALF_HEIGHT_M: Final = 10_000.0
BUREAU_CODE: Final = "5301"
_GRID: Final = 0.01  # metres: precision grid of every overlay, keeps shared edges identical

# the classes the generator draws, in pingan.roads' order (most major first)
_NOT_DRAWN: Final = frozenset(("unclassified", "road", "track", "pedestrian", "path", "steps"))
ROAD_CLASSES: Final[tuple[str, ...]] = tuple(
    c for c in roads.ROAD_CLASSES if c not in _NOT_DRAWN | {"cycleway"}
)
PLACE_KINDS: Final[tuple[str, ...]] = PREMISES_KINDS
UNIT_KINDS: Final[tuple[str, ...]] = RESOURCE_KINDS
# free-flow speeds by class (km/h): the routing's own (pingan.roads)
SPEED_KPH_BY_CLASS: Final[dict[str, float]] = {c: roads.free_flow_kph(c) for c in ROAD_CLASSES}
_C = {c: i for i, c in enumerate(ROAD_CLASSES)}
_MAJOR = np.arange(len(ROAD_CLASSES)) <= _C["tertiary_link"]  # motorway .. tertiary_link
