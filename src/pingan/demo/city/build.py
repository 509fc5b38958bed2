"""``build_city``: the whole seeded city, from the frame to the people."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from shapely.geometry import Polygon

from pingan.demo import names as nm
from pingan.demo.city.cameras import _cameras
from pingan.demo.city.common import _C, BUREAU_CODE, ROAD_CLASSES, SPEED_KPH_BY_CLASS, StrA
from pingan.demo.city.forces import _units
from pingan.demo.city.frame import _bbox_frame, _Frame, _kunming_frame, _lonlat_polys, locate_cells
from pingan.demo.city.jurisdictions import _Jur, _jurisdictions
from pingan.demo.city.model import Area, City, KeyArea, Places, RoadArrays, _Areas, _RoadNet
from pingan.demo.city.osm_roads import _osm_roads
from pingan.demo.city.people import _people
from pingan.demo.city.places import _key_areas, _places, _PlacesM
from pingan.demo.city.synthetic_roads import _finish_net, _synthetic_roads
from pingan.geo.crs import haversine_m


def build_city(
    *,
    seed: int = 20261122,
    osm_path: str | Path | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> City:
    """Build the seeded demo city.

    Parameters
    ----------
    seed
        Seed of ``numpy.random.default_rng``; the same seed gives identical output.
    osm_path, bbox
        Read the road network from an OSM PBF/XML file (ways with ``highway=*`` inside
        ``bbox`` = (W, S, E, N) in WGS-84) and lay the jurisdictions over ``bbox``. Both or
        neither must be given.

    Returns
    -------
    City
        Jurisdictions (bureau, 5 districts, ~35 stations, ~430 communities, ~3,000 cells),
        roads, places, 112 key areas, forces, ~9,000 cameras and the demo users.

    Notes
    -----
    Time about 2 s for the default city, memory O(road nodes) (under 200 MB peak).
    """
    if (osm_path is None) != (bbox is None):
        raise ValueError("osm_path: give both osm_path and bbox, or neither")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed: must be a non-negative int, got {seed!r}")
    rng = np.random.default_rng(seed)
    frame = _kunming_frame() if bbox is None else _bbox_frame(tuple(bbox))  # type: ignore[arg-type]
    jur = _jurisdictions(rng, frame)
    areas = _areas(rng, frame, jur)
    net = _road_arrays(rng, frame, jur, osm_path, bbox)
    pm, places = _place_arrays(rng, frame, net, areas.cells, osm_path)
    proj = frame.proj
    # ---- key areas ----------------------------------------------------------------------
    ka_raw = _key_areas(rng, frame, pm)
    ka_polys = _lonlat_polys(proj, [k[3] for k in ka_raw])
    key_areas = [
        KeyArea(f"KA-{i + 1:03d}", k[0], k[1], ka_polys[i], k[4], k[2])
        for i, k in enumerate(ka_raw)
    ]

    dens = frame.dens(net.x, net.y)
    units = _units(rng, frame, jur, net, dens, ka_raw, areas)
    cameras = _cameras(rng, frame, net, dens, pm, places, areas)
    people = _people(rng, areas.districts, areas.stations, areas.communities)
    return City(
        seed=seed,
        name_zh="春城市",
        name_en="Chuncheng",
        center_lon=float(proj.lon0),
        center_lat=float(proj.lat0),
        bureau=areas.bureau,
        districts=areas.districts,
        stations=areas.stations,
        communities=areas.communities,
        cells=areas.cells,
        lake=areas.lake,
        roads=net.arrays,
        places=places,
        key_areas=key_areas,
        units=units,
        cameras=cameras,
        people=people,
        half_width_m=frame.hw,
        half_height_m=frame.hh,
    )


def _areas(rng: np.random.Generator, frame: _Frame, jur: _Jur) -> _Areas:
    """Codes, names and WGS-84 polygons of the bureau, districts, stations, communities and
    cells (community officers own the cells)."""
    proj = frame.proj
    # ---- names of jurisdictions ---------------------------------------------------------
    stems = nm.place_stems(rng, len(jur.stations) + len(jur.communities) + 400)
    dcodes = [d[0] for d in nm.DISTRICT_NAMES]
    districts_ll = _lonlat_polys(proj, jur.districts)
    stations_ll = _lonlat_polys(proj, jur.stations)
    comm_ll = _lonlat_polys(proj, jur.communities)
    cells_ll = _lonlat_polys(proj, jur.cells)
    land_ll = _lonlat_polys(proj, [frame.land])[0]
    lake_ll = _lonlat_polys(proj, [frame.lake])[0] if not frame.lake.is_empty else Polygon()
    bureau = Area(
        BUREAU_CODE, "bureau", "春城市公安局", "Chuncheng Public Security Bureau", None, land_ll
    )
    districts = [
        Area(
            dcodes[d],
            "district",
            nm.DISTRICT_NAMES[d][1] + "分局",
            nm.DISTRICT_NAMES[d][2] + " Sub-bureau",
            BUREAU_CODE,
            districts_ll[d],
        )
        for d in range(len(districts_ll))
    ]
    st_lon, st_lat = proj.inverse(jur.station_pts[:, 0], jur.station_pts[:, 1])
    stations: list[Area] = []
    st_codes: list[str] = []
    per_d = np.zeros(len(districts), dtype=np.int64)
    for s, poly in enumerate(stations_ll):
        d = int(jur.station_district[s])
        per_d[d] += 1
        code = f"{dcodes[d]}-{per_d[d]:02d}"
        st_codes.append(code)
        zh, en = stems[s]
        stations.append(
            Area(
                code,
                "station",
                zh + "派出所",
                en + " Police Station",
                dcodes[d],
                poly,
                None,
                float(st_lon[s]),
                float(st_lat[s]),
            )
        )
    communities: list[Area] = []
    com_codes: list[str] = []
    per_s = np.zeros(len(stations), dtype=np.int64)
    com_dens = frame.dens(
        np.array([p.centroid.x for p in jur.communities]),
        np.array([p.centroid.y for p in jur.communities]),
    )
    officers: list[str] = []
    for c, poly in enumerate(comm_ll):
        s = int(jur.community_station[c])
        per_s[s] += 1
        code = f"{st_codes[s]}-{per_s[s]:03d}"
        com_codes.append(code)
        zh, en = stems[len(stations_ll) + c]
        village = com_dens[c] < 0.12
        communities.append(
            Area(
                code,
                "community",
                zh + ("村" if village else "社区"),
                en + (" Village" if village else " Community"),
                st_codes[s],
                poly,
            )
        )
        officers.append(f"officer_{c + 1:04d}")
    cells: list[Area] = []
    per_c = np.zeros(len(communities), dtype=np.int64)
    for k, poly in enumerate(cells_ll):
        c = int(jur.cell_community[k])
        per_c[c] += 1
        code = f"{com_codes[c]}-{per_c[c]:04d}"
        cells.append(
            Area(
                code,
                "cell",
                f"{communities[c].name_zh}第{per_c[c]}网格",
                f"{communities[c].name_en} Grid {per_c[c]}",
                com_codes[c],
                poly,
                officers[c],
            )
        )
    return _Areas(bureau, districts, stations, communities, cells, lake_ll, stations_ll, st_codes)


def _road_arrays(
    rng: np.random.Generator,
    frame: _Frame,
    jur: _Jur,
    osm_path: str | Path | None,
    bbox: tuple[float, float, float, float] | None,
) -> _RoadNet:
    """The synthetic network (or the OSM one), its names and classes."""
    proj = frame.proj
    # ---- roads --------------------------------------------------------------------------
    if osm_path is None:
        road_names = nm.place_stems(rng, 4000)
        net = _synthetic_roads(rng, frame, jur.districts)
        x, y, ru, rv, rcls, row, rbr, rnm = _finish_net(rng, frame, net)
        name_zh, name_en = _synthetic_names(road_names, rnm, rcls)
    else:
        x, y, ru, rv, rcls, row, rbr, onames, rnm = _osm_roads(osm_path, bbox, frame)  # type: ignore[arg-type]
        name_zh = np.array([a for a, _ in onames])[rnm]
        name_en = np.array([b for _, b in onames])[rnm]
    lon, lat = proj.inverse(x, y)
    roads = RoadArrays(
        node_lon=lon,
        node_lat=lat,
        u=ru.astype(np.int64),
        v=rv.astype(np.int64),
        road_class=np.array(ROAD_CLASSES)[rcls],
        length_m=haversine_m(lon[ru], lat[ru], lon[rv], lat[rv]),
        oneway=row.astype(bool),
        bridge=rbr.astype(bool),
        name_zh=name_zh,
        name_en=name_en,
        speed_kph=np.array([SPEED_KPH_BY_CLASS[c] for c in ROAD_CLASSES])[rcls],
    )
    # best (most major) class at each node
    node_cls = np.full(len(x), len(ROAD_CLASSES) - 1, dtype=np.int64)
    np.minimum.at(node_cls, ru, rcls)
    np.minimum.at(node_cls, rv, rcls)
    return _RoadNet(x, y, ru, rv, lon, lat, node_cls, roads)


def _synthetic_names(
    road_names: list[tuple[str, str]], rnm: NDArray[np.int64], rcls: NDArray[np.int64]
) -> tuple[StrA, StrA]:
    """Names of the synthetic roads (per segment, zh and en): ring roads, main roads after
    cities, the rest from stems, with 街/巷 (Street/Lane) for local lines."""
    # road names: main roads after cities, others from stems with 路/街/巷
    n_names = int(rnm.max()) + 1
    nz: list[str] = []
    ne: list[str] = []
    for i in range(n_names):
        if i == 0:
            nz.append("二环路")
            ne.append("Second Ring Road")
        elif i == 1:
            nz.append("绕城高速")
            ne.append("Ring Expressway")
        elif i < 2 + len(nm.CITY_ROAD_NAMES):
            a, b = nm.CITY_ROAD_NAMES[i - 2]
            nz.append(a + "路")
            ne.append(b + " Road")
        else:
            a, b = road_names[i % len(road_names)]
            nz.append(a + "路")
            ne.append(b + " Road")
    # class-dependent suffix for local lines
    best = np.full(n_names, len(ROAD_CLASSES), dtype=np.int64)
    np.minimum.at(best, rnm, rcls)
    zh_arr = np.array(nz, dtype=object)
    en_arr = np.array(ne, dtype=object)
    loc = best >= _C["residential"]
    zh_arr[loc] = np.array(
        [
            s[:-1] + ("街" if i % 3 else "巷")
            for i, s in zip(np.flatnonzero(loc), zh_arr[loc], strict=True)
        ],
        dtype=object,
    )
    en_arr[loc] = np.array(
        [
            s[:-5] + (" Street" if i % 3 else " Lane")
            for i, s in zip(np.flatnonzero(loc), en_arr[loc], strict=True)
        ],
        dtype=object,
    )
    name_zh = zh_arr.astype(str)[rnm]
    name_en = en_arr.astype(str)[rnm]
    return name_zh, name_en


def _place_arrays(
    rng: np.random.Generator,
    frame: _Frame,
    net: _RoadNet,
    cells: list[Area],
    osm_path: str | Path | None,
) -> tuple[_PlacesM, Places]:
    """Places near the road nodes, located in their cells."""
    proj = frame.proj
    x, y, lon, lat, node_cls = net.x, net.y, net.lon, net.lat, net.node_cls
    # ---- places -------------------------------------------------------------------------
    f_pl = 1.0 if osm_path is None else float(np.clip(frame.land.area / 440e6, 0.2, 1.0))
    pm = _places(rng, frame, x, y, node_cls.astype(np.float64), f_pl)
    plon, plat = proj.inverse(pm.x, pm.y)
    pcell = locate_cells(cells, plon, plat)
    miss = pcell < 0
    if miss.any():  # on the boundary of the land: snap to the nearest road node
        nn = cKDTree(np.column_stack([x, y])).query(np.column_stack([pm.x[miss], pm.y[miss]]))[1]
        plon[miss], plat[miss] = lon[nn], lat[nn]
        pcell[miss] = locate_cells(cells, plon[miss], plat[miss])
        pcell[pcell < 0] = 0
    cell_codes = np.array([c.code for c in cells])
    places = Places(
        kind=np.array(pm.kind),
        name_zh=np.array(pm.zh),
        name_en=np.array(pm.en),
        lon=plon,
        lat=plat,
        cell_code=cell_codes[pcell],
        capacity=pm.cap,
        police_room=pm.police_room,
    )
    return pm, places
