"""The station's triage of online reports (网上报警受理): accept one into the station's work,
refer it to another body (城管, 12345 …) or reject it, each with the reason the citizen reads
on the tracking page; merging a duplicate is :func:`pingan.citizens.service.merge_report`.
The incidents that a report may duplicate are found here too. Keyword-only, never commits.

An online report already is an incident (``source = "online"``, state ``received``): accepting
it keeps the incident in the station's queue for dispatch and marks the report ``accepted``;
referring it moves the incident to ``transferred``, rejecting it to ``cancelled``.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pingan.audit.service import record
from pingan.auth.service import Principal, scope_clause
from pingan.citizens.models import OnlineReport, PublicReply
from pingan.errors import Conflict, Invalid, NotFound
from pingan.geo.crs import haversine_m
from pingan.incidents import service as incidents
from pingan.incidents.models import Incident, IncidentEvent
from pingan.incidents.taxonomy import get_taxonomy
from pingan.store.base import utcnow

__all__ = ["OPEN_STATES", "TRIAGE_TARGETS", "candidates", "report_of_incident", "triage_report"]

OPEN_STATES = ("received", "dispatched", "en_route", "on_scene")
TRIAGE_TARGETS = ("accepted", "referred", "rejected")
_INCIDENT_STATE = {"referred": "transferred", "rejected": "cancelled"}


def report_of_incident(session: Session, principal: Principal, incident_id: int) -> OnlineReport:
    """The online report of an incident in the caller's scope, else ``NotFound``."""
    incidents.get_or_raise(session, principal=principal, incident_id=incident_id)
    report = session.scalar(select(OnlineReport).where(OnlineReport.incident_id == incident_id))
    if report is None:
        raise NotFound(f"incident {incident_id} is not an online report")
    return report


def triage_report(
    session: Session,
    *,
    principal: Principal,
    incident_id: int,
    to: str,
    reason: str = "",
    referred_to: str = "",
    reply: str = "",
) -> OnlineReport:
    """Accept, refer or reject a pending online report. ``reason`` is required to refer or
    reject (the citizen reads it), ``referred_to`` to refer; ``reply`` is an optional public
    reply on accepting. A timeline entry on the incident and an audit record, in one go."""
    if to not in TRIAGE_TARGETS:
        raise Invalid("to", f"expected one of {', '.join(TRIAGE_TARGETS)}, got {to!r}")
    report = report_of_incident(session, principal, incident_id)
    if report.triage != "pending":
        raise Conflict(f"report {report.code} is already {report.triage}", field="to")
    reason, referred_to, reply = reason.strip(), referred_to.strip(), reply.strip()
    if to in ("referred", "rejected") and not reason:
        raise Invalid("reason", f"say why, in words the citizen reads, when it is {to}")
    if to == "referred" and not referred_to:
        raise Invalid("referred_to", "name the body the report is referred to (e.g. 城管, 12345)")
    now = utcnow()
    if to in _INCIDENT_STATE:
        incidents.transition(
            session,
            principal=principal,
            incident_id=incident_id,
            to_state=_INCIDENT_STATE[to],
            note=f"online report {to}: {reason}",
            at=now,
        )
    else:
        session.add(
            IncidentEvent(
                incident_id=incident_id,
                at=now,
                kind="note",
                actor_id=principal.user_id,
                note="online report accepted",
                data="{}",
            )
        )
        session.execute(update(Incident).where(Incident.id == incident_id).values(updated_at=now))
    report.triage, report.triaged_at, report.triaged_by_id = to, now, principal.user_id
    report.triage_reason = reason or None
    report.referred_to = referred_to[:120] or None
    public_text = reason if to != "accepted" else reply
    if to == "referred":
        public_text = f"{referred_to}: {reason}"
    if public_text:
        session.add(
            PublicReply(
                report_id=report.id,
                public=True,
                text=public_text,
                author_id=principal.user_id,
                at=now,
            )
        )
    session.flush()
    record(
        session,
        actor=principal.actor,
        action="triage",
        entity="online_report",
        entity_id=report.id,
        jpath=report.jpath,
        detail={"to": to, "incident_id": incident_id, "referred_to": referred_to or None},
    )
    return report


def candidates(
    session: Session,
    *,
    principal: Principal,
    incident_id: int,
    radius_m: float = 500.0,
    days: int = 3,
    limit: int = 8,
) -> list[dict[str, Any]]:
    """Open incidents in the caller's scope that an online report may duplicate: within
    ``radius_m`` of it and reported in the ``days`` before it (or after), the same subtype
    first, then nearest. O(k) in the incidents inside the box around the point (indexed
    latitude band), sorted in Python."""
    report_of_incident(session, principal, incident_id)
    inc = incidents.get_or_raise(session, principal=principal, incident_id=incident_id)
    dlat = radius_m / 111_320.0
    dlon = dlat / max(math.cos(math.radians(inc.lat)), 0.01)
    since = inc.reported_at - dt.timedelta(days=days)
    rows = session.scalars(
        select(Incident)
        .where(
            scope_clause(principal, Incident.jpath),
            Incident.id != inc.id,
            Incident.state.in_(OPEN_STATES),
            Incident.reported_at >= since,
            Incident.lat.between(inc.lat - dlat, inc.lat + dlat),
            Incident.lon.between(inc.lon - dlon, inc.lon + dlon),
        )
        .limit(500)
    ).all()
    out = []
    subtypes = get_taxonomy().subtypes
    for other in rows:
        sub = subtypes.get(other.subtype)
        d = haversine_m(inc.lon, inc.lat, other.lon, other.lat)
        if d <= radius_m:
            out.append(
                {
                    "incident_id": other.id,
                    "code": other.code,
                    "subtype": other.subtype,
                    "subtype_zh": sub.name_zh if sub else other.subtype,
                    "subtype_en": sub.name_en if sub else other.subtype,
                    "state": other.state,
                    "source": other.source,
                    "reported_at": other.reported_at.isoformat(),
                    "address_text": other.address_text,
                    "distance_m": round(float(d)),
                    "same_subtype": other.subtype == inc.subtype,
                }
            )
    out.sort(key=lambda c: (not c["same_subtype"], c["distance_m"]))
    return out[:limit]
