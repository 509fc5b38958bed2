"""Tests of the demo-city generator: counts, geometry, roads, forces, determinism, OSM mode."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import shapely
from numpy.testing import assert_allclose
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from pingan.demo.city import (
    CENTER_LAT,
    CENTER_LON,
    PLACE_KINDS,
    SPEED_KPH_BY_CLASS,
    City,
    build_city,
    city_frame,
    locate_cells,
)
from pingan.geo.crs import haversine_m

OSM = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "osm" / "Helsinki.osm.pbf"
HELSINKI_BBOX = (24.935, 60.164, 24.954, 60.179)


@pytest.fixture(scope="module")
def city() -> City:
    return build_city()  # the full default city (about 2 s)


def city_hash(c: City) -> str:
    h = hashlib.sha256()
    r = c.roads
    for a in (r.node_lon, r.node_lat, r.u, r.v, r.length_m, r.oneway, r.bridge):
        h.update(np.ascontiguousarray(a).tobytes())
    h.update("|".join(r.road_class.tolist()).encode())
    h.update("|".join(r.name_zh.tolist()).encode())
    p = c.places
    for a in (p.lon, p.lat, p.capacity, p.police_room):
        h.update(np.ascontiguousarray(a).tobytes())
    h.update("|".join(p.kind.tolist() + p.name_zh.tolist() + p.cell_code.tolist()).encode())
    for a in (c.units.lon, c.units.lat, c.cameras.lon, c.cameras.lat, c.cameras.heading_deg):
        h.update(np.ascontiguousarray(a).tobytes())
    for area in [c.bureau, *c.districts, *c.stations, *c.communities, *c.cells]:
        h.update(area.code.encode() + area.name_zh.encode() + area.polygon.wkb)
    for k in c.key_areas:
        h.update(k.code.encode() + k.polygon.wkb)
    h.update("|".join(p.username + p.display_name_zh for p in c.people).encode())
    return h.hexdigest()


def test_counts_of_the_default_city(city: City) -> None:
    assert len(city.districts) == 5
    assert 30 <= len(city.stations) <= 40
    assert 400 <= len(city.communities) <= 460
    assert 2500 <= len(city.cells) <= 3500
    assert len(city.key_areas) == 112
    assert {k.response_standard_s for k in city.key_areas} == {60, 180, 300}
    assert len({k.code for k in city.key_areas}) == 112
    kinds = city.places.kind
    assert len(kinds) >= 600
    assert set(np.unique(kinds).tolist()) == set(PLACE_KINDS)
    stadium = kinds == "stadium"
    assert stadium.sum() == 1 and city.places.capacity[stadium][0] >= 20_000
    hosp = kinds == "hospital"
    assert city.places.police_room[hosp].any()
    assert (city.places.capacity[hosp & city.places.police_room] >= 500).all()
    uk = city.units.kind
    assert np.isin(uk, ("fixed_post", "mobile_kiosk")).sum() == 129
    assert np.isin(uk, ("patrol_car", "motorcycle", "foot_team")).sum() >= 300
    assert (uk == "drone_base").sum() == 2
    assert (uk == "tactical_unit").sum() > 0
    assert set(city.units.status.tolist()) <= {"available", "dispatched", "on_scene", "off_duty"}
    assert 8500 <= len(city.cameras.code) <= 9500
    assert len(set(city.cameras.code.tolist())) == len(city.cameras.code)
    assert (city.cameras.fov_deg > 0).all() and (city.cameras.fov_deg <= 360).all()
    assert (city.cameras.range_m > 0).all()


def test_extent_and_lake(city: City) -> None:
    minx, miny, maxx, maxy = city.bureau.polygon.bounds
    proj = city_frame(city)
    x, y = proj.forward(np.array([minx, maxx]), np.array([miny, maxy]))
    assert 24_000 <= x[1] - x[0] <= 26_000
    assert 19_000 <= y[1] - y[0] <= 21_000
    assert abs(city.center_lon - CENTER_LON) < 1e-9 and abs(city.center_lat - CENTER_LAT) < 1e-9
    lake = city.lake
    assert lake.is_valid and lake.area > 0
    assert lake.centroid.x < CENTER_LON and lake.centroid.y < CENTER_LAT  # south-west
    assert city.bureau.polygon.intersection(lake).area < 1e-9  # the land excludes the lake
    assert city.bureau.polygon.touches(lake) or city.bureau.polygon.distance(lake) < 1e-6


def test_polygons_valid_nested_and_covering(city: City) -> None:
    levels = [
        ([city.bureau], city.districts),
        (city.districts, city.stations),
        (city.stations, city.communities),
        (city.communities, city.cells),
    ]
    for parents, children in levels:
        by_code = {p.code: p for p in parents}
        child_area: dict[str, float] = {}
        for ch in children:
            assert isinstance(ch.polygon, shapely.Polygon), ch.code
            assert ch.polygon.is_valid, ch.code
            assert ch.parent_code in by_code, ch.code
            assert ch.code.startswith(ch.parent_code) or ch.level == "district"
            par = by_code[ch.parent_code].polygon
            # nested: at most a sliver (numerical) outside the parent
            assert ch.polygon.difference(par).area < 1e-6 * ch.polygon.area + 1e-10  # ~1 m2
            child_area[ch.parent_code] = child_area.get(ch.parent_code, 0.0) + ch.polygon.area
        for code, p in by_code.items():
            assert_allclose(child_area[code], p.polygon.area, rtol=1e-5)
        # non-overlapping: the union has the same area as the sum
        union = shapely.union_all([c.polygon for c in children])
        assert_allclose(union.area, sum(c.polygon.area for c in children), rtol=1e-5)
    assert all(st.station_lon is not None and st.station_lat is not None for st in city.stations)
    for st in city.stations:
        assert st.polygon.buffer(1e-6).contains(shapely.Point(st.station_lon, st.station_lat))


def test_cells_smaller_in_the_centre(city: City) -> None:
    proj = city_frame(city)
    cx = np.array([c.polygon.centroid.x for c in city.cells])
    cy = np.array([c.polygon.centroid.y for c in city.cells])
    x, y = proj.forward(cx, cy)
    r = np.hypot(x, y)
    area = np.array([c.polygon.area for c in city.cells])
    assert np.median(area[r < 3000]) < 0.5 * np.median(area[r > 8000])


def test_every_cell_has_an_owning_officer(city: City) -> None:
    users = {p.username: p for p in city.people}
    for cell in city.cells:
        assert cell.owner_officer is not None
        owner = users[cell.owner_officer]
        assert owner.role == "community_officer"
        assert cell.parent_code == owner.jurisdiction_code


def test_people_cover_every_role(city: City) -> None:
    roles = {p.role for p in city.people}
    assert roles == {
        "admin",
        "commander",
        "dispatcher",
        "station_chief",
        "community_officer",
        "analyst",
    }
    names = [p.username for p in city.people]
    assert len(set(names)) == len(names)
    assert "officer_0001" in names
    assert f"chief_{city.stations[0].code}" in names
    codes = {a.code for a in [city.bureau, *city.districts, *city.stations, *city.communities]}
    assert all(p.jurisdiction_code in codes for p in city.people)


def test_names_have_english_forms(city: City) -> None:
    for a in [*city.districts, *city.stations, *city.communities[:50]]:
        assert a.name_zh and a.name_en and a.name_en.isascii()
    assert city.stations[0].name_zh.endswith("派出所")
    assert city.stations[0].name_en.endswith("Police Station")
    assert all(n.isascii() for n in city.places.name_en.tolist())
    assert all(n.isascii() for n in city.roads.name_en.tolist())


def test_road_network(city: City) -> None:
    r = city.roads
    n = len(r.node_lon)
    assert n >= 50_000
    assert len(r.u) == len(r.v) == len(r.road_class) == len(r.length_m) == len(r.name_zh)
    classes = set(r.road_class.tolist())
    assert {"motorway", "motorway_link", "trunk", "primary", "secondary", "tertiary"} <= classes
    assert {"residential", "service", "living_street", "footway"} <= classes
    assert classes <= set(SPEED_KPH_BY_CLASS)
    assert_allclose(r.speed_kph, [SPEED_KPH_BY_CLASS[c] for c in r.road_class.tolist()])
    assert_allclose(
        r.length_m, haversine_m(r.node_lon[r.u], r.node_lat[r.u], r.node_lon[r.v], r.node_lat[r.v])
    )
    assert (r.length_m > 0).all()
    assert r.oneway.sum() > 50 and r.bridge.sum() >= 3
    g = coo_matrix((np.ones(len(r.u)), (r.u, r.v)), shape=(n, n))
    _, lab = connected_components(g, directed=False)
    assert np.bincount(lab).max() >= 0.99 * n
    deg = np.bincount(r.u, minlength=n) + np.bincount(r.v, minlength=n)
    assert (deg == 1).sum() > 100  # dead ends and cul-de-sacs
    assert (deg >= 3).sum() > 10_000  # real intersections
    # every node on land (not in the lake)
    assert not shapely.contains_xy(city.lake, r.node_lon, r.node_lat).any()


def test_roads_are_not_a_lattice(city: City) -> None:
    r = city.roads
    local = r.road_class == "residential"
    proj = city_frame(city)
    x, y = proj.forward(r.node_lon, r.node_lat)
    bearing = np.degrees(np.arctan2(y[r.v] - y[r.u], x[r.v] - x[r.u]))[local] % 90.0
    hist = np.bincount((bearing // 5).astype(int), minlength=18)
    assert hist.max() / hist.sum() < 0.35  # bearings spread, not two orientations
    # districts have their own grid orientation: the dominant bearing differs between them
    assert (hist > 0.02 * hist.sum()).sum() >= 8


def test_places_lie_in_their_cells(city: City) -> None:
    p = city.places
    ix = locate_cells(city.cells, p.lon, p.lat)
    assert (ix >= 0).all()
    codes = np.array([c.code for c in city.cells])
    assert (codes[ix] == p.cell_code).mean() > 0.999  # points exactly on an edge may differ


def test_units_and_cameras_have_stations(city: City) -> None:
    st = {s.code for s in city.stations}
    assert set(city.units.station_code.tolist()) <= st
    assert set(city.cameras.station_code.tolist()) <= st
    # every station has at least one patrol car
    cars = city.units.kind == "patrol_car"
    assert set(city.units.station_code[cars].tolist()) == st


def test_same_seed_same_city_different_seed_different() -> None:
    a = build_city(seed=7)
    b = build_city(seed=7)
    c = build_city(seed=8)
    assert city_hash(a) == city_hash(b)
    assert city_hash(a) != city_hash(c)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="osm_path: give both osm_path and bbox"):
        build_city(osm_path="x.osm.pbf")
    with pytest.raises(ValueError, match="seed: must be a non-negative int"):
        build_city(seed=-1)
    with pytest.raises(ValueError, match="bbox: must be W,S,E,N"):
        build_city(osm_path="x.osm.pbf", bbox=(1.0, 1.0, 0.0, 2.0))
    with pytest.raises(ValueError, match=r"osm_path: 'nope\.osm\.pbf' does not exist"):
        build_city(osm_path="nope.osm.pbf", bbox=(24.9, 60.1, 25.0, 60.2))


@pytest.mark.skipif(not OSM.exists(), reason="needs ../shared/data/osm/Helsinki.osm.pbf")
def test_osm_road_network() -> None:
    c = build_city(osm_path=OSM, bbox=HELSINKI_BBOX)
    r = c.roads
    assert len(r.node_lon) > 3000
    w, s, e, n = HELSINKI_BBOX
    assert ((r.node_lon >= w) & (r.node_lon <= e) & (r.node_lat >= s) & (r.node_lat <= n)).all()
    assert len(c.districts) == 5 and len(c.cells) >= 100
    union = shapely.union_all([x.polygon for x in c.cells])
    assert_allclose(union.area, c.bureau.polygon.area, rtol=1e-5)
    assert len(c.key_areas) == 112
    assert (locate_cells(c.cells, c.places.lon, c.places.lat) >= 0).all()
    assert "Erottajankatu" in set(r.name_zh.tolist())
    with pytest.raises(ValueError, match="bbox: no highway ways"):
        build_city(osm_path=OSM, bbox=(0.0, 0.0, 0.01, 0.01))


def test_cameras_have_plausible_attributes(city: City) -> None:
    cam = city.cameras
    assert set(cam.status.tolist()) == {"online", "offline", "maintenance"}
    down = float((cam.status != "online").mean())
    assert 0.05 < down < 0.15  # some down, most working
    assert ((cam.heading_deg >= 0) & (cam.heading_deg < 360)).all()
    assert set(cam.resolution.tolist()) == {"sd", "hd", "uhd"}
    social = cam.owner == "social"
    assert 0.1 < social.mean() < 0.3
    assert ((cam.place_index >= 0) == social).all()  # social cameras belong to a premises
    assert (cam.place_index < len(city.places.kind)).all()
