"""Premises and key-area endpoints under ``/api/v1``."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from pingan.api.deps import CurrentUser, SessionDep
from pingan.api.errors import ErrorBody
from pingan.auth.service import require_role, scope_clause
from pingan.errors import NotFound
from pingan.inputs import Id, Offset
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

router = APIRouter(prefix="/api/v1", tags=["places"], responses=ErrorBody)


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
    principal: CurrentUser,
    kind: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Offset = 0,
) -> dict[str, object]:
    """Premises in your jurisdiction, contacts masked."""
    q = select(Premises).where(scope_clause(principal, Premises.jpath))
    if kind:
        q = q.where(Premises.kind == kind)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = session.scalars(q.order_by(Premises.id).limit(limit).offset(offset)).all()
    return {"items": [_premises(p) for p in rows], "total": total, "limit": limit, "offset": offset}


@router.get("/premises/{premises_id}", operation_id="get_premises")
def get_premises(premises_id: Id, session: SessionDep, principal: CurrentUser) -> PremisesRead:
    """One premises, contact masked."""
    return _premises(
        service.get_premises_or_raise(session, principal=principal, premises_id=premises_id)
    )


@router.post("/premises", status_code=201, operation_id="create_premises")
def create_premises(
    body: PremisesCreate, session: SessionDep, principal: CurrentUser
) -> PremisesRead:
    """Register a premises; it is assigned to the grid cell containing it."""
    require_role(principal, "places")
    p = service.create_premises(session, principal=principal, data=body)
    session.commit()
    return _premises(p)


@router.patch("/premises/{premises_id}", operation_id="update_premises")
def update_premises(
    premises_id: Id, body: PremisesUpdate, session: SessionDep, principal: CurrentUser
) -> PremisesRead:
    """Change a premises."""
    require_role(principal, "places")
    p = service.update_premises(session, principal=principal, premises_id=premises_id, data=body)
    session.commit()
    return _premises(p)


class RevealIn(BaseModel):
    """Why the contact data is needed (written to the audit log)."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


@router.post("/premises/{premises_id}/contact", operation_id="reveal_premises_contact")
def reveal_contact(
    premises_id: Id, body: RevealIn, session: SessionDep, principal: CurrentUser
) -> dict[str, str | None]:
    """The unmasked contact; each view is audited with its reason."""
    out = service.reveal_contact(
        session, principal=principal, premises_id=premises_id, reason=body.reason
    )
    session.commit()
    return out


@router.get("/key-areas", operation_id="list_key_areas")
def list_key_areas(
    session: SessionDep,
    principal: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Offset = 0,
) -> dict[str, object]:
    """Rapid-response key areas in your jurisdiction."""
    q = select(KeyArea).where(scope_clause(principal, KeyArea.jpath))
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = session.scalars(q.order_by(KeyArea.id).limit(limit).offset(offset)).all()
    return {
        "items": [_key_area(k) for k in rows],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


@router.get("/key-areas/{key_area_id}", operation_id="get_key_area")
def get_key_area(key_area_id: Id, session: SessionDep, principal: CurrentUser) -> KeyAreaRead:
    """One key area with its polygon."""
    k = session.get(KeyArea, key_area_id)
    if k is None or not principal.can_see(k.jpath):
        raise NotFound(f"key area {key_area_id} does not exist or is outside your jurisdiction")
    return _key_area(k, with_geometry=True)


@router.post("/key-areas", status_code=201, operation_id="create_key_area")
def create_key_area(
    body: KeyAreaCreate, session: SessionDep, principal: CurrentUser
) -> KeyAreaRead:
    """Create a key area with its response standard in seconds (> 0)."""
    require_role(principal, "places")
    k = service.create_key_area(session, principal=principal, data=body)
    session.commit()
    return _key_area(k)
