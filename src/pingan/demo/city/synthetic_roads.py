"""The synthetic road network: ring roads, radials, district grids, lanes and bridges."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from shapely.geometry import Polygon

from pingan.demo.city.common import _C, _MAJOR, F64, I64, BoolA
from pingan.demo.city.frame import _Frame, _ring


@dataclass
class _Net:
    """Growing road network in metres."""

    x: list[F64] = field(default_factory=list)
    y: list[F64] = field(default_factory=list)
    n: int = 0
    u: list[I64] = field(default_factory=list)
    v: list[I64] = field(default_factory=list)
    cls: list[I64] = field(default_factory=list)
    oneway: list[BoolA] = field(default_factory=list)
    name: list[I64] = field(default_factory=list)

    def add_nodes(self, xy: F64) -> I64:
        ids = np.arange(self.n, self.n + len(xy), dtype=np.int64)
        self.x.append(np.asarray(xy[:, 0], dtype=np.float64))
        self.y.append(np.asarray(xy[:, 1], dtype=np.float64))
        self.n += len(xy)
        return ids

    def add_edges(
        self, u: I64, v: I64, cls: I64 | int, name: I64 | int, oneway: BoolA | bool = False
    ) -> None:
        m = len(u)
        self.u.append(np.asarray(u, dtype=np.int64))
        self.v.append(np.asarray(v, dtype=np.int64))
        self.cls.append(np.broadcast_to(np.asarray(cls, dtype=np.int64), (m,)).copy())
        self.name.append(np.broadcast_to(np.asarray(name, dtype=np.int64), (m,)).copy())
        self.oneway.append(np.broadcast_to(np.asarray(oneway, dtype=bool), (m,)).copy())


def _polyline_in_land(frame: _Frame, xy: F64) -> F64:
    ok = shapely.contains_xy(frame.land, xy[:, 0], xy[:, 1])
    bad = np.flatnonzero(~ok)
    return xy[: bad[0]] if len(bad) else xy


def _synthetic_roads(rng: np.random.Generator, frame: _Frame, districts: list[Polygon]) -> _Net:
    """Rings, radials, warped district grids, stitches and cul-de-sacs (metres, unfinished).

    Time and memory O(nodes); one loop per district and per radial.
    """
    net = _Net()
    name_i = 0

    def next_name() -> int:
        nonlocal name_i
        name_i += 1
        return name_i - 1

    inner_ids, ring_ids, radials, art_tree, art_ids = _arterials(rng, frame, net, next_name)
    riv = np.vstack(frame.rivers) if frame.rivers else np.empty((0, 2))
    riv_tree = cKDTree(riv) if len(riv) else None

    # --- warped grid per district ----------------------------------------------------------
    node_dist: list[I64] = []
    node_s: list[F64] = []
    for d, poly in enumerate(districts):
        # one-way pairs downtown, in the first district only
        nd_d, ns_d = _district_grid(
            rng, frame, net, d, poly, art_tree, art_ids, riv_tree, next_name, oneway=d == 0
        )
        node_dist.append(nd_d)
        node_s.append(ns_d)

    gx = np.concatenate(net.x)
    gy = np.concatenate(net.y)
    n_art = len(inner_ids) + len(ring_ids) + sum(len(r[0]) for r in radials)
    nd = np.concatenate(node_dist)
    ns = np.concatenate(node_s)
    grid_ids = np.arange(n_art, n_art + len(nd), dtype=np.int64)

    # --- stitch districts: boundary nodes to the nearest node of a neighbouring district ----
    tree = cKDTree(np.column_stack([gx[grid_ids], gy[grid_ids]]))
    dd, jj3 = tree.query(np.column_stack([gx[grid_ids], gy[grid_ids]]), k=8)
    other = nd[np.minimum(jj3, len(nd) - 1)] != nd[:, None]
    ok = other & (dd < 1.3 * ns[:, None]) & np.isfinite(dd)
    has = ok.any(axis=1)
    first = np.argmax(ok, axis=1)
    src = np.flatnonzero(has)
    dst = jj3[src, first[src]]
    pair = np.unique(np.column_stack([np.minimum(src, dst), np.maximum(src, dst)]), axis=0)
    net.add_edges(grid_ids[pair[:, 0]], grid_ids[pair[:, 1]], _C["residential"], next_name())

    # --- cul-de-sacs -----------------------------------------------------------------------
    dens_g = frame.dens(gx[grid_ids], gy[grid_ids])
    pick = rng.random(len(grid_ids)) < 0.05 * np.minimum(dens_g / 0.3, 1.0) + 0.01
    base = grid_ids[pick]
    m = len(base)
    dirn = rng.uniform(0, 2 * np.pi, m)
    bend = rng.normal(0, 0.5, m)
    sp = ns[pick]
    pts_prev = base
    px, py = gx[base], gy[base]
    for step in range(3):
        h = dirn + bend * step
        px = px + 0.12 * sp * np.cos(h)
        py = py + 0.12 * sp * np.sin(h)
        ids = net.add_nodes(np.column_stack([px, py]))
        net.add_edges(
            pts_prev, ids, np.where(rng.random(m) < 0.7, _C["residential"], _C["service"]), name_i
        )
        pts_prev = ids
    return net


def _arterials(
    rng: np.random.Generator, frame: _Frame, net: _Net, next_name: Callable[[], int]
) -> tuple[I64, I64, list[tuple[I64, F64]], cKDTree, I64]:
    """The inner ring (primary), the expressway ring and the radials with their slip roads:
    returns the ring node ids, the radials, and a tree and the ids of every arterial node."""
    # --- arterials: inner ring (primary) and radials ---------------------------------------
    inner = _ring(-300.0, 600.0, 2100.0, 1800.0, 8.0, [(0.04, 3, 0.3), (0.02, 5, 1.1)], 230)
    inner_ids = net.add_nodes(inner)
    net.add_edges(inner_ids, np.roll(inner_ids, -1), _C["primary"], next_name())
    ring = _ring(300.0, 200.0, 6700.0, 5700.0, -6.0, [(0.03, 2, 0.7), (0.02, 5, 2.0)], 400)
    ring = ring[~shapely.contains_xy(frame.lake, ring[:, 0], ring[:, 1])]
    ring_ids = net.add_nodes(ring)
    net.add_edges(ring_ids, np.roll(ring_ids, -1), _C["motorway"], next_name())
    art_xy = [inner]
    radials: list[tuple[I64, F64]] = []
    for k in range(9):
        ang = math.radians(20.0 + k * 40.0 + rng.uniform(-8, 8))
        start = int(
            np.argmin(
                np.abs(
                    np.angle(
                        np.exp(1j * (np.arctan2(inner[:, 1] - 600.0, inner[:, 0] + 300.0) - ang))
                    )
                )
            )
        )
        p0 = inner[start]
        steps = np.arange(1, 400)
        drift = np.radians(7.0) * np.sin(steps * 60.0 / 2500.0 + rng.uniform(0, 6.28))
        heading = ang + drift
        xy = p0 + np.column_stack(
            [np.cumsum(60.0 * np.cos(heading)), np.cumsum(60.0 * np.sin(heading))]
        )
        xy = _polyline_in_land(frame, xy)
        if len(xy) < 5:
            continue
        ids = net.add_nodes(xy)
        chain = np.concatenate([[inner_ids[start]], ids])
        r_el = np.hypot((xy[:, 0] - 300.0) / 6700.0, (xy[:, 1] - 200.0) / 5700.0)
        cls = np.where(r_el < 1.0, _C["primary"], _C["trunk"])
        rname = next_name()
        net.add_edges(chain[:-1], chain[1:], cls, rname)
        art_xy.append(xy)
        radials.append((ids, xy))
        # interchange with the expressway ring: two slip roads
        tr = cKDTree(ring)
        d, j = tr.query(xy)
        i_cross = int(np.argmin(d))
        if d[i_cross] < 150 and 5 <= i_cross < len(xy) - 5:
            jr = int(j[i_cross])
            a = np.array([ring_ids[(jr - 4) % len(ring_ids)], ring_ids[(jr + 4) % len(ring_ids)]])
            b = np.array([ids[i_cross - 4], ids[i_cross + 4]])
            net.add_edges(a, b, _C["motorway_link"], rname)
    art_all = np.vstack(art_xy)
    art_ids = np.concatenate([inner_ids] + [r[0] for r in radials])
    art_tree = cKDTree(art_all)
    return inner_ids, ring_ids, radials, art_tree, art_ids


def _district_grid(
    rng: np.random.Generator,
    frame: _Frame,
    net: _Net,
    d: int,
    poly: Polygon,
    art_tree: cKDTree,
    art_ids: I64,
    riv_tree: cKDTree | None,
    next_name: Callable[[], int],
    *,
    oneway: bool,
) -> tuple[I64, F64]:
    """The warped street grid of district ``d``, cut at arterials (T-junctions) and rivers;
    returns the district and spacing of each grid node added."""
    angles = (12.0, -8.0, 28.0, -18.0, 38.0)
    spacing = (118.0, 150.0, 150.0, 165.0, 140.0)
    th = math.radians(angles[d % 5])
    s = spacing[d % 5]
    c, si = math.cos(th), math.sin(th)
    cx, cy = poly.centroid.x, poly.centroid.y
    bx = np.array(poly.exterior.coords)
    p = c * (bx[:, 0] - cx) + si * (bx[:, 1] - cy)
    q = -si * (bx[:, 0] - cx) + c * (bx[:, 1] - cy)
    i0, i1 = int(np.floor(p.min() / s)) - 1, int(np.ceil(p.max() / s)) + 1
    j0, j1 = int(np.floor(q.min() / s)) - 1, int(np.ceil(q.max() / s)) + 1
    ni, nj = i1 - i0 + 1, j1 - j0 + 1
    ii, jj = np.meshgrid(np.arange(i0, i1 + 1), np.arange(j0, j1 + 1), indexing="ij")
    pp, qq = ii * s, jj * s
    x = cx + c * pp - si * qq
    y = cy + si * pp + c * qq
    ph = rng.uniform(0, 2 * np.pi, 4)
    lam = rng.uniform(1800, 3500, 4)
    wx = (
        0.45
        * s
        * (
            np.sin(2 * np.pi * y / lam[0] + ph[0])
            + 0.5 * np.sin(2 * np.pi * (x + y) / lam[1] + ph[1])
        )
    )
    wy = (
        0.45
        * s
        * (
            np.sin(2 * np.pi * x / lam[2] + ph[2])
            + 0.5 * np.sin(2 * np.pi * (x - y) / lam[3] + ph[3])
        )
    )
    x = (x + wx + rng.normal(0, 0.07 * s, x.shape)).ravel()
    y = (y + wy + rng.normal(0, 0.07 * s, y.shape)).ravel()
    inside = shapely.contains_xy(poly, x, y)
    da, _ = art_tree.query(np.column_stack([x, y]))
    near_art = da < 0.5 * s + 15.0
    near_riv = np.zeros_like(inside)
    if riv_tree is not None:
        dr, _ = riv_tree.query(np.column_stack([x, y]))
        near_riv = dr < 30.0
    keep = inside & ~near_art & ~near_riv
    gid = np.full(x.shape, -1, dtype=np.int64)
    gid[keep] = net.add_nodes(np.column_stack([x[keep], y[keep]]))
    stub = inside & near_art & ~near_riv
    flat = np.arange(ni * nj).reshape(ni, nj)
    dens = frame.dens(x, y)
    names_h = np.array([next_name() for _ in range(nj)], dtype=np.int64)
    names_v = np.array([next_name() for _ in range(ni)], dtype=np.int64)
    for axis in (0, 1):
        if axis == 0:  # edges along i (horizontal lines j)
            a, b = flat[:-1, :].ravel(), flat[1:, :].ravel()
            line = np.broadcast_to(np.arange(j0, j1 + 1), (ni - 1, nj)).ravel()
            lname = names_h[line - j0]
        else:
            a, b = flat[:, :-1].ravel(), flat[:, 1:].ravel()
            line = np.broadcast_to(np.arange(i0, i1 + 1)[:, None], (ni, nj - 1)).ravel()
            lname = names_v[line - i0]
        cls = np.full(len(a), _C["residential"], dtype=np.int64)
        r = rng.random(len(a))
        de = (dens[a] + dens[b]) / 2.0
        cls[r < 0.22 - 0.1 * np.minimum(de, 1.0)] = _C["service"]
        cls[(r > 0.93) & (de > 0.3)] = _C["living_street"]
        cls[r > 0.975] = _C["footway"]
        cls[line % 4 == 0] = _C["tertiary"]
        cls[line % 12 == 0] = _C["secondary"]
        ow = np.zeros(len(a), dtype=bool)
        swap = np.zeros(len(a), dtype=bool)
        if oneway:
            # one-way pairs downtown: two neighbouring lines in each direction
            mid = 1 if axis == 0 else 2
            pair = (line == mid) | (line == mid + 1)
            cls[pair] = _C["secondary"]
            ow[pair] = True
            swap[line == mid + 1] = True
        is_local = cls >= _C["residential"]
        keep_p = np.where(de > 0.35, 0.9, 0.5 + 0.4 * de / 0.35)
        alive = ~is_local | (rng.random(len(a)) < keep_p)
        ga, gb = gid[a], gid[b]
        both = (ga >= 0) & (gb >= 0) & alive
        eu = np.where(swap, gb, ga)[both]
        ev = np.where(swap, ga, gb)[both]
        net.add_edges(eu, ev, cls[both], lname[both], ow[both])
        # stubs: cut by an arterial -> T-junction with the nearest arterial node
        for kept_end, cut_end in ((a, b), (b, a)):
            m = (gid[kept_end] >= 0) & stub[cut_end] & alive
            if not m.any():
                continue
            pts = np.column_stack([x[kept_end[m]], y[kept_end[m]]])
            dd, jj2 = art_tree.query(pts)
            ok = dd < 1.3 * s
            net.add_edges(gid[kept_end[m]][ok], art_ids[jj2[ok]], cls[m][ok], lname[m][ok])
    return np.full(int(keep.sum()), d, dtype=np.int64), np.full(int(keep.sum()), s)


def _finish_net(
    rng: np.random.Generator, frame: _Frame, net: _Net
) -> tuple[F64, F64, I64, I64, I64, BoolA, BoolA, I64]:
    """Drop water crossings, mark bridges, keep the largest component, curve long edges."""
    x = np.concatenate(net.x)
    y = np.concatenate(net.y)
    u = np.concatenate(net.u)
    v = np.concatenate(net.v)
    cls = np.concatenate(net.cls)
    ow = np.concatenate(net.oneway)
    nm_ = np.concatenate(net.name)
    ok = u != v
    u, v, cls, ow, nm_ = u[ok], v[ok], cls[ok], ow[ok], nm_[ok]
    # lake and off-land nodes
    land_ok = shapely.contains_xy(frame.land, x, y)
    keep_e = land_ok[u] & land_ok[v]
    bridge = np.zeros(len(u), dtype=bool)
    if frame.rivers or not frame.lake.is_empty:
        lines = shapely.linestrings(
            np.stack([np.column_stack([x[u], y[u]]), np.column_stack([x[v], y[v]])], axis=1)
        )
        if not frame.lake.is_empty:
            keep_e &= ~shapely.intersects(frame.lake, lines)
        if frame.rivers:
            riv = shapely.multilinestrings([shapely.linestrings(r) for r in frame.rivers])
            shapely.prepare(riv)
            cross = shapely.intersects(riv, lines)
            major = _MAJOR[cls]
            bridge = cross & (major | (rng.random(len(u)) < 0.12))
            keep_e &= ~cross | bridge
    u, v, cls, ow, nm_, bridge = (
        u[keep_e],
        v[keep_e],
        cls[keep_e],
        ow[keep_e],
        nm_[keep_e],
        bridge[keep_e],
    )
    # de-duplicate undirected edges (keep the first)
    key = np.minimum(u, v) * (len(x) + 1) + np.maximum(u, v)
    _, first = np.unique(key, return_index=True)
    first = np.sort(first)
    u, v, cls, ow, nm_, bridge = (
        u[first],
        v[first],
        cls[first],
        ow[first],
        nm_[first],
        bridge[first],
    )
    # largest connected component
    n = len(x)
    g = coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    _, lab = connected_components(g, directed=False)
    used = np.zeros(n, dtype=bool)
    used[u] = True
    used[v] = True
    counts = np.bincount(lab[used], minlength=lab.max() + 1)
    big = int(np.argmax(counts))
    keep_n = (lab == big) & used
    remap = np.full(n, -1, dtype=np.int64)
    remap[keep_n] = np.arange(int(keep_n.sum()))
    ke = keep_n[u]
    u, v, cls, ow, nm_, bridge = remap[u[ke]], remap[v[ke]], cls[ke], ow[ke], nm_[ke], bridge[ke]
    x, y = x[keep_n], y[keep_n]
    # curve: insert intermediate shape nodes on edges longer than 70 m
    dx, dy = x[v] - x[u], y[v] - y[u]
    ln = np.hypot(dx, dy)
    k = np.clip((ln // 70.0).astype(np.int64), 0, 3)
    k[cls <= _C["motorway_link"]] = np.minimum(k[cls <= _C["motorway_link"]], 1)
    k[bridge] = 0
    bulge = rng.normal(0.0, 0.05, len(u)) * np.where(cls >= _C["residential"], 1.0, 0.25)
    n_old = len(x)
    tot = int(k.sum())
    e_of = np.repeat(np.arange(len(u)), k)
    start = np.cumsum(k) - k
    pos = np.arange(tot) - np.repeat(start, k) + 1  # 1..k
    t = pos / (np.repeat(k, k) + 1.0)
    nx, ny = -dy / np.maximum(ln, 1e-9), dx / np.maximum(ln, 1e-9)
    off = (bulge * ln)[e_of] * np.sin(np.pi * t)
    mx = x[u][e_of] + t * dx[e_of] + nx[e_of] * off
    my = y[u][e_of] + t * dy[e_of] + ny[e_of] * off
    x = np.concatenate([x, mx])
    y = np.concatenate([y, my])
    nseg = k + 1
    se = np.repeat(np.arange(len(u)), nseg)
    sstart = np.cumsum(nseg) - nseg
    spos = np.arange(int(nseg.sum())) - np.repeat(sstart, nseg)
    mid_base = n_old + start
    frm = np.where(spos == 0, u[se], mid_base[se] + spos - 1)
    to = np.where(spos == k[se], v[se], mid_base[se] + spos)
    return x, y, frm, to, cls[se], ow[se], bridge[se], nm_[se]
