"""Premises and key areas: created in their jurisdiction, contact data encrypted and audited."""

from __future__ import annotations

import datetime as dt
import json
import secrets

import shapely
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pingan.audit.service import Actor, record
from pingan.auth.service import Principal, get_scoped
from pingan.config import get_settings
from pingan.errors import Invalid, PermissionDenied
from pingan.geo.assign import validate_polygon
from pingan.geo.crs import to_wgs84
from pingan.jurisdictions.service import assign_points
from pingan.places.models import KeyArea, Premises
from pingan.places.schemas import KeyAreaCreate, PremisesCreate, PremisesUpdate
from pingan.store.base import utcnow

__all__ = [
    "create_key_area",
    "create_premises",
    "get_premises_or_raise",
    "purge_contacts",
    "reveal_contact",
    "update_premises",
]


def _locate(
    session: Session, principal: Principal, lon: float, lat: float, field: str = "lon"
) -> tuple[int, str]:
    res = assign_points(session, [lon], [lat])
    jid = int(res.jurisdiction_id[0])
    if jid < 0:
        raise Invalid(field, f"point ({lon}, {lat}) is outside every jurisdiction of this bureau")
    path = str(res.jpath[0])
    if not principal.can_see(path):
        raise PermissionDenied("the place is outside your jurisdiction", field=field)
    return jid, path


def create_premises(session: Session, *, principal: Principal, data: PremisesCreate) -> Premises:
    """Create a premises in the cell containing it (audited; contact stored encrypted)."""
    lon_a, lat_a = to_wgs84([data.lon], [data.lat], data.crs)
    lon, lat = float(lon_a[0]), float(lat_a[0])
    jid, path = _locate(session, principal, lon, lat)
    code = data.code or f"P{secrets.token_hex(5).upper()}"
    if session.scalar(select(Premises.id).where(Premises.code == code)) is not None:
        raise Invalid("code", f"{code!r} already exists")
    has_contact = bool(data.contact_name or data.contact_phone)
    p = Premises(
        code=code,
        kind=data.kind,
        name=data.name,
        name_en=data.name_en,
        address_text=data.address_text,
        lon=lon,
        lat=lat,
        jurisdiction_id=jid,
        jpath=path,
        capacity=data.capacity,
        police_room=data.police_room,
        contact_name=data.contact_name,
        contact_phone=data.contact_phone,
        contact_recorded_at=utcnow() if has_contact else None,
    )
    session.add(p)
    session.flush()
    record(
        session,
        actor=principal.actor,
        action="create",
        entity="premises",
        entity_id=p.id,
        jpath=path,
        detail={"code": code, "kind": data.kind, "contact": has_contact},
    )
    return p


def get_premises_or_raise(session: Session, *, principal: Principal, premises_id: int) -> Premises:
    """The premises if it exists in scope, else ``NotFound``."""
    return get_scoped(session, Premises, premises_id, principal=principal, what="premises")


def update_premises(
    session: Session, *, principal: Principal, premises_id: int, data: PremisesUpdate
) -> Premises:
    """Change a premises (audited; contact changes are recorded without their values)."""
    p = get_premises_or_raise(session, principal=principal, premises_id=premises_id)
    changes = data.model_dump(exclude_unset=True)
    for k, v in changes.items():
        setattr(p, k, v)
    if "contact_name" in changes or "contact_phone" in changes:
        p.contact_recorded_at = utcnow()
    record(
        session,
        actor=principal.actor,
        action="update",
        entity="premises",
        entity_id=p.id,
        jpath=p.jpath,
        detail={"fields": sorted(changes)},
    )
    return p


def reveal_contact(
    session: Session, *, principal: Principal, premises_id: int, reason: str
) -> dict[str, str | None]:
    """The unmasked contact of a premises; the view is audited with its reason."""
    if not reason.strip():
        raise Invalid("reason", "say why you need the contact data")
    p = get_premises_or_raise(session, principal=principal, premises_id=premises_id)
    record(
        session,
        actor=principal.actor,
        action="view_personal",
        entity="premises",
        entity_id=p.id,
        jpath=p.jpath,
        detail={"fields": ["contact_name", "contact_phone"], "reason": reason},
    )
    return {"contact_name": p.contact_name, "contact_phone": p.contact_phone}


def purge_contacts(
    session: Session, *, actor: Actor, dry_run: bool = False, now: dt.datetime | None = None
) -> int:
    """Clear premises contact data older than the retention rule (PIPL); returns the count."""
    days = get_settings().retention_days_contact
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    ids = list(
        session.scalars(
            select(Premises.id).where(
                Premises.contact_recorded_at.is_not(None), Premises.contact_recorded_at < cutoff
            )
        )
    )
    if ids and not dry_run:
        session.execute(
            update(Premises)
            .where(Premises.id.in_(ids))
            .values(contact_name=None, contact_phone=None, contact_recorded_at=None)
        )
        record(
            session,
            actor=actor,
            action="purge_personal",
            entity="premises",
            detail={"count": len(ids), "retention_days": days, "ids": ids[:200]},
        )
    return len(ids)


def create_key_area(session: Session, *, principal: Principal, data: KeyAreaCreate) -> KeyArea:
    """Create a rapid-response key area (audited)."""
    try:
        geom = validate_polygon(shapely.from_geojson(json.dumps(data.geometry)))
    except (ValueError, shapely.errors.GEOSException) as exc:
        raise Invalid("geometry", str(exc).split(": ", 1)[-1]) from None
    c = geom.representative_point()
    jid, path = _locate(session, principal, float(c.x), float(c.y), field="geometry")
    if session.scalar(select(KeyArea.id).where(KeyArea.code == data.code)) is not None:
        raise Invalid("code", f"{data.code!r} already exists")
    b = geom.bounds
    k = KeyArea(
        code=data.code,
        name_zh=data.name_zh,
        name_en=data.name_en or data.name_zh,
        kind=data.kind,
        geometry=shapely.to_geojson(geom),
        min_lon=b[0],
        min_lat=b[1],
        max_lon=b[2],
        max_lat=b[3],
        centroid_lon=float(c.x),
        centroid_lat=float(c.y),
        response_standard_s=data.response_standard_s,
        jurisdiction_id=jid,
        jpath=path,
    )
    session.add(k)
    session.flush()
    record(
        session,
        actor=principal.actor,
        action="create",
        entity="key_area",
        entity_id=k.id,
        jpath=path,
        detail={"code": data.code, "standard_s": data.response_standard_s},
    )
    return k
