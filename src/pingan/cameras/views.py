"""Camera endpoints under ``/api/v1``: the registry (list, one, create, edit, retire, import),
the map layers (view sectors, blind spots), the coverage figures and the siting of new cameras.
Thin: reads call the service and ``figures``, changes call the flows."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Path, Query, Request, Response, UploadFile

from pingan.api.deps import SessionDep, allowed, data_dir
from pingan.api.errors import ErrorBody
from pingan.auth.service import Principal
from pingan.cameras import figures, flows, service, siting
from pingan.cameras.models import Camera
from pingan.cameras.schemas import (
    CameraCreate,
    CameraPage,
    CameraRead,
    CameraUpdate,
    FiguresRead,
    ImportReport,
    Owner,
    RetireIn,
    SitingRequest,
    Status,
)
from pingan.errors import Conflict, Invalid
from pingan.geo.bbox import BBoxError, parse_bbox
from pingan.inputs import Id
from pingan.jobs.service import Report, submit
from pingan.jobs.service import get_or_raise as get_job
from pingan.schemas import paginate

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["cameras"], responses=ErrorBody)

MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_SECTORS = 3000


def _lang(request: Request) -> str:
    lang = request.session.get("lang") if "session" in request.scope else None
    lang = lang or request.cookies.get("pingan_lang")
    lang = lang or str(request.app.state.settings.default_language)
    return "en" if lang == "en" else "zh-CN"


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    try:
        return parse_bbox(text)
    except BBoxError as exc:
        raise Invalid("bbox", exc.reason) from None


@router.get("/cameras", operation_id="list_cameras")
def list_cameras(
    session: SessionDep,
    principal: Annotated[Principal, allowed("camera.read")],
    bbox: Annotated[str | None, Query(description="W,S,E,N in WGS-84 degrees")] = None,
    status: Annotated[
        list[Status] | None, Query(description="one or more; default every status but retired")
    ] = None,
    station_id: Id | None = None,
    owner: Owner | None = None,
    code: Annotated[str | None, Query(max_length=64, description="code prefix")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> CameraPage:
    """Cameras in your jurisdiction, filtered by box, status, station, owner or code."""
    q = service.list_query(
        principal=principal,
        bbox=_bbox(bbox),
        status=status or (),
        station_id=station_id,
        owner=owner,
        code=code,
    )
    return paginate(
        session,
        q,
        limit=limit,
        offset=offset,
        to=CameraRead.model_validate,
        page=CameraPage,
        order_by=Camera.id,
    )


@router.get("/cameras/sectors", operation_id="camera_sectors")
def camera_sectors(
    session: SessionDep,
    principal: Annotated[Principal, allowed("camera.read")],
    bbox: Annotated[str, Query(description="W,S,E,N in WGS-84 degrees")],
) -> dict[str, Any]:
    """View sectors (GeoJSON polygons) of the cameras in ``bbox``, for the map at street zoom;
    at most 3,000 (``truncated`` says when more are inside)."""
    q = service.list_query(principal=principal, bbox=_bbox(bbox)).order_by(Camera.id)
    rows = list(session.scalars(q.limit(MAX_SECTORS + 1)))
    out = figures.sectors_geojson(rows[:MAX_SECTORS])
    out["truncated"] = len(rows) > MAX_SECTORS
    return out


@router.get("/cameras/figures", operation_id="camera_figures")
def camera_figures(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, allowed("camera.read")],
    history_days: Annotated[int, Query(ge=1, le=3650)] = 365,
) -> FiguresRead:
    """Per station and key area: cameras (working, down), the share of incidents seen by a
    working camera, the share of road length seen; each figure says how it was made."""
    snap = figures.snapshot(
        session, principal=principal, data_dir=data_dir(request), history_days=history_days
    )
    return figures.figures(snap, lang=_lang(request))


@router.get("/cameras/blind-spots", operation_id="camera_blind_spots")
def camera_blind_spots(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, allowed("camera.read")],
    cell_size_m: Annotated[float, Query(ge=50, le=5000)] = 250.0,
    history_days: Annotated[int, Query(ge=1, le=3650)] = 365,
    limit: Annotated[int, Query(ge=1, le=20_000)] = 2000,
) -> dict[str, Any]:
    """The blind-spot map: square cells weighted by the incidents no working camera sees
    (GeoJSON, most unseen first)."""
    snap = figures.snapshot(
        session, principal=principal, data_dir=data_dir(request), history_days=history_days
    )
    return figures.blind_spots(snap, cell_size_m=cell_size_m, limit=limit)


@router.post(
    "/cameras/siting",
    operation_id="camera_siting",
    responses={
        200: {
            "content": {
                "application/json": {},
                "application/geo+json": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            }
        }
    },
)
def camera_siting(
    request: Request,
    body: SitingRequest,
    session: SessionDep,
    principal: Annotated[Principal, allowed("camera.plan")],
    format: Annotated[Literal["json", "geojson", "xlsx"], Query()] = "json",
) -> Response:
    """Where to put ``n_cameras`` new cameras: candidate sites (junctions and poles: road
    vertices) × headings, maximising the unseen incidents and the incident-weighted unseen road
    length they would see (MCLP); the plan with before and after figures, as JSON, GeoJSON or
    an Excel workbook."""
    snap = figures.snapshot(
        session, principal=principal, data_dir=data_dir(request), history_days=body.history_days
    )
    answer = siting.siting(snap, body)
    if format in ("xlsx", "geojson"):
        return _plan_file(answer, format, _lang(request))
    return Response(json.dumps(answer, ensure_ascii=False), media_type="application/json")


@router.post("/cameras/siting/jobs", status_code=202, operation_id="camera_siting_job")
def camera_siting_job(
    request: Request,
    body: SitingRequest,
    session: SessionDep,
    principal: Annotated[Principal, allowed("camera.plan")],
) -> dict[str, str]:
    """Start the siting of new cameras as a background job (no time cap but the request's
    ``time_limit_s`` for the solver); poll ``/api/v1/jobs/{id}`` for progress, its ``result``
    is the plan as ``POST /cameras/siting`` answers it; the files from
    ``/cameras/siting/jobs/{id}/plan``."""
    engine = request.app.state.engine
    folder = data_dir(request)
    session.commit()  # end the request's write transaction first (SQLite's lock, see jobs)

    def work(report: Report) -> dict[str, Any]:
        return flows.camera_siting_job_flow(engine, principal, body, data_dir=folder, report=report)

    job = submit(
        engine,
        kind="camera_siting",
        params=body.model_dump(mode="json"),
        principal=principal,
        fn=work,
    )
    return {"job_id": job, "status_url": f"/api/v1/jobs/{job}"}


@router.get(
    "/cameras/siting/jobs/{job_id}/plan",
    operation_id="camera_siting_job_plan",
    response_class=Response,
    responses={
        200: {
            "content": {
                "application/geo+json": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            }
        }
    },
)
def camera_siting_job_plan(
    request: Request,
    job_id: Annotated[str, Path(max_length=64)],
    session: SessionDep,
    principal: Annotated[Principal, allowed("camera.plan")],
    format: Annotated[Literal["geojson", "xlsx"], Query()] = "geojson",
) -> Response:
    """A finished siting job's plan as GeoJSON or an Excel workbook."""
    job = get_job(session, principal=principal, job_id=job_id)
    if job.kind != "camera_siting":
        raise Invalid("job_id", f"job {job_id} is a {job.kind} job, not a camera siting")
    if job.status != "done" or not job.result:
        raise Conflict(f"job {job_id} is {job.status}: the plan is there when it is done")
    return _plan_file(json.loads(job.result), format, _lang(request))


def _plan_file(answer: dict[str, Any], format: str, lang: str) -> Response:
    if format == "xlsx":
        return Response(
            siting.plan_xlsx(answer, lang=lang),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": 'attachment; filename="camera-plan.xlsx"'},
        )
    return Response(
        json.dumps(siting.plan_geojson(answer), ensure_ascii=False),
        media_type="application/geo+json",
        headers={"Content-Disposition": 'attachment; filename="camera-plan.geojson"'},
    )


@router.post("/cameras/import", operation_id="import_cameras")
def import_cameras(
    session: SessionDep,
    principal: Annotated[Principal, allowed("camera.write")],
    file: Annotated[UploadFile, File(description="CSV or GeoJSON, at most 20 MiB")],
    format: Annotated[Literal["csv", "geojson"] | None, Form()] = None,
    crs: Annotated[Literal["WGS84", "GCJ02", "BD09"], Form()] = "WGS84",
    dry_run: Annotated[bool, Form()] = False,
) -> ImportReport:
    """Create or update cameras from a file; every rejected row with its field and reason."""
    data = file.file.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise Invalid("file", f"larger than {MAX_IMPORT_BYTES} bytes; split the file")
    name = (file.filename or "").lower()
    fmt = format or ("geojson" if name.endswith((".geojson", ".json")) else "csv")
    return flows.cameras_import_flow(
        session, principal=principal, content=data, fmt=fmt, crs=crs, dry_run=dry_run
    )


@router.get("/cameras/{camera_id}", operation_id="get_camera")
def get_camera(
    camera_id: Id, session: SessionDep, principal: Annotated[Principal, allowed("camera.read")]
) -> CameraRead:
    """One camera."""
    return CameraRead.model_validate(
        service.get_or_raise(session, principal=principal, camera_id=camera_id)
    )


@router.post("/cameras", status_code=201, operation_id="create_camera")
def create_camera(
    body: CameraCreate,
    session: SessionDep,
    principal: Annotated[Principal, allowed("camera.write")],
) -> CameraRead:
    """Register a camera; it belongs to the jurisdiction containing it."""
    return CameraRead.model_validate(
        flows.camera_create_flow(session, principal=principal, data=body)
    )


@router.patch("/cameras/{camera_id}", operation_id="update_camera")
def update_camera(
    camera_id: Id,
    body: CameraUpdate,
    session: SessionDep,
    principal: Annotated[Principal, allowed("camera.write")],
) -> CameraRead:
    """Change a camera (position, view, class, owner, status, premises)."""
    return CameraRead.model_validate(
        flows.camera_update_flow(session, principal=principal, camera_id=camera_id, data=body)
    )


@router.post("/cameras/{camera_id}/retire", operation_id="retire_camera")
def retire_camera(
    camera_id: Id,
    body: RetireIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("camera.write")],
) -> CameraRead:
    """Take a camera off the network, with the reason."""
    return CameraRead.model_validate(
        flows.camera_retire_flow(
            session, principal=principal, camera_id=camera_id, reason=body.reason
        )
    )
