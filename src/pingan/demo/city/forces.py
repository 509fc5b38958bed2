"""Forces of the demo city: fixed posts, kiosks, patrols, tactical units and drones."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

from pingan.demo.city.common import _C, F64
from pingan.demo.city.frame import _Frame, _station_of
from pingan.demo.city.jurisdictions import _Jur
from pingan.demo.city.model import Units, _Areas, _RoadNet
from pingan.demo.city.places import _pick_nodes, _spread_nodes, frame_anchor


def _units(
    rng: np.random.Generator,
    frame: _Frame,
    jur: _Jur,
    net: _RoadNet,
    dens: F64,
    ka_raw: list[Any],
    areas: _Areas,
) -> Units:
    """Fixed posts, kiosks, patrols, tactical units and drones, with codes, names and status."""
    proj = frame.proj
    x, y, node_cls = net.x, net.y, net.node_cls
    stations, stations_ll, st_codes = areas.stations, areas.stations_ll, areas.st_codes
    # ---- forces -------------------------------------------------------------------------
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
    return units
