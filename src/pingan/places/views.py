"""Premises and key-area endpoints under ``/api/v1``."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from pingan.api.deps import SessionDep, allowed
from pingan.api.errors import ErrorBody
from pingan.auth.service import Principal, get_scoped, scope_clause
from pingan.inputs import Id
from pingan.masking import mask_name, mask_phone
from pingan.places import service
from pingan.places.models import KeyArea, Premises
from pingan.places.schemas import (
    KeyAreaCreate,
    KeyAreaRead,
    PremisesCreate,
    PremisesRead,
    PremisesUpdate,
)
from pingan.schemas import Page, RevealIn, paginate

router = APIRouter(prefix="/api/v1", tags=["places"], responses=ErrorBody)


class PremisesPage(Page[PremisesRead]):
    """A page of premises."""


class KeyAreaPage(Page[KeyAreaRead]):
    """A page of key areas (without their polygons)."""


def _key_area(k: KeyArea, *, with_geometry: bool = False) -> KeyAreaRead:
    data = {f: getattr(k, f) for f in KeyAreaRead.model_fields if f != "geometry"}
    return KeyAreaRead(**data, geometry=json.loads(k.geometry) if with_geometry else None)


def _premises(p: Premises) -> PremisesRead:
    out = PremisesRead.model_validate(p)
    out.contact_name_masked = mask_name(p.contact_name)
    out.contact_phone_masked = mask_phone(p.contact_phone)
    return out


@router.get("/premises", operation_id="list_premises")
def list_premises(
    session: SessionDep,
    principal: Annotated[Principal, allowed("place.read")],
    kind: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> PremisesPage:
    """Premises in your jurisdiction, contacts masked."""
    q = select(Premises).where(scope_clause(principal, Premises.jpath))
    if kind:
        q = q.where(Premises.kind == kind)
    return paginate(
        session,
        q,
        limit=limit,
        offset=offset,
        to=_premises,
        page=PremisesPage,
        order_by=Premises.id,
    )


@router.get("/premises/{premises_id}", operation_id="get_premises")
def get_premises(
    premises_id: Id, session: SessionDep, principal: Annotated[Principal, allowed("place.read")]
) -> PremisesRead:
    """One premises, contact masked."""
    return _premises(
        service.get_premises_or_raise(session, principal=principal, premises_id=premises_id)
    )


@router.post("/premises", status_code=201, operation_id="create_premises")
def create_premises(
    body: PremisesCreate,
    session: SessionDep,
    principal: Annotated[Principal, allowed("place.write")],
) -> PremisesRead:
    """Register a premises; it is assigned to the grid cell containing it."""
    p = service.create_premises(session, principal=principal, data=body)
    session.commit()
    return _premises(p)


@router.patch("/premises/{premises_id}", operation_id="update_premises")
def update_premises(
    premises_id: Id,
    body: PremisesUpdate,
    session: SessionDep,
    principal: Annotated[Principal, allowed("place.write")],
) -> PremisesRead:
    """Change a premises."""
    p = service.update_premises(session, principal=principal, premises_id=premises_id, data=body)
    session.commit()
    return _premises(p)


@router.post("/premises/{premises_id}/contact", operation_id="reveal_premises_contact")
def reveal_contact(
    premises_id: Id,
    body: RevealIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("premises.reveal_contact")],
) -> dict[str, str | None]:
    """The unmasked contact, for the station and community officers who look after the
    premises (403 for other roles, see ``pingan.permissions``); audited with its reason."""
    out = service.reveal_contact(
        session, principal=principal, premises_id=premises_id, reason=body.reason
    )
    session.commit()
    return out


@router.get("/key-areas", operation_id="list_key_areas")
def list_key_areas(
    session: SessionDep,
    principal: Annotated[Principal, allowed("place.read")],
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> KeyAreaPage:
    """Rapid-response key areas in your jurisdiction."""
    q = select(KeyArea).where(scope_clause(principal, KeyArea.jpath))
    return paginate(
        session, q, limit=limit, offset=offset, to=_key_area, page=KeyAreaPage, order_by=KeyArea.id
    )


@router.get("/key-areas/{key_area_id}", operation_id="get_key_area")
def get_key_area(
    key_area_id: Id, session: SessionDep, principal: Annotated[Principal, allowed("place.read")]
) -> KeyAreaRead:
    """One key area with its polygon."""
    k = get_scoped(session, KeyArea, key_area_id, principal=principal, what="key area")
    return _key_area(k, with_geometry=True)


@router.post("/key-areas", status_code=201, operation_id="create_key_area")
def create_key_area(
    body: KeyAreaCreate,
    session: SessionDep,
    principal: Annotated[Principal, allowed("place.write")],
) -> KeyAreaRead:
    """Create a key area with its response standard in seconds (> 0)."""
    k = service.create_key_area(session, principal=principal, data=body)
    session.commit()
    return _key_area(k)
