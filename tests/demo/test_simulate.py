"""Tests of the incident simulator against its documented model (src/pingan/demo/model.md)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from itertools import islice

import numpy as np
import pytest
import shapely
from scipy.spatial import cKDTree

from pingan.demo.city import City, build_city, city_frame
from pingan.demo.simulate import (
    SOURCES,
    SUBTYPE_MODEL,
    YOY_TARGETS,
    IncidentArrays,
    expected_hour_profile,
    iter_live_incidents,
    load_taxonomy,
    planted_patterns,
    simulate_incidents,
)
from pingan.geo.crs import haversine_m

END = datetime(2026, 11, 22, tzinfo=UTC)
END_S = int(END.timestamp())
DAY = 86_400


@pytest.fixture(scope="module")
def city() -> City:
    return build_city()


@pytest.fixture(scope="module")
def inc(city: City) -> IncidentArrays:
    return simulate_incidents(city, seed=11, end=END)  # full defaults: 2 years, scale 1


def inc_hash(a: IncidentArrays) -> str:
    h = hashlib.sha256()
    for name in a.__dataclass_fields__:
        arr = getattr(a, name)
        if arr.dtype.kind == "U":
            h.update("|".join(arr.tolist()).encode())
        else:
            h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def test_counts_fields_and_taxonomy(inc: IncidentArrays) -> None:
    n = len(inc)
    assert n >= 500_000
    for name in inc.__dataclass_fields__:
        assert len(getattr(inc, name)) == n, name
    assert (np.diff(inc.reported_at) >= 0).all()
    assert inc.reported_at.min() >= END_S - 730 * DAY and inc.reported_at.max() < END_S
    tax = load_taxonomy()["subtypes"]
    assert set(inc.subtype.tolist()) == set(SUBTYPE_MODEL) and set(SUBTYPE_MODEL) <= set(tax)
    prio = np.array([tax[s]["priority"] for s in inc.subtype.tolist()], dtype=np.int8)
    assert (prio == inc.priority).all()
    assert set(inc.source.tolist()) == set(SOURCES)
    assert set(inc.planted.tolist()) == {"", "emerging_cluster", "long_term_hotspot"}


def test_points_lie_in_their_cells(city: City, inc: IncidentArrays) -> None:
    polys = {c.code: c.polygon for c in city.cells}
    rng = np.random.default_rng(0)
    for i in rng.choice(len(inc), 3000, replace=False).tolist():
        p = polys[str(inc.cell_code[i])]
        assert p.buffer(1e-7).contains(shapely.Point(inc.lon[i], inc.lat[i]))


def test_lifecycle_is_ordered_and_states_consistent(inc: IncidentArrays) -> None:
    steps = [
        inc.reported_at,
        inc.dispatched_at,
        inc.en_route_at,
        inc.on_scene_at,
        inc.resolved_at,
        inc.closed_at,
    ]
    last = inc.reported_at.copy()
    for s in steps[1:]:
        ok = s >= 0
        assert (s[ok] >= last[ok]).all()
        assert (s[ok] < END_S).all()
        last = np.where(ok, s, last)
    final = {"closed", "cancelled", "duplicate", "transferred"}
    open_ = {"received", "dispatched", "en_route", "on_scene", "resolved"}
    states = set(inc.final_state.tolist())
    assert final <= states and states <= final | open_
    done = np.isin(inc.final_state, list(final))
    assert (inc.closed_at[done] >= 0).all()
    # incidents still open are recent (within a few days of the end)
    assert (inc.reported_at[~done] > END_S - 30 * DAY).all()
    closed = inc.final_state == "closed"
    field = closed & np.isin(inc.source, ("call_110", "camera"))
    assert (inc.on_scene_at[field] > 0).all() and (inc.dispatched_at[field] > 0).all()


def test_priority_shortens_dispatch(inc: IncidentArrays) -> None:
    ok = (inc.dispatched_at > 0) & (inc.source == "call_110")
    delay = (inc.dispatched_at - inc.reported_at)[ok]
    p = inc.priority[ok]
    med = [np.median(delay[p == k]) for k in (1, 2, 3, 4)]
    assert med[0] < med[1] < med[2] < med[3]


def test_response_time_grows_with_distance_to_units(city: City, inc: IncidentArrays) -> None:
    ok = (inc.on_scene_at > 0) & (inc.source == "call_110")
    travel = (inc.on_scene_at - inc.en_route_at)[ok]
    proj = city_frame(city)
    mob = np.isin(city.units.kind, ("patrol_car", "motorcycle", "foot_team", "mobile_kiosk"))
    ux, uy = proj.forward(city.units.lon[mob], city.units.lat[mob])
    x, y = proj.forward(inc.lon[ok], inc.lat[ok])
    d, _ = cKDTree(np.column_stack([ux, uy])).query(np.column_stack([x, y]))
    near, far = d < np.quantile(d, 0.2), d > np.quantile(d, 0.8)
    assert np.median(travel[far]) > 1.5 * np.median(travel[near])


def test_repeat_calls_are_linked(inc: IncidentArrays) -> None:
    rep = np.flatnonzero(inc.repeat_of >= 0)
    assert len(rep) > 1000
    orig = inc.repeat_of[rep]
    assert (orig < rep).all() or (inc.reported_at[orig] <= inc.reported_at[rep]).all()
    assert (inc.subtype[orig] == inc.subtype[rep]).all()
    dt = inc.reported_at[rep] - inc.reported_at[orig]
    assert ((dt >= 0) & (dt <= 600)).all()
    d = haversine_m(inc.lon[orig], inc.lat[orig], inc.lon[rep], inc.lat[rep])
    assert (d <= 150).all()
    assert (inc.final_state[rep] == "duplicate").all() or (
        np.isin(inc.final_state[rep], ("duplicate", "received")).all()
    )
    assert (inc.repeat_of[orig] == -1).all()


def local_hour(t: np.ndarray) -> np.ndarray:
    return ((t + 8 * 3600) % DAY) // 3600


@pytest.mark.parametrize(
    "subtype",
    ["fight", "traffic_accident", "noise", "pickpocketing", "burglary", "family_dispute", "fraud"],
)
def test_hour_profile_matches_model(inc: IncidentArrays, subtype: str) -> None:
    m = (inc.subtype == subtype) & (inc.planted == "") & (inc.repeat_of < 0)
    obs = np.bincount(local_hour(inc.reported_at[m]), minlength=24) / m.sum()
    exp = expected_hour_profile(subtype)
    n = m.sum()
    sd = np.sqrt(exp * (1 - exp) / n)
    assert (np.abs(obs - exp) < 5 * sd + 0.002).all(), (obs - exp).round(4)


def test_hour_profiles_differ_by_category(inc: IncidentArrays) -> None:
    def peak(sub: str) -> int:
        m = inc.subtype == sub
        return int(np.argmax(np.bincount(local_hour(inc.reported_at[m]), minlength=24)))

    assert peak("fight") in (21, 22, 23, 0, 1)
    assert peak("traffic_accident") in (7, 8, 17, 18)
    assert peak("fraud") in (9, 10, 11, 13, 14, 15, 16)


def test_year_over_year_matches_model(inc: IncidentArrays) -> None:
    groups = load_taxonomy()["groups"]
    members = {
        "two_robberies_one_theft": groups["two_robberies_one_theft"]["subtypes"],
        "six_property_crimes": groups["six_property_crimes"]["subtypes"],
        "fraud": ["fraud"],
    }
    last = inc.reported_at >= END_S - 365 * DAY
    prev = ~last & (inc.reported_at >= END_S - 730 * DAY)
    base = (inc.planted == "") & (inc.repeat_of < 0)
    for g, subs in members.items():
        m = base & np.isin(inc.subtype, subs)
        a, b = int((m & last).sum()), int((m & prev).sum())
        change = a / b - 1.0
        sd = (a / b) * np.sqrt(1 / a + 1 / b)
        assert abs(change - YOY_TARGETS[g]) < 4 * sd + 0.01, (g, change)
    # everything else roughly flat
    other = base & (inc.subtype == "neighbour_dispute")
    assert abs((other & last).sum() / (other & prev).sum() - 1.0) < 0.05


def test_places_drive_intensity(city: City, inc: IncidentArrays) -> None:
    proj = city_frame(city)
    ev = city.places.kind == "entertainment_venue"
    ex, ey = proj.forward(city.places.lon[ev], city.places.lat[ev])
    tree = cKDTree(np.column_stack([ex, ey]))
    h = local_hour(inc.reported_at)
    fights = inc.subtype == "fight"
    x, y = proj.forward(inc.lon, inc.lat)
    d, _ = tree.query(np.column_stack([x, y]))
    night = fights & np.isin(h, (21, 22, 23, 0, 1, 2))
    day = fights & np.isin(h, (9, 10, 11, 12, 13, 14))
    assert (d[night] < 150).mean() > 1.5 * (d[day] < 150).mean()
    # disputes at home: most within 150 m of a residential compound or rental house
    res = np.isin(city.places.kind, ("residential_compound", "rental_house"))
    rx, ry = proj.forward(city.places.lon[res], city.places.lat[res])
    dr, _ = cKDTree(np.column_stack([rx, ry])).query(np.column_stack([x, y]))
    disp = inc.subtype == "family_dispute"
    traffic = inc.subtype == "traffic_accident"
    assert (dr[disp] < 100).mean() > (dr[traffic] < 100).mean() + 0.2


def test_planted_emerging_cluster(city: City, inc: IncidentArrays) -> None:
    spec = planted_patterns(city, end=END)["emerging_cluster"]
    pm = (inc.planted == "emerging_cluster") & (inc.repeat_of < 0)  # repeats keep the label
    assert pm.sum() == spec["count"]
    assert (inc.subtype[pm] == spec["subtype"]).all()
    assert (inc.reported_at[pm] >= END_S - 7 * DAY).all()
    d = haversine_m(inc.lon, inc.lat, spec["lon"], spec["lat"])
    assert (d[pm] <= spec["radius_m"] + 1).all()
    # it stands out: same subtype within the radius, last 7 days vs the 7 before
    same = (inc.subtype == spec["subtype"]) & (d <= spec["radius_m"])
    recent = inc.reported_at >= END_S - 7 * DAY
    before = (inc.reported_at >= END_S - 14 * DAY) & ~recent
    assert (same & recent).sum() >= 10 * max(1, (same & before).sum())


def test_planted_long_term_hotspot(city: City, inc: IncidentArrays) -> None:
    spec = planted_patterns(city, end=END)["long_term_hotspot"]
    pm = (inc.planted == "long_term_hotspot") & (inc.repeat_of < 0)
    assert abs(pm.sum() - 2.0 * 730) < 5 * np.sqrt(2.0 * 730)
    d = haversine_m(inc.lon, inc.lat, spec["lon"], spec["lat"])
    assert (d[pm] <= spec["radius_m"] + 1).all()
    # present in every quarter of the two years
    q = (inc.reported_at[pm] - (END_S - 730 * DAY)) // (730 * DAY // 8)
    assert (np.bincount(q, minlength=8)[:8] > 100).all()


def test_burglary_near_repeats(inc: IncidentArrays, city: City) -> None:
    m = inc.subtype == "burglary"
    proj = city_frame(city)
    x, y = proj.forward(inc.lon[m], inc.lat[m])
    t = inc.reported_at[m] / DAY
    pairs = cKDTree(np.column_stack([x, y])).query_pairs(200.0, output_type="ndarray")
    dt = np.abs(t[pairs[:, 0]] - t[pairs[:, 1]])
    close_in_time = (dt <= 7).sum()
    # Knox-style: compare with time-shuffled burglaries
    rng = np.random.default_rng(1)
    ts = rng.permutation(t)
    dts = np.abs(ts[pairs[:, 0]] - ts[pairs[:, 1]])
    assert close_in_time > 1.5 * (dts <= 7).sum()


def test_same_seed_same_hash_different_seed_different(city: City) -> None:
    a = simulate_incidents(city, seed=5, end=END, years=0.5, scale=0.2)
    b = simulate_incidents(city, seed=5, end=END, years=0.5, scale=0.2)
    c = simulate_incidents(city, seed=6, end=END, years=0.5, scale=0.2)
    assert inc_hash(a) == inc_hash(b)
    assert inc_hash(a) != inc_hash(c)
    assert 0.15 * 0.2 * 500_000 / 2 < len(a) < 0.35 * 0.2 * 500_000


def test_scale_and_years(city: City) -> None:
    a = simulate_incidents(city, seed=5, end=END, years=0.25, scale=0.5)
    b = simulate_incidents(city, seed=5, end=END, years=0.25, scale=1.0)
    assert 1.8 < len(b) / len(a) < 2.2
    assert a.reported_at.min() >= END_S - round(0.25 * 365) * DAY


def test_bad_arguments(city: City) -> None:
    with pytest.raises(ValueError, match="end: must be timezone-aware"):
        simulate_incidents(city, seed=1, end=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="years: must be in"):
        simulate_incidents(city, seed=1, end=END, years=0)
    with pytest.raises(ValueError, match="scale: must be in"):
        simulate_incidents(city, seed=1, end=END, scale=-1)
    with pytest.raises(ValueError, match="end: the holiday table covers"):
        simulate_incidents(city, seed=1, end=datetime(2040, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="speed: must be a positive number"):
        next(iter_live_incidents(city, seed=1, start=END, speed=0))


def test_live_feed(city: City) -> None:
    items = list(islice(iter_live_incidents(city, seed=3, start=END, speed=60.0), 200))
    delays = np.array([d for d, _ in items])
    assert (delays >= 0).all()
    t = np.array([i["reported_at"] for _, i in items])
    assert (np.diff(t) >= 0).all() and t[0] >= END_S
    # about 700 incidents a day at scale 1 -> the simulated span of 200 is a few hours
    span_h = (t[-1] - END_S) / 3600
    assert 1 < span_h < 24
    assert abs(delays.sum() - (t[-1] - END_S) / 60.0) < 1e-6 * (t[-1] - END_S) + 1
    cells = {c.code for c in city.cells}
    tax = load_taxonomy()["subtypes"]
    for _, i in items:
        assert i["subtype"] in tax and i["cell_code"] in cells and i["source"] in SOURCES
        assert i["priority"] == tax[i["subtype"]]["priority"]
    again = list(islice(iter_live_incidents(city, seed=3, start=END, speed=60.0), 200))
    assert again == items


def test_weekday_season_and_holiday_cycles(inc: IncidentArrays) -> None:
    base = (inc.planted == "") & (inc.repeat_of < 0)
    local_day = (inc.reported_at + 8 * 3600) // DAY
    wd = (local_day + 3) % 7  # 0 = Monday
    fights = base & (inc.subtype == "fight")
    fri_sat = np.isin(wd, (4, 5))[fights].mean() / 2
    mon_tue = np.isin(wd, (0, 1))[fights].mean() / 2
    assert fri_sat > 1.2 * mon_tue
    labour = base & (inc.subtype == "labour_dispute")
    assert np.isin(wd, (5, 6))[labour].mean() < 0.6 * 2 / 7  # weekends are quiet
    # fire: dry-season peak (Feb-Mar) over the rainy season (Jul-Aug)
    month = (local_day.astype("datetime64[D]").astype("datetime64[M]").astype(int)) % 12 + 1
    fire = base & (inc.subtype == "fire")
    assert np.isin(month, (2, 3))[fire].sum() > 1.5 * np.isin(month, (7, 8))[fire].sum()
    # Spring Festival 2026 (eve Feb 16 .. Feb 23): more fires per day than the two weeks before
    d0 = (np.datetime64("2026-02-16") - np.datetime64("1970-01-01")).astype(int)
    in_sf = (local_day >= d0) & (local_day < d0 + 8)
    before = (local_day >= d0 - 14) & (local_day < d0)
    assert (fire & in_sf).sum() / 8 > 1.6 * (fire & before).sum() / 14
