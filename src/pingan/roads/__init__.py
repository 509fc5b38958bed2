"""Road network: OSM import, compact graph (CSR arrays), snapping, speed profiles.

Pure library: numpy, scipy, pyosmium and ``pingan.geo`` only.
"""

from pingan.roads.network import RoadNetwork, Snap
from pingan.roads.speeds import DEFAULT_PROFILE, MODES, ROAD_CLASSES, SpeedProfile, free_flow_kph

__all__ = [
    "DEFAULT_PROFILE",
    "MODES",
    "ROAD_CLASSES",
    "RoadNetwork",
    "Snap",
    "SpeedProfile",
    "free_flow_kph",
]
