"""``build_city``: the whole seeded city, from the frame to the people."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import Polygon

from pingan.demo import names as nm
from pingan.demo.city.common import _C, BUREAU_CODE, F64, ROAD_CLASSES, SPEED_KPH_BY_CLASS, StrA
from pingan.demo.city.frame import _bbox_frame, _kunming_frame, locate_cells
from pingan.demo.city.jurisdictions import _jurisdictions
from pingan.demo.city.model import Area, Cameras, City, KeyArea, Person, Places, RoadArrays, Units
from pingan.demo.city.osm_roads import _osm_roads
from pingan.demo.city.places import _key_areas, _pick_nodes, _places, _spread_nodes, frame_anchor
from pingan.demo.city.synthetic_roads import _finish_net, _synthetic_roads
from pingan.geo.crs import LocalProjection, haversine_m


def _lonlat_polys(proj: LocalProjection, polys: list[Polygon]) -> list[Polygon]:
    def tf(xy: F64) -> F64:
        lo, la = proj.inverse(xy[:, 0], xy[:, 1])
        return np.column_stack([lo, la])

    arr = shapely.transform(np.array(polys, dtype=object), tf)
    return [p if p.is_valid else shapely.make_valid(p) for p in arr]


def _station_of(stations_ll: list[Polygon], lon: F64, lat: F64, codes: list[str]) -> StrA:
    fake = [Area(c, "station", "", "", None, p) for c, p in zip(codes, stations_ll, strict=True)]
    ix = locate_cells(fake, lon, lat)
    if (ix < 0).any():
        cen = np.array([[p.centroid.x, p.centroid.y] for p in stations_ll])
        nn = cKDTree(cen).query(np.column_stack([lon[ix < 0], lat[ix < 0]]))[1]
        ix[ix < 0] = nn
    return np.array(codes)[ix]


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

    # ---- roads --------------------------------------------------------------------------
    if osm_path is None:
        road_names = nm.place_stems(rng, 4000)
        net = _synthetic_roads(rng, frame, jur.districts)
        x, y, ru, rv, rcls, row, rbr, rnm = _finish_net(rng, frame, net)
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

    # ---- key areas ----------------------------------------------------------------------
    ka_raw = _key_areas(rng, frame, pm)
    ka_polys = _lonlat_polys(proj, [k[3] for k in ka_raw])
    key_areas = [
        KeyArea(f"KA-{i + 1:03d}", k[0], k[1], ka_polys[i], k[4], k[2])
        for i, k in enumerate(ka_raw)
    ]

    # ---- forces -------------------------------------------------------------------------
    dens = frame.dens(x, y)
    ka_xy = np.array([[p.centroid.x, p.centroid.y] for p in (k[3] for k in ka_raw)])
    ka_std = np.array([k[4] for k in ka_raw])
    u_kind: list[str] = []
    ux: list[F64] = []
    uy: list[F64] = []
    # 49 fixed posts at the 1-minute and busiest 3-minute key areas; 80 mobile kiosks
    order = np.argsort(ka_std, kind="stable")[:49]
    ux.append(ka_xy[order, 0] + 20.0)
    uy.append(ka_xy[order, 1])
    u_kind += ["fixed_post"] * 49
    kio = _spread_nodes(rng, x, y, dens**2 * (node_cls <= _C["tertiary_link"]) + 1e-9, 80)
    ux.append(x[kio])
    uy.append(y[kio])
    u_kind += ["mobile_kiosk"] * 80
    n_st = len(stations)
    for kind, n, pw in (("patrol_car", 245, 1.0), ("motorcycle", 70, 1.5), ("foot_team", 60, 2.5)):
        base = np.arange(n) % n_st if kind == "patrol_car" else None
        if base is not None:
            # every station gets cars inside its own polygon, the rest follow density
            idx = np.empty(n, dtype=np.int64)
            for s in range(n_st):
                m = base == s
                inpoly = shapely.contains_xy(jur.stations[s], x, y)
                w = (dens**pw + 1e-9) * inpoly
                if w.sum() <= 0:
                    w = dens**pw
                idx[m] = _pick_nodes(rng, w, int(m.sum()))
        else:
            idx = _pick_nodes(rng, dens**pw, n)
        ux.append(x[idx])
        uy.append(y[idx])
        u_kind += [kind] * n
    tac = _spread_nodes(rng, x, y, dens * (node_cls <= _C["secondary_link"]) + 1e-9, 12)
    ux.append(x[tac])
    uy.append(y[tac])
    u_kind += ["tactical_unit"] * 12
    bases = np.array(
        [
            frame_anchor(x, y, -0.25, 0.3, frame.hw, frame.hh),
            frame_anchor(x, y, 0.35, -0.35, frame.hw, frame.hh),
        ]
    )
    ux.append(x[bases])
    uy.append(y[bases])
    u_kind += ["drone_base"] * 2
    ux.append(np.repeat(x[bases], 4))
    uy.append(np.repeat(y[bases], 4))
    u_kind += ["drone"] * 8
    uxa, uya = np.concatenate(ux), np.concatenate(uy)
    ulon, ulat = proj.inverse(uxa, uya)
    ukind = np.array(u_kind)
    ust = _station_of(stations_ll, ulon, ulat, st_codes)
    r = rng.random(len(ukind))
    status = np.where(
        r < 0.72,
        "available",
        np.where(r < 0.82, "dispatched", np.where(r < 0.9, "on_scene", "off_duty")),
    )
    status[np.isin(ukind, ("fixed_post", "drone_base"))] = "available"
    prefix = {
        "fixed_post": ("FP", "固定岗亭", "Fixed Post"),
        "mobile_kiosk": ("MK", "移动警务亭", "Mobile Kiosk"),
        "patrol_car": ("PC", "巡逻车", "Patrol Car"),
        "motorcycle": ("MC", "摩托巡逻组", "Motorcycle Patrol"),
        "foot_team": ("FT", "步巡组", "Foot Patrol Team"),
        "tactical_unit": ("TU", "特警处突组", "Tactical Unit"),
        "drone": ("DR", "无人机", "Drone"),
        "drone_base": ("DB", "无人机机场", "Drone Base"),
    }
    st_name = {a.code: (a.name_zh, a.name_en) for a in stations}
    counters: dict[str, int] = {}
    ucode: list[str] = []
    uzh: list[str] = []
    uen: list[str] = []
    for uk, sc in zip(u_kind, ust.tolist(), strict=True):
        counters[uk] = counters.get(uk, 0) + 1
        p, zh, en = prefix[uk]
        i = counters[uk]
        ucode.append(f"{p}-{i:04d}")
        uzh.append(f"{st_name[sc][0]}{zh}{i}号")
        uen.append(f"{st_name[sc][1]} {en} {i}")
    units = Units(
        code=np.array(ucode),
        kind=ukind,
        name_zh=np.array(uzh),
        name_en=np.array(uen),
        station_code=ust,
        lon=ulon,
        lat=ulat,
        status=status,
    )

    # ---- cameras ------------------------------------------------------------------------
    deg = np.bincount(ru, minlength=len(x)) + np.bincount(rv, minlength=len(x))
    n_cam = 9000
    n_x = 5200
    wx_ = (deg >= 3) * (dens + 0.05) * np.where(node_cls <= _C["tertiary_link"], 3.0, 1.0)
    cam_nodes = _pick_nodes(rng, wx_ + 1e-12, n_x, replace=False)
    cx_ = x[cam_nodes] + rng.normal(0, 6, len(cam_nodes))
    cy_ = y[cam_nodes] + rng.normal(0, 6, len(cam_nodes))
    n_pl = 2400
    pi = _pick_nodes(rng, np.where(np.isin(places.kind, ("rental_house", "other")), 0.3, 1.0), n_pl)
    cx2 = pm.x[pi] + rng.normal(0, 10, n_pl)
    cy2 = pm.y[pi] + rng.normal(0, 10, n_pl)
    n_rest = n_cam - len(cam_nodes) - n_pl
    ri = _pick_nodes(rng, (dens + 0.02) * (node_cls <= _C["secondary_link"]) + 1e-12, n_rest)
    cx3, cy3 = x[ri], y[ri]
    camx = np.concatenate([cx_, cx2, cx3])
    camy = np.concatenate([cy_, cy2, cy3])
    bad = ~shapely.contains_xy(frame.land, camx, camy)
    if bad.any():
        nn = cKDTree(np.column_stack([x, y])).query(np.column_stack([camx[bad], camy[bad]]))[1]
        camx[bad], camy[bad] = x[nn], y[nn]
    clon, clat = proj.inverse(camx, camy)
    ncam = len(camx)
    kind_r = rng.random(ncam)
    fov = np.where(kind_r < 0.15, 360.0, np.round(rng.uniform(50, 110, ncam), 1))
    rng_m = np.where(kind_r < 0.15, 60.0, np.round(rng.uniform(30, 150, ncam), 1))
    cameras = Cameras(
        code=np.array([f"CAM-{i + 1:06d}" for i in range(ncam)]),
        lon=clon,
        lat=clat,
        heading_deg=np.round(rng.uniform(0, 360, ncam), 1),
        fov_deg=fov,
        range_m=rng_m,
        station_code=_station_of(stations_ll, clon, clat, st_codes),
    )

    # ---- people -------------------------------------------------------------------------
    people = _people(rng, districts, stations, communities)
    return City(
        seed=seed,
        name_zh="春城市",
        name_en="Chuncheng",
        center_lon=float(proj.lon0),
        center_lat=float(proj.lat0),
        bureau=bureau,
        districts=districts,
        stations=stations,
        communities=communities,
        cells=cells,
        lake=lake_ll,
        roads=roads,
        places=places,
        key_areas=key_areas,
        units=units,
        cameras=cameras,
        people=people,
        half_width_m=frame.hw,
        half_height_m=frame.hh,
    )


def _people(
    rng: np.random.Generator, districts: list[Area], stations: list[Area], communities: list[Area]
) -> list[Person]:
    n = 2 + 1 + len(districts) + 12 + len(stations) + len(communities) + 6 + len(districts)
    pn = nm.person_names(rng, n)
    it = iter(pn)
    out: list[Person] = []

    def add(user: str, role: str, jur: str) -> None:
        zh, en = next(it)
        out.append(Person(user, zh, en, role, jur))

    add("admin", "admin", BUREAU_CODE)
    add("admin_02", "admin", BUREAU_CODE)
    add("commander", "commander", BUREAU_CODE)
    for d in districts:
        add(f"commander_{d.code}", "commander", d.code)
    for i in range(12):
        add(f"dispatcher_{i + 1:02d}", "dispatcher", BUREAU_CODE)
    for s in stations:
        add(f"chief_{s.code}", "station_chief", s.code)
    for c, com in enumerate(communities):
        add(f"officer_{c + 1:04d}", "community_officer", com.code)
    for i in range(6):
        add(f"analyst_{i + 1:02d}", "analyst", BUREAU_CODE)
    for d in districts:
        add(f"analyst_{d.code}", "analyst", d.code)
    return out
