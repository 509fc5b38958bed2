"""Star-rating endpoints: a premises' rating explained, its sign as PDF, the rated list, the
annual five-star list, computing, revoking and recording security features. Thin: reads call
the service, changes call the flows."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from pingan.api.deps import SessionDep, allowed
from pingan.api.errors import ErrorBody
from pingan.auth.service import Principal
from pingan.places.service import get_premises_or_raise
from pingan.ratings import export, flows, hazards, service, signs
from pingan.ratings.schemas import (
    AwardsRead,
    ComputeRead,
    ComputeRequest,
    FeatureSet,
    HazardCreate,
    HazardPage,
    HazardRead,
    HazardUpdate,
    RatedPage,
    RatingRead,
    RevokeRequest,
    hazard_read,
    rated_row,
    rating_read,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["ratings"], responses=ErrorBody)

MAX_ID = 2**31 - 1
PremisesId = Annotated[int, Path(ge=1, le=MAX_ID, description="a premises id")]


@router.get("/premises/{premises_id}/rating", operation_id="get_premises_rating")
def get_rating(
    premises_id: PremisesId,
    session: SessionDep,
    principal: Annotated[Principal, allowed("rating.read")],
) -> RatingRead:
    """The premises' current star rating, every item with its points, maximum and evidence."""
    r = service.current_rating(session, principal=principal, premises_id=premises_id)
    p = get_premises_or_raise(session, principal=principal, premises_id=premises_id)
    return rating_read(r, p)


@router.get(
    "/premises/{premises_id}/rating/sign.pdf",
    operation_id="get_premises_rating_sign",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def get_sign(
    premises_id: PremisesId,
    session: SessionDep,
    principal: Annotated[Principal, allowed("rating.read")],
    size: Annotated[Literal["A4", "A3"], Query(description="paper size")] = "A4",
) -> Response:
    """The print-ready sign (colour, stars, name, station, valid-until, QR code) as PDF."""
    r = service.current_rating(session, principal=principal, premises_id=premises_id)
    p = get_premises_or_raise(session, principal=principal, premises_id=premises_id)
    pdf = signs.sign_pdf(session, r, p, size=size)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="sign-{p.code}.pdf"'},
    )


@router.post("/premises/{premises_id}/rating/compute", operation_id="refresh_premises_rating")
def refresh_rating(
    premises_id: PremisesId,
    session: SessionDep,
    principal: Annotated[Principal, allowed("premises.feature")],
) -> RatingRead:
    """Rate this premises again now, on the latest evidence (audited)."""
    r = flows.rating_refresh_flow(session, principal=principal, premises_id=premises_id)
    p = get_premises_or_raise(session, principal=principal, premises_id=premises_id)
    return rating_read(r, p)


@router.post("/premises/{premises_id}/rating/revoke", operation_id="revoke_premises_rating")
def revoke_rating(
    premises_id: PremisesId,
    body: RevokeRequest,
    session: SessionDep,
    principal: Annotated[Principal, allowed("rating.manage")],
) -> RatingRead:
    """Revoke the current rating: its signs (and older ones) show 「已撤销」."""
    r = flows.rating_revoke_flow(
        session, principal=principal, premises_id=premises_id, reason=body.reason
    )
    p = get_premises_or_raise(session, principal=principal, premises_id=premises_id)
    return rating_read(r, p)


@router.put("/premises/{premises_id}/features/{code}", operation_id="set_premises_feature")
def set_feature(
    premises_id: PremisesId,
    code: Annotated[str, Path(max_length=40)],
    body: FeatureSet,
    session: SessionDep,
    principal: Annotated[Principal, allowed("premises.feature")],
) -> dict[str, object]:
    """Record whether the premises has a security feature (staffed gate, lighting, …)."""
    f = flows.feature_set_flow(
        session,
        principal=principal,
        premises_id=premises_id,
        code=code,
        present=body.present,
        note=body.note,
    )
    return {"premises_id": premises_id, "code": f.code, "present": f.present, "note": f.note}


@router.get("/ratings", operation_id="list_ratings")
def list_ratings(
    session: SessionDep,
    principal: Annotated[Principal, allowed("rating.read")],
    kind: Annotated[str | None, Query(max_length=32)] = None,
    stars: Annotated[int | None, Query(ge=1, le=5)] = None,
    colour: Annotated[Literal["red", "yellow", "green"] | None, Query()] = None,
    station_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> RatedPage:
    """Premises in your jurisdiction with their current rating, best first."""
    total, rows = service.list_rated(
        session,
        principal=principal,
        kind=kind,
        stars=stars,
        colour=colour,
        station_id=station_id,
        limit=limit,
        offset=offset,
    )
    return RatedPage(
        total=total, limit=limit, offset=offset, items=[rated_row(r, p) for r, p in rows]
    )


@router.post("/ratings/compute", operation_id="compute_ratings")
def compute_ratings(
    body: ComputeRequest,
    session: SessionDep,
    principal: Annotated[Principal, allowed("rating.manage")],
) -> ComputeRead:
    """Rate every premises of your jurisdiction (or one station) now (audited)."""
    out = flows.ratings_compute_flow(session, principal=principal, station_code=body.station)
    return ComputeRead(
        criteria_version=out.criteria_version,
        rated=out.rated,
        stars={str(k): v for k, v in out.stars.items()},
        computed_at=out.computed_at,
    )


@router.get("/ratings/awards", operation_id="list_rating_awards")
def list_awards(
    session: SessionDep,
    principal: Annotated[Principal, allowed("rating.read")],
    year: Annotated[int, Query(ge=2000, le=2100)],
    station: Annotated[str | None, Query(max_length=64, description="a station code")] = None,
) -> AwardsRead:
    """The annual five-star list per station."""
    return service.awards_read(session, principal=principal, year=year, station_code=station)


@router.get(
    "/ratings/awards.xlsx",
    operation_id="export_rating_awards",
    response_class=Response,
    responses={200: {"content": {"application/vnd.ms-excel": {}}}},
)
def export_awards(
    session: SessionDep,
    principal: Annotated[Principal, allowed("rating.read")],
    year: Annotated[int, Query(ge=2000, le=2100)],
    station: Annotated[str | None, Query(max_length=64, description="a station code")] = None,
) -> Response:
    """The annual five-star list as an Excel workbook."""
    awards = service.awards_read(session, principal=principal, year=year, station_code=station)
    return Response(
        export.awards_xlsx(awards),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="five-star-{year}.xlsx"'},
    )


@router.post("/hazards", operation_id="create_hazard", status_code=201)
def create_hazard(
    body: HazardCreate,
    session: SessionDep,
    principal: Annotated[Principal, allowed("premises.feature")],
) -> HazardRead:
    """Record a traffic, fire or public-order hazard point or segment."""
    return hazard_read(flows.hazard_create_flow(session, principal=principal, data=body))


@router.get("/hazards", operation_id="list_hazards")
def list_hazards(
    session: SessionDep,
    principal: Annotated[Principal, allowed("rating.read")],
    level: Annotated[Literal["station", "district", "city"] | None, Query()] = None,
    status: Annotated[Literal["open", "rectifying", "closed"] | None, Query()] = None,
    category: Annotated[Literal["traffic", "fire", "public_order"] | None, Query()] = None,
    premises_id: Annotated[
        int | None,
        Query(ge=1, le=MAX_ID, description="hazards linked to this premises or within 100 m"),
    ] = None,
    rank: Annotated[
        Literal["deadline", "incidents"],
        Query(
            description="incidents: the hazards touching most incidents (100 m, 12 months) first"
        ),
    ] = "deadline",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> HazardPage:
    """The hazard board: hazards in your jurisdiction per level, with the incidents they touch."""
    near = None
    if premises_id is not None:
        near = get_premises_or_raise(session, principal=principal, premises_id=premises_id)
    if rank == "incidents":
        total, rows = hazards.list_hazards(
            session,
            principal=principal,
            level=level,
            status=status,
            category=category,
            near=near,
            limit=10_000,
            offset=0,
        )
        counts = hazards.incidents_touching(session, rows)
        order = sorted(range(len(rows)), key=lambda i: (-counts[i], rows[i].id))
        page = order[offset : offset + limit]
        items = [hazard_read(rows[i], counts[i]) for i in page]
    else:
        total, rows = hazards.list_hazards(
            session,
            principal=principal,
            level=level,
            status=status,
            category=category,
            near=near,
            limit=limit,
            offset=offset,
        )
        counts = hazards.incidents_touching(session, rows)
        items = [hazard_read(h, c) for h, c in zip(rows, counts, strict=True)]
    return HazardPage(total=total, limit=limit, offset=offset, items=items)


@router.patch("/hazards/{hazard_id}", operation_id="update_hazard")
def update_hazard(
    hazard_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    body: HazardUpdate,
    session: SessionDep,
    principal: Annotated[Principal, allowed("premises.feature")],
) -> HazardRead:
    """Change a hazard's owner, deadline or status (open or rectifying)."""
    return hazard_read(
        flows.hazard_update_flow(session, principal=principal, hazard_id=hazard_id, data=body)
    )


@router.post("/hazards/{hazard_id}/close", operation_id="close_hazard")
def close_hazard(
    hazard_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    principal: Annotated[Principal, allowed("hazard.close")],
) -> HazardRead:
    """Close a rectified hazard."""
    return hazard_read(flows.hazard_close_flow(session, principal=principal, hazard_id=hazard_id))
