"""Import standard addresses from a CSV (``lon``, ``lat`` columns) or GeoJSON points.

A CSV needs ``lon`` and ``lat`` and either ``address`` (the whole label, 「北京路88号3栋」) or
``road`` and ``door`` (with optional ``building`` and ``unit``); ``code`` is optional. A GeoJSON
file is a FeatureCollection of Point features with the same names as properties (``label`` is
accepted for ``address``). Coordinates are in ``crs`` (WGS84, GCJ02 as used by AMap and
Tencent, or BD09 as used by Baidu) and stored as WGS-84.

All or nothing, in the caller's transaction: a file that cannot be read or lacks the columns
raises :class:`pingan.errors.Invalid` naming what is wrong; bad rows are rejected one by one
with their line (CSV) or feature number (GeoJSON) and the reason, written to
``<file name>.rejects.csv`` in the working directory. One audit record describes the import.
"""

from __future__ import annotations

import csv
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.service import Actor, record
from pingan.errors import Invalid
from pingan.geo.crs import SUPPORTED_CRS, to_wgs84
from pingan.geocoding.service import next_id, write_addresses
from pingan.jurisdictions.service import assign_points
from pingan.places.models import Address
from pingan.store.bulk import timestamps_for

__all__ = ["AddressImportReport", "import_addresses"]

_PLATE = re.compile(r"^(?P<road>.+?(?:大道|路|街|巷|道))(?P<door>[0-9０-９]+(?:-[0-9]+)?)(?:号|#)")
_FIELDS = ("code", "address", "road", "door", "building", "unit")


@dataclass
class AddressImportReport:
    """What an address import did: counts, reasons of rejects and where they are listed."""

    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    rejects_file: Path | None = None
    seconds: float = 0.0


def _read_csv(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            header = [h.strip() for h in reader.fieldnames or []]
            reader.fieldnames = header
            rows = [
                (reader.line_num, {k: (v or "").strip() for k, v in r.items() if k}) for r in reader
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise Invalid("FILE", f"cannot read {path.name} as UTF-8 CSV: {exc}") from exc
    missing = [c for c in ("lon", "lat") if c not in header]
    if "address" not in header and not {"road", "door"} <= set(header):
        missing.append("address (or road and door)")
    if missing:
        raise Invalid(
            "FILE",
            f"{path.name} lacks the column(s) {', '.join(missing)}; "
            "an address CSV needs lon, lat and address (or road and door)",
        )
    return header, rows


def _read_geojson(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise Invalid("FILE", f"cannot read {path.name} as GeoJSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise Invalid("FILE", f"{path.name} is not a GeoJSON FeatureCollection")
    rows: list[tuple[int, dict[str, str]]] = []
    for i, feat in enumerate(doc.get("features") or [], start=1):
        props = (feat.get("properties") if isinstance(feat, dict) else None) or {}
        geom = (feat.get("geometry") if isinstance(feat, dict) else None) or {}
        row = {k: str(v).strip() for k, v in props.items() if v is not None}
        if "address" not in row and "label" in row:
            row["address"] = row["label"]
        coords = geom.get("coordinates") if geom.get("type") == "Point" else None
        if isinstance(coords, list) and len(coords) >= 2:
            row["lon"], row["lat"] = str(coords[0]), str(coords[1])
        else:
            row["lon"] = row["lat"] = ""
        rows.append((i, row))
    return ["lon", "lat", *_FIELDS], rows


def _label(row: dict[str, str]) -> tuple[str, str | None, str | None]:
    """The address text and its road and door number (parsed from the text if not given)."""
    road, door = row.get("road") or None, row.get("door") or None
    text = row.get("address", "")
    if not text and road and door:
        text = road + door + ("" if door.endswith("号") else "号")
        text += (row.get("building") or "") + (row.get("unit") or "")
    m = _PLATE.match(text)
    if m and not (road and door):
        road, door = m["road"], m["door"]
    return text, road, door


def import_addresses(
    session: Session,
    path: Path,
    *,
    actor: Actor,
    crs: str = "WGS84",
    rejects_dir: Path | None = None,
) -> AddressImportReport:
    """Import the door plates of ``path`` (CSV or GeoJSON) into the register and gazetteer."""
    t0 = time.perf_counter()
    if crs.upper().replace("-", "").replace("_", "") not in (*SUPPORTED_CRS, "EPSG4326"):
        raise Invalid("crs", f"{crs!r} is not supported; use one of {', '.join(SUPPORTED_CRS)}")
    if not path.is_file():
        raise Invalid("FILE", f"not found: {path}")
    geo = path.suffix.lower() in (".geojson", ".json")
    header, rows = _read_geojson(path) if geo else _read_csv(path)
    rep = AddressImportReport(rows=len(rows))
    rejects: list[list[str]] = []
    seen: dict[str, int] = {}
    seen_codes: dict[str, int] = {}

    def reject(line: int, reason: str, row: dict[str, str]) -> None:
        rejects.append([str(line), reason, *(row.get(h, "") for h in header)])
        rep.reasons[reason] = rep.reasons.get(reason, 0) + 1

    good: list[tuple[int, dict[str, str], str, str | None, str | None, float, float]] = []
    for line, row in rows:
        try:
            lon, lat = float(row.get("lon", "")), float(row.get("lat", ""))
        except ValueError:
            reject(line, "lon/lat: not a number", row)
            continue
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            reject(line, "lon/lat: out of range (longitude first, in degrees)", row)
            continue
        text, road, door = _label(row)
        if not text:
            reject(line, "address: empty (give address, or road and door)", row)
            continue
        if text in seen:
            reject(line, f"address: repeats line {seen[text]}", row)
            continue
        code = row.get("code", "")
        if code and code in seen_codes:
            reject(line, f"code: repeats line {seen_codes[code]}", row)
            continue
        seen[text] = line
        if code:
            seen_codes[code] = line
        good.append((line, row, text, road, door, lon, lat))
    existing = _existing(session, [g[2] for g in good], [g[1].get("code", "") for g in good])
    kept = []
    for g in good:
        if g[2] in existing:
            reject(g[0], "address: already in the register", g[1])
        elif g[1].get("code") and g[1]["code"] in existing:
            reject(g[0], "code: already in the register", g[1])
        else:
            kept.append(g)
    if kept:
        lon_w, lat_w = to_wgs84([g[5] for g in kept], [g[6] for g in kept], crs)
        where = assign_points(session, lon_w, lat_w)
        inside = where.jurisdiction_id >= 0
        for k in np.flatnonzero(~inside).tolist():
            reject(kept[k][0], "lon/lat: outside every jurisdiction of this bureau", kept[k][1])
        idx = np.flatnonzero(inside)
        sel = [kept[k] for k in idx.tolist()]
        conn = session.connection()
        now = np.array([int(time.time())], dtype=np.int64)
        codes = [g[1].get("code") or "" for g in sel]
        if sel:
            rep.accepted = write_addresses(
                conn,
                code=None if not any(codes) else _fill_codes(codes, session),
                text_zh=[g[2] for g in sel],
                road_zh=[g[3] for g in sel],
                door_no=[g[4] for g in sel],
                building=[g[1].get("building") or None for g in sel],
                unit=[g[1].get("unit") or None for g in sel],
                lon=lon_w[idx],
                lat=lat_w[idx],
                jurisdiction_id=where.jurisdiction_id[idx],
                jpath=[str(p) for p in where.jpath[idx].tolist()],
                created_at=str(timestamps_for(conn, now)[0]),
            )
    rep.rejected = len(rejects)
    if rejects:
        rejects.sort(key=lambda r: int(r[0]))
        rep.rejects_file = (rejects_dir or Path.cwd()) / f"{path.name}.rejects.csv"
        with open(rep.rejects_file, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["feature" if geo else "line", "reason", *header])
            w.writerows(rejects)
    record(
        session,
        actor=actor,
        action="import",
        entity="addresses",
        detail={
            "file": path.name,
            "crs": crs,
            "rows": rep.rows,
            "accepted": rep.accepted,
            "rejected": rep.rejected,
            "reasons": rep.reasons,
        },
    )
    rep.seconds = time.perf_counter() - t0
    return rep


def _existing(session: Session, texts: list[str], codes: list[str]) -> set[str]:
    """Those of ``texts`` and ``codes`` already in the register."""
    out: set[str] = set()
    for i in range(0, len(texts), 500):
        chunk = texts[i : i + 500]
        out.update(session.scalars(select(Address.text_zh).where(Address.text_zh.in_(chunk))))
    wanted = [c for c in codes if c]
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        out.update(session.scalars(select(Address.code).where(Address.code.in_(chunk))))
    return out


def _fill_codes(codes: list[str], session: Session) -> list[str]:
    """Given codes kept; missing ones as ``A`` + a number past every row id."""
    start = next_id(session.connection(), "addresses")
    return [c or f"A{start + i:07d}" for i, c in enumerate(codes)]
