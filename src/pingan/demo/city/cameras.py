"""Cameras of the demo city: busy junctions, places and arterials."""

from __future__ import annotations

import numpy as np
import shapely
from scipy.spatial import cKDTree

from pingan.demo.city.common import _C, F64
from pingan.demo.city.frame import _Frame, _station_of
from pingan.demo.city.model import Cameras, Places, _Areas, _RoadNet
from pingan.demo.city.places import _pick_nodes, _PlacesM


def _cameras(
    rng: np.random.Generator,
    frame: _Frame,
    net: _RoadNet,
    dens: F64,
    pm: _PlacesM,
    places: Places,
    areas: _Areas,
) -> Cameras:
    """About 9,000 cameras at busy junctions, at places and along arterials."""
    proj = frame.proj
    x, y, ru, rv, node_cls = net.x, net.y, net.ru, net.rv, net.node_cls
    stations_ll, st_codes = areas.stations_ll, areas.st_codes
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
    heading_drawn = np.round(rng.uniform(0, 360, ncam), 1)  # kept: the stream after it is fixed
    station_code = _station_of(stations_ll, clon, clat, st_codes)
    extra = _attributes(
        np.random.default_rng(rng.bit_generator.seed_seq.spawn(1)[0]),  # type: ignore[attr-defined]
        net,
        camx,
        camy,
        heading_drawn,
        station_code,
        np.concatenate([cam_nodes, ri]),
        len(cam_nodes),
        pi,
    )
    cameras = Cameras(
        code=np.array([f"CAM-{i + 1:06d}" for i in range(ncam)]),
        lon=clon,
        lat=clat,
        heading_deg=extra["heading"],
        fov_deg=fov,
        range_m=rng_m,
        station_code=station_code,
        status=extra["status"],
        resolution=extra["resolution"],
        owner=extra["owner"],
        place_index=extra["place"],
    )
    return cameras


def _attributes(
    rng: np.random.Generator,
    net: _RoadNet,
    camx: F64,
    camy: F64,
    heading_drawn: F64,
    station_code: np.ndarray,
    road_nodes: np.ndarray,
    n_junction: int,
    place_idx: np.ndarray,
) -> dict[str, np.ndarray]:
    """Headings, status, resolution, owner and premises of the cameras, from a stream of their
    own (the city's stream is unchanged). Cameras on roads look along one of their node's roads;
    cameras at places look at the nearest road; some stations keep their cameras worse."""
    n = camx.size
    x, y, ru, rv = net.x, net.y, net.ru, net.rv
    src = np.concatenate([ru, rv])
    dst = np.concatenate([rv, ru])
    order = np.argsort(src, kind="stable")
    src, dst = src[order], dst[order]
    indptr = np.searchsorted(src, np.arange(x.size + 1))
    heading = heading_drawn.copy()
    n_place = place_idx.size
    on_road = np.r_[np.arange(n_junction), np.arange(n_junction + n_place, n)]
    nodes = road_nodes.astype(np.int64)
    deg = indptr[nodes + 1] - indptr[nodes]
    ok = deg > 0
    pick = indptr[nodes] + (rng.random(nodes.size) * np.maximum(deg, 1)).astype(np.int64)
    nb = dst[np.minimum(pick, dst.size - 1)]
    bearing = np.degrees(np.arctan2(x[nb] - camx[on_road], y[nb] - camy[on_road])) % 360
    heading[on_road[ok]] = np.round(bearing[ok] + rng.normal(0, 8, int(ok.sum())), 1) % 360
    at_place = np.arange(n_junction, n_junction + n_place)
    _, near = cKDTree(np.column_stack([x, y])).query(
        np.column_stack([camx[at_place], camy[at_place]])
    )
    dx, dy = x[near] - camx[at_place], y[near] - camy[at_place]
    far = np.hypot(dx, dy) > 3
    heading[at_place[far]] = np.round(np.degrees(np.arctan2(dx[far], dy[far])) % 360, 1)
    # status: about 9 % down, twice as many in a few stations that keep them badly
    stations = np.unique(station_code)
    bad = set(rng.choice(stations, size=max(1, stations.size // 6), replace=False).tolist())
    p_down = np.where(np.isin(station_code, list(bad)), 0.18, 0.07)
    r = rng.random(n)
    status = np.where(r < 0.65 * p_down, "offline", np.where(r < p_down, "maintenance", "online"))
    resolution = rng.choice(np.array(["sd", "hd", "uhd"]), size=n, p=[0.25, 0.6, 0.15])
    owner = np.full(n, "public", dtype="<U6")
    place = np.full(n, -1, dtype=np.int64)
    social = rng.random(n_place) < 0.7
    owner[at_place[social]] = "social"
    place[at_place[social]] = place_idx[social]
    return {
        "heading": np.round(heading, 1).astype(np.float64) % 360.0,
        "status": status,
        "resolution": resolution,
        "owner": owner,
        "place": place,
    }
