"""The province's Parquet layout: ``DIR/incidents/city=<code>/month=<YYYY-MM>/part-0.parquet``.

Each file holds one city's incidents reported in one local month (the bureau's zone), sorted by
``reported_at`` then ``id``; ``DIR/province.json`` is the manifest (the common metric frame, every
city's code, names, seed, offset and grid bounds). Coordinates ``x_m``/``y_m`` are metres in the
province's one frame (an azimuthal equidistant projection centred on the province), so a city's
grid and a tile's halo are plain rectangles.

Writing is deterministic: the same arrays give byte-identical files (no timestamps in the
metadata, fixed row groups, a fixed compression). Reading a partition is O(rows) in time and
memory; nothing here loads more than one partition unless asked for a whole city.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

__all__ = [
    "COLUMNS",
    "SCHEMA",
    "CityInfo",
    "Manifest",
    "Partition",
    "empty_column",
    "local_day",
    "partitions",
    "read_city",
    "read_manifest",
    "read_partition",
    "write_city",
    "write_manifest",
]

SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("reported_at", pa.timestamp("s", tz="UTC")),
        ("subtype", pa.string()),
        ("klass", pa.string()),
        ("priority", pa.int8()),
        ("station", pa.string()),
        ("cell", pa.string()),
        ("lon", pa.float64()),
        ("lat", pa.float64()),
        ("x_m", pa.float64()),
        ("y_m", pa.float64()),
    ]
)
COLUMNS = tuple(SCHEMA.names)
MANIFEST = "province.json"
ROW_GROUP = 256_000


def local_day(t_s: NDArray[np.int64], offset_s: int) -> NDArray[np.int64]:
    """Local calendar day (days since 1970-01-01) of UTC epoch seconds at a fixed UTC offset
    (Asia/Shanghai has no daylight saving). O(n)."""
    return (np.asarray(t_s, dtype=np.int64) + int(offset_s)) // 86_400


@dataclass(frozen=True)
class CityInfo:
    """One city of the province: its code, names, seed, offset and grid bounds (metres)."""

    code: str
    name_zh: str
    name_en: str
    seed: int
    offset_m: tuple[float, float]
    bounds_m: tuple[float, float, float, float]
    stations: tuple[str, ...] = ()


@dataclass(frozen=True)
class Manifest:
    """The province: one metric frame, its cities and how it was made."""

    lon0: float
    lat0: float
    utc_offset_s: int
    cities: tuple[CityInfo, ...]
    made: dict[str, Any] = field(default_factory=dict)

    def city(self, code: str) -> CityInfo:
        """The city ``code`` or ``KeyError``."""
        for c in self.cities:
            if c.code == code:
                return c
        raise KeyError(code)


def write_manifest(out: Path, manifest: Manifest) -> Path:
    """Write ``province.json`` (sorted keys, so the same manifest gives the same bytes)."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / MANIFEST
    path.write_text(
        json.dumps(asdict(manifest), ensure_ascii=False, indent=1, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    return path


def read_manifest(data: Path) -> Manifest:
    """Read ``DIR/province.json``; ``FileNotFoundError`` naming the file when absent."""
    path = Path(data) / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no province manifest (pingan province build)")
    raw = json.loads(path.read_text(encoding="utf-8"))
    cities = tuple(
        CityInfo(
            code=c["code"],
            name_zh=c["name_zh"],
            name_en=c["name_en"],
            seed=int(c["seed"]),
            offset_m=(float(c["offset_m"][0]), float(c["offset_m"][1])),
            bounds_m=tuple(float(v) for v in c["bounds_m"]),  # type: ignore[arg-type]
            stations=tuple(c.get("stations", ())),
        )
        for c in raw["cities"]
    )
    return Manifest(
        lon0=float(raw["lon0"]),
        lat0=float(raw["lat0"]),
        utc_offset_s=int(raw["utc_offset_s"]),
        cities=cities,
        made=dict(raw.get("made", {})),
    )


def write_city(
    out: Path, city: str, cols: dict[str, NDArray[Any]], *, utc_offset_s: int
) -> list[Path]:
    """Write one city's incidents split by local month; returns the files written.

    ``cols`` holds every name of :data:`COLUMNS`, with ``reported_at`` as int64 epoch seconds.
    Rows are sorted by (``reported_at``, ``id``). O(n log n)."""
    t = np.asarray(cols["reported_at"], dtype=np.int64)
    order = np.lexsort((np.asarray(cols["id"]), t))
    months = (local_day(t[order], utc_offset_s).astype("datetime64[D]")).astype("datetime64[M]")
    written: list[Path] = []
    if order.size == 0:
        return written
    cuts = np.flatnonzero(months[1:] != months[:-1]) + 1
    for a, b in zip(np.r_[0, cuts], np.r_[cuts, order.size], strict=True):
        idx = order[a:b]
        table = pa.table(
            {
                name: (
                    pa.array(t[idx], type=pa.int64()).cast(SCHEMA.field(name).type)
                    if name == "reported_at"
                    else pa.array(np.asarray(cols[name])[idx], type=SCHEMA.field(name).type)
                )
                for name in COLUMNS
            },
            schema=SCHEMA,
        )
        folder = Path(out) / "incidents" / f"city={city}" / f"month={months[a]}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "part-0.parquet"
        pq.write_table(
            table,
            path,
            compression="zstd",
            row_group_size=ROW_GROUP,
            write_statistics=True,
            store_schema=False,
        )
        written.append(path)
    return written


@dataclass(frozen=True)
class Partition:
    """One file of the layout: a city and a local month."""

    city: str
    month: str
    path: str


def partitions(data: Path, cities: Iterable[str] | None = None) -> list[Partition]:
    """Every partition under ``DIR/incidents``, sorted by city then month. O(files)."""
    root = Path(data) / "incidents"
    keep = None if cities is None else set(cities)
    out: list[Partition] = []
    for p in sorted(root.glob("city=*/month=*/*.parquet")):
        city = p.parent.parent.name.split("=", 1)[1]
        if keep is None or city in keep:
            out.append(Partition(city, p.parent.name.split("=", 1)[1], str(p)))
    return out


def read_partition(path: str, columns: Iterable[str] = COLUMNS) -> dict[str, NDArray[Any]]:
    """One partition as numpy arrays (``reported_at`` as int64 epoch seconds). O(rows)."""
    cols = list(columns)
    table = pq.read_table(path, columns=cols)
    out: dict[str, NDArray[Any]] = {}
    for name in cols:
        col = table.column(name)
        if name == "reported_at":
            # Parquet has no second unit: the file holds milliseconds
            out[name] = col.cast(pa.timestamp("s", tz="UTC")).cast(pa.int64()).to_numpy()
        elif pa.types.is_string(col.type):
            out[name] = np.asarray(col.to_pylist(), dtype=str)
        else:
            out[name] = col.to_numpy()
    return out


def read_city(data: Path, city: str, columns: Iterable[str] = COLUMNS) -> dict[str, NDArray[Any]]:
    """All of one city's partitions concatenated (month order). O(rows of the city)."""
    cols = list(columns)
    parts = [read_partition(p.path, cols) for p in partitions(data, [city])]
    if not parts:
        return {c: empty_column(c) for c in cols}
    return {c: np.concatenate([p[c] for p in parts]) for c in cols}


def empty_column(name: str) -> NDArray[Any]:
    """An empty array of the column's numpy type."""
    t = SCHEMA.field(name).type
    if pa.types.is_string(t):
        return np.empty(0, dtype=str)
    if pa.types.is_timestamp(t):
        return np.empty(0, dtype=np.int64)
    return np.empty(0, dtype=t.to_pandas_dtype())
