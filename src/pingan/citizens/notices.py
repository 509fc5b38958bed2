"""Notices and services of the public side: community safety notices (written by the station,
shown to people by where they are), police stations, fixed police posts (便民服务站) and
hospital police rooms (医院警务室) near a point or all of them for the public map, a premises'
security stars by name or by its sign's QR code, and "find my community officer" (name,
office hours, the public work phone of the post; never a private number).

Reads for the public take a point (from the address search or the phone's location) and answer
only what a notice board or a station's door would show."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.service import record
from pingan.auth.models import User
from pingan.auth.service import Principal
from pingan.citizens.models import OfficerProfile, PublicNotice
from pingan.errors import Invalid, NotFound, PermissionDenied
from pingan.jurisdictions.models import Jurisdiction
from pingan.jurisdictions.service import assign_points
from pingan.keyplaces.models import PoliceRoom
from pingan.places.models import Premises
from pingan.ratings.models import Rating, StationPhone
from pingan.ratings.signs import public_sign
from pingan.resources.models import Resource

__all__ = [
    "create_notice",
    "nearby_stations",
    "notices_at",
    "officer_at",
    "service_points",
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


def service_points(session: Session, *, lang: str = "zh-CN") -> list[dict[str, Any]]:
    """Every place where the public finds the police: police stations (their station house,
    else the area's centre), fixed police posts (警务服务站 · 便民服务站) and hospital police
    rooms (医院警务室): kind, name, point and the public phone (the station's; 110 when none).
    O(stations + posts + rooms), three queries."""
    en = lang == "en"
    out: list[dict[str, Any]] = []
    phones: dict[int, str] = {}
    for j, phone in session.execute(
        select(Jurisdiction, StationPhone.phone)
        .outerjoin(StationPhone, StationPhone.station_id == Jurisdiction.id)
        .where(Jurisdiction.level == "station")
        .order_by(Jurisdiction.code)
    ).all():
        if phone:
            phones[j.id] = phone
        slon = j.site_lon if j.site_lon is not None else j.centroid_lon
        slat = j.site_lat if j.site_lat is not None else j.centroid_lat
        if slon is None or slat is None:
            continue
        name = j.name_en if en else j.name_zh
        out.append(
            {"kind": "station", "name": name, "lon": slon, "lat": slat, "phone": phone or "110"}
        )
    for r in session.scalars(
        select(Resource)
        .where(Resource.kind == "fixed_post", Resource.lon.is_not(None))
        .order_by(Resource.id)
    ):
        assert r.lon is not None and r.lat is not None
        name = r.name_en if en else r.name_zh
        out.append({"kind": "post", "name": name, "lon": r.lon, "lat": r.lat, "phone": "110"})
    for room, lon, lat in session.execute(
        select(PoliceRoom, Premises.lon, Premises.lat)
        .join(Premises, Premises.id == PoliceRoom.premises_id)
        .where(Premises.lon.is_not(None))
        .order_by(PoliceRoom.id)
    ).all():
        phone = room.phone or phones.get(room.station_id or -1, "110")
        out.append(
            {"kind": "police_room", "name": room.name, "lon": lon, "lat": lat, "phone": phone}
        )
    return out


def station_outlines(session: Session, *, tolerance_deg: float = 0.0005) -> dict[str, Any]:
    """The police stations' areas, simplified (about 50 m) and rounded to 1e-5 degrees, as
    lists of rings of [lon, lat]; and the bounding box [W, S, E, N] of them all (None when no
    station has an outline). For the public map's background: a few KB for a city."""
    rings: list[list[list[float]]] = []
    bounds = [180.0, 90.0, -180.0, -90.0]
    for geom in session.scalars(
        select(Jurisdiction.geometry).where(
            Jurisdiction.level == "station", Jurisdiction.geometry.is_not(None)
        )
    ):
        g = shapely.set_precision(
            shapely.simplify(shapely.from_geojson(geom), tolerance_deg), 0.00001
        )
        b = g.bounds
        bounds = [
            min(bounds[0], b[0]),
            min(bounds[1], b[1]),
            max(bounds[2], b[2]),
            max(bounds[3], b[3]),
        ]
        polys = getattr(g, "geoms", [g])
        for poly in polys:
            if poly.is_empty:
                continue
            rings.append([[round(x, 5), round(y, 5)] for x, y in poly.exterior.coords])
    return {"rings": rings, "bbox": bounds if rings else None}


def nearby_stations(
    session: Session, *, lon: float, lat: float, lang: str = "zh-CN", limit: int = 5
) -> list[dict[str, Any]]:
    """Police stations, fixed police posts and police rooms nearest the point: kind, name,
    distance, phone."""
    out = [
        {**p, "distance_km": round(_km(lon, lat, p["lon"], p["lat"]), 2)}
        for p in service_points(session, lang=lang)
    ]
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


_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
"""A sign's token: two base64url parts (``pingan.ratings.signs.make_token``)."""


def _sign_token(q: str) -> str | None:
    """The token of a sign's QR code (``https://…/v/<token>``, or the token alone), if ``q``
    is one."""
    if "/v/" in q:
        return q.split("/v/", 1)[1].split("?")[0].split("#")[0].strip("/")
    if _TOKEN.fullmatch(q):
        return q
    return None


def star_lookup(session: Session, *, q: str, limit: int = 10) -> list[dict[str, Any]]:
    """Premises whose name contains ``q`` and their current security stars (rated ones only);
    or, when ``q`` is the text of a sign's QR code, that sign: its premises, stars and whether
    it is still valid (``status``: valid, expired, revoked)."""
    q = q.strip()
    token = _sign_token(q)
    if token is not None:
        sign = public_sign(session, token)
        if sign is None:
            raise Invalid("q", "this QR code is not a sign of the police (or it was altered)")
        return [
            {
                "name": sign.name,
                "address": None,
                "stars": sign.stars,
                "colour": sign.colour,
                "valid_until": sign.valid_until.isoformat(),
                "status": sign.status,
            }
        ]
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
