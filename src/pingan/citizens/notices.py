"""Notices and services of the public side: community safety notices (written by the station,
shown to people by where they are), police stations and fixed police posts (便民服务站) near a
point, a premises' security stars by name, and "find my community officer" (name, office hours,
the public work phone of the post; never a private number).

Reads for the public take a point (from the address search or the phone's location) and answer
only what a notice board or a station's door would show."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.service import record
from pingan.auth.models import User
from pingan.auth.service import Principal
from pingan.citizens.models import OfficerProfile, PublicNotice
from pingan.errors import Invalid, NotFound, PermissionDenied
from pingan.jurisdictions.models import Jurisdiction
from pingan.jurisdictions.service import assign_points
from pingan.places.models import Premises
from pingan.ratings.models import Rating, StationPhone
from pingan.resources.models import Resource

__all__ = [
    "create_notice",
    "nearby_stations",
    "notices_at",
    "officer_at",
    "set_profile",
    "star_lookup",
]


def _chain(session: Session, lon: float, lat: float) -> list[Jurisdiction]:
    """The jurisdictions holding the point, from the bureau down to the cell ([] outside)."""
    a = assign_points(session, [lon], [lat])
    if int(a.jurisdiction_id[0]) < 0:
        return []
    ids = [int(x) for x in str(a.jpath[0]).strip("/").split("/") if x]
    rows = {j.id: j for j in session.scalars(select(Jurisdiction).where(Jurisdiction.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows]


def create_notice(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_code: str,
    title: str,
    body: str,
    valid_from: dt.date,
    valid_until: dt.date,
) -> PublicNotice:
    """A safety notice for a community (or a whole station's area), within the writer's scope."""
    j = session.scalar(select(Jurisdiction).where(Jurisdiction.code == jurisdiction_code))
    if j is None or j.level not in ("community", "station", "district", "bureau"):
        raise Invalid("jurisdiction_code", f"{jurisdiction_code!r} is not a community or station")
    if not principal.can_see(j.path):
        raise PermissionDenied("that area is outside your jurisdiction", field="jurisdiction_code")
    if valid_until < valid_from:
        raise Invalid("valid_until", "is before valid_from")
    n = PublicNotice(
        jurisdiction_id=j.id,
        jpath=j.path,
        title=title,
        body=body,
        valid_from=valid_from,
        valid_until=valid_until,
        created_by_id=principal.user_id,
    )
    session.add(n)
    session.flush()
    record(
        session,
        actor=principal.actor,
        action="create",
        entity="public_notice",
        entity_id=n.id,
        jpath=j.path,
        detail={"title": title},
    )
    return n


def notices_at(
    session: Session, *, lon: float, lat: float, today: dt.date
) -> tuple[list[Jurisdiction], list[PublicNotice]]:
    """The areas holding the point and the notices in force for them, newest first."""
    chain = _chain(session, lon, lat)
    if not chain:
        return [], []
    rows = session.scalars(
        select(PublicNotice)
        .where(
            PublicNotice.jurisdiction_id.in_([j.id for j in chain]),
            PublicNotice.valid_from <= today,
            PublicNotice.valid_until >= today,
        )
        .order_by(PublicNotice.valid_from.desc(), PublicNotice.id.desc())
        .limit(20)
    ).all()
    return chain, list(rows)


def _km(lon0: float, lat0: float, lon1: float, lat1: float) -> float:
    dx = (lon1 - lon0) * 111.32 * math.cos(math.radians(lat0))
    dy = (lat1 - lat0) * 110.57
    return math.hypot(dx, dy)


def nearby_stations(
    session: Session, *, lon: float, lat: float, lang: str = "zh-CN", limit: int = 5
) -> list[dict[str, Any]]:
    """Police stations and fixed police posts nearest the point: kind, name, distance, phone."""
    out: list[dict[str, Any]] = []
    for j, phone in session.execute(
        select(Jurisdiction, StationPhone.phone)
        .outerjoin(StationPhone, StationPhone.station_id == Jurisdiction.id)
        .where(Jurisdiction.level == "station")
    ).all():
        slon = j.site_lon if j.site_lon is not None else j.centroid_lon
        slat = j.site_lat if j.site_lat is not None else j.centroid_lat
        if slon is None or slat is None:
            continue
        out.append(
            {
                "kind": "station",
                "name": j.name_en if lang == "en" else j.name_zh,
                "lon": slon,
                "lat": slat,
                "phone": phone or "110",
                "distance_km": round(_km(lon, lat, slon, slat), 2),
            }
        )
    for r in session.scalars(
        select(Resource).where(Resource.kind == "fixed_post", Resource.lon.is_not(None))
    ):
        assert r.lon is not None and r.lat is not None
        out.append(
            {
                "kind": "post",
                "name": r.name_en if lang == "en" else r.name_zh,
                "lon": r.lon,
                "lat": r.lat,
                "phone": "110",
                "distance_km": round(_km(lon, lat, r.lon, r.lat), 2),
            }
        )
    out.sort(key=lambda x: x["distance_km"])
    return out[:limit]


def officer_at(session: Session, *, lon: float, lat: float, lang: str = "zh-CN") -> dict[str, Any]:
    """The community officer of the grid cell holding the point: name, community, station,
    office hours and the public work phone (the station's phone when none is set)."""
    chain = _chain(session, lon, lat)
    if not chain:
        raise NotFound("this place is outside the bureau's area")
    cell = next((j for j in chain if j.level == "cell"), None)
    community = next((j for j in chain if j.level == "community"), None)
    station = next((j for j in chain if j.level == "station"), None)
    officer = session.get(User, cell.owner_id) if cell is not None and cell.owner_id else None
    profile = session.get(OfficerProfile, officer.id) if officer is not None else None
    station_phone = session.get(StationPhone, station.id) if station is not None else None
    en = lang == "en"
    return {
        "officer": officer.display_name if officer is not None and officer.is_active else None,
        "community": (community.name_en if en else community.name_zh) if community else None,
        "station": (station.name_en if en else station.name_zh) if station else None,
        "office_hours": profile.office_hours if profile else None,
        "work_phone": profile.work_phone
        if profile
        else (station_phone.phone if station_phone else "110"),
    }


def set_profile(
    session: Session, *, principal: Principal, username: str, office_hours: str, work_phone: str
) -> OfficerProfile:
    """Set what the public sees of a community officer (audited)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or user.role != "community_officer":
        raise Invalid("username", f"{username!r} is not a community officer")
    if user.jurisdiction_id is not None:
        j = session.get(Jurisdiction, user.jurisdiction_id)
        if j is not None and not principal.can_see(j.path):
            raise PermissionDenied("that officer is outside your jurisdiction", field="username")
    p = session.get(OfficerProfile, user.id)
    if p is None:
        p = OfficerProfile(user_id=user.id, office_hours=office_hours, work_phone=work_phone)
        session.add(p)
    else:
        p.office_hours, p.work_phone = office_hours, work_phone
    session.flush()
    record(
        session,
        actor=principal.actor,
        action="update",
        entity="officer_profile",
        entity_id=user.id,
        detail={"office_hours": office_hours, "work_phone": work_phone},
    )
    return p


def star_lookup(session: Session, *, q: str, limit: int = 10) -> list[dict[str, Any]]:
    """Premises whose name contains ``q`` and their current security stars (rated ones only)."""
    q = q.strip()
    if len(q) < 2:
        raise Invalid("q", "type at least 2 characters of the premises' name")
    rows = session.execute(
        select(
            Premises.name, Premises.address_text, Rating.stars, Rating.colour, Rating.valid_until
        )
        .join(Rating, (Rating.premises_id == Premises.id) & Rating.current.is_(True))
        .where(Premises.name.contains(q, autoescape=True), Rating.revoked_at.is_(None))
        .order_by(Premises.name)
        .limit(limit)
    ).all()
    return [
        {
            "name": r[0],
            "address": r[1],
            "stars": r[2],
            "colour": r[3],
            "valid_until": r[4].isoformat(),
        }
        for r in rows
    ]
