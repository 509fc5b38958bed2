"""OGC API – Features, Part 1 (core, GeoJSON) under ``/api/v1/ogc``.

Collections: incidents, grid-cells, communities, stations, districts, premises, key-areas,
resources and cameras, plus computed collections registered with :func:`register_collection`
(coverage fields and isochrones). ``/items`` takes ``bbox`` (W,S,E,N in WGS-84), ``datetime``
(an RFC 3339 instant or an interval with ``..`` for open ends), ``limit`` (≤ 10,000) and
``offset``, and returns a GeoJSON FeatureCollection with ``numberMatched``, ``numberReturned``,
``timeStamp`` and ``links`` (self, next, prev, collection), so QGIS, GDAL/OGR and OWSLib read it
as it is. Every query is scoped to the caller's jurisdiction and bounded by the page size; no
personal data is served here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from pingan.api.deps import SessionDep, allowed
from pingan.api.errors import ErrorBody
from pingan.auth.service import Principal, scope_clause
from pingan.cameras.models import Camera
from pingan.errors import Invalid, NotFound
from pingan.geo.bbox import BBoxError
from pingan.geo.bbox import parse_bbox as geo_parse_bbox
from pingan.incidents.models import Incident
from pingan.jurisdictions.models import Jurisdiction
from pingan.places.models import KeyArea, Premises
from pingan.resources.models import Resource

router = APIRouter(prefix="/api/v1/ogc", tags=["ogc"], responses=ErrorBody)

GEOJSON = "application/geo+json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
MAX_LIMIT = 10_000


@dataclass(frozen=True)
class Collection:
    """How one collection maps onto a table."""

    id: str
    title: str
    title_zh: str
    model: Any
    kind: str  # "point" (lon/lat columns) or "polygon" (GeoJSON text + bbox columns)
    properties: tuple[str, ...]
    scope_col: str = "jpath"
    time_col: str | None = None
    where: Callable[[], ColumnElement[bool]] | None = None
    order: tuple[str, ...] = ("id",)
    extra: dict[str, Any] = field(default_factory=dict)


def _level(level: str) -> Callable[[], ColumnElement[bool]]:
    return lambda: Jurisdiction.level == level


_J_PROPS = ("code", "level", "name_zh", "name_en", "parent_id", "owner_id", "site_lon", "site_lat")
COLLECTIONS: dict[str, Collection] = {
    c.id: c
    for c in (
        Collection(
            "incidents",
            "Incidents",
            "警情",
            Incident,
            "point",
            (
                "code",
                "subtype",
                "klass",
                "priority",
                "source",
                "state",
                "reported_at",
                "dispatched_at",
                "on_scene_at",
                "closed_at",
                "jurisdiction_id",
                "repeat_of_id",
                "repeat_count",
            ),
            time_col="reported_at",
            order=("reported_at", "id"),
        ),
        Collection(
            "grid-cells",
            "Grid cells",
            "网格",
            Jurisdiction,
            "polygon",
            _J_PROPS,
            scope_col="path",
            where=_level("cell"),
        ),
        Collection(
            "communities",
            "Communities and villages",
            "社区/行政村",
            Jurisdiction,
            "polygon",
            _J_PROPS,
            scope_col="path",
            where=_level("community"),
        ),
        Collection(
            "stations",
            "Police stations",
            "派出所",
            Jurisdiction,
            "polygon",
            _J_PROPS,
            scope_col="path",
            where=_level("station"),
        ),
        Collection(
            "districts",
            "Districts",
            "分局",
            Jurisdiction,
            "polygon",
            _J_PROPS,
            scope_col="path",
            where=_level("district"),
        ),
        Collection(
            "premises",
            "Premises",
            "实有单位",
            Premises,
            "point",
            (
                "code",
                "kind",
                "name",
                "name_en",
                "address_text",
                "capacity",
                "police_room",
                "jurisdiction_id",
            ),
        ),
        Collection(
            "key-areas",
            "Rapid-response key areas",
            "快速处置重点区域",
            KeyArea,
            "polygon",
            ("code", "name_zh", "name_en", "kind", "response_standard_s", "jurisdiction_id"),
        ),
        Collection(
            "resources",
            "Units",
            "警力",
            Resource,
            "point",
            ("code", "kind", "name_zh", "name_en", "status", "station_id", "position_at"),
        ),
        Collection(
            "cameras",
            "Cameras",
            "视频监控",
            Camera,
            "point",
            ("code", "heading_deg", "fov_deg", "range_m", "status", "station_id"),
        ),
    )
}


@dataclass(frozen=True)
class ComputedCollection:
    """A collection computed on request rather than read from a table (e.g. coverage fields).

    ``features(request, session, principal, params)`` returns GeoJSON features (each with an
    ``id``) for the query parameters ``params``; paging and ``bbox`` are applied here.
    """

    id: str
    title: str
    title_zh: str
    features: Callable[[Request, Session, Principal, dict[str, str]], list[dict[str, Any]]]
    description: str = ""


COMPUTED: dict[str, ComputedCollection] = {}


def register_collection(c: ComputedCollection) -> None:
    """Add a computed collection (domains call this when their router is imported)."""
    COMPUTED[c.id] = c


def _computed_json(c: ComputedCollection, request: Request) -> dict[str, Any]:
    base = _base(request)
    return {
        "id": c.id,
        "title": c.title,
        "description": f"{c.title_zh} / {c.title}"
        + (f". {c.description}" if c.description else ""),
        "itemType": "feature",
        "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "links": [
            {"href": f"{base}/collections/{c.id}", "rel": "self", "type": "application/json"},
            {"href": f"{base}/collections/{c.id}/items", "rel": "items", "type": GEOJSON},
        ],
    }


def _in_bbox(feature: dict[str, Any], bbox: tuple[float, float, float, float]) -> bool:
    import shapely

    g = feature.get("geometry")
    if not g:
        return False
    x0, y0, x1, y1 = shapely.from_geojson(json.dumps(g)).bounds
    w, s, e, n = bbox
    return bool(x0 <= e and x1 >= w and y0 <= n and y1 >= s)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/api/v1/ogc"


def _collection_json(
    c: Collection, request: Request, extent: tuple[float, float, float, float] | None
) -> dict[str, Any]:
    base = _base(request)
    out: dict[str, Any] = {
        "id": c.id,
        "title": c.title,
        "description": f"{c.title_zh} / {c.title}",
        "itemType": "feature",
        "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "links": [
            {
                "href": f"{base}/collections/{c.id}",
                "rel": "self",
                "type": "application/json",
                "title": c.title,
            },
            {
                "href": f"{base}/collections/{c.id}/items",
                "rel": "items",
                "type": GEOJSON,
                "title": f"{c.title} items",
            },
        ],
    }
    if extent is not None:
        out["extent"] = {
            "spatial": {
                "bbox": [list(extent)],
                "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            }
        }
    return out


def _get(c: Collection, name: str) -> InstrumentedAttribute[Any]:
    col: InstrumentedAttribute[Any] = getattr(c.model, name)
    return col


def _scoped(c: Collection, principal: Principal) -> list[ColumnElement[bool]]:
    conds = [scope_clause(principal, _get(c, c.scope_col))]
    if c.where is not None:
        conds.append(c.where())
    if c.kind == "polygon":
        conds.append(_get(c, "geometry").is_not(None))
    else:
        conds.append(_get(c, "lon").is_not(None))
    return conds


def _extent(session: Session, c: Collection, principal: Principal) -> tuple[float, ...] | None:
    if c.kind == "polygon":
        cols = (
            func.min(_get(c, "min_lon")),
            func.min(_get(c, "min_lat")),
            func.max(_get(c, "max_lon")),
            func.max(_get(c, "max_lat")),
        )
    else:
        cols = (
            func.min(_get(c, "lon")),
            func.min(_get(c, "lat")),
            func.max(_get(c, "lon")),
            func.max(_get(c, "lat")),
        )
    row = session.execute(select(*cols).where(and_(*_scoped(c, principal)))).first()
    if row is None or row[0] is None:
        return None
    return tuple(float(v) for v in row)


def parse_bbox(bbox: str | None) -> tuple[float, float, float, float] | None:
    """``W,S,E,N`` → floats, or ``Invalid`` naming ``bbox`` (:func:`pingan.geo.parse_bbox`)."""
    try:
        return geo_parse_bbox(bbox)
    except BBoxError as exc:
        raise Invalid("bbox", exc.reason) from None


def _parse_instant(text: str) -> dt.datetime:
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid("datetime", f"{text!r} is not an RFC 3339 date-time") from None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def parse_datetime(value: str | None) -> tuple[dt.datetime | None, dt.datetime | None] | None:
    """An instant or an interval ``start/end`` with ``..`` (or empty) for an open end."""
    if value is None or value == "":
        return None
    if "/" in value:
        a, b = value.split("/", 1)
        start = None if a in ("", "..") else _parse_instant(a)
        end = None if b in ("", "..") else _parse_instant(b)
        if start and end and end < start:
            raise Invalid("datetime", "the interval ends before it starts")
        return (start, end)
    t = _parse_instant(value)
    return (t, t)


def _query(
    c: Collection,
    principal: Principal,
    bbox: tuple[float, ...] | None,
    when: tuple[dt.datetime | None, dt.datetime | None] | None,
) -> Select[Any]:
    conds = _scoped(c, principal)
    if bbox is not None:
        w, s, e, n = bbox
        if c.kind == "point":
            conds += [_get(c, "lon").between(w, e), _get(c, "lat").between(s, n)]
        else:
            conds += [
                _get(c, "min_lon") <= e,
                _get(c, "max_lon") >= w,
                _get(c, "min_lat") <= n,
                _get(c, "max_lat") >= s,
            ]
    if when is not None:
        if c.time_col is None:
            raise Invalid("datetime", f"the collection {c.id!r} has no time dimension")
        col = _get(c, c.time_col)
        if when[0] is not None:
            conds.append(col >= when[0])
        if when[1] is not None:
            conds.append(col <= when[1])
    return select(c.model).where(and_(*conds))


def _value(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return v.isoformat()
    return v


def _feature(c: Collection, row: Any, base: str) -> dict[str, Any]:
    if c.kind == "point":
        geom: dict[str, Any] | None = {"type": "Point", "coordinates": [row.lon, row.lat]}
    else:
        geom = json.loads(row.geometry) if row.geometry else None
    return {
        "type": "Feature",
        "id": row.id,
        "geometry": geom,
        "properties": {p: _value(getattr(row, p)) for p in c.properties},
        "links": [
            {"href": f"{base}/collections/{c.id}/items/{row.id}", "rel": "self", "type": GEOJSON}
        ],
    }


def _collection(collection_id: str) -> Collection:
    c = COLLECTIONS.get(collection_id)
    if c is None:
        raise NotFound(
            f"collection {collection_id!r} does not exist; see /api/v1/ogc/collections",
            field="collectionId",
        )
    return c


@router.get("", operation_id="ogc_landing_page")
def landing(request: Request, _: Annotated[Principal, allowed("map.read")]) -> dict[str, Any]:
    """The OGC API landing page."""
    base = _base(request)
    root = str(request.base_url).rstrip("/")
    return {
        "title": "pingan 平安 — OGC API Features",
        "description": "Incidents, jurisdictions, places and forces of the bureau, scoped to "
        "the caller's jurisdiction.",
        "links": [
            {"href": base, "rel": "self", "type": "application/json", "title": "this document"},
            {
                "href": f"{root}/api/v1/openapi.json",
                "rel": "service-desc",
                "type": "application/vnd.oai.openapi+json;version=3.0",
                "title": "the API definition",
            },
            {
                "href": f"{root}/api/v1/docs",
                "rel": "service-doc",
                "type": "text/html",
                "title": "the API documentation",
            },
            {
                "href": f"{base}/conformance",
                "rel": "conformance",
                "type": "application/json",
                "title": "conformance classes",
            },
            {
                "href": f"{base}/collections",
                "rel": "data",
                "type": "application/json",
                "title": "collections",
            },
        ],
    }


@router.get("/conformance", operation_id="ogc_conformance")
def conformance(_: Annotated[Principal, allowed("map.read")]) -> dict[str, Any]:
    """The conformance classes implemented."""
    return {"conformsTo": CONFORMANCE}


@router.get("/collections", operation_id="ogc_collections")
def collections(
    request: Request, session: SessionDep, principal: Annotated[Principal, allowed("map.read")]
) -> dict[str, Any]:
    """Every collection with its spatial extent in your jurisdiction."""
    base = _base(request)
    return {
        "links": [{"href": f"{base}/collections", "rel": "self", "type": "application/json"}],
        "collections": [
            _collection_json(c, request, _extent(session, c, principal))  # type: ignore[arg-type]
            for c in COLLECTIONS.values()
        ]
        + [_computed_json(c, request) for c in COMPUTED.values()],
    }


@router.get("/collections/{collection_id}", operation_id="ogc_collection")
def collection(
    collection_id: str,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, allowed("map.read")],
) -> dict[str, Any]:
    """One collection's description."""
    if collection_id in COMPUTED:
        return _computed_json(COMPUTED[collection_id], request)
    c = _collection(collection_id)
    return _collection_json(c, request, _extent(session, c, principal))  # type: ignore[arg-type]


@router.get(
    "/collections/{collection_id}/items",
    operation_id="ogc_items",
    response_class=JSONResponse,
    responses={200: {"content": {GEOJSON: {}}, "description": "GeoJSON features"}},
)
def items(
    collection_id: str,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, allowed("map.read")],
    bbox: Annotated[str | None, Query(description="W,S,E,N in WGS-84 degrees")] = None,
    datetime: Annotated[str | None, Query(description="instant or start/end, '..' open")] = None,
    limit: Annotated[int, Query(ge=1, description=f"page size, at most {MAX_LIMIT}")] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> JSONResponse:
    """Features of a collection in your jurisdiction, filtered by bbox and datetime.
    Computed collections (coverage) take their own query parameters, e.g. ``standard``."""
    limit = min(limit, MAX_LIMIT)  # OGC API: a larger limit is clamped, not refused
    base = _base(request)
    cid = collection_id
    if collection_id in COMPUTED:
        box = parse_bbox(bbox)
        if datetime:
            raise Invalid("datetime", f"the collection {collection_id!r} has no time dimension")
        every = COMPUTED[collection_id].features(
            request, session, principal, dict(request.query_params)
        )
        if box is not None:
            every = [f for f in every if _in_bbox(f, box)]
        matched = len(every)
        feats = every[offset : offset + limit]
    else:
        c = _collection(collection_id)
        q = _query(c, principal, parse_bbox(bbox), parse_datetime(datetime))
        matched = int(session.scalar(select(func.count()).select_from(q.subquery())) or 0)
        order = [_get(c, o).desc() if o == c.time_col else _get(c, o) for o in c.order]
        rows = session.scalars(q.order_by(*order).limit(limit).offset(offset)).all()
        feats = [_feature(c, r, base) for r in rows]

    def link(rel: str, off: int) -> dict[str, Any]:
        params = dict(request.query_params) | {"offset": str(off), "limit": str(limit)}
        qs = "&".join(f"{k}={v}" for k, v in params.items())
        return {"href": f"{base}/collections/{cid}/items?{qs}", "rel": rel, "type": GEOJSON}

    links = [
        link("self", offset),
        {"href": f"{base}/collections/{cid}", "rel": "collection", "type": "application/json"},
    ]
    if offset + len(feats) < matched:
        links.append(link("next", offset + limit))
    if offset > 0:
        links.append(link("prev", max(0, offset - limit)))
    body = {
        "type": "FeatureCollection",
        "features": feats,
        "numberMatched": matched,
        "numberReturned": len(feats),
        "timeStamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "links": links,
    }
    return JSONResponse(body, media_type=GEOJSON)


@router.get(
    "/collections/{collection_id}/items/{feature_id}",
    operation_id="ogc_item",
    response_class=JSONResponse,
    responses={200: {"content": {GEOJSON: {}}, "description": "one GeoJSON feature"}},
)
def item(
    collection_id: str,
    feature_id: int,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, allowed("map.read")],
) -> JSONResponse:
    """One feature."""
    if collection_id in COMPUTED:
        every = COMPUTED[collection_id].features(
            request, session, principal, dict(request.query_params)
        )
        found = next((f for f in every if f.get("id") == feature_id), None)
        if found is None:
            raise NotFound(f"feature {feature_id} not found in {collection_id}", field="featureId")
        return JSONResponse(found, media_type=GEOJSON)
    c = _collection(collection_id)
    row = session.scalar(_query(c, principal, None, None).where(c.model.id == feature_id))
    if row is None:
        raise NotFound(f"feature {feature_id} not found in {c.id}", field="featureId")
    out = _feature(c, row, _base(request))
    out["links"].append(
        {
            "href": f"{_base(request)}/collections/{c.id}",
            "rel": "collection",
            "type": "application/json",
        }
    )
    return JSONResponse(out, media_type=GEOJSON)
