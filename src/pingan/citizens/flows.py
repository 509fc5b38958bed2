"""Citizen-service flows: each commits once, with its audit records in the same transaction.
The public rate limits are counted and committed first (:func:`public_throttle_flow`), so that
a refused request counts as much as an accepted one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.orm import Session

from pingan.audit.service import Actor, record
from pingan.auth.service import Principal
from pingan.citizens import open311, service, throttle
from pingan.citizens.models import (
    Complaint,
    OfficerProfile,
    OnlineReport,
    Open311Key,
    PublicNotice,
    PublicReply,
    RentalStay,
    ReportPhoto,
)
from pingan.citizens.schemas import ComplaintIn, ReportIn, StayIn
from pingan.config import get_settings
from pingan.errors import TooManyRequests
from pingan.incidents.models import Incident
from pingan.permissions import check
from pingan.store.base import utcnow

__all__ = [
    "citizens_retention_flow",
    "complaint_detail_flow",
    "complaint_escalate_flow",
    "complaint_submit_flow",
    "complaint_transition_flow",
    "notice_create_flow",
    "officer_profile_flow",
    "open311_key_add_flow",
    "open311_key_revoke_flow",
    "open311_post_flow",
    "open311_read_flow",
    "public_throttle_flow",
    "rental_code_flow",
    "rental_remind_flow",
    "rental_reveal_flow",
    "rental_review_flow",
    "rental_stay_flow",
    "rental_verify_flow",
    "report_merge_flow",
    "report_photo_flow",
    "report_reply_flow",
    "report_submit_flow",
    "report_triage_flow",
]


def public_throttle_flow(
    session: Session,
    *,
    ip_hash: str | None,
    device_hash: str | None,
    now: dt.datetime | None = None,
) -> None:
    """Count a public form post per address and per device and commit the counts; past a
    limit raise ``TooManyRequests`` (429, ``Retry-After``)."""
    settings = get_settings()
    now = now or utcnow()
    try:
        if ip_hash:
            throttle.hit(
                session,
                key=f"form:ip:{ip_hash}",
                limit=settings.public_report_per_ip,
                window_s=settings.public_report_window_s,
                now=now,
                field="client address",
            )
        if device_hash:
            throttle.hit(
                session,
                key=f"form:dev:{device_hash}",
                limit=settings.public_report_per_device,
                window_s=settings.public_report_window_s,
                now=now,
                field="device",
            )
    except TooManyRequests:
        session.commit()
        raise
    session.commit()


def report_submit_flow(
    session: Session,
    *,
    data: ReportIn,
    photos: Sequence[tuple[bytes, str]],
    pow_nonce: str,
    device_hash: str | None,
) -> tuple[OnlineReport, Incident]:
    """A citizen's online report: the proof of work spent, the incident and report written."""
    now = utcnow()
    throttle.spend(session, nonce=pow_nonce, now=now)
    report, inc = service.create_report(
        session, data=data, photos=photos, device_hash=device_hash, now=now
    )
    session.commit()
    return report, inc


def complaint_submit_flow(
    session: Session, *, data: ComplaintIn, pow_nonce: str, device_hash: str | None
) -> Complaint:
    """A complaint about police conduct, routed to the supervision office."""
    now = utcnow()
    throttle.spend(session, nonce=pow_nonce, now=now)
    c = service.create_complaint(session, data=data, device_hash=device_hash, now=now)
    session.commit()
    return c


def report_reply_flow(
    session: Session, *, principal: Principal, incident_id: int, text: str, public: bool
) -> PublicReply:
    """A station's reply to an online report."""
    check(principal.role, "incident.note")
    reply = service.add_reply(
        session, principal=principal, incident_id=incident_id, text=text, public=public
    )
    session.commit()
    return reply


def report_merge_flow(
    session: Session, *, principal: Principal, incident_id: int, into_incident_id: int
) -> Incident:
    """Merge an online report into another incident."""
    check(principal.role, "incident.transition")
    inc = service.merge_report(
        session, principal=principal, incident_id=incident_id, into_incident_id=into_incident_id
    )
    session.commit()
    return inc


def report_triage_flow(
    session: Session,
    *,
    principal: Principal,
    incident_id: int,
    to: str,
    reason: str = "",
    referred_to: str = "",
    reply: str = "",
) -> OnlineReport:
    """The station accepts, refers or rejects an online report (the citizen reads why)."""
    from pingan.citizens import triage

    check(principal.role, "online_report.triage")
    report = triage.triage_report(
        session,
        principal=principal,
        incident_id=incident_id,
        to=to,
        reason=reason,
        referred_to=referred_to,
        reply=reply,
    )
    session.commit()
    return report


def report_photo_flow(
    session: Session, *, principal: Principal, incident_id: int, n: int
) -> ReportPhoto:
    """A photo of an online report, its view audited."""
    check(principal.role, "incident.read")
    photo = service.report_photo(session, principal=principal, incident_id=incident_id, n=n)
    session.commit()
    return photo


def complaint_detail_flow(
    session: Session, *, principal: Principal, complaint_id: int
) -> Complaint:
    """A complaint in full, the view audited."""
    check(principal.role, "complaint.read")
    c = service.complaint_detail(session, principal=principal, complaint_id=complaint_id)
    session.commit()
    return c


def complaint_transition_flow(
    session: Session,
    *,
    principal: Principal,
    complaint_id: int,
    to_state: str,
    note: str = "",
    public_note: str = "",
) -> Complaint:
    """One step of a complaint."""
    check(principal.role, "complaint.handle")
    c = service.complaint_transition(
        session,
        principal=principal,
        complaint_id=complaint_id,
        to_state=to_state,
        note=note,
        public_note=public_note,
    )
    session.commit()
    return c


def citizens_retention_flow(session: Session, *, actor: Actor, now: dt.datetime) -> dict[str, int]:
    """Citizens' personal data past retention cleared, old rate-limit counters forgotten."""
    from pingan.citizens import rental

    out = {
        "report_contacts": service.purge_contacts(session, actor=actor, now=now),
        "stays": rental.purge_stays(session, actor=actor, now=now),
        "counters": throttle.purge(session, before=now - dt.timedelta(days=1)),
    }
    session.commit()
    return out


def complaint_escalate_flow(session: Session, *, actor: Actor, now: dt.datetime) -> int:
    """Overdue complaints one level up (the scheduled job ``complaints``)."""
    n = service.escalate_complaints(session, actor=actor, now=now)
    session.commit()
    return n


def open311_key_add_flow(session: Session, *, actor: Actor, name: str) -> str:
    """A new partner key (returned once; only its hash is kept)."""
    _, key = open311.add_key(session, actor=actor, name=name)
    session.commit()
    return key


def open311_key_revoke_flow(session: Session, *, actor: Actor, name: str) -> Open311Key:
    """Revoke a partner key."""
    row = open311.revoke_key(session, actor=actor, name=name)
    session.commit()
    return row


def _key_actor(key: Open311Key, ip: str | None) -> Actor:
    return Actor(id=None, name=f"open311:{key.name}", jpath="/", ip=ip)


def open311_read_flow(session: Session, *, api_key: str, path: str, ip: str | None) -> Open311Key:
    """A read made with a key: the key checked, counted and the request audited."""
    key = open311.check_key(session, api_key)
    _count_key(session, key)
    record(
        session,
        actor=_key_actor(key, ip),
        action="open311_read",
        entity="open311",
        detail={"path": path},
    )
    session.commit()
    return key


def _count_key(session: Session, key: Open311Key) -> None:
    settings = get_settings()
    try:
        throttle.hit(
            session,
            key=f"o311:{key.id}",
            limit=settings.open311_key_per_hour,
            window_s=3600,
            now=utcnow(),
            field="api_key",
        )
    except TooManyRequests:
        session.commit()
        raise


def open311_post_flow(
    session: Session, *, api_key: str | None, data: ReportIn, ip: str | None
) -> tuple[OnlineReport, Incident]:
    """POST requests: the key checked and counted, the report made, the request audited."""
    key = open311.check_key(session, api_key)
    _count_key(session, key)
    report, inc = service.create_report(
        session, data=data, channel="open311", open311_key_id=key.id
    )
    record(
        session,
        actor=_key_actor(key, ip),
        action="open311_post",
        entity="online_report",
        entity_id=report.id,
        jpath=report.jpath,
        detail={"code": report.code},
    )
    session.commit()
    return report, inc


def rental_code_flow(session: Session, *, premises_id: int, phone: str) -> None:
    """Send the landlord a code (the count of codes is kept even when refused)."""
    from pingan.citizens import rental

    try:
        rental.send_code(session, premises_id=premises_id, phone=phone, now=utcnow())
    except TooManyRequests:
        session.commit()
        raise
    session.commit()


def rental_verify_flow(session: Session, *, premises_id: int, phone: str, code: str) -> None:
    """Check the landlord's code (a wrong try counts)."""
    from pingan.citizens import rental
    from pingan.errors import Invalid

    try:
        rental.verify_code(session, premises_id=premises_id, phone=phone, code=code, now=utcnow())
    except Invalid:
        session.commit()
        raise
    session.commit()


def rental_stay_flow(
    session: Session, *, premises_id: int, data: StayIn, landlord_phone: str
) -> RentalStay:
    """A stay registered by the verified landlord."""
    from pingan.citizens import rental

    stay = rental.register_stay(
        session, premises_id=premises_id, data=data, landlord_phone=landlord_phone, now=utcnow()
    )
    session.commit()
    return stay


def rental_review_flow(
    session: Session, *, principal: Principal, stay_id: int, to_state: str, note: str
) -> RentalStay:
    """The community officer accepts or returns a stay."""
    from pingan.citizens import rental

    check(principal.role, "rental.review")
    stay = rental.review_stay(
        session, principal=principal, stay_id=stay_id, to_state=to_state, note=note
    )
    session.commit()
    return stay


def rental_reveal_flow(
    session: Session, *, principal: Principal, stay_id: int, reason: str
) -> dict[str, str | None]:
    """The tenant's data for the reviewing officer, the view audited."""
    from pingan.citizens import rental

    check(principal.role, "rental.review")
    out = rental.reveal_stay(session, principal=principal, stay_id=stay_id, reason=reason)
    session.commit()
    return out


def rental_remind_flow(session: Session, *, actor: Actor, now: dt.datetime) -> int:
    """Reminders to landlords of stays about to end (the scheduled job ``rentals``)."""
    from pingan.citizens import rental

    n = rental.remind_stays(session, actor=actor, now=now)
    session.commit()
    return n


def notice_create_flow(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_code: str,
    title: str,
    body: str,
    valid_from: dt.date,
    valid_until: dt.date,
) -> PublicNotice:
    """A community safety notice written by the station."""
    from pingan.citizens import notices

    check(principal.role, "notice.write")
    n = notices.create_notice(
        session,
        principal=principal,
        jurisdiction_code=jurisdiction_code,
        title=title,
        body=body,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    session.commit()
    return n


def officer_profile_flow(
    session: Session, *, principal: Principal, username: str, office_hours: str, work_phone: str
) -> OfficerProfile:
    """What the public sees of a community officer."""
    from pingan.citizens import notices

    check(principal.role, "notice.write")
    p = notices.set_profile(
        session,
        principal=principal,
        username=username,
        office_hours=office_hours,
        work_phone=work_phone,
    )
    session.commit()
    return p
