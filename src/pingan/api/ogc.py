"""OGC API – Features, Part 1 (core, GeoJSON) under ``/api/v1/ogc``.

Collections: incidents, grid-cells, communities, stations, districts, premises, key-areas,
resources and cameras, plus computed collections registered with :func:`register_collection`
(coverage fields and isochrones). ``/items`` takes ``bbox`` (W,S,E,N in WGS-84), ``datetime``
(an RFC 3339 instant or an interval with ``..`` for open ends; a date alone is that whole day in
the bureau's time zone), ``limit`` (≤ 10,000, declared as the parameter's ``maximum``, so
GDAL pages by 10,000; larger is clamped) and ``offset``, and returns a GeoJSON
FeatureCollection with ``numberMatched``, ``numberReturned``, ``timeStamp`` and ``links``
(self, next, prev, collection, URL-encoded), so QGIS, GDAL/OGR and OWSLib read it as it is.
A table's features are counted up to 10,000 (:data:`pingan.incidents.service.COUNT_CAP`):
past that ``numberMatched``, optional in the standard, is left out rather than counted for
seconds at a province's size; the ``next`` links page on as before.
Polygons are wound counter-clockwise (RFC 7946). Each collection has its spatial and temporal
extent and ``/queryables``; every resource is also an HTML page with ``f=html``.

As OGC API Features requires, an unknown query parameter (e.g. ``crs``: only CRS84 is served)
and an invalid value are a 400 with the JSON error body naming the parameter (the error handler
maps 422 to 400 under this prefix). Every query is scoped to the caller's jurisdiction and
bounded by the page size; no personal data is served here.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import shapely
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import Boolean, ColumnElement, DateTime, Float, Integer, Select, and_, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from pingan.aggregates.cache import cached
from pingan.api import ogc_html
from pingan.api.deps import SessionDep, allowed, bbox_param
from pingan.api.errors import OgcErrorBody
from pingan.api.ogc_paging import MAX_OFFSET, after, decode_cursor, encode_cursor
from pingan.auth.service import Principal, scope_clause
from pingan.cameras.models import Camera
from pingan.errors import Invalid, NotFound
from pingan.incidents.models import Incident
from pingan.incidents.service import COUNT_CAP, NARROW_ROWS, Plan, list_query
from pingan.inputs import Id, Offset, check_instant
from pingan.jurisdictions.models import Jurisdiction
from pingan.places.models import KeyArea, Premises
from pingan.resources.models import Resource
from pingan.store.base import count_upto, sorted_not_walked
from pingan.store.planner import custom_plans

MapReader = Annotated[Principal, allowed("map.read")]
router = APIRouter(prefix="/api/v1/ogc", tags=["ogc"], responses=OgcErrorBody)

GEOJSON = "application/geo+json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
MAX_LIMIT = 10_000
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
ITEMS_PARAMS = frozenset({"bbox", "datetime", "limit", "offset", "cursor", "f"})
F = Annotated[Literal["json", "html"] | None, Query(description="json (default) or html")]


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
            (
                "code",
                "name",
                "heading_deg",
                "fov_deg",
                "range_m",
                "status",
                "owner",
                "resolution",
                "station_id",
            ),
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
    params: tuple[str, ...] = ()
    """The collection's own query parameters on ``/items`` (any other is a 400)."""


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
        "crs": [CRS84],
        "links": [
            {"href": f"{base}/collections/{c.id}", "rel": "self", "type": "application/json"},
            {"href": f"{base}/collections/{c.id}/items", "rel": "items", "type": GEOJSON},
            {
                "href": f"{base}/collections/{c.id}/queryables",
                "rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "type": "application/schema+json",
            },
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


def _collection_json(c: Collection, request: Request, extent: Extent | None) -> dict[str, Any]:
    base = _base(request)
    out: dict[str, Any] = {
        "id": c.id,
        "title": c.title,
        "description": f"{c.title_zh} / {c.title}",
        "itemType": "feature",
        "crs": [CRS84],
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
            {
                "href": f"{base}/collections/{c.id}/queryables",
                "rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "type": "application/schema+json",
                "title": f"{c.title} queryables",
            },
        ],
    }
    if extent is not None:
        out["extent"] = {"spatial": {"bbox": [list(extent.bbox)], "crs": CRS84}}
        if c.time_col is not None:
            out["extent"]["temporal"] = {
                "interval": [[_value(extent.start), _value(extent.end)]],
                "trs": GREGORIAN,
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


@dataclass(frozen=True)
class Extent:
    """A collection's extent in the caller's jurisdiction: W,S,E,N and the first and last time
    (None for a collection without time)."""

    bbox: tuple[float, float, float, float]
    start: dt.datetime | None = None
    end: dt.datetime | None = None


def _extent(session: Session, c: Collection, principal: Principal) -> Extent | None:
    cols: tuple[Any, ...]
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
    if c.time_col is not None:
        cols += (func.min(_get(c, c.time_col)), func.max(_get(c, c.time_col)))
    row = session.execute(select(*cols).where(and_(*_scoped(c, principal)))).first()
    if row is None or row[0] is None:
        return None
    w, s, e, n = (float(v) for v in row[:4])
    return Extent((w, s, e, n), *(row[4:6] if c.time_col is not None else ()))


def _parse_instant(text: str, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The first and last moment ``text`` names: one instant, or a whole day for a date alone
    (in ``tz``, the bureau's zone)."""
    try:
        if len(text) == 10:  # a date alone, e.g. 2026-10-02: that whole day
            day = dt.date.fromisoformat(text)
            start = dt.datetime.combine(day, dt.time(), tz)
            return check_instant(start), check_instant(
                start + dt.timedelta(days=1, microseconds=-1)
            )
        t = dt.datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
        t = check_instant(t if t.tzinfo else t.replace(tzinfo=dt.UTC))
    except (ValueError, OverflowError) as exc:
        reason = str(exc) if "must lie" in str(exc) else "is not an RFC 3339 date-time or date"
        raise Invalid("datetime", f"{text!r} {reason}") from None
    return t, t


def parse_datetime(
    value: str | None, tz: dt.tzinfo = dt.UTC
) -> tuple[dt.datetime | None, dt.datetime | None] | None:
    """An instant, a date (that whole day in ``tz``) or an interval ``start/end`` with ``..``
    (or empty) for an open end; returns the first and last moment included."""
    if value is None or value == "":
        return None
    if "/" in value:
        a, b = value.split("/", 1)
        start = None if a in ("", "..") else _parse_instant(a, tz)[0]
        end = None if b in ("", "..") else _parse_instant(b, tz)[1]
        if start and end and end < start:
            raise Invalid("datetime", "the interval ends before it starts")
        return (start, end)
    return _parse_instant(value, tz)


def _query(
    c: Collection,
    principal: Principal,
    bbox: tuple[float, ...] | None,
    when: tuple[dt.datetime | None, dt.datetime | None] | None,
    *,
    plan: Plan = "count",
) -> Select[Any]:
    """The collection's rows in the caller's scope, bbox and time; incidents searched by the
    ``plan`` their list uses (:func:`pingan.incidents.service.list_query`)."""
    if when is not None and c.time_col is None:
        raise Invalid("datetime", f"the collection {c.id!r} has no time dimension")
    if c.model is Incident:
        since, until = when or (None, None)
        box = (bbox[0], bbox[1], bbox[2], bbox[3]) if bbox is not None else None
        listed = list_query(principal, since=since, until=until, bbox=box, plan=plan)
        return select(Incident).where(listed.whereclause)  # type: ignore[arg-type]
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
    if when is not None and c.time_col is not None:
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


_CCW_KEPT: OrderedDict[int, tuple[dict[str, Any], dict[str, Any]]] = OrderedDict()
_CCW_LOCK = threading.Lock()
CCW_KEPT_MAX = 16_384


def ccw(geometry: dict[str, Any] | None) -> dict[str, Any] | None:
    """A GeoJSON geometry with polygon exteriors counter-clockwise and holes clockwise (RFC
    7946 §3.1.6); other geometries unchanged. The answer for the very same geometry object is
    kept (up to :data:`CCW_KEPT_MAX`, least recently used out): the computed collections serve
    the same cached features again and again (3,000 grid cells took 0.5-2 s a request)."""
    if geometry is None or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        return geometry
    key = id(geometry)
    with _CCW_LOCK:
        hit = _CCW_KEPT.get(key)
        if hit is not None and hit[0] is geometry:
            _CCW_KEPT.move_to_end(key)
            return hit[1]
    g = shapely.orient_polygons(shapely.from_geojson(json.dumps(geometry)))
    out: dict[str, Any] = json.loads(shapely.to_geojson(g))
    with _CCW_LOCK:  # the geometry is held, so its id is not reused while kept
        _CCW_KEPT[key] = (geometry, out)
        while len(_CCW_KEPT) > CCW_KEPT_MAX:
            _CCW_KEPT.popitem(last=False)
    return out


def _feature_columns(c: Collection) -> list[str]:
    """The columns :func:`_feature` reads, each once: id, geometry, properties, sort key."""
    geometry = ("lon", "lat") if c.kind == "point" else ("geometry",)
    return list(dict.fromkeys(("id", *geometry, *c.properties, *c.order)))


def _feature(c: Collection, row: Any, base: str) -> dict[str, Any]:
    if c.kind == "point":
        geom: dict[str, Any] | None = {"type": "Point", "coordinates": [row.lon, row.lat]}
    else:
        geom = ccw(json.loads(row.geometry)) if row.geometry else None
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


def only(request: Request, allowed: Iterable[str]) -> None:
    """``Invalid`` (a 400 here) naming the first query parameter not in ``allowed``: OGC API
    Features refuses what it does not understand rather than ignoring it."""
    known = set(allowed)
    for name in request.query_params:
        if name in known:
            continue
        if name in ("crs", "bbox-crs"):
            raise Invalid(name, "only CRS84 (WGS-84 longitude, latitude) is served; leave it out")
        raise Invalid(
            name, f"unknown query parameter; this resource takes {', '.join(sorted(known))}"
        )


_CHUNK = 500
"""Features encoded per ``json.dumps`` call: the C encoder holds the GIL for a whole call (a
10,000-feature page in one call stalled the worker's other threads, its health-check answer
among them, for 0.7 s under load); between chunks the other threads run."""


class _Encoded(list[Any]):
    """A page of features already encoded: ``text`` is the JSON array's inner text (the list
    itself holds the features, for their count and the HTML page)."""

    text: str = ""


_ENCODED: OrderedDict[tuple[int, int, int], tuple[list[dict[str, Any]], _Encoded]] = OrderedDict()
ENCODED_KEPT_MAX = 16


def _encoded_page(every: list[dict[str, Any]], offset: int, limit: int) -> _Encoded:
    """A page of a computed collection's features, polygons oriented and encoded as JSON; kept
    for the very same list of features (the computed collections answer from their caches, and
    encoding the 3,000 coverage cells took 0.16-0.2 s of the GIL a request under load)."""
    key = (id(every), offset, limit)
    with _CCW_LOCK:
        hit = _ENCODED.get(key)
        if hit is not None and hit[0] is every:
            _ENCODED.move_to_end(key)
            return hit[1]
    page = _Encoded(
        {**g, "geometry": ccw(g.get("geometry"))} for g in every[offset : offset + limit]
    )
    page.text = ",".join(_dumps(page[i : i + _CHUNK])[1:-1] for i in range(0, len(page), _CHUNK))
    with _CCW_LOCK:  # the list is held, so its id is not reused while kept
        _ENCODED[key] = (every, page)
        while len(_ENCODED) > ENCODED_KEPT_MAX:
            _ENCODED.popitem(last=False)
    return page


def _answer(
    request: Request, f: str | None, body: dict[str, Any], *, media_type: str = "application/json"
) -> Response:
    if f == "html":
        return HTMLResponse(ogc_html.page(body))
    features = body.get("features")
    if isinstance(features, _Encoded):
        rest = {k: v for k, v in body.items() if k != "features"}
        text = _dumps(rest)[:-1] + ',"features":[' + features.text + "]}"
        return Response(text.encode(), media_type=media_type)
    if not isinstance(features, list) or len(features) <= _CHUNK:
        return JSONResponse(body, media_type=media_type)
    rest = {k: v for k, v in body.items() if k != "features"}
    parts = [_dumps(rest)[:-1], ',"features":[']
    for i in range(0, len(features), _CHUNK):
        parts.append(("," if i else "") + _dumps(features[i : i + _CHUNK])[1:-1])
    parts.append("]}")
    return Response("".join(parts).encode(), media_type=media_type)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _zone(request: Request) -> dt.tzinfo:
    settings = getattr(request.app.state, "settings", None)
    return ZoneInfo(getattr(settings, "timezone", "Asia/Shanghai"))


@router.get("", operation_id="ogc_landing_page", response_class=JSONResponse)
def landing(request: Request, _: MapReader, f: F = None) -> Any:
    """The OGC API landing page."""
    only(request, {"f"})
    base = _base(request)
    root = str(request.base_url).rstrip("/")
    body = {
        "title": "pingan 平安 — OGC API Features",
        "description": "Incidents, jurisdictions, places and forces of the bureau, scoped to "
        "the caller's jurisdiction.",
        "links": [
            {"href": base, "rel": "self", "type": "application/json", "title": "this document"},
            {
                "href": f"{base}?f=html",
                "rel": "alternate",
                "type": "text/html",
                "title": "this document as HTML",
            },
            {
                "href": f"{root}/api/v1/openapi.json",
                "rel": "service-desc",
                "type": "application/vnd.oai.openapi+json;version=3.1",
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
    return _answer(request, f, body)


@router.get("/conformance", operation_id="ogc_conformance", response_class=JSONResponse)
def conformance(request: Request, _: MapReader, f: F = None) -> Any:
    """The conformance classes implemented."""
    only(request, {"f"})
    return _answer(request, f, {"title": "Conformance", "conformsTo": CONFORMANCE})


@router.get("/collections", operation_id="ogc_collections", response_class=JSONResponse)
def collections(request: Request, session: SessionDep, principal: MapReader, f: F = None) -> Any:
    """Every collection with its spatial (and temporal) extent in your jurisdiction."""
    only(request, {"f"})
    base = _base(request)
    body = {
        "title": "Collections",
        "links": [{"href": f"{base}/collections", "rel": "self", "type": "application/json"}],
        "collections": [
            _collection_json(c, request, _extent(session, c, principal))
            for c in COLLECTIONS.values()
        ]
        + [_computed_json(c, request) for c in COMPUTED.values()],
    }
    return _answer(request, f, body)


@router.get(
    "/collections/{collection_id}", operation_id="ogc_collection", response_class=JSONResponse
)
def collection(
    collection_id: str, request: Request, session: SessionDep, principal: MapReader, f: F = None
) -> Any:
    """One collection's description."""
    only(request, {"f"})
    if collection_id in COMPUTED:
        return _answer(request, f, _computed_json(COMPUTED[collection_id], request))
    c = _collection(collection_id)
    return _answer(request, f, _collection_json(c, request, _extent(session, c, principal)))


def _json_type(column: Any) -> dict[str, Any]:
    t = column.type
    if isinstance(t, Boolean):
        return {"type": "boolean"}
    if isinstance(t, Integer):
        return {"type": "integer"}
    if isinstance(t, Float):
        return {"type": "number"}
    if isinstance(t, DateTime) or isinstance(getattr(t, "impl", None), DateTime):
        return {"type": "string", "format": "date-time"}
    return {"type": "string"}


@router.get(
    "/collections/{collection_id}/queryables",
    operation_id="ogc_queryables",
    response_class=JSONResponse,
    responses={200: {"content": {"application/schema+json": {}}, "description": "JSON Schema"}},
)
def queryables(collection_id: str, request: Request, principal: MapReader, f: F = None) -> Any:
    """The properties of a collection's features, as a JSON Schema (OGC API Features Part 3):
    what a client may show, style or filter on (filters here: ``bbox`` and ``datetime``)."""
    only(request, {"f"})
    url = f"{_base(request)}/collections/{collection_id}/queryables"
    props: dict[str, Any] = {}
    if collection_id in COMPUTED:
        title = COMPUTED[collection_id].title
        props["geometry"] = {"format": "geometry-polygon"}
    else:
        c = _collection(collection_id)
        title = c.title
        props["geometry"] = {"format": f"geometry-{c.kind}"}
        for name in c.properties:
            props[name] = {"title": name, **_json_type(_get(c, name).property.columns[0])}
    body = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url,
        "type": "object",
        "title": title,
        "properties": props,
        "additionalProperties": False,
    }
    return _answer(request, f, body, media_type="application/schema+json")


AREA_COLLECTIONS = frozenset({"districts", "stations", "communities", "grid-cells"})
"""Jurisdiction polygons: pages of them are kept a minute per scope and query
(:mod:`pingan.aggregates.cache`); the maps of /analysis and /command load them on each view."""


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
    principal: MapReader,
    bbox: Annotated[str | None, Query(description="W,S,E,N in WGS-84 degrees")] = None,
    datetime: Annotated[
        str | None,
        Query(description="an instant, a date (that whole day) or start/end, '..' open"),
    ] = None,
    limit: Annotated[
        int,
        Query(
            ge=1,
            json_schema_extra={"maximum": MAX_LIMIT},
            description=f"page size, at most {MAX_LIMIT} (larger is clamped)",
        ),
    ] = 100,
    offset: Annotated[
        Offset,
        Query(
            description=f"rows to skip, at most {MAX_OFFSET:,}; deeper pages: follow the next "
            "link (its cursor seeks the index, the same cost at any depth)"
        ),
    ] = 0,
    cursor: Annotated[
        str | None,
        Query(max_length=200, description="where the page starts: the next link's, opaque"),
    ] = None,
    f: F = None,
) -> Any:
    """Features of a collection in your jurisdiction, filtered by bbox and datetime, paged by
    the ``next`` links' cursor (:mod:`pingan.api.ogc_paging`) or by ``offset``.
    Computed collections (coverage) take their own query parameters, e.g. ``standard``."""
    limit = min(limit, MAX_LIMIT)  # OGC API: a larger limit is clamped, not refused
    if offset > MAX_OFFSET:
        raise Invalid(
            "offset",
            f"at most {MAX_OFFSET}; for deeper pages follow the next links (their cursor)",
        )
    if cursor is not None and offset:
        raise Invalid("offset", "give offset or cursor, not both")
    last: list[Any] | None = None  # the sort key of the page's last row (keyset collections)
    base = _base(request)
    cid = collection_id
    if collection_id in COMPUTED:
        computed = COMPUTED[collection_id]
        only(request, ITEMS_PARAMS | set(computed.params))
        box = bbox_param(bbox)
        if datetime:
            raise Invalid("datetime", f"the collection {collection_id!r} has no time dimension")
        if cursor is not None:
            raise Invalid("cursor", "this collection is paged by offset")
        own = {k: v for k, v in request.query_params.items() if k in computed.params}
        every = computed.features(request, session, principal, own)
        if box is not None:
            every = [g for g in every if _in_bbox(g, box)]
        matched: int | None = len(every)
        total = len(every)
        feats: list[dict[str, Any]]
        if f != "html" and box is None:  # the same cached features: encoded once
            feats = _encoded_page(every, offset, limit)
        else:
            feats = [
                {**g, "geometry": ccw(g.get("geometry"))} for g in every[offset : offset + limit]
            ]
        more = offset + len(feats) < total
    else:
        only(request, ITEMS_PARAMS)
        c = _collection(collection_id)
        box, when = bbox_param(bbox), parse_datetime(datetime, _zone(request))

        columns = [_get(c, o) for o in c.order]
        kinds = ["time" if o == c.time_col else "id" for o in c.order]
        start = decode_cursor(cursor, kinds) if cursor is not None else None

        def page() -> tuple[int | None, list[dict[str, Any]], list[Any] | None, bool]:
            custom_plans(session.connection())  # a bbox and time range: planned with them
            n = count_upto(session, _query(c, principal, box, when), COUNT_CAP)
            plan: Plan = "wide" if n > NARROW_ROWS else "narrow"
            q = _query(c, principal, box, when, plan=plan)
            # timed collections newest first (ties by id, also descending: one index order)
            desc = c.time_col is not None
            if start is not None:
                q = q.where(after(columns, start, descending=desc))
            keys: list[Any] = list(columns)
            if plan == "narrow" and desc and c.model is Incident:  # few: found, then sorted
                keys[0] = sorted_not_walked(keys[0])
            order = [col.desc() if desc else col for col in keys]
            # only the columns a feature shows (ORM objects cost 2-3x the time of the rows for
            # a page of 10,000); one row more than the page: whether a next page exists
            q = q.with_only_columns(*[_get(c, n) for n in _feature_columns(c)])
            rows = session.execute(q.order_by(*order).limit(limit + 1).offset(offset)).all()
            more, rows = len(rows) > limit, rows[:limit]
            end = [getattr(rows[-1], o) for o in c.order] if rows else None
            matched = n if n <= COUNT_CAP else None  # past the cap: not said (it is optional)
            return matched, [_feature(c, r, base) for r in rows], end, more

        if cid in AREA_COLLECTIONS:  # polygons that change seldom: kept a minute
            key = ("ogc", cid, principal.jpath, bbox, limit, offset, cursor, base)
            matched, feats, last, more = cached(key, page)
        else:
            matched, feats, last, more = page()

    def link(
        rel: str, off: int, fmt: str | None = None, *, at: str | None = None
    ) -> dict[str, Any]:
        params = [
            (k, v)
            for k, v in request.query_params.multi_items()
            if k not in ("offset", "limit", "f", "cursor")
        ]
        params += [("cursor", at)] if at is not None else [("offset", str(off))]
        params.append(("limit", str(limit)))
        if fmt == "html":
            params.append(("f", "html"))
        kind = "text/html" if fmt == "html" else GEOJSON
        return {
            "href": f"{base}/collections/{cid}/items?{urlencode(params)}",
            "rel": rel,
            "type": kind,
        }

    links = [
        link("self", offset, f, at=cursor),
        link("alternate", offset, "json" if f == "html" else "html", at=cursor),
        {"href": f"{base}/collections/{cid}", "rel": "collection", "type": "application/json"},
    ]
    if more:  # a table's rows: the next page after this one's last key; computed: by offset
        nxt = encode_cursor(last) if last is not None else None
        links.append(link("next", offset + limit, f, at=nxt))
    if offset > 0:
        links.append(link("prev", max(0, offset - limit), f))
    body: dict[str, Any] = {"type": "FeatureCollection", "features": feats}
    if matched is not None:
        body["numberMatched"] = matched
    body |= {
        "numberReturned": len(feats),
        "timeStamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "links": links,
    }
    return _answer(request, f, body, media_type=GEOJSON)


@router.get(
    "/collections/{collection_id}/items/{feature_id}",
    operation_id="ogc_item",
    response_class=JSONResponse,
    responses={200: {"content": {GEOJSON: {}}, "description": "one GeoJSON feature"}},
)
def item(
    collection_id: str,
    feature_id: Id,
    request: Request,
    session: SessionDep,
    principal: MapReader,
    f: F = None,
) -> Any:
    """One feature."""
    if collection_id in COMPUTED:
        computed = COMPUTED[collection_id]
        only(request, {"f", *computed.params})
        own = {k: v for k, v in request.query_params.items() if k in computed.params}
        every = computed.features(request, session, principal, own)
        found = next((g for g in every if g.get("id") == feature_id), None)
        if found is None:
            raise NotFound(f"feature {feature_id} not found in {collection_id}", field="featureId")
        return _answer(
            request, f, {**found, "geometry": ccw(found.get("geometry"))}, media_type=GEOJSON
        )
    only(request, {"f"})
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
    return _answer(request, f, out, media_type=GEOJSON)
