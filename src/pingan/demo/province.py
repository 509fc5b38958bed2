"""The synthetic province (issue 25): demo cities, each with its own seed and offset, on one frame.

City ``k`` (code ``C01``..) is :func:`pingan.demo.city.build_city` with seed ``seed + 7919 k``
and its incidents :func:`pingan.demo.simulate.simulate_incidents` with the same seed, moved
by an offset on a square lattice of ``spacing_m`` (cities 60 km apart by default, so they do
not overlap) and written as partitioned Parquet (:mod:`pingan.province.layout`). The same
seed, scale, years and end give identical tables (and identical files with one pyarrow).

Time per city about that of the demo city (build ~2-5 s, simulation ~3 s at scale 1), memory
O(one city's incidents): cities are made and written one at a time.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from pingan.demo.city import City, build_city, city_frame
from pingan.demo.simulate import simulate_incidents
from pingan.geo.crs import LocalProjection
from pingan.incidents.taxonomy import get_taxonomy
from pingan.province.layout import CityInfo, Manifest, write_city, write_manifest

__all__ = [
    "SEED_STEP",
    "build_province",
    "city_offsets",
    "seed_province",
    "write_generated_city",
]

SEED_STEP = 7919
CITY_NAMES = (
    ("春城", "Chuncheng"),
    ("玉溪", "Yuxi"),
    ("曲靖", "Qujing"),
    ("楚雄", "Chuxiong"),
    ("昭通", "Zhaotong"),
    ("保山", "Baoshan"),
    ("丽江", "Lijiang"),
    ("普洱", "Pu'er"),
    ("临沧", "Lincang"),
    ("大理", "Dali"),
    ("红河", "Honghe"),
    ("文山", "Wenshan"),
    ("版纳", "Banna"),
    ("德宏", "Dehong"),
    ("怒江", "Nujiang"),
    ("迪庆", "Diqing"),
)


def city_offsets(n: int, spacing_m: float) -> list[tuple[float, float]]:
    """Offsets (metres) of ``n`` cities on a square lattice centred on the origin. O(n)."""
    side = max(1, math.ceil(math.sqrt(n)))
    half = (side - 1) / 2.0
    return [
        (round((k % side - half) * spacing_m, 3), round((half - k // side) * spacing_m, 3))
        for k in range(n)
    ]


def build_province(
    out: Path,
    *,
    cities: int,
    scale: float,
    seed: int,
    end: dt.datetime,
    years: float = 2.0,
    spacing_m: float = 60_000.0,
    utc_offset_s: int = 8 * 3600,
    progress: Callable[[str], None] | None = None,
) -> Manifest:
    """Generate ``cities`` demo cities and write their incidents under ``out``.

    Returns the manifest (also written as ``out/province.json``). Raises ``ValueError``
    naming the argument on bad input.
    """
    if not 1 <= cities <= len(CITY_NAMES) * 4:
        raise ValueError(f"cities: must be 1..{len(CITY_NAMES) * 4}, got {cities}")
    if not 0 < scale <= 100:
        raise ValueError(f"scale: must be in (0, 100], got {scale}")
    tell = progress or (lambda _m: None)
    offsets = city_offsets(cities, spacing_m)
    infos: list[CityInfo] = []
    prov: LocalProjection | None = None
    for k in range(cities):
        code = f"C{k + 1:02d}"
        s = seed + SEED_STEP * k
        city = build_city(seed=s)
        if prov is None:  # the province's one frame: centred on the lattice's centre
            prov = LocalProjection(city.center_lon, city.center_lat)
        zh, en = CITY_NAMES[k % len(CITY_NAMES)]
        suffix = "" if k < len(CITY_NAMES) else f"-{k // len(CITY_NAMES) + 1}"
        info, n = write_generated_city(
            out,
            city,
            code=code,
            seed=s,
            names=(zh + "市" + suffix, en + suffix),
            offset_m=offsets[k],
            frame=prov,
            end=end,
            years=years,
            scale=scale,
            utc_offset_s=utc_offset_s,
        )
        infos.append(info)
        tell(f"{code}: {n:,} incidents")
    assert prov is not None
    manifest = Manifest(
        lon0=float(prov.lon0),
        lat0=float(prov.lat0),
        utc_offset_s=utc_offset_s,
        cities=tuple(infos),
        made={
            "seed": seed,
            "scale": scale,
            "years": years,
            "end": end.isoformat(),
            "spacing_m": spacing_m,
            "generator": "pingan.demo.province",
        },
    )
    write_manifest(out, manifest)
    return manifest


def write_generated_city(
    out: Path,
    city: City,
    *,
    code: str,
    seed: int,
    names: tuple[str, str],
    offset_m: tuple[float, float],
    frame: LocalProjection,
    end: dt.datetime,
    years: float,
    scale: float,
    utc_offset_s: int = 8 * 3600,
) -> tuple[CityInfo, int]:
    """Simulate ``city``'s incidents with ``seed``, move them by ``offset_m`` on the province's
    ``frame`` and write them as city ``code``; returns its manifest entry and the rows written.
    O(incidents of the city) in time and memory."""
    klass_of = {c: s.klass for c, s in get_taxonomy().subtypes.items()}
    inc = simulate_incidents(city, seed=seed, end=end, years=years, scale=scale)
    lx, ly = city_frame(city).forward(inc.lon, inc.lat)
    ox, oy = offset_m
    x, y = lx + ox, ly + oy
    lon, lat = frame.inverse(x, y)
    station_of = _stations(city)
    cells = np.asarray(inc.cell_code, dtype=str)
    stations = np.array([station_of.get(c, "") for c in cells.tolist()], dtype=str)
    subs = np.asarray(inc.subtype, dtype=str)
    # as crime_analysis.data: no repeat calls, cancelled or duplicate incidents
    keep = ~np.isin(np.asarray(inc.final_state), ("cancelled", "duplicate"))
    keep &= np.asarray(inc.repeat_of) < 0
    ids = np.arange(1, len(inc) + 1, dtype=np.int64)
    cols = {
        "id": ids[keep],
        "reported_at": np.asarray(inc.reported_at, dtype=np.int64)[keep],
        "subtype": subs[keep],
        "klass": np.array([klass_of[c] for c in subs[keep].tolist()], dtype=str),
        "priority": np.asarray(inc.priority, dtype=np.int8)[keep],
        "station": stations[keep],
        "cell": cells[keep],
        "lon": np.round(lon[keep], 7),
        "lat": np.round(lat[keep], 7),
        "x_m": np.round(x[keep], 2),
        "y_m": np.round(y[keep], 2),
    }
    write_city(out, code, cols, utc_offset_s=utc_offset_s)
    hw, hh = city.half_width_m, city.half_height_m
    info = CityInfo(
        code=code,
        name_zh=names[0],
        name_en=names[1],
        seed=seed,
        offset_m=(ox, oy),
        bounds_m=(ox - hw, oy - hh, ox + hw, oy + hh),
        stations=tuple(a.code for a in city.stations),
    )
    return info, int(keep.sum())


def _stations(city: object) -> dict[str, str]:
    """Cell code → station code through the community of each cell."""
    comm = {a.code: a.parent_code for a in city.communities}  # type: ignore[attr-defined]
    return {c.code: comm.get(c.parent_code, "") or "" for c in city.cells}  # type: ignore[attr-defined]


DEMO_OFFSETS_M = ((60_000.0, 0.0), (0.0, -60_000.0), (60_000.0, -60_000.0), (-60_000.0, 0.0))
"""Where the demo's generated cities sit, from the demo city's centre (metres east, north)."""


def seed_province(
    engine: Any,
    data_dir: Path,
    city: City,
    *,
    seed: int,
    end: dt.datetime,
    years: float,
    cities: int = 3,
    scale: float = 0.1,
) -> str:
    """The demo's province (issue 25), the first half: ``cities`` more cities written into
    ``data_dir/province`` on the bureau's frame, each the demo city's map with incidents of
    its own seed (``seed + 7919 k``) at ``scale`` (the road network is the demo city's, so no
    second city is built: about a second a city at scale 0.1). The scheduler's job
    ``province``, run next by ``pingan demo``, adds the demo city's own incidents from the
    database and runs the analyses. Returns a line for the progress bar."""
    import shutil

    from pingan.crime_analysis.data import city_projection
    from pingan.store.engine import unit_of_work

    if not 0 <= cities <= len(DEMO_OFFSETS_M):
        raise ValueError(f"cities: must be 0..{len(DEMO_OFFSETS_M)}, got {cities}")
    folder = Path(data_dir) / "province"
    shutil.rmtree(folder, ignore_errors=True)
    with unit_of_work(engine, write=False) as s:
        frame = city_projection(s)
    infos = []
    rows = 0
    for k in range(cities):
        zh, en = CITY_NAMES[k + 1]
        info, n = write_generated_city(
            folder,
            city,
            code=f"C{k + 2:02d}",
            seed=seed + SEED_STEP * (k + 1),
            names=(zh + "市", en),
            offset_m=DEMO_OFFSETS_M[k],
            frame=frame,
            end=end,
            years=years,
            scale=scale,
        )
        infos.append(info)
        rows += n
    write_manifest(
        folder,
        Manifest(
            lon0=float(frame.lon0),
            lat0=float(frame.lat0),
            utc_offset_s=8 * 3600,
            cities=tuple(infos),
            made={
                "seed": seed,
                "scale": scale,
                "years": years,
                "end": end.isoformat(),
                "generator": "pingan.demo.province.seed_province",
            },
        ),
    )
    return f"province: {cities} generated cities, {rows:,} incidents"
