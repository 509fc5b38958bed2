"""Places, key areas and the fixed frame points of the planted patterns."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import Polygon

from pingan.demo import names as nm
from pingan.demo.city.common import _C, _GRID, F64, I64, BoolA
from pingan.demo.city.frame import _Frame


def _pick_nodes(rng: np.random.Generator, weights: F64, n: int, *, replace: bool = True) -> I64:
    w = np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    if not replace:
        n = min(n, int((w > 0).sum()))
    return np.asarray(rng.choice(len(w), size=n, replace=replace, p=w), dtype=np.int64)


def _spread_nodes(rng: np.random.Generator, x: F64, y: F64, w: F64, n: int) -> I64:
    """Best-candidate choice of ``n`` node indices, spread out and favouring weight ``w``."""
    cand = _pick_nodes(rng, w, min(len(x), 30 * n + 20), replace=False)
    ww = w[cand] / w[cand].max()
    chosen = [int(np.argmax(ww))]
    dmin = np.hypot(x[cand] - x[cand[chosen[0]]], y[cand] - y[cand[chosen[0]]])
    for _ in range(n - 1):
        k = int(np.argmax(dmin * np.sqrt(ww)))
        chosen.append(k)
        dmin = np.minimum(dmin, np.hypot(x[cand] - x[cand[k]], y[cand] - y[cand[k]]))
    return np.asarray(cand[np.array(chosen)], dtype=np.int64)


def frame_anchor(x: F64, y: F64, frac_x: float, frac_y: float, hw: float, hh: float) -> int:
    """Index of the road node nearest the frame point (frac_x * hw, frac_y * hh)."""
    return int(np.argmin(np.hypot(x - frac_x * hw, y - frac_y * hh)))


# fixed frame points (fractions of the half-width/height) used by the planted patterns
LONG_TERM_HOTSPOT_FRAC: Final = (-0.07, 0.06)
EMERGING_CLUSTER_FRAC: Final = (0.31, 0.29)
STADIUM_FRAC: Final = (0.30, -0.16)

_PLACE_COUNTS: Final[dict[str, int]] = {
    "residential_compound": 1800,
    "school": 260,
    "hospital": 72,
    "market": 140,
    "mall": 46,
    "hotel": 220,
    "bank": 260,
    "gas_station": 90,
    "metro_station": 54,
    "bus_station": 360,
    "entertainment_venue": 210,
    "business": 700,
    "rental_house": 2400,
    "other": 240,
}
_PLACE_SUFFIX: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "residential_compound": (
        ("小区", " Residential Compound"),
        ("花园", " Garden"),
        ("家园", " Homes"),
        ("新村", " New Village"),
    ),
    "school": (
        ("小学", " Primary School"),
        ("中学", " Middle School"),
        ("幼儿园", " Kindergarten"),
        ("职业学校", " Vocational School"),
    ),
    "hospital": (("医院", " Hospital"), ("社区卫生服务中心", " Community Health Centre")),
    "market": (("农贸市场", " Farmers' Market"), ("菜市场", " Food Market")),
    "mall": (("购物中心", " Shopping Centre"), ("广场", " Plaza")),
    "hotel": (("酒店", " Hotel"), ("宾馆", " Guesthouse")),
    "bank": (
        ("工商银行", "ICBC "),
        ("建设银行", "CCB "),
        ("农业银行", "ABC "),
        ("中国银行", "Bank of China "),
        ("富滇银行", "Fudian Bank "),
    ),
    "gas_station": (("中石化", "Sinopec "), ("中石油", "PetroChina ")),
    "metro_station": (("站", " Station"),),
    "bus_station": (("公交站", " Bus Stop"), ("公交枢纽", " Bus Interchange")),
    "entertainment_venue": (
        ("KTV", " KTV"),
        ("酒吧", " Bar"),
        ("网吧", " Internet Cafe"),
        ("夜总会", " Night Club"),
    ),
    "business": (
        ("商贸公司", " Trading Co."),
        ("科技公司", " Technology Co."),
        ("物流园", " Logistics Park"),
    ),
    "rental_house": (("出租屋", " Rental House"),),
    "other": (
        ("公园", " Park"),
        ("广场", " Square"),
        ("寺", " Temple"),
        ("街道办", " Sub-district Office"),
    ),
}


@dataclass
class _PlacesM:
    kind: list[str]
    zh: list[str]
    en: list[str]
    x: F64
    y: F64
    cap: I64
    police_room: BoolA


def _places(
    rng: np.random.Generator, frame: _Frame, x: F64, y: F64, cls: F64, scale: float
) -> _PlacesM:
    """Places near road nodes (x, y are node coordinates; cls the best class at each node)."""
    dens = frame.dens(x, y)
    major = cls <= _C["secondary_link"]
    collector = cls <= _C["tertiary_link"]
    local = ~collector
    n_of = {k: max(1, round(c * scale)) for k, c in _PLACE_COUNTS.items()}
    kinds: list[str] = []
    xs: list[F64] = []
    ys: list[F64] = []
    caps: list[I64] = []

    def put(kind: str, idx: I64, off_m: float, cap: I64 | None = None) -> None:
        m = len(idx)
        ang = rng.uniform(0, 2 * np.pi, m)
        r = rng.uniform(0.3, 1.0, m) * off_m
        xs.append(x[idx] + r * np.cos(ang))
        ys.append(y[idx] + r * np.sin(ang))
        kinds.extend([kind] * m)
        caps.append(np.zeros(m, dtype=np.int64) if cap is None else cap)

    # special anchors first (documented in model.md)
    hot = frame_anchor(x, y, *LONG_TERM_HOTSPOT_FRAC, frame.hw, frame.hh)
    emc = frame_anchor(x, y, *EMERGING_CLUSTER_FRAC, frame.hw, frame.hh)
    std = frame_anchor(x, y, *STADIUM_FRAC, frame.hw, frame.hh)
    put("market", np.array([hot]), 0.0)
    put("residential_compound", np.array([emc]), 0.0)
    put("stadium", np.array([std]), 0.0, np.array([32_000]))
    w_local = dens * local + 1e-6
    put(
        "residential_compound",
        _pick_nodes(rng, w_local * dens**0.5, n_of["residential_compound"] - 1),
        40.0,
    )
    put(
        "rental_house",
        _pick_nodes(rng, w_local * dens * np.exp(-dens / 0.35), n_of["rental_house"]),
        25.0,
    )
    put(
        "school",
        _pick_nodes(rng, w_local, n_of["school"]),
        50.0,
        rng.integers(300, 2800, n_of["school"]),
    )
    hosp = _spread_nodes(rng, x, y, dens**1.5 * collector + 1e-9, n_of["hospital"])
    hcap = np.where(
        np.arange(len(hosp)) < 16,
        rng.integers(500, 1800, len(hosp)),
        rng.integers(40, 420, len(hosp)),
    )
    put("hospital", hosp, 40.0, hcap)
    put("market", _pick_nodes(rng, dens * (0.3 + collector), n_of["market"] - 1), 30.0)
    put(
        "mall",
        _spread_nodes(rng, x, y, dens**2.5 * major + 1e-9, n_of["mall"]),
        40.0,
        rng.integers(2000, 20_000, n_of["mall"]),
    )
    metro = _spread_nodes(rng, x, y, dens**1.2 * major + 1e-9, n_of["metro_station"])
    put("metro_station", metro, 0.0)
    put(
        "hotel",
        _pick_nodes(rng, dens**1.5 * (0.5 + collector), n_of["hotel"]),
        30.0,
        rng.integers(20, 400, n_of["hotel"]),
    )
    put("bank", _pick_nodes(rng, dens**1.5 * (0.3 + collector), n_of["bank"]), 20.0)
    put("gas_station", _pick_nodes(rng, major * (0.2 + dens), n_of["gas_station"]), 30.0)
    put("bus_station", _pick_nodes(rng, collector * dens**0.7 + 1e-9, n_of["bus_station"]), 10.0)
    clusters = _spread_nodes(rng, x, y, dens**3 * collector + 1e-9, 5)
    n_ent = n_of["entertainment_venue"]
    n_cl = int(0.7 * n_ent)
    cl_of = rng.integers(0, 5, n_cl)
    cx = x[clusters][cl_of] + rng.normal(0, 180, n_cl)
    cy = y[clusters][cl_of] + rng.normal(0, 180, n_cl)
    near = cKDTree(np.column_stack([x, y])).query(np.column_stack([cx, cy]))[1]
    put("entertainment_venue", np.asarray(near, dtype=np.int64), 25.0)
    put("entertainment_venue", _pick_nodes(rng, dens**1.5, n_ent - n_cl), 25.0)
    put("business", _pick_nodes(rng, dens**1.3 * (0.4 + collector), n_of["business"]), 35.0)
    put("other", _pick_nodes(rng, dens**0.8, n_of["other"]), 40.0)
    px, py = np.concatenate(xs), np.concatenate(ys)
    # keep places on land: fall back to the node itself
    bad = ~shapely.contains_xy(frame.land, px, py)
    if bad.any():
        nn = cKDTree(np.column_stack([x, y])).query(np.column_stack([px[bad], py[bad]]))[1]
        px[bad], py[bad] = x[nn], y[nn]
    cap = np.concatenate(caps)
    kind_arr = np.array(kinds)
    police = (kind_arr == "hospital") & (cap >= 500)
    police |= (kind_arr == "stadium") | ((kind_arr == "school") & (cap >= 2500))
    # names
    stems = nm.place_stems(rng, len(kinds))
    zh: list[str] = []
    en: list[str] = []
    sfx_pick = rng.integers(0, 1000, len(kinds))
    for i, k in enumerate(kinds):
        sz, se = stems[i]
        if k == "stadium":
            zh.append("春城体育中心")
            en.append("Chuncheng Sports Centre")
            continue
        opts = _PLACE_SUFFIX[k]
        fz, fe = opts[int(sfx_pick[i]) % len(opts)]
        if k in ("bank",):
            zh.append(f"{fz}{sz}支行")
            en.append(f"{fe}{se} Sub-branch")
        elif k == "gas_station":
            zh.append(f"{fz}{sz}加油站")
            en.append(f"{fe}{se} Gas Station")
        elif k == "rental_house":
            zh.append(f"{sz}{int(sfx_pick[i]) % 60 + 1}号{fz}")
            en.append(f"{se}{fe} No. {int(sfx_pick[i]) % 60 + 1}")
        elif k == "hospital" and cap[i] >= 500:
            zh.append(f"{sz}人民医院")
            en.append(f"{se} People's Hospital")
        else:
            zh.append(sz + fz)
            en.append(se + fe)
    zh[0], en[0] = "南屏农贸市场", "Nanping Farmers' Market"
    zh[1], en[1] = "金鼎花园", "Jinding Garden"
    return _PlacesM(kinds, zh, en, px, py, cap, police)


def _key_areas(
    rng: np.random.Generator, frame: _Frame, pm: _PlacesM
) -> list[tuple[str, str, str, Polygon, int, str]]:
    kind = np.array(pm.kind)
    cap = pm.cap
    dens = frame.dens(pm.x, pm.y)
    plan: list[tuple[str, str, int, float, int]] = [
        # (area kind, place kind, how many, radius_m, standard_s)
        ("stadium", "stadium", 1, 400.0, 60),
        ("transport_hub", "metro_station", 16, 220.0, 60),
        ("commercial_district", "mall", 20, 300.0, 60),
        ("nightlife", "entertainment_venue", 6, 250.0, 60),
        ("hospital", "hospital", 12, 180.0, 180),
        ("school_zone", "school", 24, 150.0, 180),
        ("market", "market", 14, 160.0, 180),
        ("tourist_site", "other", 10, 300.0, 300),
        ("government", "business", 9, 150.0, 300),
    ]
    out: list[tuple[str, str, str, Polygon, int, str]] = []
    used: list[int] = []
    ls = float(np.clip(math.sqrt(frame.land.area / 440e6), 0.05, 1.0))  # linear size factor
    for akind, pkind, n, rad0, std in plan:
        rad = rad0 * max(ls, 0.15)
        idx = np.flatnonzero(kind == pkind)
        score = (
            dens[idx] * (1.0 + cap[idx] / max(1.0, float(cap[idx].max())))
            + rng.random(len(idx)) * 0.05
        )
        if pkind == "market":
            score[idx == 0] = 1e9  # the long-term hot-spot market is a key area
        order = idx[np.argsort(-score, kind="stable")]
        chosen: list[int] = []
        for i in order:
            if len(chosen) >= n:
                break
            if all(math.hypot(pm.x[i] - pm.x[j], pm.y[i] - pm.y[j]) > 2 * rad0 * ls for j in used):
                chosen.append(int(i))
                used.append(int(i))
        for i in chosen:
            r = rad * rng.uniform(0.8, 1.2)
            ang = np.linspace(0, 2 * np.pi, 24, endpoint=False)
            rr = r * (1 + 0.15 * np.sin(3 * ang + rng.uniform(0, 6.28)))
            poly = Polygon(
                np.column_stack([pm.x[i] + rr * np.cos(ang), pm.y[i] + rr * np.sin(ang)])
            )
            poly = shapely.intersection(poly, frame.land, grid_size=_GRID)
            if not isinstance(poly, Polygon):
                poly = max(getattr(poly, "geoms", [poly]), key=lambda g: g.area)
            zh_sfx = {
                "transport_hub": "交通枢纽",
                "commercial_district": "商圈",
                "nightlife": "夜间经济区",
                "hospital": "周边",
                "school_zone": "护学区",
                "market": "周边",
                "tourist_site": "景区",
                "government": "周边",
                "stadium": "赛事安保区",
            }[akind]
            en_sfx = {
                "transport_hub": " Transport Hub",
                "commercial_district": " Shopping Area",
                "nightlife": " Night-life Area",
                "hospital": " Surroundings",
                "school_zone": " School Safety Zone",
                "market": " Surroundings",
                "tourist_site": " Scenic Area",
                "government": " Surroundings",
                "stadium": " Event Security Zone",
            }[akind]
            out.append((pm.zh[i] + zh_sfx, pm.en[i] + en_sfx, akind, poly, std, ""))
    # top up to exactly 112 with the busiest other places
    by_dens = np.argsort(-dens, kind="stable")
    sep = 300.0 * ls
    while len(out) < 112:
        for cand in by_dens.tolist():
            if len(out) >= 112:
                break
            if any(math.hypot(pm.x[cand] - pm.x[j], pm.y[cand] - pm.y[j]) < sep for j in used):
                continue
            used.append(int(cand))
            ang = np.linspace(0, 2 * np.pi, 20, endpoint=False)
            r = 150.0 * max(ls, 0.15)
            poly = shapely.intersection(
                Polygon(
                    np.column_stack([pm.x[cand] + r * np.cos(ang), pm.y[cand] + r * np.sin(ang)])
                ),
                frame.land,
                grid_size=_GRID,
            )
            if not isinstance(poly, Polygon):
                poly = max(getattr(poly, "geoms", [poly]), key=lambda g: g.area)
            out.append(
                (pm.zh[cand] + "周边", pm.en[cand] + " Surroundings", "public_space", poly, 300, "")
            )
        sep /= 2.0
    return out[:112]
