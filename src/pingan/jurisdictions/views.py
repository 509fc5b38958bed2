"""Jurisdiction endpoints under ``/api/v1/jurisdictions``."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from pingan.api.deps import SessionDep, allowed
from pingan.api.errors import ErrorBody
from pingan.auth.service import Principal, scope_clause
from pingan.errors import Invalid, NotFound
from pingan.inputs import Id
from pingan.jurisdictions import service
from pingan.jurisdictions.models import Jurisdiction
from pingan.jurisdictions.schemas import (
    AssignIn,
    AssignOut,
    JurisdictionCreate,
    JurisdictionRead,
    JurisdictionUpdate,
)
from pingan.schemas import Page, paginate

router = APIRouter(prefix="/api/v1/jurisdictions", tags=["jurisdictions"], responses=ErrorBody)


class JurisdictionPage(Page[JurisdictionRead]):
    """A page of jurisdictions (without their polygons)."""


def _read(j: Jurisdiction, *, with_geometry: bool = False) -> JurisdictionRead:
    data = {f: getattr(j, f) for f in JurisdictionRead.model_fields if f != "geometry"}
    geom = json.loads(j.geometry) if with_geometry and j.geometry else None
    return JurisdictionRead(**data, geometry=geom)


@router.get("", operation_id="list_jurisdictions")
def list_jurisdictions(
    session: SessionDep,
    principal: Annotated[Principal, allowed("jurisdiction.read")],
    level: str | None = None,
    parent_code: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> JurisdictionPage:
    """Jurisdictions in your scope (your own and everything under it)."""
    q = select(Jurisdiction).where(scope_clause(principal, Jurisdiction.path))
    if level:
        service.level_rank(level)
        q = q.where(Jurisdiction.level == level)
    if parent_code:
        parent = service.get_by_code(session, parent_code)
        if parent is None:
            raise Invalid("parent_code", f"no jurisdiction {parent_code!r}")
        q = q.where(Jurisdiction.parent_id == parent.id)
    return paginate(
        session,
        q,
        limit=limit,
        offset=offset,
        to=_read,
        page=JurisdictionPage,
        order_by=Jurisdiction.path,
    )


@router.get("/{jurisdiction_id}", operation_id="get_jurisdiction")
def get_jurisdiction(
    jurisdiction_id: Id,
    session: SessionDep,
    principal: Annotated[Principal, allowed("jurisdiction.read")],
) -> JurisdictionRead:
    """One jurisdiction with its polygon (GeoJSON)."""
    j = session.get(Jurisdiction, jurisdiction_id)
    if j is None or not principal.can_see(j.path):
        raise NotFound(
            f"jurisdiction {jurisdiction_id} does not exist or is outside your jurisdiction"
        )
    return _read(j, with_geometry=True)


@router.post("", status_code=201, operation_id="create_jurisdiction")
def create_jurisdiction(
    body: JurisdictionCreate,
    session: SessionDep,
    principal: Annotated[Principal, allowed("jurisdiction.create")],
) -> JurisdictionRead:
    """Create a jurisdiction with its polygon (administrators). An unclosed ring, a
    self-intersection or out-of-range coordinates are refused naming ``geometry``."""
    site = (
        (body.site_lon, body.site_lat)
        if body.site_lon is not None and body.site_lat is not None
        else None
    )
    j = service.create(
        session,
        actor=principal.actor,
        code=body.code,
        level=body.level,
        name_zh=body.name_zh,
        name_en=body.name_en,
        parent_code=body.parent_code,
        geometry=body.geometry,
        site=site,
    )
    if body.owner_username:
        service.set_owner(session, actor=principal.actor, cell=j, username=body.owner_username)
    session.commit()
    return _read(j, with_geometry=True)


@router.patch("/{jurisdiction_id}", operation_id="update_jurisdiction")
def update_jurisdiction(
    jurisdiction_id: Id,
    body: JurisdictionUpdate,
    session: SessionDep,
    principal: Annotated[Principal, allowed("jurisdiction.update")],
) -> JurisdictionRead:
    """Rename, or give a grid cell its owning community officer (administrators and the
    station chief of the cell)."""
    j = session.get(Jurisdiction, jurisdiction_id)
    if j is None or not principal.can_see(j.path):
        raise NotFound(
            f"jurisdiction {jurisdiction_id} does not exist or is outside your jurisdiction"
        )
    from pingan.audit.service import record

    changes = body.model_dump(exclude_unset=True, exclude={"owner_username"})
    for k, v in changes.items():
        setattr(j, k, v)
    if changes:
        record(
            session,
            actor=principal.actor,
            action="update",
            entity="jurisdiction",
            entity_id=j.id,
            jpath=j.path,
            detail=changes,
        )
    if body.owner_username:
        service.set_owner(session, actor=principal.actor, cell=j, username=body.owner_username)
    session.commit()
    return _read(j)


@router.post("/assign", operation_id="assign_points")
def assign(
    body: AssignIn, session: SessionDep, _: Annotated[Principal, allowed("map.read")]
) -> AssignOut:
    """Assign up to 100,000 points at once to the finest jurisdiction containing each; points
    outside every polygon are listed in ``outside``, never dropped."""
    if len(body.lon) != len(body.lat):
        raise Invalid("lat", f"{len(body.lat)} latitudes for {len(body.lon)} longitudes")
    try:
        res = service.assign_points(session, body.lon, body.lat)
    except ValueError as exc:
        raise Invalid("lon", str(exc).split(": ", 1)[-1]) from None
    ids = [int(i) for i in res.jurisdiction_id.tolist()]
    codes = (
        dict(
            session.execute(
                select(Jurisdiction.id, Jurisdiction.code).where(
                    Jurisdiction.id.in_(sorted({i for i in ids if i > 0}))
                )
            ).all()
        )
        if ids
        else {}
    )
    return AssignOut(
        jurisdiction_id=[i if i > 0 else None for i in ids],
        code=[codes.get(i) for i in ids],
        outside=[int(i) for i in res.outside.tolist()],
    )
