"""Import historical incidents from CSV files (plain or gzip), streaming, all-or-nothing.

Presets describe common open-data layouts (Chicago, Vancouver, Portland NIJ, police.uk) and a
YAML mapping file describes any other (``generic``). Rows are read in chunks of 10,000, parsed
and validated with numpy, assigned to their jurisdiction in one vectorised lookup per chunk, and
bulk-inserted in ONE transaction: a fatal error (unreadable file, missing columns, too many
rejected rows) rolls everything back. Each rejected row is reported with its line number and
the reason, and written to ``<file name>.rejects.csv`` in the working directory. One audit
record describes the import.

The text is UTF-8 (with or without a byte-order mark) or GB18030 (GBK), found by reading the
whole file once before the import (a bad byte may sit on the last row), or the ``encoding``
given; a byte that does not decode is reported with its line. An empty or impossible date, a
date before 1900 or after 2100, a category the mapping does not know (unless the mapping names a
``default_subtype``) and a NUL character reject the row, with the reason, like any bad value.

Imported incidents are historical: state ``closed``, source ``import``; repeat-call linking is
not applied to them. ``(dataset, external_id)`` is unique, so importing the same file twice
rejects the second copy's rows as duplicates instead of double counting them.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import gzip
import hashlib
import io
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, cast

import numpy as np
import yaml
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.aggregates import service as aggregates
from pingan.audit.service import Actor, record
from pingan.errors import Invalid
from pingan.incidents.models import Incident
from pingan.incidents.taxonomy import get_taxonomy
from pingan.jurisdictions.service import assign_points
from pingan.store.bulk import bulk_insert, timestamps_for

__all__ = [
    "PRESETS",
    "ImportReport",
    "Preset",
    "detect_encoding",
    "import_incidents",
    "load_mapping",
]

CHUNK = 10_000
EARLIEST_S = int(dt.datetime(1900, 1, 1).timestamp() - dt.datetime(1970, 1, 1).timestamp())
LATEST_S = int((dt.datetime(2101, 1, 1) - dt.datetime(1970, 1, 1)).total_seconds())
"""Local times outside 1900-01-01 .. 2100-12-31 are rejected (and never reach datetime)."""
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Preset:
    """How a source's columns map onto incidents."""

    name: str
    timezone: str
    time_columns: tuple[str, ...]  # one column, or YEAR, MONTH, DAY[, HOUR, MINUTE]
    time_format: str  # "iso" (YYYY-MM-DD[ HH:MM[:SS]]), "month" (YYYY-MM), or "parts"
    lon: str | None = None
    lat: str | None = None
    x: str | None = None
    y: str | None = None
    crs: str = "EPSG:4326"
    id_column: str | None = None
    subtype_columns: tuple[str, ...] = ()
    subtype_map: dict[str, str] = field(default_factory=dict)
    default_subtype: str | None = None
    """The subtype of a category not in ``subtype_map`` (or of every row when there is no
    subtype column); None rejects such rows, so that a category nobody mapped is seen in the
    reject report rather than counted silently as ``other``."""
    summary_columns: tuple[str, ...] = ()
    address_column: str | None = None

    @property
    def required(self) -> list[str]:
        cols = [*self.time_columns, *self.subtype_columns]
        cols += [c for c in (self.lon, self.lat, self.x, self.y, self.id_column) if c]
        return cols


PRESETS: dict[str, Preset] = {
    "chicago": Preset(
        "chicago",
        "America/Chicago",
        ("date",),
        "iso",
        lon="longitude",
        lat="latitude",
        subtype_columns=(),
        default_subtype="assault",
        summary_columns=("loc_cat", "district"),
    ),
    "vancouver": Preset(
        "vancouver",
        "America/Vancouver",
        ("YEAR", "MONTH", "DAY", "HOUR", "MINUTE"),
        "parts",
        x="X",
        y="Y",
        crs="EPSG:32610",
        subtype_columns=("TYPE",),
        subtype_map={
            "Other Theft": "other_theft",
            "Theft from Vehicle": "theft_from_vehicle",
            "Theft of Bicycle": "bicycle_theft",
            "Theft of Vehicle": "vehicle_theft",
        },
        summary_columns=("TYPE", "NEIGHBOURHOOD"),
        address_column="HUNDRED_BLOCK",
    ),
    "portland-nij": Preset(
        "portland-nij",
        "America/Los_Angeles",
        ("occ_date",),
        "iso",
        lon="lon",
        lat="lat",
        x="x_coordinate",
        y="y_coordinate",
        crs="EPSG:2913",
        subtype_columns=("CATEGORY", "CALL_GROUP"),
        subtype_map={
            "BURGLARY": "burglary",
            "MOTOR VEHICLE THEFT": "vehicle_theft",
            "STREET CRIMES|PERSON CRIME": "assault",
            "STREET CRIMES|PROPERTY CRIME": "other_theft",
            "PERSON CRIME": "assault",
            "PROPERTY CRIME": "other_theft",
            "DISORDER": "disturbance",
            "TRAFFIC": "traffic_accident",
            "NON CRIMINAL/ADMIN": "other_assistance",
            "SUSPICIOUS": "other",
            "OTHER": "other",
        },
        summary_columns=("CATEGORY", "CALL_GROUP", "CASE_DESC"),
    ),
    "police-uk": Preset(
        "police-uk",
        "Europe/London",
        ("Month",),
        "month",
        lon="Longitude",
        lat="Latitude",
        id_column="Crime ID",
        subtype_columns=("Crime type",),
        subtype_map={
            "Anti-social behaviour": "disturbance",
            "Bicycle theft": "bicycle_theft",
            "Burglary": "burglary",
            "Other theft": "other_theft",
            "Public order": "disturbance",
            "Robbery": "robbery",
            "Shoplifting": "other_theft",
            "Theft from the person": "pickpocketing",
            "Vehicle crime": "theft_from_vehicle",
            "Violence and sexual offences": "assault",
            "Criminal damage and arson": "other",
            "Drugs": "other",
            "Other crime": "other",
            "Possession of weapons": "other",
        },
        summary_columns=("Crime type", "Last outcome category"),
        address_column="Location",
    ),
}


def load_mapping(path: Path, base: Preset | None = None) -> Preset:
    """Read a YAML mapping file (see docs/importing.md) into a preset, over ``base`` if given."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise Invalid("mapping", f"cannot read {path}: {exc}") from None
    if not isinstance(raw, dict):
        raise Invalid("mapping", f"{path}: expected a YAML mapping")
    cols = raw.get("columns", {})
    values: dict[str, Any] = (
        dict(base.__dict__)
        if base
        else {"name": path.stem, "timezone": "UTC", "time_columns": (), "time_format": "iso"}
    )
    for key in ("lon", "lat", "x", "y", "address"):
        if key in cols:
            values["address_column" if key == "address" else key] = cols[key]
    if "id" in cols:
        values["id_column"] = cols["id"]
    if "reported_at" in cols:
        rc = cols["reported_at"]
        values["time_columns"] = tuple(rc) if isinstance(rc, list) else (rc,)
        values["time_format"] = "parts" if isinstance(rc, list) else raw.get("time_format", "iso")
    if "subtype" in cols:
        sc = cols["subtype"]
        values["subtype_columns"] = tuple(sc) if isinstance(sc, list) else (sc,)
    if "summary" in cols:
        sc = cols["summary"]
        values["summary_columns"] = tuple(sc) if isinstance(sc, list) else (sc,)
    for key in ("timezone", "crs", "default_subtype", "name"):
        if key in raw:
            values[key] = raw[key]
    if "subtype_map" in raw:
        values["subtype_map"] = dict(values.get("subtype_map") or {}) | {
            str(k): str(v) for k, v in raw["subtype_map"].items()
        }
    preset = Preset(**values)
    if not preset.time_columns:
        raise Invalid("mapping", f"{path}: columns.reported_at is required")
    if not ((preset.lon and preset.lat) or (preset.x and preset.y)):
        raise Invalid("mapping", f"{path}: columns.lon/lat or columns.x/y are required")
    return preset


@dataclass
class ImportReport:
    """Counts and reasons of an import."""

    dataset: str
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    rejects_file: Path | None = None
    seconds: float = 0.0
    dry_run: bool = False
    encoding: str = "utf-8"


def _open_bytes(path: Path) -> BinaryIO:
    with open(path, "rb") as f:
        magic = f.read(2)
    if magic == b"\x1f\x8b":
        return cast(BinaryIO, gzip.open(path, "rb"))
    return open(path, "rb")


def _first_bad_line(path: Path, encoding: str) -> tuple[int, str] | None:
    """The line number and the reason of the first byte of ``path`` that ``encoding`` cannot
    decode, or None if it all decodes (read once, in blocks, whatever the file's size)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with _open_bytes(path) as f:
        while block := f.read(1 << 20):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                bad = block[exc.start : exc.start + 4]
                return line + block.count(b"\n", 0, exc.start), f"byte {bad!r} ({exc.reason})"
            line += block.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return line, f"the file ends inside a character ({exc.reason})"
    return None


def detect_encoding(path: Path, encoding: str = "auto") -> str:
    """The text encoding of ``path``: ``encoding`` if given (checked), else UTF-8 (with or
    without a byte-order mark) or GB18030 (which decodes GBK and GB2312), whichever decodes
    the whole file. ``Invalid`` names the line of the first byte that does not decode."""
    try:
        if encoding != "auto":
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise Invalid(
                    "encoding", f"unknown encoding {encoding!r}; e.g. utf-8, gb18030"
                ) from None
            bad = _first_bad_line(path, encoding)
            if bad is not None:
                raise Invalid(
                    "file",
                    f"{path.name}: line {bad[0]} is not {encoding} text: {bad[1]}; "
                    "give the file's encoding with --encoding",
                )
            return (
                "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
            )
        with _open_bytes(path) as f:
            if f.read(3) == codecs.BOM_UTF8:
                return "utf-8-sig"
        first = _first_bad_line(path, "utf-8")
        if first is None:
            return "utf-8-sig"
        if _first_bad_line(path, "gb18030") is None:
            return "gb18030"
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise Invalid("file", f"cannot read {path}: {exc}") from None
    raise Invalid(
        "file",
        f"{path.name}: line {first[0]} is neither UTF-8 nor GB18030 text: {first[1]}; "
        "give the file's encoding with --encoding",
    )


def _open_text(path: Path, encoding: str) -> io.TextIOBase:
    return io.TextIOWrapper(_open_bytes(path), encoding=encoding, newline="")


def _chunks(reader: Iterator[list[str]], width: int) -> Iterator[tuple[int, list[list[str]]]]:
    """Rows in chunks, with the file line number of the first row (header is line 1)."""
    line = 2
    chunk: list[list[str]] = []
    start = line
    for row in reader:
        chunk.append(row)
        line += 1
        if len(chunk) >= CHUNK:
            yield start, chunk
            chunk, start = [], line
    if chunk:
        yield start, chunk


def _local_to_utc(local: NDArray[np.int64], tz_name: str) -> NDArray[np.int64]:
    """Local wall-clock epoch seconds → UTC epoch seconds (DST-aware, per distinct hour)."""
    tz = zoneinfo.ZoneInfo(tz_name)
    hours, inv = np.unique(local // 3600, return_inverse=True)
    offs = np.empty(hours.size, dtype=np.int64)
    for i, h in enumerate(hours.tolist()):
        naive = dt.datetime(1970, 1, 1) + dt.timedelta(hours=h)
        off = naive.replace(tzinfo=tz).utcoffset()
        offs[i] = int(off.total_seconds()) if off else 0
    return local - offs[inv]


def _parse_times(
    p: Preset, cols: dict[str, NDArray[np.str_]]
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    n = len(next(iter(cols.values())))
    ok = np.ones(n, dtype=bool)
    if p.time_format == "parts":
        parts = []
        for c in p.time_columns:
            v = np.char.strip(cols[c])
            good = np.char.isdigit(v)
            ok &= good
            parts.append(np.where(good, v, "0").astype(np.int64))
        while len(parts) < 5:
            parts.append(np.zeros(n, dtype=np.int64))
        y, mo, d, hh, mi = parts[:5]
        ok &= (mo >= 1) & (mo <= 12) & (d >= 1) & (d <= 31) & (hh >= 0) & (hh <= 23)
        ok &= (mi >= 0) & (mi <= 59) & (y >= 1900) & (y <= 2100)
        text = np.char.add(
            np.char.add(np.char.zfill(np.where(ok, y, 1970).astype(str), 4), "-"),
            np.char.add(np.char.zfill(np.where(ok, mo, 1).astype(str), 2), "-"),
        )
        text = np.char.add(text, np.char.zfill(np.where(ok, d, 1).astype(str), 2))
        day = np.empty(n, dtype="datetime64[D]")
        for i, s in enumerate(text.tolist()):  # per-row: invalid days (Feb 30) are rejects
            try:
                day[i] = np.datetime64(s, "D")
            except ValueError:
                ok[i] = False
                day[i] = np.datetime64("1970-01-01")
        local = day.astype("datetime64[s]").astype(np.int64) + hh * 3600 + mi * 60
    else:
        raw = np.char.strip(cols[p.time_columns[0]])
        if p.time_format == "month":
            raw = np.char.add(raw, "-01")
        raw = np.char.replace(raw, " ", "T")
        stamps = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
        try:
            stamps = np.array(raw, dtype="datetime64[s]")
        except ValueError:  # some rows are malformed: parse one by one to find them
            for i, s in enumerate(raw.tolist()):
                try:
                    stamps[i] = np.datetime64(s, "s")
                except ValueError:
                    ok[i] = False
        ok &= ~np.isnat(stamps)  # an empty cell parses as NaT (Portland NIJ line 19,377)
        local = np.where(ok, stamps.astype(np.int64), 0)
    ok &= (local >= EARLIEST_S) & (local < LATEST_S)
    return _local_to_utc(np.where(ok, local, 0), p.timezone), ok


def _coords(
    p: Preset, cols: dict[str, NDArray[np.str_]], transformer: Any
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    def num(name: str) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        v = np.char.strip(cols[name])
        out = np.full(v.size, np.nan)
        good = v != ""
        try:
            out[good] = v[good].astype(np.float64)
        except ValueError:
            for i in np.flatnonzero(good):
                with contextlib.suppress(ValueError):
                    out[i] = float(v[i])
        return out, np.isfinite(out)

    n = len(next(iter(cols.values())))
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    if p.lon and p.lat and p.lon in cols:
        lon, _ = num(p.lon)
        lat, _ = num(p.lat)
    if p.x and p.y and p.x in cols:
        x, okx = num(p.x)
        y, oky = num(p.y)
        need = ~(np.isfinite(lon) & np.isfinite(lat)) & okx & oky
        if need.any():
            lon[need], lat[need] = transformer.transform(x[need], y[need])
    ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    ok &= ~((lon == 0) & (lat == 0))
    return lon, lat, ok


def import_incidents(
    session: Session,
    path: Path,
    *,
    preset: Preset,
    actor: Actor,
    dataset: str | None = None,
    max_reject_share: float = 0.5,
    rejects_path: Path | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    encoding: str = "auto",
) -> ImportReport:
    """Import ``path`` in the caller's transaction (the caller commits; nothing is written
    if this raises). Returns the report; rejected rows go to ``rejects_path``. ``encoding``
    is the text's (``auto``: UTF-8 with or without BOM, or GB18030)."""
    import time

    import pyproj

    t0 = time.perf_counter()
    if not path.is_file():
        raise Invalid("file", f"not found: {path}")
    if not 0 <= max_reject_share <= 1:
        raise Invalid("max_reject_share", f"must be between 0 and 1, got {max_reject_share}")
    if not preset.subtype_columns and not preset.default_subtype:
        raise Invalid("mapping", "give columns.subtype, or default_subtype for every row")
    tax = get_taxonomy()
    for code in {*preset.subtype_map.values(), preset.default_subtype} - {None}:
        tax.subtype(str(code))
    ds = dataset or preset.name
    report = ImportReport(dataset=ds, dry_run=dry_run, encoding=detect_encoding(path, encoding))
    rejects_path = rejects_path or Path.cwd() / (path.name + ".rejects.csv")
    transformer = (
        pyproj.Transformer.from_crs(preset.crs, "EPSG:4326", always_xy=True) if preset.x else None
    )
    conn = session.connection()
    first_id = int(session.scalar(select(func.coalesce(func.max(Incident.id), 0))) or 0)
    rej_rows: list[list[str]] = []
    try:
        handle = _open_text(path, report.encoding)
    except OSError as exc:
        raise Invalid("file", f"cannot read {path}: {exc}") from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except (StopIteration, csv.Error, UnicodeDecodeError) as exc:
            raise Invalid("file", f"{path.name}: no CSV header ({exc})") from None
        missing = [c for c in preset.required if c not in header]
        if missing:
            raise Invalid(
                "file",
                f"{path.name}: columns missing for preset {preset.name!r}: "
                f"{', '.join(missing)} (found: {', '.join(header[:12])})",
            )
        index = {c: i for i, c in enumerate(header)}
        width = len(header)
        seen_ids: dict[str, int] = {}
        try:
            for start, rows in _chunks(reader, width):
                _chunk(
                    session,
                    conn,
                    preset,
                    ds,
                    tax,
                    index,
                    width,
                    start,
                    rows,
                    transformer,
                    report,
                    rej_rows,
                    seen_ids,
                    dry_run,
                )
                if progress is not None:
                    progress(report.rows)
        except csv.Error as exc:
            raise Invalid(
                "file", f"{path.name}: malformed CSV near line {reader.line_num}: {exc}"
            ) from None
        except UnicodeDecodeError as exc:  # checked before: only if the file changed since
            raise Invalid(
                "file",
                f"{path.name}: near line {reader.line_num + 1}, not {report.encoding} text "
                f"({exc.reason}); give the file's encoding with --encoding",
            ) from None
    if report.rows == 0:
        raise Invalid("file", f"{path.name}: no data rows")
    known = report.reasons.get("duplicate: already imported", 0)
    share = (report.rejected - known) / report.rows  # re-running an import is not a failure
    if share > max_reject_share:
        top = ", ".join(
            f"{k} ({v})" for k, v in sorted(report.reasons.items(), key=lambda kv: -kv[1])[:3]
        )
        _write_rejects(rejects_path, header, rej_rows)
        raise Invalid(
            "file",
            f"{report.rejected - known} of {report.rows} rows rejected "
            f"({share:.0%} > {max_reject_share:.0%}); nothing imported. Main "
            f"reasons: {top}. Rejects: {rejects_path}",
        )
    if rej_rows:
        _write_rejects(rejects_path, header, rej_rows)
        report.rejects_file = rejects_path
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if not dry_run:
        aggregates.count_imported(session, dataset=ds, after_id=first_id)
        record(
            session,
            actor=actor,
            action="import",
            entity="incidents",
            detail={
                "file": path.name,
                "sha256": digest,
                "preset": preset.name,
                "dataset": ds,
                "rows": report.rows,
                "accepted": report.accepted,
                "rejected": report.rejected,
                "reasons": report.reasons,
            },
        )
    report.seconds = time.perf_counter() - t0
    return report


def _write_rejects(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["line", "reason", *header])
        w.writerows(rows)


def _subtypes(p: Preset, cols: dict[str, NDArray[np.str_]], reason: NDArray[Any]) -> NDArray[Any]:
    """Each row's pingan subtype ("" if none); a category not in the mapping (and no default)
    gets its reason, naming the category, in ``reason``."""
    n = reason.size
    if not p.subtype_columns:
        return np.full(n, p.default_subtype or "", dtype=object)
    keys = cols[p.subtype_columns[0]]
    if len(p.subtype_columns) > 1:
        keys2 = np.char.add(np.char.add(keys, "|"), cols[p.subtype_columns[1]])
    else:
        keys2 = keys
    lut_a = dict(p.subtype_map)
    sub = np.array(
        [
            lut_a.get(a) or lut_a.get(b) or lut_a.get(b.split("|")[-1]) or p.default_subtype or ""
            for a, b in zip(keys.tolist(), keys2.tolist(), strict=True)
        ],
        dtype=object,
    )
    unmapped = np.flatnonzero((reason == "") & (sub == ""))
    for i in unmapped.tolist():  # the category in the reason: the mapping to extend
        reason[i] = f"subtype: category {str(keys2[i])!r} not in the mapping"
    return sub


def _external_ids(
    p: Preset, cols: dict[str, NDArray[np.str_]], table: NDArray[np.str_], seen_ids: dict[str, int]
) -> tuple[NDArray[Any], NDArray[np.bool_]]:
    """Each row's external id (the source id, else a hash of the row) and whether it repeats
    a source id seen earlier in the file."""
    n = table.shape[0]
    blank = np.zeros(n, dtype=bool)
    if p.id_column:
        ext = np.char.strip(cols[p.id_column]).astype(object)
        blank = ext == ""
        if blank.any():
            ext[blank] = [
                hashlib.sha1("\x1f".join(r).encode()).hexdigest()[:24]
                for r in table[blank].tolist()
            ]
    else:
        ext = np.array(
            [hashlib.sha1("\x1f".join(r).encode()).hexdigest()[:24] for r in table.tolist()],
            dtype=object,
        )
    # Duplicates inside the file: a repeated source id is a duplicate record; identical rows
    # without an id are distinct records (e.g. two victims) and get an occurrence suffix, so a
    # re-import of the same file still maps every row to the same external id.
    dup_file = np.zeros(n, dtype=bool)
    ext_list = ext.tolist()
    for i, e in enumerate(ext_list):
        k = seen_ids.get(e, 0)
        seen_ids[e] = k + 1
        if k:
            if p.id_column and not blank[i]:
                dup_file[i] = True
            else:
                ext[i] = f"{e}#{k}"
    return ext, dup_file


def _chunk(
    session: Session,
    conn: Any,
    p: Preset,
    ds: str,
    tax: Any,
    index: dict[str, int],
    width: int,
    start: int,
    rows: list[list[str]],
    transformer: Any,
    report: ImportReport,
    rej_rows: list[list[str]],
    seen_ids: dict[str, int],
    dry_run: bool,
) -> None:
    n = len(rows)
    report.rows += n
    reason = np.full(n, "", dtype=object)
    short = np.array([len(r) != width for r in rows])
    reason[short] = f"malformed row: expected {width} fields"
    padded = [r if len(r) == width else (r + [""] * width)[:width] for r in rows]
    table = np.array(padded, dtype=str).reshape(n, width)
    cols = {c: table[:, i] for c, i in index.items()}
    nul = np.array(["\x00" in "".join(r) for r in rows], dtype=bool)
    reason[(reason == "") & nul] = "NUL character (\\u0000) in the row"
    t_utc, t_ok = _parse_times(p, cols)
    reason[(reason == "") & ~t_ok] = f"{'/'.join(p.time_columns)}: not a valid date/time"
    lon, lat, c_ok = _coords(p, cols, transformer)
    reason[(reason == "") & ~c_ok] = "lon/lat: missing or out of range"
    sub = _subtypes(p, cols, reason)
    ext, dup_file = _external_ids(p, cols, table, seen_ids)
    reason[(reason == "") & dup_file] = "duplicate: the same id appears earlier in the file"
    existing = set(
        session.scalars(
            select(Incident.external_id).where(
                Incident.dataset == ds, Incident.external_id.in_(ext.tolist())
            )
        )
    )
    if existing:
        dup_db = np.array([e in existing for e in ext.tolist()])
        reason[(reason == "") & dup_db] = "duplicate: already imported"
    good = reason == ""
    assigned = assign_points(session, np.where(good, lon, 0.0), np.where(good, lat, 0.0))
    outside = good & (assigned.jurisdiction_id < 0)
    reason[outside] = "lon/lat: outside every jurisdiction"
    good = reason == ""
    bad = np.flatnonzero(~good)
    for i in bad.tolist():
        report.reasons[str(reason[i])] = report.reasons.get(str(reason[i]), 0) + 1
        rej_rows.append([str(start + i), str(reason[i]), *rows[i]])
    report.rejected += int(bad.size)
    idx = np.flatnonzero(good)
    report.accepted += int(idx.size)
    if dry_run or idx.size == 0:
        return
    stamps = timestamps_for(conn, t_utc[idx])
    summary_parts = [cols[c][idx] for c in p.summary_columns if c in cols]
    summary = (
        [" / ".join(x for x in parts if x) for parts in zip(*summary_parts, strict=True)]
        if summary_parts
        else [""] * idx.size
    )
    address = (
        cols[p.address_column][idx].tolist() if p.address_column in cols else [None] * idx.size
    )
    subtypes = tax.subtypes
    out = []
    for k, i in enumerate(idx.tolist()):
        s = subtypes[sub[i]]
        code = "IM" + hashlib.sha1(f"{ds}\x1f{ext[i]}".encode()).hexdigest()[:18].upper()
        out.append(
            (
                code,
                s.code,
                s.klass,
                s.priority,
                "import",
                "closed",
                summary[k][:2000],
                address[k],
                float(lon[i]),
                float(lat[i]),
                p.crs.replace(":", "")[:16],
                float(lon[i]),
                float(lat[i]),
                int(assigned.jurisdiction_id[i]),
                str(assigned.jpath[i]),
                stamps[k],
                stamps[k],
                0,
                ds,
                str(ext[i]),
                stamps[k],
                stamps[k],
            )
        )
    bulk_insert(
        conn,
        "incidents",
        (
            "code",
            "subtype",
            "klass",
            "priority",
            "source",
            "state",
            "summary",
            "address_text",
            "lon",
            "lat",
            "input_crs",
            "input_lon",
            "input_lat",
            "jurisdiction_id",
            "jpath",
            "reported_at",
            "closed_at",
            "repeat_count",
            "dataset",
            "external_id",
            "created_at",
            "updated_at",
        ),
        out,
    )
