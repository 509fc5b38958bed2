"""Patrol-plan endpoints under ``/api/v1/patrols``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from pingan.api.deps import SessionDep, allowed, data_dir
from pingan.api.errors import ErrorBody
from pingan.auth.service import Principal
from pingan.inputs import Day, Id
from pingan.patrols import card, flows, service
from pingan.patrols.schemas import (
    GenerateIn,
    ItemRead,
    ItemUpdate,
    PlanActualRead,
    PlanRead,
    PlanSummary,
    PublishIn,
    item_read,
    plan_summary,
)

router = APIRouter(prefix="/api/v1/patrols", tags=["patrols"], responses=ErrorBody)


@router.get("/plans", operation_id="list_patrol_plans")
def list_plans(
    session: SessionDep,
    principal: Annotated[Principal, allowed("patrol.read")],
    station_id: Id | None = None,
    day: Day | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[PlanSummary]:
    """Patrol plans in your jurisdiction, newest day first."""
    rows = service.list_plans(
        session, principal=principal, station_id=station_id, day=day, limit=limit
    )
    return [plan_summary(p) for p in rows]


@router.post("/plans/generate", status_code=201, operation_id="generate_patrol_plan")
def generate_plan(
    body: GenerateIn,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, allowed("patrol.plan")],
) -> PlanRead:
    """Make (or remake) a station's draft plan for a block: hot cells from the forecast, routes
    for foot teams, cars and drones within their budgets, posts and grid areas."""
    plan = flows.patrol_plan_generate_flow(
        session,
        principal=principal,
        station=body.station_id,
        day=body.day,
        block=body.block,
        data_dir=data_dir(request),
        n_cells=body.n_cells,
        time_limit_s=body.time_limit_s,
    )
    return service.plan_read(session, principal=principal, plan=plan)


@router.get("/plans/{plan_id}", operation_id="get_patrol_plan")
def get_plan(
    plan_id: Id, session: SessionDep, principal: Annotated[Principal, allowed("patrol.read")]
) -> PlanRead:
    """A plan with its points, lines, areas, hot cells and how it was made."""
    plan = service.get_plan_or_raise(session, principal=principal, plan_id=plan_id)
    return service.plan_read(session, principal=principal, plan=plan)


@router.post("/plans/{plan_id}/publish", operation_id="publish_patrol_plan")
def publish_plan(
    plan_id: Id,
    body: PublishIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("patrol.plan")],
) -> PlanSummary:
    """Publish the plan (or take it back to draft)."""
    plan = flows.patrol_plan_publish_flow(
        session, principal=principal, plan_id=plan_id, published=body.published
    )
    return plan_summary(plan)


@router.delete("/plans/{plan_id}", status_code=204, operation_id="delete_patrol_plan")
def delete_plan(
    plan_id: Id, session: SessionDep, principal: Annotated[Principal, allowed("patrol.plan")]
) -> Response:
    """Delete a draft plan (409 when published)."""
    flows.patrol_plan_delete_flow(session, principal=principal, plan_id=plan_id)
    return Response(status_code=204)


@router.get("/plans/{plan_id}/actual", operation_id="patrol_plan_actual")
def plan_actual(
    plan_id: Id, session: SessionDep, principal: Annotated[Principal, allowed("patrol.read")]
) -> PlanActualRead:
    """Planned against actual from the units' position tracks."""
    plan = service.get_plan_or_raise(session, principal=principal, plan_id=plan_id)
    return service.actual_read(session, principal=principal, plan=plan)


@router.get("/plans/{plan_id}/tracks", operation_id="patrol_plan_tracks")
def plan_tracks(
    plan_id: Id, session: SessionDep, principal: Annotated[Principal, allowed("patrol.read")]
) -> dict[str, object]:
    """The block's position tracks of the plan's units (GeoJSON)."""
    plan = service.get_plan_or_raise(session, principal=principal, plan_id=plan_id)
    return service.tracks(session, principal=principal, plan=plan)


@router.patch("/items/{item_id}", operation_id="update_patrol_item")
def update_item(
    item_id: Id,
    body: ItemUpdate,
    session: SessionDep,
    principal: Annotated[Principal, allowed("patrol.plan")],
) -> ItemRead:
    """Assign a unit or an officer of the station to a point, line or area."""
    it = flows.patrol_item_update_flow(
        session,
        principal=principal,
        item_id=item_id,
        resource_id=body.resource_id,
        officer_id=body.officer_id,
        clear_officer=body.clear_officer,
        label=body.label,
    )
    return item_read(it)


@router.get(
    "/items/{item_id}/card.pdf",
    operation_id="patrol_item_card",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def item_card(
    item_id: Id, session: SessionDep, principal: Annotated[Principal, allowed("patrol.read")]
) -> Response:
    """The printable patrol card of one item (A5 PDF)."""
    it, plan = service.get_item_or_raise(session, principal=principal, item_id=item_id)
    pdf = card.card_pdf(session, it, plan)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="patrol-card-{it.id}.pdf"'},
    )
