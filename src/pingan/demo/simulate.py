"""Seeded simulator of incidents in the demo city: two years of history and a live drill feed.

The generative model (documented in ``src/pingan/demo/model.md``) is an inhomogeneous Poisson
process per *stream* (a subtype, or one of its components, e.g. fights near night-life at night
and fights elsewhere by day). The rate of stream ``s`` at local day ``d`` and hour ``h`` is

    lambda_s(d, h) = k_s * season_s(d) * dow_s(d) * holiday_s(d) * trend_s(d) * hour_s(h)

normalised so that the expected count over the last 365 days equals the stream's annual
count times ``scale``. Locations are drawn from a stream-specific mixture over anchors (places
of given kinds, arterial road nodes, all road nodes weighted by urban density) with a small
Gaussian jitter. Burglary is self-exciting (near repeats). Two patterns are planted for the
warning tools: an emerging space-time cluster in the last 7 days and a long-term hot spot.

Everything is vectorised: time O(n + S * D * 24 + S * A) for n incidents, S streams, D days
and A anchors; memory O(n) (about 180 MB of result for the default 518,000 incidents).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from pingan.demo.city import (
    EMERGING_CLUSTER_FRAC,
    LONG_TERM_HOTSPOT_FRAC,
    City,
    city_frame,
    frame_anchor,
    locate_cells,
    urban_density,
)
from pingan.demo.incident_model import (
    _CHUNK,
    _DISPATCH_MEDIAN_S,
    _HANDLE_MEDIAN_MIN,
    _JITTER_M,
    _LUNAR,
    _PLACE_JITTER_M,
    _REPEAT_P,
    _STATES,
    _TRANSFER_P,
    DAY_S,
    DETOUR,
    DOW_PROFILES,
    EMERGING_CLUSTER,
    F64,
    HOLIDAY_EFFECTS,
    HOLIDAYS,
    HOUR_PROFILES,
    I64,
    LOCAL_OFFSET_S,
    LONG_TERM_HOTSPOT,
    NEAR_REPEAT_ALPHA,
    NEAR_REPEAT_MEAN_DAYS,
    NEAR_REPEAT_SIGMA_M,
    SOURCES,
    SUBTYPE_MODEL,
    UNIT_SPEED_KPH,
    YEAR_S,
    YOY_TARGETS,
    StrA,
    _Stream,
    expected_hour_profile,
    load_taxonomy,
)
from pingan.roads import ROAD_CLASSES

__all__ = [
    "HOLIDAYS",
    "SOURCES",
    "SUBTYPE_MODEL",
    "YOY_TARGETS",
    "IncidentArrays",
    "expected_hour_profile",
    "iter_live_incidents",
    "load_taxonomy",
    "planted_patterns",
    "simulate_incidents",
]


@dataclass(frozen=True)
class IncidentArrays:
    """Equal-length incident arrays, sorted by ``reported_at`` (int64 epoch seconds UTC).

    Lifecycle timestamps are -1 where a step did not (or not yet) happen. ``repeat_of`` is the
    index (in these arrays) of the original incident of a linked repeat call, else -1.
    """

    reported_at: I64
    subtype: StrA
    lon: F64
    lat: F64
    priority: NDArray[np.int8]
    source: StrA
    cell_code: StrA
    dispatched_at: I64
    en_route_at: I64
    on_scene_at: I64
    resolved_at: I64
    closed_at: I64
    final_state: StrA
    repeat_of: I64
    planted: StrA

    def __len__(self) -> int:
        return int(self.reported_at.shape[0])


# --------------------------------------------------------------------------------------------
# anchors (where incidents happen)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Anchors:
    x: F64
    y: F64
    sigma: F64
    sets: dict[str, tuple[I64, F64]]  # name -> (anchor indices, weights)
    node_x: F64
    node_y: F64


def _anchors(city: City) -> _Anchors:
    proj = city_frame(city)
    nx, ny = proj.forward(city.roads.node_lon, city.roads.node_lat)
    px, py = proj.forward(city.places.lon, city.places.lat)
    dens_n = urban_density(nx, ny, half_width_m=city.half_width_m, half_height_m=city.half_height_m)
    dens_p = urban_density(px, py, half_width_m=city.half_width_m, half_height_m=city.half_height_m)
    n_p, n_n = len(px), len(nx)
    cls = city.roads.road_class
    major = np.isin(cls, ROAD_CLASSES[: ROAD_CLASSES.index("tertiary")])  # .. secondary_link
    coll = np.isin(cls, ("tertiary", "tertiary_link"))
    is_art = np.zeros(n_n, dtype=bool)
    is_art[city.roads.u[major]] = True
    is_art[city.roads.v[major]] = True
    is_col = np.zeros(n_n, dtype=bool)
    is_col[city.roads.u[coll]] = True
    is_col[city.roads.v[coll]] = True
    x = np.concatenate([px, nx])
    y = np.concatenate([py, ny])
    sigma = np.concatenate([np.full(n_p, _PLACE_JITTER_M), np.full(n_n, _JITTER_M["street"])])
    sets: dict[str, tuple[I64, F64]] = {}
    kinds = city.places.kind
    for k in np.unique(kinds).tolist():
        idx = np.flatnonzero(kinds == k)
        w = dens_p[idx] ** 0.5
        if k in ("mall", "hospital", "school"):
            w = w * np.sqrt(np.maximum(city.places.capacity[idx], 100) / 1000.0)
        sets[str(k)] = (idx.astype(np.int64), w)
    node_ids = np.arange(n_n, dtype=np.int64) + n_p
    sets["street"] = (node_ids, dens_n)
    art = np.flatnonzero(is_art)
    sets["arterial"] = (node_ids[art], 0.3 + dens_n[art])
    col = np.flatnonzero(is_col)
    sets["collector"] = (node_ids[col], 0.3 + dens_n[col])
    return _Anchors(x, y, sigma, sets, nx, ny)


def _stream_probs(anc: _Anchors, space: dict[str, float]) -> F64:
    p = np.zeros(len(anc.x))
    for name, share in sorted(space.items()):
        if name not in anc.sets or len(anc.sets[name][0]) == 0:
            name = "street"
        idx, w = anc.sets[name]
        np.add.at(p, idx, share * w / w.sum())
    return np.asarray(p / p.sum(), dtype=np.float64)


# --------------------------------------------------------------------------------------------
# planted patterns
# --------------------------------------------------------------------------------------------
def planted_patterns(city: City, *, end: datetime, scale: float = 1.0) -> dict[str, dict[str, Any]]:
    """Where, when and how many incidents the two planted patterns have.

    Returns ``{"emerging_cluster": {...}, "long_term_hotspot": {...}}`` with ``lon``, ``lat``,
    ``radius_m`` (holding about 99 % of the points), ``subtype``, ``start``/``end`` (epoch s)
    and the expected ``count``. Time O(road nodes).
    """
    end_s = _epoch(end, "end")
    proj = city_frame(city)
    nx, ny = proj.forward(city.roads.node_lon, city.roads.node_lat)
    out: dict[str, dict[str, Any]] = {}
    for name, frac, spec in (
        ("emerging_cluster", EMERGING_CLUSTER_FRAC, EMERGING_CLUSTER),
        ("long_term_hotspot", LONG_TERM_HOTSPOT_FRAC, LONG_TERM_HOTSPOT),
    ):
        i = frame_anchor(nx, ny, frac[0], frac[1], city.half_width_m, city.half_height_m)
        d = dict(spec)
        d.update(
            lon=float(city.roads.node_lon[i]),
            lat=float(city.roads.node_lat[i]),
            x_m=float(nx[i]),
            y_m=float(ny[i]),
            end=end_s,
        )
        if name == "emerging_cluster":
            d["start"] = end_s - int(spec["days"]) * DAY_S
            d["count"] = max(1, round(float(spec["count"]) * scale))
        else:
            d["per_day"] = float(spec["per_day"]) * scale
        out[name] = d
    return out


# --------------------------------------------------------------------------------------------
# simulation
# --------------------------------------------------------------------------------------------
def _epoch(t: datetime, arg: str) -> int:
    if not isinstance(t, datetime):
        raise TypeError(f"{arg}: must be a datetime, got {type(t).__name__}")
    if t.tzinfo is None:
        raise ValueError(f"{arg}: must be timezone-aware, e.g. datetime.now(timezone.utc)")
    return int(t.timestamp())


def _streams() -> list[tuple[str, _Stream]]:
    return [(code, s) for code, m in SUBTYPE_MODEL.items() for s in m.streams]


def _day_factors(days_local: I64, code: str, st: _Stream) -> F64:
    """Season * day-of-week * holiday multipliers for local day numbers (days since epoch)."""
    m = SUBTYPE_MODEL[code]
    d64 = days_local.astype("datetime64[D]")
    doy = (d64 - d64.astype("datetime64[Y]")).astype(np.int64)
    season = 1.0 + m.season_amp * np.cos(2 * np.pi * (doy - m.season_peak_doy) / 365.25)
    wd = (days_local + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    dow = np.asarray(DOW_PROFILES[st.dow])[wd]
    hol = np.ones(len(days_local))
    for hname, spans in HOLIDAYS.items():
        mult = HOLIDAY_EFFECTS[hname].get(m.holiday_group, 1.0)
        if mult == 1.0:
            continue
        for first, n in spans:
            d0 = (first - date(1970, 1, 1)).days
            hol[(days_local >= d0) & (days_local < d0 + n)] = mult
    return np.asarray(season * dow * hol, dtype=np.float64)


def _check_years(days_local: I64) -> None:
    y0 = int(days_local.min().astype("datetime64[D]").astype("datetime64[Y]").astype(int)) + 1970
    y1 = int(days_local.max().astype("datetime64[D]").astype("datetime64[Y]").astype(int)) + 1970
    lo, hi = min(_LUNAR), max(_LUNAR)
    if y0 < lo or y1 > hi:
        raise ValueError(f"end: the holiday table covers {lo}-{hi}; the window spans {y0}-{y1}")


def _near_repeats(
    rng: np.random.Generator, px: F64, py: F64, pt: I64, end_s: int
) -> tuple[list[F64], list[F64], list[I64]]:
    """Near repeats of burglary: up to eight generations of offspring around each parent
    (``NEAR_REPEAT_ALPHA`` per event, a day or more later, ``NEAR_REPEAT_SIGMA_M`` away);
    their x, y and times, one array per generation, before ``end_s``."""
    ch_x: list[F64] = []
    ch_y: list[F64] = []
    ch_t: list[I64] = []
    hour_p = HOUR_PROFILES["burglary"]
    for _ in range(8):
        k_off = rng.poisson(NEAR_REPEAT_ALPHA, len(pt))
        if k_off.sum() == 0:
            break
        rx, ry, rt = np.repeat(px, k_off), np.repeat(py, k_off), np.repeat(pt, k_off)
        n = len(rt)
        day_loc = (rt + LOCAL_OFFSET_S) // DAY_S + 1 + rng.poisson(NEAR_REPEAT_MEAN_DAYS - 1.0, n)
        hh = rng.choice(24, size=n, p=hour_p)
        ct = day_loc * DAY_S - LOCAL_OFFSET_S + hh * 3600 + rng.integers(0, 3600, n)
        cx = rx + rng.normal(0, NEAR_REPEAT_SIGMA_M, n)
        cy = ry + rng.normal(0, NEAR_REPEAT_SIGMA_M, n)
        ok = ct < end_s
        px, py, pt = cx[ok], cy[ok], ct[ok]
        ch_x.append(px)
        ch_y.append(py)
        ch_t.append(pt)
    return ch_x, ch_y, ch_t


def simulate_incidents(
    city: City, *, seed: int, end: datetime, years: float = 2.0, scale: float = 1.0
) -> IncidentArrays:
    """Simulate ``years`` of incidents ending at ``end`` (exclusive) in ``city``.

    Parameters
    ----------
    city
        The demo city (``build_city``).
    seed
        Seed of ``numpy.random.default_rng``; the same seed and city give identical arrays.
    end
        Timezone-aware end of the window (the build date).
    years
        Length of the window in years of 365 days (> 0, <= 10).
    scale
        Multiplier of every rate (10 = ten times the incidents).

    Returns
    -------
    IncidentArrays
        About 520,000 incidents for 2 years at scale 1, sorted by ``reported_at``.

    Notes
    -----
    Time O(n + S * D * 24 + S * A) (about 3 s for the default), memory O(n): about 350 bytes
    per incident in the result plus bounded temporaries (lifecycle in chunks of 600,000).
    """
    end_s = _epoch(end, "end")
    if not (0 < years <= 10):
        raise ValueError(f"years: must be in (0, 10], got {years}")
    if not (0 < scale <= 1000):
        raise ValueError(f"scale: must be in (0, 1000], got {scale}")
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed: must be a non-negative int, got {seed!r}")
    tax = load_taxonomy()["subtypes"]
    missing = [c for c in SUBTYPE_MODEL if c not in tax]
    if missing:
        raise ValueError(f"subtype: {missing} are not in the taxonomy")
    rng = np.random.default_rng(seed)
    n_days = round(years * 365)
    start_s = end_s - n_days * DAY_S
    last_year_s = end_s - 365 * DAY_S
    # the day grid covers at least the last 365 days, on which the rates are normalised
    d_first = (min(start_s, last_year_s) + LOCAL_OFFSET_S) // DAY_S
    d_last = (end_s - 1 + LOCAL_OFFSET_S) // DAY_S
    days = np.arange(d_first, d_last + 1, dtype=np.int64)
    _check_years(days)
    slot0 = (days * DAY_S - LOCAL_OFFSET_S)[:, None] + 3600 * np.arange(24)[None, :]  # UTC
    in_win = (slot0 + 3600 > start_s) & (slot0 < end_s)
    # fraction of each hour slot inside the window (first and last slots are partial)
    frac = (
        np.clip((np.minimum(slot0 + 3600, end_s) - np.maximum(slot0, start_s)) / 3600.0, 0.0, 1.0)
        * in_win
    )
    frac_last = np.clip(
        (np.minimum(slot0 + 3600, end_s) - np.maximum(slot0, last_year_s)) / 3600.0, 0.0, 1.0
    )
    t_mid_years = ((days * DAY_S + DAY_S // 2 - LOCAL_OFFSET_S) - end_s) / YEAR_S
    streams = _streams()
    rates = np.empty((len(streams), len(days), 24))
    for k, (code, st) in enumerate(streams):
        m = SUBTYPE_MODEL[code]
        beta = math.log1p(m.yoy)
        f = _day_factors(days, code, st) * np.exp(beta * t_mid_years)
        r = f[:, None] * HOUR_PROFILES[st.hour][None, :]
        target = m.annual * st.share * scale
        if code == "burglary":
            target *= 1.0 - NEAR_REPEAT_ALPHA
        r *= target / float((r * frac_last).sum())
        rates[k] = r * frac
    counts = rng.poisson(rates)
    flat = counts.ravel()
    nz = np.flatnonzero(flat)
    reps = flat[nz]
    cell_idx = np.repeat(nz, reps)
    s_idx = cell_idx // (len(days) * 24)
    rem = cell_idx % (len(days) * 24)
    t = slot0.ravel()[rem] + rng.integers(0, 3600, len(cell_idx))
    t = np.clip(t, start_s, end_s - 1)
    # locations: per stream, anchors from its spatial mixture
    anc = _anchors(city)
    ax = np.empty(len(t))
    ay = np.empty(len(t))
    sig = np.empty(len(t))
    bounds = np.searchsorted(s_idx, np.arange(len(streams) + 1))
    for k, (_, st) in enumerate(streams):
        a, b = bounds[k], bounds[k + 1]
        if b == a:
            continue
        pick = rng.choice(len(anc.x), size=b - a, p=_stream_probs(anc, st.space))
        ax[a:b], ay[a:b], sig[a:b] = anc.x[pick], anc.y[pick], anc.sigma[pick]
    codes = list(SUBTYPE_MODEL)
    code_of_stream = np.array([codes.index(c) for c, _ in streams], dtype=np.int64)
    sub = code_of_stream[s_idx]
    planted = np.zeros(len(t), dtype=np.int8)
    # jitter around the anchors
    x = ax + rng.normal(0, 1, len(t)) * sig
    y = ay + rng.normal(0, 1, len(t)) * sig
    # near repeats of burglary: generations of offspring around each burglary
    b_code = codes.index("burglary")
    parents = np.flatnonzero(sub == b_code)
    ch_x, ch_y, ch_t = _near_repeats(rng, x[parents], y[parents], t[parents], end_s)
    extra_x = [np.concatenate(ch_x)] if ch_x else []
    extra_y = [np.concatenate(ch_y)] if ch_y else []
    extra_t = [np.concatenate(ch_t)] if ch_t else []
    extra_s = [np.full(len(extra_t[0]), b_code, dtype=np.int64)] if ch_t else []
    extra_p = [np.zeros(len(extra_t[0]), dtype=np.int8)] if ch_t else []
    # planted patterns
    plant = planted_patterns(city, end=end, scale=scale)
    emc = plant["emerging_cluster"]
    n_e = int(emc["count"])
    u = np.sqrt(rng.random(n_e))  # density rising linearly over the 7 days
    days_e = int(emc["days"])
    e_t = (end_s - days_e * DAY_S + u * days_e * DAY_S).astype(np.int64)
    e_t = np.minimum(e_t, end_s - 1)
    rr = np.minimum(np.abs(rng.normal(0, emc["sigma_m"], n_e)), 0.95 * emc["radius_m"])
    th = rng.uniform(0, 2 * np.pi, n_e)
    extra_x.append(emc["x_m"] + rr * np.cos(th))
    extra_y.append(emc["y_m"] + rr * np.sin(th))
    extra_t.append(e_t)
    extra_s.append(np.full(n_e, codes.index(str(emc["subtype"])), dtype=np.int64))
    extra_p.append(np.full(n_e, 1, dtype=np.int8))
    hot = plant["long_term_hotspot"]
    n_h = int(rng.poisson(float(hot["per_day"]) * n_days))
    h_day = (start_s + LOCAL_OFFSET_S) // DAY_S + rng.integers(0, n_days + 1, n_h)
    h_hr = rng.choice(24, size=n_h, p=HOUR_PROFILES["day_commerce"])
    h_t = h_day * DAY_S - LOCAL_OFFSET_S + h_hr * 3600 + rng.integers(0, 3600, n_h)
    okh = (h_t >= start_s) & (h_t < end_s)
    rr = np.minimum(np.abs(rng.normal(0, hot["sigma_m"], n_h)), 0.95 * hot["radius_m"])
    th = rng.uniform(0, 2 * np.pi, n_h)
    extra_x.append((hot["x_m"] + rr * np.cos(th))[okh])
    extra_y.append((hot["y_m"] + rr * np.sin(th))[okh])
    extra_t.append(h_t[okh])
    extra_s.append(np.full(int(okh.sum()), codes.index(str(hot["subtype"])), dtype=np.int64))
    extra_p.append(np.full(int(okh.sum()), 2, dtype=np.int8))
    x = np.concatenate([x, *extra_x])
    y = np.concatenate([y, *extra_y])
    t = np.concatenate([t, *extra_t]).astype(np.int64)
    sub = np.concatenate([sub, *extra_s])
    planted = np.concatenate([planted, *extra_p])
    return _finish(city, rng, anc, x, y, t, sub, planted, end_s, codes, tax)


def _finish(
    city: City,
    rng: np.random.Generator,
    anc: _Anchors,
    x: F64,
    y: F64,
    t: I64,
    sub: I64,
    planted: NDArray[np.int8],
    end_s: int,
    codes: list[str],
    tax: dict[str, Any],
) -> IncidentArrays:
    """Sources, repeat calls, lifecycle, cell look-up and sorting."""
    n = len(t)
    prio_of = np.array([int(tax[c]["priority"]) for c in codes], dtype=np.int8)
    cls_of = np.array([str(tax[c]["class"]) for c in codes])
    prio = prio_of[sub]
    # source
    src_p = np.array([SUBTYPE_MODEL[c].sources for c in codes])
    cum = np.cumsum(src_p, axis=1)
    cum /= cum[:, -1:]
    src = (rng.random(n)[:, None] > cum[sub]).sum(axis=1).astype(np.int64)
    src[planted == 2] = 0
    # repeat calls (same subtype, within 150 m and 10 minutes)
    rp = np.array([_REPEAT_P[int(p)] for p in prio_of])[sub] * (src == 0)
    is_orig = rng.random(n) < rp
    orig = np.flatnonzero(is_orig)
    m = len(orig)
    d_t = rng.integers(20, 580, m)
    rr = 140.0 * np.sqrt(rng.random(m))
    th = rng.uniform(0, 2 * np.pi, m)
    rep_t = t[orig] + d_t
    keep = rep_t < end_s
    orig, d_t, rr, th, rep_t = orig[keep], d_t[keep], rr[keep], th[keep], rep_t[keep]
    m = len(orig)
    # locations to lon/lat and cells (a point off the land snaps to its nearest road node)
    proj = city_frame(city)
    xa = np.concatenate([x, np.zeros(m)])
    ya = np.concatenate([y, np.zeros(m)])
    lon, lat = proj.inverse(xa[:n], ya[:n])
    cell = locate_cells(city.cells, lon, lat)
    bad = cell < 0
    if bad.any():
        nn = cKDTree(np.column_stack([anc.node_x, anc.node_y])).query(
            np.column_stack([x[bad], y[bad]])
        )[1]
        lon[bad], lat[bad] = city.roads.node_lon[nn], city.roads.node_lat[nn]
        x[bad], y[bad] = anc.node_x[nn], anc.node_y[nn]
        cell[bad] = locate_cells(city.cells, lon[bad], lat[bad])
    rx = x[orig] + rr * np.cos(th)
    ry = y[orig] + rr * np.sin(th)
    rlon, rlat = proj.inverse(rx, ry)
    rcell = locate_cells(city.cells, rlon, rlat)
    rbad = rcell < 0
    rlon[rbad], rlat[rbad], rcell[rbad] = lon[orig][rbad], lat[orig][rbad], cell[orig][rbad]
    # lifecycle of the originals
    # (in chunks of 600,000 rows to bound the temporaries at large scales)
    parts = [
        _lifecycle(
            city,
            rng,
            anc,
            x[a : a + _CHUNK],
            y[a : a + _CHUNK],
            t[a : a + _CHUNK],
            sub[a : a + _CHUNK],
            prio[a : a + _CHUNK],
            src[a : a + _CHUNK],
            cls_of,
            codes,
            end_s,
        )
        for a in range(0, n, _CHUNK)
    ]
    disp, enr, ons, res, clo, state = (np.concatenate([p[j] for p in parts]) for j in range(6))
    del parts
    # assemble with the repeats, sort by time, and free each unsorted column once sorted
    neg = np.full(m, -1, dtype=np.int64)
    r_close = rep_t + rng.integers(60, 600, m)
    r_close = np.where(r_close < end_s, r_close, -1)
    r_state = np.where(r_close >= 0, 7, 0)  # duplicate, or still received
    all_t = np.concatenate([t, rep_t])
    order = np.lexsort((np.arange(len(all_t)), all_t))
    inv = np.empty(len(order), dtype=np.int64)
    inv[order] = np.arange(len(order))
    rep_of = np.concatenate([np.full(n, -1, dtype=np.int64), orig])[order]
    rep_sorted = np.where(rep_of >= 0, inv[np.maximum(rep_of, 0)], -1)
    del inv, rep_of
    states = np.array(_STATES)
    cell_codes = np.array([c.code for c in city.cells])
    planted_names = np.array(["", "emerging_cluster", "long_term_hotspot"])

    def cat(a: NDArray[Any], b: NDArray[Any]) -> NDArray[Any]:
        return np.concatenate([a, b])[order]

    return IncidentArrays(
        reported_at=all_t[order].astype(np.int64),
        subtype=np.array(codes)[cat(sub, sub[orig])],
        lon=cat(lon, rlon),
        lat=cat(lat, rlat),
        priority=cat(prio, prio[orig]).astype(np.int8),
        source=np.array(SOURCES)[cat(src, np.zeros(m, dtype=np.int64))],
        cell_code=cell_codes[cat(cell, rcell)],
        dispatched_at=cat(disp, neg),
        en_route_at=cat(enr, neg),
        on_scene_at=cat(ons, neg),
        resolved_at=cat(res, neg),
        closed_at=cat(clo, r_close),
        final_state=states[cat(state, r_state)],
        repeat_of=rep_sorted,
        planted=planted_names[cat(planted, planted[orig])],
    )


def _lognormal(rng: np.random.Generator, median: F64 | float, sigma: float, n: int) -> F64:
    return np.asarray(np.asarray(median) * np.exp(rng.normal(0.0, sigma, n)), dtype=np.float64)


def _lifecycle(
    city: City,
    rng: np.random.Generator,
    anc: _Anchors,
    x: F64,
    y: F64,
    t: I64,
    sub: I64,
    prio: NDArray[np.int8],
    src: I64,
    cls_of: StrA,
    codes: list[str],
    end_s: int,
) -> tuple[I64, I64, I64, I64, I64, I64]:
    """Lifecycle timestamps; response time from the nearest available unit.

    State codes: 0 received, 1 dispatched, 2 en_route, 3 on_scene, 4 resolved, 5 closed,
    6 cancelled, 8 transferred.
    """
    n = len(t)
    proj = city_frame(city)
    kinds = city.units.kind
    mob = np.isin(kinds, list(UNIT_SPEED_KPH))
    ux, uy = proj.forward(city.units.lon[mob], city.units.lat[mob])
    speed_ms = np.array([UNIT_SPEED_KPH[str(k)] for k in kinds[mob]]) / 3.6
    is_car = np.isin(kinds[mob], ("patrol_car", "motorcycle"))
    k_near = min(4, len(ux))
    dist, idx = cKDTree(np.column_stack([ux, uy])).query(np.column_stack([x, y]), k=k_near)
    dist = dist.reshape(n, k_near)
    idx = idx.reshape(n, k_near)
    avail = rng.random((n, k_near)) < 0.7
    has = avail.any(axis=1)
    first = np.where(has, np.argmax(avail, axis=1), k_near - 1)
    d_m = dist[np.arange(n), first]
    u_i = idx[np.arange(n), first]
    local_hour = ((t + LOCAL_OFFSET_S) % DAY_S) // 3600
    peak = np.isin(local_hour, (7, 8, 17, 18))
    v = speed_ms[u_i] * np.where(peak & is_car[u_i], 0.6, 1.0)
    travel = d_m * DETOUR / v * np.exp(rng.normal(0, 0.2, n)) + 20.0 + np.where(has, 0.0, 180.0)
    med = np.array([_DISPATCH_MEDIAN_S[int(p)] for p in range(1, 5)])[prio.astype(np.int64) - 1]
    disp_delay = _lognormal(rng, med, 0.45, n)
    enr_delay = _lognormal(rng, 30.0, 0.5, n)
    cls = cls_of[sub]
    handle_med = np.array([_HANDLE_MEDIAN_MIN[str(c)] for c in cls]) * 60.0
    handle = _lognormal(rng, handle_med, 0.6, n)
    close_lag = np.minimum(
        np.where(
            cls == "criminal", _lognormal(rng, 86_400.0, 1.0, n), _lognormal(rng, 900.0, 0.8, n)
        ),
        20 * 86_400.0,
    )
    field = np.isin(src, (0, 2, 3))
    patrol = src == 2
    disp = np.where(patrol, t, t + disp_delay)
    enr = np.where(patrol, t, disp + enr_delay)
    ons = np.where(patrol, t + rng.integers(0, 60, n), enr + travel)
    res = ons + handle
    desk_med = np.where(src == 1, 3 * 3600.0, 40 * 60.0)
    res = np.where(field, res, t + _lognormal(rng, desk_med, 0.7, n))
    clo = res + close_lag
    disp = np.where(field, disp, -1)
    enr = np.where(field, enr, -1)
    ons = np.where(field, ons, -1)
    tp = np.array([_TRANSFER_P.get(c, 0.02) for c in codes])[sub]
    state = np.where(rng.random(n) < tp, 8, 5)
    cancel = field & ~patrol & (rng.random(n) < np.where(prio <= 2, 0.01, 0.03))
    state = np.where(cancel, 6, state)
    clo = np.where(cancel, enr + _lognormal(rng, 180.0, 0.5, n), clo)
    ons = np.where(cancel, -1, ons)
    res = np.where(cancel, -1, res)
    out = [np.where(a >= 0, np.floor(a), -1).astype(np.int64) for a in (disp, enr, ons, res, clo)]
    disp_i, enr_i, ons_i, res_i, clo_i = out
    # incidents still in progress at the end of the window: the earliest future step decides
    st = state.copy()
    steps = (
        (clo_i, np.where(cancel, 2, 4)),
        (res_i, np.where(field, 3, 0)),
        (ons_i, 2),
        (enr_i, 1),
        (disp_i, 0),
    )
    for arr, code_if_future in steps:
        st = np.where(arr >= end_s, code_if_future, st)
    for arr in (disp_i, enr_i, ons_i, res_i, clo_i):
        arr[arr >= end_s] = -1
    state = st
    return disp_i, enr_i, ons_i, res_i, clo_i, state.astype(np.int64)


# --------------------------------------------------------------------------------------------
# live drill feed
# --------------------------------------------------------------------------------------------
def iter_live_incidents(
    city: City, *, seed: int, start: datetime, speed: float = 60.0
) -> Iterator[tuple[float, dict[str, Any]]]:
    """Yield ``(wall_clock_delay_s, incident)`` forever, from the same model, in accelerated time.

    ``speed`` = simulated seconds per wall-clock second (60: one hour of incidents per
    minute). Rates are the current (last-12-months) levels at scale 1 with the hour, day-of-week,
    season and holiday cycles of ``start``'s clock. Each incident is a dict with ``reported_at``
    (epoch s), ``subtype``, ``priority``, ``source``, ``lon``, ``lat``, ``cell_code`` and
    ``planted`` (""). Time O(1) per incident after an O(A * S) set-up.
    """
    t: float = float(_epoch(start, "start"))
    if not (speed > 0 and math.isfinite(speed)):
        raise ValueError(f"speed: must be a positive number, got {speed}")
    rng = np.random.default_rng(seed)
    tax = load_taxonomy()["subtypes"]
    anc = _anchors(city)
    streams = _streams()
    probs = [_stream_probs(anc, st.space) for _, st in streams]
    cdfs = [np.cumsum(p) for p in probs]
    proj = city_frame(city)
    cell_codes = [c.code for c in city.cells]
    pending_s = 0.0
    cache_key = -1
    r = np.zeros(len(streams))
    while True:
        slot = int((t + LOCAL_OFFSET_S) // 3600)
        if slot != cache_key:  # rates are constant within a local clock hour
            cache_key = slot
            day = np.array([slot // 24], dtype=np.int64)
            hour = slot % 24
            r = np.array(
                [
                    SUBTYPE_MODEL[c].annual
                    * st.share
                    / 365.0
                    * float(_day_factors(day, c, st)[0])
                    * HOUR_PROFILES[st.hour][hour]
                    / 3600.0
                    for c, st in streams
                ]
            )
        total = float(r.sum())
        dt = float(rng.exponential(1.0 / total))
        next_hour = (t // 3600 + 1) * 3600
        if t + dt >= next_hour:  # rates change at the hour: restart there (memoryless)
            pending_s += (next_hour - t) / speed
            t = next_hour
            continue
        t_new = t + dt
        k = int(np.searchsorted(np.cumsum(r / total), rng.random()))
        k = min(k, len(streams) - 1)
        code, _ = streams[k]
        a = int(min(np.searchsorted(cdfs[k], rng.random() * cdfs[k][-1]), len(anc.x) - 1))
        px = anc.x[a] + rng.normal(0, anc.sigma[a])
        py = anc.y[a] + rng.normal(0, anc.sigma[a])
        lon, lat = proj.inverse(np.array([px]), np.array([py]))
        ci = int(locate_cells(city.cells, lon, lat)[0])
        if ci < 0:
            lon, lat = proj.inverse(np.array([anc.x[a]]), np.array([anc.y[a]]))
            ci = max(0, int(locate_cells(city.cells, lon, lat)[0]))
        m = SUBTYPE_MODEL[code]
        s = int(np.searchsorted(np.cumsum(m.sources) / sum(m.sources), rng.random()))
        inc = {
            "reported_at": int(t_new),
            "subtype": code,
            "priority": int(tax[code]["priority"]),
            "source": SOURCES[min(s, 4)],
            "lon": float(lon[0]),
            "lat": float(lat[0]),
            "cell_code": cell_codes[ci],
            "planted": "",
        }
        delay = pending_s + dt / speed
        pending_s = 0.0
        t = t_new
        yield delay, inc
