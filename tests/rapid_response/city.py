"""Roads, forces, places and incidents over the SmallCity for the coverage tests.

A grid of residential streets every 0.0025° (≈250 m) over the city (33 × 9 nodes), plus a
three-node island east of it connected to nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from sqlalchemy.orm import Session

from pingan.auth.service import principal_for
from pingan.incidents import service as incidents
from pingan.incidents.schemas import IncidentCreate
from pingan.places import service as places
from pingan.places.schemas import KeyAreaCreate, PremisesCreate
from pingan.resources import service as resources
from pingan.resources.schemas import ResourceCreate
from pingan.roads import RoadNetwork
from tests.factories import LAT0, LON0, SmallCity

D = 0.0025
NX, NY = 33, 9
ISLAND = (102.90, 25.03)


def grid_network() -> RoadNetwork:
    lon, lat, u, v = [], [], [], []
    zh: list[str] = []
    en: list[str] = []
    for j in range(NY):
        for i in range(NX):
            lon.append(LON0 + i * D)
            lat.append(LAT0 + j * D)
            k = j * NX + i
            if i + 1 < NX:  # east-west streets: 北京路 on the middle row, 街 numbered elsewhere
                u.append(k), v.append(k + 1)
                zh.append("北京路" if j == NY // 2 else f"东{j + 1}街")
                en.append("Beijing Road" if j == NY // 2 else f"East {j + 1} Street")
            if j + 1 < NY:
                u.append(k), v.append(k + NX)
                zh.append(f"南{i + 1}巷" if i % 4 == 0 else "")
                en.append(f"South {i + 1} Lane" if i % 4 == 0 else "")
    base = len(lon)
    for i in range(3):
        lon.append(ISLAND[0] + i * D)
        lat.append(ISLAND[1])
    u += [base, base + 1]
    v += [base + 1, base + 2]
    zh += ["", ""]
    en += ["", ""]
    lo, la = np.array(lon), np.array(lat)
    from pingan.geo.crs import haversine_m

    uu, vv = np.array(u), np.array(v)
    return RoadNetwork.from_classified_edges(
        uu,
        vv,
        road_class=np.array(["residential"] * uu.size),
        length_m=haversine_m(lo[uu], la[uu], lo[vv], la[vv]),
        node_lon=lo,
        node_lat=la,
        oneway=np.zeros(uu.size, dtype=bool),
        name_zh=zh,
        name_en=en,
    )


@dataclass
class CoverageCity:
    data_dir: Path
    network: RoadNetwork
    post_ids: list[int]
    incident_ids: list[int]


def build(
    session: Session, city: SmallCity, data_dir: Path, *, n_incidents: int = 40
) -> CoverageCity:
    """Save the network in ``data_dir`` and add posts, units, key areas, premises, incidents."""
    net = grid_network()
    data_dir.mkdir(parents=True, exist_ok=True)
    net.save(data_dir / "roads.npz")
    admin = principal_for(session, city.users["admin"])
    units = [
        ("FP-1", "fixed_post", "T1-S0", LON0 + 0.01, LAT0 + 0.01, None, None),
        ("MK-1", "mobile_kiosk", "T1-S1", LON0 + 0.06, LAT0 + 0.01, None, None),
        ("PC-1", "patrol_car", "T1-S0", LON0 + 0.02, LAT0 + 0.005, None, None),
        ("FT-1", "foot_team", "T1-S0", LON0 + 0.012, LAT0 + 0.0125, None, None),
        ("DR-1", "drone", "T1-S1", LON0 + 0.05, LAT0 + 0.01, 60.0, 5000.0),
    ]
    ids = []
    for code, kind, st, lon, lat, speed, rng in units:
        r = resources.create(
            session,
            principal=admin,
            data=ResourceCreate(
                code=code,
                kind=kind,  # type: ignore[arg-type]
                name_zh=code,
                station_code=st,
                lon=lon,
                lat=lat,
                speed_kph=speed,
                range_m=rng,
            ),
        )
        ids.append(r.id)
    for code, x, y, std in (("KA-near", 0.0105, 0.0105, 60), ("KA-far", 0.035, 0.015, 180)):
        geom = shapely.box(LON0 + x - 0.001, LAT0 + y - 0.001, LON0 + x + 0.001, LAT0 + y + 0.001)
        places.create_key_area(
            session,
            principal=admin,
            data=KeyAreaCreate(
                code=code,
                name_zh=code,
                geometry=shapely.geometry.mapping(geom),
                response_standard_s=std,
            ),
        )
    for k, (x, y) in enumerate(((0.011, 0.009), (0.03, 0.012), (0.061, 0.011), (0.075, 0.018))):
        places.create_premises(
            session,
            principal=admin,
            data=PremisesCreate(
                kind="school" if k % 2 == 0 else "hospital",  # type: ignore[arg-type]
                name=f"P{k}",
                lon=LON0 + x,
                lat=LAT0 + y,
            ),
        )
    disp = principal_for(session, city.users["dispatcher"])
    rng_ = np.random.default_rng(3)
    now = dt.datetime.now(dt.UTC)
    inc_ids = []
    for i in range(n_incidents):
        cell = int(rng_.integers(len(city.cells)))
        lon, lat = city.cell_center(cell)
        inc, _ = incidents.create(
            session,
            principal=disp,
            data=IncidentCreate(
                subtype="burglary",
                lon=lon + float(rng_.normal(0, 0.001)),
                lat=lat + float(rng_.normal(0, 0.001)),
                reported_at=now - dt.timedelta(days=1 + i, hours=float(rng_.uniform(0, 20))),
            ),
        )
        inc_ids.append(inc.id)
    session.flush()
    return CoverageCity(data_dir, net, ids[:2], inc_ids)
