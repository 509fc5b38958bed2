"""Import jurisdiction polygons from GeoJSON, KML or GeoPackage, all-or-nothing.

Each feature becomes a jurisdiction of ``level`` under ``parent`` (a bureau root is created when
the tree is empty). Polygons are checked (closed rings, no self-intersection, WGS-84 range); the
first bad feature stops the import with its number and name, and nothing is written.
GeoPackage geometries are read from their WKB (any SRS is reprojected to WGS-84 with pyproj).
"""

from __future__ import annotations

import json
import sqlite3
import struct
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.service import Actor, record
from pingan.errors import Invalid
from pingan.geo.assign import validate_polygon
from pingan.jurisdictions import service
from pingan.jurisdictions.models import Jurisdiction

__all__ = ["Feature", "import_jurisdictions", "read_features"]


@dataclass(frozen=True)
class Feature:
    """One polygon with its properties."""

    number: int
    properties: dict[str, Any]
    geometry: Any  # shapely geometry, or None when unreadable
    problem: str | None = None


def _ring(text: str) -> list[tuple[float, float]]:
    pts = []
    for token in text.split():
        parts = token.split(",")
        pts.append((float(parts[0]), float(parts[1])))
    return pts


def _kml(path: Path) -> list[Feature]:
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise Invalid("file", f"{path.name}: not valid KML ({exc})") from None
    ns = ""
    if root.tag.startswith("{"):
        ns = root.tag.split("}")[0] + "}"
    out = []
    for k, pm in enumerate(root.iter(f"{ns}Placemark"), start=1):
        props = {
            "name": (pm.findtext(f"{ns}name") or "").strip(),
            "description": (pm.findtext(f"{ns}description") or "").strip(),
        }
        for sd in pm.iter(f"{ns}SimpleData"):  # <ExtendedData><SchemaData><SimpleData name=…>
            props[sd.get("name", "")] = (sd.text or "").strip()
        for data in pm.iter(f"{ns}Data"):  # <ExtendedData><Data name=…><value>…</value>
            props[data.get("name", "")] = (data.findtext(f"{ns}value") or "").strip()
        polys = []
        problem = None
        for poly in pm.iter(f"{ns}Polygon"):
            outer = poly.find(f".//{ns}outerBoundaryIs//{ns}coordinates")
            if outer is None or not (outer.text or "").strip():
                problem = "a Polygon without outer boundary coordinates"
                continue
            shell = _ring(outer.text or "")
            holes = [
                _ring(h.text or "")
                for h in poly.findall(f".//{ns}innerBoundaryIs//{ns}coordinates")
                if (h.text or "").strip()
            ]
            if shell[0] != shell[-1]:
                problem = "the polygon ring does not close (first and last points differ)"
            polys.append((shell, holes))
        geom = None
        if polys and problem is None:
            try:
                parts = [Polygon(s, h) for s, h in polys]
                geom = parts[0] if len(parts) == 1 else MultiPolygon(parts)
            except (ValueError, shapely.errors.GEOSException) as exc:
                problem = str(exc)
        elif not polys and problem is None:
            problem = "no polygon"
        out.append(Feature(k, props, geom, problem))
    return out


def _geojson(path: Path) -> list[Feature]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise Invalid("file", f"{path.name}: not valid JSON ({exc})") from None
    feats = data.get("features") if isinstance(data, dict) else None
    if not isinstance(feats, list):
        raise Invalid("file", f"{path.name}: expected a GeoJSON FeatureCollection")
    out = []
    for k, f in enumerate(feats, start=1):
        props = dict(f.get("properties") or {})
        g = f.get("geometry")
        problem = None
        geom = None
        if not g:
            problem = "no geometry"
        else:
            rings = g.get("coordinates") or []
            polys = rings if g.get("type") == "MultiPolygon" else [rings]
            for poly in polys:
                for ring in poly:
                    if ring and ring[0] != ring[-1]:
                        problem = "the polygon ring does not close (first and last points differ)"
            if problem is None:
                try:
                    geom = shapely.from_geojson(json.dumps(g))
                except shapely.errors.GEOSException as exc:
                    problem = str(exc)
        out.append(Feature(k, props, geom, problem))
    return out


def _gpkg(path: Path) -> list[Feature]:
    import pyproj

    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = con.execute(
            "SELECT table_name, column_name, srs_id FROM gpkg_geometry_columns LIMIT 1"
        ).fetchone()
        if row is None:
            raise Invalid("file", f"{path.name}: no geometry table in the GeoPackage")
        table, column, srs = row
        cur = con.execute(f'SELECT * FROM "{table}"')
        names = [d[0] for d in cur.description]
        transformer = None
        if srs not in (4326, 0, -1):
            transformer = pyproj.Transformer.from_crs(f"EPSG:{srs}", "EPSG:4326", always_xy=True)
        out = []
        for k, values in enumerate(cur, start=1):
            props = {n: v for n, v in zip(names, values, strict=True) if n != column}
            blob = values[names.index(column)]
            geom, problem = None, None
            try:
                geom = shapely.from_wkb(_strip_gpkg_header(blob))
                if transformer is not None:
                    geom = shapely.transform(geom, _reprojector(transformer))
            except (ValueError, shapely.errors.GEOSException, struct.error) as exc:
                problem = f"unreadable geometry ({exc})"
            out.append(Feature(k, props, geom, problem))
        return out
    except sqlite3.DatabaseError as exc:
        raise Invalid("file", f"{path.name}: not a GeoPackage ({exc})") from None
    finally:
        con.close()


def _reprojector(transformer: Any) -> Any:
    def xy(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return xy


def _strip_gpkg_header(blob: bytes) -> bytes:
    if blob[:2] != b"GP":
        raise ValueError("missing GP magic")
    flags = blob[3]
    envelope = (flags >> 1) & 0b111
    size = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}.get(envelope)
    if size is None:
        raise ValueError("bad envelope flag")
    return blob[8 + size :]


def read_features(path: Path) -> list[Feature]:
    """Features of a GeoJSON (.geojson/.json), KML (.kml) or GeoPackage (.gpkg) file."""
    if not path.is_file():
        raise Invalid("file", f"not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".kml":
        return _kml(path)
    if suffix in (".geojson", ".json"):
        return _geojson(path)
    if suffix == ".gpkg":
        return _gpkg(path)
    raise Invalid("file", f"{path.name}: use a .geojson, .kml or .gpkg file")


def import_jurisdictions(
    session: Session,
    path: Path,
    *,
    actor: Actor,
    level: str = "district",
    parent: str | None = None,
    code_field: str | None = None,
    name_field: str | None = None,
    name_en_field: str | None = None,
    prefix: str | None = None,
    bureau_name: str | None = None,
    repair: bool = False,
) -> list[Jurisdiction]:
    """Create one jurisdiction per feature, in the caller's transaction (caller commits)."""
    feats = read_features(path)
    if not feats:
        raise Invalid("file", f"{path.name}: no features")
    service.level_rank(level)
    checked: list[Feature] = []
    for f in feats:
        label = _label(f, name_field)
        if f.problem is not None:
            raise Invalid("geometry", f"feature {f.number} ({label}): {f.problem}")
        geom = f.geometry
        if repair and not geom.is_valid:
            fixed = shapely.make_valid(geom)
            polys = [
                g for g in shapely.get_parts(fixed) if g.geom_type in ("Polygon", "MultiPolygon")
            ]
            geom = shapely.union_all(polys) if polys else fixed
        try:
            validate_polygon(geom, field="geometry")
        except ValueError as exc:
            hint = "" if repair else " (use --repair to fix it with make_valid)"
            raise Invalid(
                "geometry", f"feature {f.number} ({label}): {str(exc).split(': ', 1)[-1]}{hint}"
            ) from None
        checked.append(Feature(f.number, f.properties, geom))
    feats = checked
    if parent is None:
        root = session.scalar(
            select(Jurisdiction).where(Jurisdiction.parent_id.is_(None)).order_by(Jurisdiction.id)
        )
        if root is None:
            if level == "bureau":
                parent = None
            else:
                union = shapely.union_all([f.geometry for f in feats])
                root = service.create(
                    session,
                    actor=actor,
                    code=(prefix or path.stem)[:40],
                    level="bureau",
                    name_zh=bureau_name or path.stem,
                    name_en=bureau_name or path.stem,
                    geometry=shapely.make_valid(union).buffer(0),
                    audit=False,
                )
        if root is not None:
            parent = root.code
    # several features may carry the same code (a district in pieces): merge them
    groups: dict[str, list[Feature]] = {}
    for f in feats:
        if code_field and f.properties.get(code_field) in (None, ""):
            have = ", ".join(k for k in f.properties if k) or "none"
            raise Invalid(
                "code_field",
                f"feature {f.number} ({_label(f, name_field)}) has no {code_field!r} property "
                f"(its properties: {have}); give another --code-field",
            )
        raw_code = (
            f.properties.get(code_field)
            if code_field
            else (
                f.properties.get("code")
                or f.properties.get("DISTRICT")
                or f.properties.get("name")
                or f.number
            )
        )
        code = f"{prefix}-{raw_code}" if prefix else f"{path.stem}-{raw_code}"
        groups.setdefault(str(code)[:64], []).append(f)
    made = []
    for code, members in groups.items():
        f = members[0]
        geom = f.geometry if len(members) == 1 else shapely.union_all([m.geometry for m in members])
        name = str(
            f.properties.get(name_field)
            if name_field
            else (f.properties.get("name") or f.properties.get("description") or code)
        )
        name_en = str(f.properties.get(name_en_field)) if name_en_field else name
        made.append(
            service.create(
                session,
                actor=actor,
                code=code,
                level=level,
                name_zh=name,
                name_en=name_en,
                parent_code=parent,
                geometry=geom,
                audit=False,
            )
        )
    record(
        session,
        actor=actor,
        action="import",
        entity="jurisdictions",
        detail={
            "file": path.name,
            "level": level,
            "parent": parent,
            "count": len(made),
            "codes": [j.code for j in made][:50],
        },
    )
    return made


def _label(f: Feature, name_field: str | None) -> str:
    v = f.properties.get(name_field) if name_field else f.properties.get("name")
    return str(v) if v not in (None, "") else "unnamed"
