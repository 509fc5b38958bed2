"""Coverage endpoints: unit recommendations for an incident, the coverage report, the siting
run (a background job) and the OGC collections ``coverage-isochrones`` and ``coverage-cells``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, cast

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from pingan.aggregates.cache import cached
from pingan.api.deps import SessionDep, allowed, bbox_param, data_dir
from pingan.api.errors import ErrorBody
from pingan.api.ogc import ComputedCollection, register_collection
from pingan.auth.service import Principal
from pingan.errors import Invalid
from pingan.inputs import Id
from pingan.jobs.service import Report, submit
from pingan.permissions import check
from pingan.rapid_response import basemap, data, flows, service
from pingan.rapid_response.schemas import OptimiseRun, RecommendRequest

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["coverage"], responses=ErrorBody)


def _lang(request: Request) -> str:
    """The caller's page language as the web pages choose it: session, then the language
    cookie, then the configured default (zh-CN); API clients without a session get names in
    the default language."""
    lang = request.session.get("lang") if "session" in request.scope else None
    lang = lang or request.cookies.get("pingan_lang")
    lang = lang or str(request.app.state.settings.default_language)
    return "en" if lang == "en" else "zh-CN"


@router.get("/map/roads", operation_id="map_roads", tags=["map"])
def map_roads(
    request: Request,
    principal: Annotated[Principal, allowed("map.read")],
    bbox: Annotated[str | None, Query(description="W,S,E,N in WGS-84 degrees")] = None,
    zoom: Annotated[float, Query(ge=0, le=24, description="map zoom level")] = 14.0,
) -> dict[str, Any]:
    """The road network for drawing: segments inside ``bbox``, the classes a map at ``zoom``
    shows (major roads below 12, collectors from 12, all streets from 13, lanes and paths from
    14), one MultiLineString per road class, its segments joined into lines and simplified to
    a quarter pixel at ``zoom``. 409 when no road network has been built yet."""
    net = flows.network(data_dir=data_dir(request))
    return service.road_geojson(net, bbox=bbox_param(bbox), zoom=zoom)


@router.get("/map/road-labels", operation_id="map_road_labels", tags=["map"])
def map_road_labels(
    request: Request,
    principal: Annotated[Principal, allowed("map.read")],
    bbox: Annotated[str | None, Query(description="W,S,E,N in WGS-84 degrees")] = None,
    zoom: Annotated[float, Query(ge=0, le=24, description="map zoom level")] = 14.0,
) -> dict[str, Any]:
    """Street names for the map's labels: one simplified LineString per named stretch of
    street inside ``bbox`` (major streets from zoom 12, every street from 15), with ``name``
    in the caller's language. Empty when the road network carries no names; 409 when no road
    network has been built yet."""
    net = flows.network(data_dir=data_dir(request))
    return basemap.street_label_geojson(net, bbox=bbox_param(bbox), zoom=zoom, lang=_lang(request))


@router.get("/map/areas/{layer}", operation_id="map_areas", tags=["map"])
def map_areas(
    layer: str,
    session: SessionDep,
    principal: Annotated[Principal, allowed("map.read")],
    bbox: Annotated[str | None, Query(description="W,S,E,N in WGS-84 degrees")] = None,
) -> dict[str, Any]:
    """One area layer of the maps, lean for drawing: ``districts``, ``stations``,
    ``communities``, ``grid-cells`` or ``key-areas`` in the caller's scope, polygons simplified
    by 1 m, coordinates to 1e-5 degree (about 1 m), only ``name_zh``, ``name_en`` and
    ``parent_id`` (jurisdictions) or ``kind`` (key areas), and the layer's ``bbox`` for the
    first view. The full rows are the OGC collections of the same names."""
    if layer not in data.AREA_LAYERS:
        raise Invalid("layer", f"expected one of {', '.join(data.AREA_LAYERS)}, got {layer!r}")
    box = bbox_param(bbox)
    rows = data.load_area_rows(session, principal=principal, layer=layer)
    return basemap.lean_areas(rows, bbox=box)


@router.get("/map/incidents", operation_id="map_incidents", tags=["map"])
def map_incidents(
    session: SessionDep,
    principal: Annotated[Principal, allowed("map.read")],
    hours: Annotated[
        float, Query(gt=0, le=24 * 31, description="the incidents of the last hours")
    ] = 24.0,
    limit: Annotated[int, Query(ge=1, le=20_000, description="at most (the newest)")] = 5000,
) -> dict[str, Any]:
    """The incidents of the last ``hours`` in the caller's scope as compact points for the
    map: ``id``, the position to 1e-5 degree and ``klass``; the newest ``limit``. The full
    rows are the OGC collection ``incidents``."""
    since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)
    ids, lon, lat, props = data.load_incident_points(
        session, principal=principal, since=since, limit=limit
    )
    return basemap.lean_points(ids, lon, lat, props)


@router.post(
    "/incidents/{incident_id}/recommendations", operation_id="recommend_units_for_incident"
)
def recommend(
    incident_id: Id,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, allowed("unit.recommend")],
    body: RecommendRequest | None = None,
) -> dict[str, Any]:
    """Available units ranked by exact ETA (s) to the incident, with mode, road distance and
    the route as a GeoJSON LineString; drones by flight time. 422 when the incident is far
    from any road (with the distance), when no unit is available, or when no unit can reach
    its road component."""
    return flows.recommend_flow(
        session,
        principal,
        data_dir=data_dir(request),
        incident_id=incident_id,
        body=body or RecommendRequest(),
        lang=_lang(request),
    )


@router.get("/coverage/live", operation_id="live_coverage")
def live_coverage(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, allowed("coverage.read")],
) -> dict[str, Any]:
    """Live 1-3-5 minute coverage for the command center: from the available units where they
    stand now, each grid cell's band (``cells``: ``[id, 1|3|5|0]``, 0 beyond 5 minutes), the
    shares within each standard, the key areas outside their own standard, and up to three
    move-ups (which available unit to send where to restore the most 3-minute coverage, with
    the gain). Recomputed when units change; 409 without a road network."""
    return flows.live_coverage_flow(
        session, principal, data_dir=data_dir(request), lang=_lang(request)
    )


@router.get("/coverage/report", operation_id="coverage_report")
def report(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, allowed("coverage.read")],
    standard: Annotated[str, Query(description="seconds, comma-separated")] = "60,180,300",
    at: Annotated[str | None, Query(description="time of day HH:MM")] = None,
    mode: Annotated[str, Query(description="car, motorcycle or foot")] = "car",
    sources: Annotated[str, Query(description="posts or units")] = "posts",
    drones: Annotated[bool, Query(description="add drones' flight-time coverage")] = False,
    history_days: Annotated[int, Query(ge=1, le=3650)] = 365,
    max_listed: Annotated[int, Query(ge=0, le=10_000)] = 500,
) -> dict[str, Any]:
    """Share of key areas, premises (all and by kind), grid cells (weighted by incidents) and
    historical incidents reached within each standard from today's posts, and the lists of
    what is outside. Kept a minute per scope, parameters and day
    (:mod:`pingan.aggregates.cache`)."""
    standards_s = service.parse_standards(standard)
    at_t = service.parse_at(at)
    mode = service.check_mode(mode)
    lang = _lang(request)
    key = ("coverage-report", principal.jpath, tuple(standards_s), at_t, mode, sources, drones)
    return cast(
        dict[str, Any],
        cached(
            (*key, history_days, lang, max_listed),
            lambda: flows.report_flow(
                session,
                principal,
                data_dir=data_dir(request),
                standards_s=standards_s,
                at=at_t,
                mode=mode,
                sources=sources,
                drones=drones,
                history_days=history_days,
                lang=lang,
                max_listed=max_listed,
            ),
        ),
    )


@router.post("/coverage/optimise", status_code=202, operation_id="coverage_optimise")
def optimise(
    body: OptimiseRun,
    request: Request,
    principal: Annotated[Principal, allowed("coverage.plan")],
    session: SessionDep,
) -> dict[str, str]:
    """Start a siting run (maximal covering, MCLP) as a background job; poll
    ``/api/v1/jobs/{id}`` for progress; its ``result`` is the plan: proposed posts, the
    before/after table and the plan as GeoJSON."""
    if body.keep_existing > body.posts:
        raise Invalid("keep_existing", f"{body.keep_existing} is more than posts {body.posts}")
    engine = request.app.state.engine
    folder = data_dir(request)
    # A POST's session began with BEGIN IMMEDIATE when the caller was looked up, so on SQLite it
    # holds the engine's write lock until it ends; submit() writes the job in a unit of work of
    # its own and would wait for that lock forever (the lock is not re-entrant). End ours first.
    session.commit()

    def work(report: Report) -> dict[str, Any]:
        return flows.optimise_flow(engine, principal, body, data_dir=folder, report=report)

    job = submit(
        engine,
        kind="coverage_optimise",
        params=body.model_dump(mode="json"),
        principal=principal,
        fn=work,
    )
    return {"job_id": job, "status_url": f"/api/v1/jobs/{job}"}


# --------------------------------------------------------------- OGC collections
def _isochrones(
    request: Request, session: Session, principal: Principal, params: dict[str, str]
) -> list[dict[str, Any]]:
    check(principal.role, "coverage.read")
    key = ("coverage-isochrones", principal.jpath, tuple(sorted(params.items())))
    return cast(
        list[dict[str, Any]],
        cached(
            key,
            lambda: flows.isochrones_flow(
                session, principal, data_dir=data_dir(request), params=params
            ),
        ),
    )


def _cells(
    request: Request, session: Session, principal: Principal, params: dict[str, str]
) -> list[dict[str, Any]]:
    check(principal.role, "coverage.read")
    lang = _lang(request)
    key = ("coverage-cells", principal.jpath, tuple(sorted(params.items())), lang)
    return cast(
        list[dict[str, Any]],
        cached(
            key,
            lambda: flows.cells_flow(
                session, principal, data_dir=data_dir(request), params=params, lang=lang
            ),
        ),
    )


register_collection(
    ComputedCollection(
        "coverage-isochrones",
        "Rapid-response areas (1/3/5 minutes)",
        "快反圈",
        _isochrones,
        "Areas reached from today's posts within each standard; query parameters standard "
        "(seconds, comma-separated, default 60,180,300), at (HH:MM), mode (car, motorcycle, "
        "foot), sources (posts, units).",
        params=("standard", "at", "mode", "sources"),
    )
)
register_collection(
    ComputedCollection(
        "coverage-cells",
        "Grid cells: best response time",
        "网格最短到达时间",
        _cells,
        "Each grid cell with the best time from the nearest post to its centre, its incidents "
        "of the last year and whether it is outside the smallest standard; same query "
        "parameters as coverage-isochrones.",
        params=("standard", "at", "mode", "sources"),
    )
)
