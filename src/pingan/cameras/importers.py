"""Import cameras from a CSV (``lon``, ``lat`` columns) or a GeoJSON FeatureCollection of points.

Columns (CSV) or properties (GeoJSON), in any order; only the position and the three numbers of
the view are required:

=================  =========================================================================
``code``           the camera's code; a code already registered updates that camera
``name``           optional label
``lon``, ``lat``   position in ``crs`` (WGS84; GCJ02 as AMap and Tencent; BD09 as Baidu)
``heading_deg``    0–360, clockwise from north (``heading`` accepted)
``fov_deg``        field of view, > 0 and ≤ 360 (360: a dome; ``fov`` accepted)
``range_m``        range in metres, > 0 and ≤ 1000 (``range`` accepted)
``resolution``     ``sd``, ``hd`` (default) or ``uhd``
``owner``          ``public`` (default) or ``social``
``status``         ``online`` (default), ``offline`` or ``maintenance``
``premises_code``  code of the premises it belongs to (``premises_id`` accepted)
=================  =========================================================================

A file that cannot be read or lacks a required column raises ``ValueError`` naming it; every
bad row is rejected alone with its line (CSV, the header is line 1) or feature number
(GeoJSON, from 1), the field and the reason. Pure parsing: nothing here touches the database.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from pingan.cameras.schemas import CameraCreate

__all__ = ["ParsedRow", "RowReject", "parse"]

_ALIASES = {"heading": "heading_deg", "fov": "fov_deg", "range": "range_m"}
_REQUIRED = ("lon", "lat", "heading_deg", "fov_deg", "range_m")
_FIELDS = set(CameraCreate.model_fields) | {"premises_code"}


@dataclass(frozen=True)
class ParsedRow:
    """A row that passed the field checks (position still to be located)."""

    row: int
    data: CameraCreate
    premises_code: str | None


@dataclass(frozen=True)
class RowReject:
    """A row not taken: where, which camera, which field and why."""

    row: int
    code: str | None
    field: str
    reason: str


def _norm(rec: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in rec.items():
        key = _ALIASES.get(str(k).strip().lower(), str(k).strip().lower())
        if key in _FIELDS and v is not None and v != "":
            out[key] = v.strip() if isinstance(v, str) else v
    return out


def _read_csv(text: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        reader = csv.DictReader(io.StringIO(text))
        header = [
            _ALIASES.get(h.strip().lower(), h.strip().lower()) for h in reader.fieldnames or []
        ]
        rows = [(reader.line_num, dict(r)) for r in reader]
    except csv.Error as exc:
        raise ValueError(f"file: not a readable CSV: {exc}") from None
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise ValueError(
            f"file: lacks the column(s) {', '.join(missing)}; a camera CSV needs "
            "lon, lat, heading_deg, fov_deg and range_m"
        )
    return rows


def _read_geojson(text: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"file: not JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise ValueError("file: a GeoJSON FeatureCollection of Point features is expected")
    feats = doc.get("features")
    if not isinstance(feats, list):
        raise ValueError("file: the FeatureCollection has no list of features")
    rows: list[tuple[int, dict[str, Any]]] = []
    for i, f in enumerate(feats, start=1):
        props = dict((f or {}).get("properties") or {}) if isinstance(f, dict) else {}
        geom = f.get("geometry") if isinstance(f, dict) else None
        if isinstance(geom, dict) and geom.get("type") == "Point":
            xy = geom.get("coordinates") or []
            if isinstance(xy, list) and len(xy) >= 2:
                props["lon"], props["lat"] = xy[0], xy[1]
        rows.append((i, props))
    return rows


def parse(
    content: bytes, *, fmt: str, crs: str = "WGS84"
) -> tuple[list[ParsedRow], list[RowReject], int]:
    """Rows that pass the field checks, the rejects, and the number of rows read.

    ``fmt`` is ``csv`` or ``geojson``. ``ValueError`` (``"file: ..."``) when the whole file is
    unusable."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("file: not UTF-8 text; save the file as UTF-8") from None
    if "\x00" in text:
        raise ValueError("file: contains a NUL character (\\u0000); remove it")
    if fmt == "csv":
        raw = _read_csv(text)
    elif fmt == "geojson":
        raw = _read_geojson(text)
    else:
        raise ValueError(f"format: {fmt!r} is not a camera file format; use csv or geojson")
    ok: list[ParsedRow] = []
    bad: list[RowReject] = []
    seen: set[str] = set()
    for row, rec in raw:
        d = _norm(rec)
        code = str(d["code"]) if "code" in d else None
        missing = [c for c in _REQUIRED if c not in d]
        if missing:
            bad.append(RowReject(row, code, missing[0], "missing"))
            continue
        if code is not None and code in seen:
            bad.append(RowReject(row, code, "code", "repeats an earlier row of this file"))
            continue
        pcode = d.pop("premises_code", None)
        try:
            data = CameraCreate.model_validate(d | {"crs": crs})
        except ValidationError as exc:
            e = exc.errors()[0]
            bad.append(RowReject(row, code, ".".join(map(str, e["loc"])) or "row", e["msg"]))
            continue
        if code is not None:
            seen.add(code)
        ok.append(ParsedRow(row, data, None if pcode is None else str(pcode)))
    return ok, bad, len(raw)
