"""Online reports and complaints: create from the public forms, what the tracking page shows,
the station's queue (replies, duplicates merged), the supervision office's queue (deadlines,
escalation), the public statistics and the retention purge. Keyword-only, never commits.

The public caller has no user row: its :func:`public_principal` acts for the whole bureau with
``user_id`` None, and its audit actor is ``public:<channel>``.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pingan.audit.service import Actor, record
from pingan.auth.service import Principal, scope_clause
from pingan.citizens.categories import COMPLAINT_CATEGORIES, category
from pingan.citizens.models import (
    Complaint,
    ComplaintEvent,
    OnlineReport,
    PublicReply,
    ReportPhoto,
)
from pingan.citizens.schemas import ComplaintIn, NearbyReport, ReportIn, TrackReply, TrackView
from pingan.config import get_settings
from pingan.errors import Invalid, NotFound
from pingan.incidents import service as incidents
from pingan.incidents.models import Incident, IncidentEvent
from pingan.incidents.schemas import IncidentCreate
from pingan.jurisdictions.models import Jurisdiction
from pingan.jurisdictions.service import assign_points
from pingan.ratings.models import StationPhone
from pingan.store.base import utcnow
from pingan.store.timeline import Timeline
from pingan.workflow import StateMachine

__all__ = [
    "COMPLAINT_FLOW",
    "OPEN_STATES",
    "add_reply",
    "complaint_detail",
    "complaint_transition",
    "create_complaint",
    "create_report",
    "escalate_complaints",
    "list_complaints",
    "merge_report",
    "nearby",
    "new_code",
    "public_principal",
    "public_state",
    "purge_contacts",
    "report_photo",
    "report_query",
    "stats_by_week",
    "track",
]

OPEN_STATES = ("received", "dispatched", "en_route", "on_scene")
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud on the phone

COMPLAINT_FLOW = StateMachine(
    name="complaint",
    initial="received",
    transitions={
        "received": ("accepted", "rejected"),
        "accepted": ("investigating", "concluded"),
        "investigating": ("concluded",),
        "concluded": (),
        "rejected": (),
    },
    stamps={
        "accepted": "accepted_at",
        "investigating": "investigating_at",
        "concluded": "concluded_at",
        "rejected": "rejected_at",
    },
)
ACCEPT_WITHIN = dt.timedelta(days=3)
CONCLUDE_WITHIN = dt.timedelta(days=30)
ESCALATE_EVERY = dt.timedelta(days=3)


def public_principal(channel: str = "web", ip: str | None = None) -> Principal:
    """The caller of the public forms: no user, acting for the whole bureau."""
    return Principal(
        user_id=cast(int, None),
        username=f"public:{channel}",
        role="public",
        jpath="/",
        jurisdiction_id=None,
        ip=ip,
    )


def new_code(prefix: str) -> str:
    """A tracking code: ``prefix`` and 10 characters (50 bits), e.g. ``WB7K2M9QXH4T``."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(10))


def public_state(state: str) -> str:
    """An incident state in the words of the tracking page."""
    if state == "received":
        return "received"
    if state in ("dispatched", "en_route", "on_scene"):
        return "in_progress"
    if state in ("resolved", "closed"):
        return "done"
    if state == "duplicate":
        return "merged"
    return "closed"


# ----------------------------------------------------------------------------- reports


def create_report(
    session: Session,
    *,
    data: ReportIn,
    photos: Sequence[tuple[bytes, str]] = (),
    channel: str = "web",
    open311_key_id: int | None = None,
    device_hash: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[OnlineReport, Incident]:
    """A new online report: an incident with ``source = "online"`` in the station whose area
    holds the point (the repeat-call rule may mark it a duplicate of a report just made), its
    tracking code and its cleaned photos. A phone needs ``consent``."""
    cat = category(data.category)
    if cat is None:
        raise Invalid("category", f"{data.category!r} is not a report category")
    if data.phone and not data.consent:
        raise Invalid("consent", "tick the consent box to leave a phone number, or leave it out")
    now = now or utcnow()
    principal = public_principal(channel)
    prepared = incidents.prepare_create(
        session,
        principal=principal,
        data=IncidentCreate(
            subtype=cat.subtype,
            lon=data.lon,
            lat=data.lat,
            source="online",
            summary=data.description,
            address_text=data.address_text,
            caller_phone=data.phone,
            reported_at=now,
        ),
    )
    prepared.values["created_by_id"] = None
    prepared.values["code"] = "WB" + prepared.values["code"][2:]
    inc, _ = incidents.write_create(session, principal=principal, prepared=prepared)
    keep = dt.timedelta(days=get_settings().public_contact_retention_days)
    report = OnlineReport(
        code=new_code("WB"),
        incident_id=inc.id,
        category=cat.code,
        channel=channel,
        open311_key_id=open311_key_id,
        consent_at=now if data.phone else None,
        contact_purge_at=now + keep if data.phone else None,
        device_hash=device_hash,
        jpath=inc.jpath,
        created_at=now,
        # the repeat-call rule linked it to a report just made: nothing left to triage
        triage="merged" if inc.state == "duplicate" else "pending",
    )
    session.add(report)
    session.flush()
    for n, (blob, ctype) in enumerate(photos, start=1):
        session.add(
            ReportPhoto(
                report_id=report.id, n=n, content_type=ctype, size_bytes=len(blob), data=blob
            )
        )
    record(
        session,
        actor=principal.actor,
        action="create",
        entity="online_report",
        entity_id=report.id,
        jpath=report.jpath,
        detail={
            "code": report.code,
            "incident_id": inc.id,
            "category": cat.code,
            "photos": len(photos),
            "contact": bool(data.phone),
        },
    )
    return report, inc


def _station_of(session: Session, jpath: str) -> tuple[str, str]:
    ids = [int(x) for x in jpath.strip("/").split("/") if x]
    if not ids:
        return "", "110"
    row = session.scalars(
        select(Jurisdiction).where(Jurisdiction.id.in_(ids), Jurisdiction.level == "station")
    ).first()
    if row is None:
        return "", "110"
    phone = session.get(StationPhone, row.id)
    return row.name_zh, (phone.phone if phone else "110")


def track(session: Session, *, code: str, lang: str = "zh-CN") -> TrackView | None:
    """What the tracking page shows for ``code`` (a report ``WB…`` or a complaint ``DC…``), or
    None for an unknown code (no reason given)."""
    code = code.strip().upper()
    if len(code) != 12:
        return None
    if code.startswith("WB"):
        report = session.scalar(select(OnlineReport).where(OnlineReport.code == code))
        if report is None:
            return None
        inc = session.get(Incident, report.incident_id)
        assert inc is not None
        merged_into = None
        if inc.state == "duplicate" and inc.repeat_of_id is not None:
            merged_into = session.scalar(
                select(OnlineReport.code).where(OnlineReport.incident_id == inc.repeat_of_id)
            )
            target = session.get(Incident, inc.repeat_of_id)
            state = public_state(target.state) if target is not None else "merged"
            state = "merged" if state == "received" else state
        elif report.triage in ("referred", "rejected"):
            state = report.triage
        else:
            state = public_state(inc.state)
        replies = session.scalars(
            select(PublicReply)
            .where(PublicReply.report_id == report.id, PublicReply.public.is_(True))
            .order_by(PublicReply.at, PublicReply.id)
        ).all()
        station, phone = _station_of(session, inc.jpath)
        cat = category(report.category)
        return TrackView(
            code=report.code,
            kind="report",
            category=cat.name(lang) if cat else report.category,
            state=state,
            created_at=report.created_at,
            updated_at=inc.updated_at,
            station=station,
            station_phone=phone,
            merged_into=merged_into,
            referred_to=report.referred_to if report.triage == "referred" else None,
            replies=[TrackReply(at=r.at, text=r.text) for r in replies],
        )
    if code.startswith("DC"):
        c = session.scalar(select(Complaint).where(Complaint.code == code))
        if c is None:
            return None
        replies = session.scalars(
            select(PublicReply)
            .where(PublicReply.complaint_id == c.id, PublicReply.public.is_(True))
            .order_by(PublicReply.at, PublicReply.id)
        ).all()
        zh, en = COMPLAINT_CATEGORIES.get(c.category, (c.category, c.category))
        return TrackView(
            code=c.code,
            kind="complaint",
            category=zh if lang == "zh-CN" else en,
            state=c.state,
            created_at=c.created_at,
            updated_at=c.updated_at,
            station="督察部门" if lang == "zh-CN" else "Police supervision office",
            station_phone="12389",
            replies=[TrackReply(at=r.at, text=r.text) for r in replies],
        )
    return None


def nearby(
    session: Session,
    *,
    category_code: str,
    lon: float,
    lat: float,
    lang: str = "zh-CN",
    radius_m: float = 500.0,
    days: int = 14,
    now: dt.datetime | None = None,
) -> list[NearbyReport]:
    """Open online reports of the same category within ``radius_m`` of the point in the last
    ``days`` days, nearest first (at most 5): category, time, distance, state and the address
    as typed; never the description, contact or tracking code."""
    cat = category(category_code)
    if cat is None:
        raise Invalid("category", f"{category_code!r} is not a report category")
    now = now or utcnow()
    dlat = radius_m / 111_320.0
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    rows = session.execute(
        select(
            Incident.lon, Incident.lat, Incident.reported_at, Incident.state, Incident.address_text
        )
        .join(OnlineReport, OnlineReport.incident_id == Incident.id)
        .where(
            OnlineReport.category == cat.code,
            Incident.state.in_(OPEN_STATES),
            Incident.reported_at >= now - dt.timedelta(days=days),
            Incident.lat.between(lat - dlat, lat + dlat),
            Incident.lon.between(lon - dlon, lon + dlon),
        )
        .limit(200)
    ).all()
    out = []
    for r in rows:
        d = _distance_m(lon, lat, r.lon, r.lat)
        if d <= radius_m:
            out.append(
                NearbyReport(
                    category=cat.name(lang),
                    reported_at=r.reported_at,
                    distance_m=round(d),
                    state=public_state(r.state),
                    address=r.address_text,
                )
            )
    out.sort(key=lambda n: n.distance_m)
    return out[:5]


def _distance_m(lon0: float, lat0: float, lon1: float, lat1: float) -> float:
    p0, p1 = math.radians(lat0), math.radians(lat1)
    a = (
        math.sin((p1 - p0) / 2) ** 2
        + math.cos(p0) * math.cos(p1) * math.sin(math.radians(lon1 - lon0) / 2) ** 2
    )
    return 2 * 6_371_000.0 * math.asin(min(1.0, math.sqrt(a)))


def report_query(
    principal: Principal, *, state: str | None = None, triage: str | None = None
) -> Any:
    """Online reports in the caller's scope with their incidents, newest first; ``triage``
    keeps one triage state (``pending``: the station has not decided yet)."""
    q = (
        select(OnlineReport, Incident)
        .join(Incident, Incident.id == OnlineReport.incident_id)
        .where(scope_clause(principal, OnlineReport.jpath))
    )
    if triage:
        q = q.where(OnlineReport.triage == triage)
    if state == "open":
        q = q.where(Incident.state.in_(OPEN_STATES))
    elif state:
        q = q.where(Incident.state == state)
    return q.order_by(OnlineReport.created_at.desc(), OnlineReport.id.desc())


def report_replies(session: Session, report_ids: Sequence[int]) -> dict[int, list[PublicReply]]:
    """The replies of each report, oldest first."""
    out: dict[int, list[PublicReply]] = {i: [] for i in report_ids}
    if report_ids:
        for r in session.scalars(
            select(PublicReply)
            .where(PublicReply.report_id.in_(report_ids))
            .order_by(PublicReply.at, PublicReply.id)
        ):
            out[cast(int, r.report_id)].append(r)
    return out


def photo_counts(session: Session, report_ids: Sequence[int]) -> dict[int, int]:
    """How many photos each report has."""
    if not report_ids:
        return {}
    rows = session.execute(
        select(ReportPhoto.report_id, func.count())
        .where(ReportPhoto.report_id.in_(report_ids))
        .group_by(ReportPhoto.report_id)
    ).all()
    return {int(r[0]): int(r[1]) for r in rows}


def _report_of_incident(session: Session, principal: Principal, incident_id: int) -> OnlineReport:
    incidents.get_or_raise(session, principal=principal, incident_id=incident_id)
    report = session.scalar(select(OnlineReport).where(OnlineReport.incident_id == incident_id))
    if report is None:
        raise NotFound(f"incident {incident_id} is not an online report")
    return report


def add_reply(
    session: Session, *, principal: Principal, incident_id: int, text: str, public: bool
) -> PublicReply:
    """A reply of the station to the citizen (public: on the tracking page) or an internal
    one; either way a note on the incident's timeline."""
    report = _report_of_incident(session, principal, incident_id)
    now = utcnow()
    reply = PublicReply(
        report_id=report.id, public=public, text=text, author_id=principal.user_id, at=now
    )
    session.add(reply)
    session.add(
        IncidentEvent(
            incident_id=incident_id,
            at=now,
            kind="public_reply" if public else "note",
            actor_id=principal.user_id,
            note=text,
            data="{}",
        )
    )
    session.execute(update(Incident).where(Incident.id == incident_id).values(updated_at=now))
    session.flush()
    record(
        session,
        actor=principal.actor,
        action="reply",
        entity="online_report",
        entity_id=report.id,
        jpath=report.jpath,
        detail={"public": public, "incident_id": incident_id},
    )
    return reply


def merge_report(
    session: Session, *, principal: Principal, incident_id: int, into_incident_id: int
) -> Incident:
    """Mark an online report a duplicate of another incident: its tracking page then follows
    the other one's state."""
    if incident_id == into_incident_id:
        raise Invalid("into_incident_id", "an incident cannot be merged into itself")
    report = _report_of_incident(session, principal, incident_id)
    target = incidents.get_or_raise(session, principal=principal, incident_id=into_incident_id)
    if target.state == "duplicate":
        raise Invalid("into_incident_id", f"incident {target.id} is itself a duplicate")
    inc = incidents.transition(
        session,
        principal=principal,
        incident_id=incident_id,
        to_state="duplicate",
        note=f"merged into {target.code}",
    )
    inc.repeat_of_id = target.id
    target.repeat_count = (target.repeat_count or 0) + 1
    report.triage, report.triaged_at, report.triaged_by_id = "merged", utcnow(), principal.user_id
    record(
        session,
        actor=principal.actor,
        action="merge",
        entity="online_report",
        entity_id=report.id,
        jpath=report.jpath,
        detail={"incident_id": incident_id, "into_incident_id": target.id},
    )
    return inc


def report_photo(
    session: Session, *, principal: Principal, incident_id: int, n: int
) -> ReportPhoto:
    """One photo of an online report; the view is audited (a photo may show people)."""
    report = _report_of_incident(session, principal, incident_id)
    photo = session.scalar(
        select(ReportPhoto).where(ReportPhoto.report_id == report.id, ReportPhoto.n == n)
    )
    if photo is None:
        raise NotFound(f"report {report.code} has no photo {n}")
    record(
        session,
        actor=principal.actor,
        action="view_personal",
        entity="online_report",
        entity_id=report.id,
        jpath=report.jpath,
        detail={"fields": [f"photo {n}"]},
    )
    return photo


def stats_by_week(
    session: Session, *, weeks: int = 12, now: dt.datetime | None = None
) -> list[tuple[str, str, int]]:
    """Online reports per ISO week (``2026-W49``) and category over the last ``weeks`` weeks:
    counts only, no personal data, no place finer than the city."""
    now = now or utcnow()
    since = now - dt.timedelta(weeks=weeks)
    rows = session.execute(
        select(OnlineReport.created_at, OnlineReport.category).where(
            OnlineReport.created_at >= since
        )
    ).all()
    counts: dict[tuple[str, str], int] = {}
    for at, cat in rows:
        iso = at.isocalendar()
        key = (f"{iso[0]}-W{iso[1]:02d}", cat)
        counts[key] = counts.get(key, 0) + 1
    return [(w, c, n) for (w, c), n in sorted(counts.items())]


def purge_contacts(session: Session, *, actor: Actor, now: dt.datetime) -> int:
    """Clear the contact phones of online reports past their retention (audited, one record)."""
    reports = session.scalars(
        select(OnlineReport).where(
            OnlineReport.contact_purge_at.is_not(None), OnlineReport.contact_purge_at < now
        )
    ).all()
    for r in reports:
        session.execute(
            update(Incident).where(Incident.id == r.incident_id).values(caller_phone=None)
        )
        r.contact_purge_at = None
    if reports:
        record(
            session,
            actor=actor,
            action="purge_personal",
            entity="online_report",
            detail={"reports": len(reports), "fields": ["caller_phone"]},
        )
    return len(reports)


# ----------------------------------------------------------------------------- complaints


def create_complaint(
    session: Session,
    *,
    data: ComplaintIn,
    device_hash: str | None = None,
    now: dt.datetime | None = None,
) -> Complaint:
    """A new complaint, routed to the supervision office over the station named (by code, or
    by the place where it happened); deadlines: accepted within 3 days, concluded within 30."""
    if data.category not in COMPLAINT_CATEGORIES:
        raise Invalid("category", f"{data.category!r} is not a complaint category")
    if data.phone and not data.consent:
        raise Invalid("consent", "tick the consent box to leave a phone number, or leave it out")
    now = now or utcnow()
    station: Jurisdiction | None = None
    if data.station_code:
        station = session.scalar(
            select(Jurisdiction).where(
                Jurisdiction.code == data.station_code, Jurisdiction.level == "station"
            )
        )
        if station is None:
            raise Invalid("station_code", f"no police station {data.station_code!r}")
    elif data.lon is not None and data.lat is not None:
        a = assign_points(session, [data.lon], [data.lat])
        if int(a.jurisdiction_id[0]) >= 0:
            ids = [int(x) for x in str(a.jpath[0]).strip("/").split("/")]
            station = session.scalars(
                select(Jurisdiction).where(
                    Jurisdiction.id.in_(ids), Jurisdiction.level == "station"
                )
            ).first()
    if data.occurred_on and data.occurred_on > now.date() + dt.timedelta(days=1):
        raise Invalid("occurred_on", "is in the future")
    c = Complaint(
        code=new_code("DC"),
        station_id=station.id if station else None,
        jpath=station.path if station else "/",
        category=data.category,
        officer_text=data.officer_text,
        description=data.description,
        contact_phone=data.phone,
        consent_at=now if data.phone else None,
        occurred_on=data.occurred_on,
        state=COMPLAINT_FLOW.initial,
        level=0,
        accept_due_at=now + ACCEPT_WITHIN,
        conclude_due_at=now + CONCLUDE_WITHIN,
        device_hash=device_hash,
        created_at=now,
        updated_at=now,
    )
    session.add(c)
    session.flush()
    Timeline(session, ComplaintEvent, complaint_id=c.id)(
        kind="transition", at=now, to_state=c.state
    )
    record(
        session,
        actor=public_principal("complaint").actor,
        action="create",
        entity="complaint",
        entity_id=c.id,
        jpath=c.jpath,
        detail={"code": c.code, "category": c.category, "station_id": c.station_id},
    )
    return c


def _complaint(session: Session, principal: Principal, complaint_id: int) -> Complaint:
    c = session.get(Complaint, complaint_id)
    if c is None or not (principal.can_see(c.jpath) or c.jpath == "/"):
        raise NotFound(f"complaint {complaint_id} does not exist or is outside your jurisdiction")
    return c


def list_complaints(
    principal: Principal, *, state: str | None = None, overdue: bool | None = None
) -> Any:
    """Complaints in the caller's scope (and those naming no station), oldest deadline first."""
    q = select(Complaint).where(scope_clause(principal, Complaint.jpath) | (Complaint.jpath == "/"))
    if state == "open":
        q = q.where(Complaint.state.in_(("received", "accepted", "investigating")))
    elif state:
        q = q.where(Complaint.state == state)
    if overdue:
        q = q.where(Complaint.level > 0)
    return q.order_by(Complaint.accept_due_at, Complaint.id)


def station_names(session: Session, ids: Sequence[int | None]) -> dict[int, str]:
    """Station names by id."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(
        select(Jurisdiction.id, Jurisdiction.name_zh).where(Jurisdiction.id.in_(wanted))
    ).all()
    return {int(r[0]): str(r[1]) for r in rows}


def complaint_detail(session: Session, *, principal: Principal, complaint_id: int) -> Complaint:
    """A complaint with its text and the complainant's contact: the view is audited."""
    c = _complaint(session, principal, complaint_id)
    record(
        session,
        actor=principal.actor,
        action="view_personal",
        entity="complaint",
        entity_id=c.id,
        jpath=c.jpath,
        detail={"fields": ["description", "officer_text", "contact_phone"]},
    )
    return c


def complaint_transition(
    session: Session,
    *,
    principal: Principal,
    complaint_id: int,
    to_state: str,
    note: str = "",
    public_note: str = "",
) -> Complaint:
    """Move a complaint along (accept, investigate, conclude, reject); a concluding or
    rejecting step needs a ``public_note`` (the answer the complainant reads)."""
    c = _complaint(session, principal, complaint_id)
    COMPLAINT_FLOW.check(c.state, to_state)
    if to_state in ("concluded", "rejected") and not public_note.strip():
        raise Invalid("public_note", f"say what the complainant reads when it is {to_state}")
    now = utcnow()
    previous = COMPLAINT_FLOW.apply(
        c,
        to_state,
        at=now,
        actor=principal.user_id,
        note=note,
        timeline=Timeline(session, ComplaintEvent, complaint_id=c.id),
    )
    c.updated_at = now
    if to_state in ("concluded", "rejected"):
        c.conclusion = public_note
    if public_note.strip():
        session.add(
            PublicReply(
                complaint_id=c.id,
                public=True,
                text=public_note,
                author_id=principal.user_id,
                at=now,
            )
        )
    record(
        session,
        actor=principal.actor,
        action="transition",
        entity="complaint",
        entity_id=c.id,
        jpath=c.jpath,
        detail={"from": previous, "to": to_state},
    )
    return c


def escalate_complaints(session: Session, *, actor: Actor, now: dt.datetime) -> int:
    """Complaints past a deadline (not accepted in 3 days, not concluded in 30) go one level
    up, and again every 3 days while still overdue: a timeline entry and an audit record each."""
    rows = session.scalars(
        select(Complaint).where(
            ((Complaint.state == "received") & (Complaint.accept_due_at < now))
            | (
                Complaint.state.in_(("accepted", "investigating"))
                & (Complaint.conclude_due_at < now)
            )
        )
    ).all()
    n = 0
    for c in rows:
        if c.escalated_at is not None and now - c.escalated_at < ESCALATE_EVERY:
            continue
        c.level += 1
        c.escalated_at = now
        which = "accept" if c.state == "received" else "conclude"
        Timeline(session, ComplaintEvent, complaint_id=c.id)(
            kind="escalated",
            at=now,
            note=f"overdue to {which}; level {c.level}",
            data={"level": c.level, "deadline": which},
        )
        record(
            session,
            actor=actor,
            action="escalate",
            entity="complaint",
            entity_id=c.id,
            jpath=c.jpath,
            detail={"level": c.level, "deadline": which},
        )
        n += 1
    return n
