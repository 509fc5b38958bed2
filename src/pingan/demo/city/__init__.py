"""Seeded generator of the demo city: jurisdictions, roads, places, forces, cameras and users.

The city is modelled on Kunming: a 25 x 20 km plateau centred near lon 102.71, lat 25.04, with
a lake (after Dian Lake) bounding it to the south-west and two rivers flowing into the lake.
Everything is built in a local metric frame (``pingan.geo.crs.LocalProjection``) and converted
to WGS-84 at the end. The generative choices are documented in ``src/pingan/demo/model.md``.

``build_city(seed=...)`` is deterministic: the same seed gives byte-identical arrays on any
machine (only numpy's ``default_rng``, stable sorts and GEOS overlays with a fixed precision
grid are used). With ``osm_path`` and ``bbox`` the same jurisdictions, places, forces and
cameras are laid over a real OSM road network instead of the synthetic one.

Time: about 2 s and under 200 MB for the default city (dominated by the road network of
~73,000 nodes and the point-in-polygon look-ups); memory O(road nodes + places + cameras).

Layout (one concern a module): ``common`` (constants), ``model`` (the public data classes),
``frame`` (land, lake, rivers, density), ``jurisdictions``, ``synthetic_roads``, ``osm_roads``,
``places`` (places and key areas) and ``build`` (:func:`build_city`, forces, cameras, people).
"""

from __future__ import annotations

from pingan.demo.city.build import build_city
from pingan.demo.city.common import (
    BUREAU_CODE,
    CENTER_LAT,
    CENTER_LON,
    HALF_HEIGHT_M,
    HALF_WIDTH_M,
    PLACE_KINDS,
    ROAD_CLASSES,
    SPEED_KPH_BY_CLASS,
    UNIT_KINDS,
)
from pingan.demo.city.frame import city_frame, locate_cells, urban_density
from pingan.demo.city.model import Area, Cameras, City, KeyArea, Person, Places, RoadArrays, Units
from pingan.demo.city.places import (
    EMERGING_CLUSTER_FRAC,
    LONG_TERM_HOTSPOT_FRAC,
    STADIUM_FRAC,
    frame_anchor,
)

__all__ = [
    "BUREAU_CODE",
    "CENTER_LAT",
    "CENTER_LON",
    "EMERGING_CLUSTER_FRAC",
    "HALF_HEIGHT_M",
    "HALF_WIDTH_M",
    "LONG_TERM_HOTSPOT_FRAC",
    "PLACE_KINDS",
    "ROAD_CLASSES",
    "SPEED_KPH_BY_CLASS",
    "STADIUM_FRAC",
    "UNIT_KINDS",
    "Area",
    "Cameras",
    "City",
    "KeyArea",
    "Person",
    "Places",
    "RoadArrays",
    "Units",
    "build_city",
    "city_frame",
    "frame_anchor",
    "locate_cells",
    "urban_density",
]
