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

import numpy as np

from pingan.demo.city import build_city, city_frame
from pingan.demo.simulate import simulate_incidents
from pingan.geo.crs import LocalProjection
from pingan.incidents.taxonomy import get_taxonomy
from pingan.province.layout import CityInfo, Manifest, write_city, write_manifest

__all__ = ["SEED_STEP", "build_province", "city_offsets"]

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
    tax = get_taxonomy()
    klass_of = {c: s.klass for c, s in tax.subtypes.items()}
    offsets = city_offsets(cities, spacing_m)
    infos: list[CityInfo] = []
    prov: LocalProjection | None = None
    for k in range(cities):
        code = f"C{k + 1:02d}"
        s = seed + SEED_STEP * k
        city = build_city(seed=s)
        if prov is None:  # the province's one frame: centred on the lattice's centre
            prov = LocalProjection(city.center_lon, city.center_lat)
        inc = simulate_incidents(city, seed=s, end=end, years=years, scale=scale)
        lx, ly = city_frame(city).forward(inc.lon, inc.lat)
        ox, oy = offsets[k]
        x, y = lx + ox, ly + oy
        lon, lat = prov.inverse(x, y)
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
        zh, en = CITY_NAMES[k % len(CITY_NAMES)]
        suffix = "" if k < len(CITY_NAMES) else f"-{k // len(CITY_NAMES) + 1}"
        infos.append(
            CityInfo(
                code=code,
                name_zh=zh + "市" + suffix,
                name_en=en + suffix,
                seed=s,
                offset_m=(ox, oy),
                bounds_m=(ox - hw, oy - hh, ox + hw, oy + hh),
                stations=tuple(a.code for a in city.stations),
            )
        )
        tell(f"{code}: {int(keep.sum()):,} incidents")
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


def _stations(city: object) -> dict[str, str]:
    """Cell code → station code through the community of each cell."""
    comm = {a.code: a.parent_code for a in city.communities}  # type: ignore[attr-defined]
    return {c.code: comm.get(c.parent_code, "") or "" for c in city.cells}  # type: ignore[attr-defined]
