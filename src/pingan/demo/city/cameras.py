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
    cameras = Cameras(
        code=np.array([f"CAM-{i + 1:06d}" for i in range(ncam)]),
        lon=clon,
        lat=clat,
        heading_deg=np.round(rng.uniform(0, 360, ncam), 1),
        fov_deg=fov,
        range_m=rng_m,
        station_code=_station_of(stations_ll, clon, clat, st_codes),
    )
    return cameras
