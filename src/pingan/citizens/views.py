"""Staff endpoints of the citizen services, under ``/api/v1``: the station's queue of online
reports (public and internal replies, duplicates merged, photos viewed with an audit record)
and the supervision office's queue of complaints about police conduct."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import HTMLResponse

from pingan.api.deps import SessionDep, allowed
from pingan.api.errors import ErrorBody
from pingan.auth.service import Principal
from pingan.citizens import flows, rental, service, triage
from pingan.citizens.categories import category
from pingan.citizens.models import Complaint
from pingan.citizens.schemas import (
    ComplaintPage,
    ComplaintRead,
    ComplaintTransitionIn,
    MergeIn,
    NoticeIn,
    OfficerProfileIn,
    ReplyIn,
    ReportPage,
    ReportRead,
    StayRead,
    StayReviewIn,
    TriageIn,
)
from pingan.errors import NotFound
from pingan.incidents.taxonomy import get_taxonomy
from pingan.inputs import Id, Offset
from pingan.masking import mask_phone
from pingan.schemas import RevealIn
from pingan.store.base import count_rows, utcnow

router = APIRouter(prefix="/api/v1", tags=["citizens"], responses=ErrorBody)


@router.get("/online-reports", operation_id="list_online_reports")
def list_online_reports(
    session: SessionDep,
    principal: Annotated[Principal, allowed("incident.read")],
    state: Annotated[str | None, Query(max_length=16)] = None,
    triage: Annotated[
        str | None, Query(pattern="^(pending|accepted|merged|referred|rejected)$")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> ReportPage:
    """Online reports in your jurisdiction, newest first (``state=open`` for the open ones,
    ``triage=pending`` for those the station has not yet accepted, merged, referred or
    rejected), with their replies; the contact phone masked (reveal it on the incident,
    audited)."""
    q = service.report_query(principal, state=state, triage=triage)
    rows = session.execute(q.limit(limit).offset(offset)).all()
    ids = [r[0].id for r in rows]
    replies = service.report_replies(session, ids)
    photos = service.photo_counts(session, ids)
    items = []
    subtypes = get_taxonomy().subtypes
    for report, inc in rows:
        cat = category(report.category)
        sub = subtypes.get(inc.subtype)
        items.append(
            ReportRead(
                id=report.id,
                code=report.code,
                incident_id=inc.id,
                incident_code=inc.code,
                category=cat.zh if cat else report.category,
                subtype=inc.subtype,
                subtype_zh=sub.name_zh if sub else inc.subtype,
                subtype_en=sub.name_en if sub else inc.subtype,
                state=inc.state,
                summary=inc.summary,
                address_text=inc.address_text,
                lon=inc.lon,
                lat=inc.lat,
                channel=report.channel,
                photos=photos.get(report.id, 0),
                phone_masked=mask_phone(inc.caller_phone),
                replies=[
                    {"at": r.at.isoformat(), "text": r.text, "public": r.public}
                    for r in replies.get(report.id, [])
                ],
                created_at=report.created_at,
                repeat_of_id=inc.repeat_of_id,
                triage=report.triage,
                triage_reason=report.triage_reason,
                referred_to=report.referred_to,
                triaged_at=report.triaged_at,
            )
        )
    total = count_rows(session, q)
    return ReportPage(items=items, total=total, limit=limit, offset=offset)


@router.post(
    "/online-reports/{incident_id}/replies",
    status_code=201,
    operation_id="reply_online_report",
)
def reply_online_report(
    incident_id: Id,
    body: ReplyIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("incident.note")],
) -> dict[str, object]:
    """Reply to the citizen: ``public`` replies show on the tracking page; internal ones only
    here and on the incident's timeline. Audited."""
    r = flows.report_reply_flow(
        session, principal=principal, incident_id=incident_id, text=body.text, public=body.public
    )
    return {"id": r.id, "at": r.at.isoformat(), "public": r.public, "text": r.text}


@router.post("/online-reports/{incident_id}/triage", operation_id="triage_online_report")
def triage_online_report(
    incident_id: Id,
    body: TriageIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("online_report.triage")],
) -> dict[str, object]:
    """Accept a report into the station's work, refer it to another body (``referred_to``) or
    reject it; ``reason`` (required to refer or reject) shows on the citizen's tracking page.
    Audited."""
    r = flows.report_triage_flow(
        session,
        principal=principal,
        incident_id=incident_id,
        to=body.to,
        reason=body.reason,
        referred_to=body.referred_to,
        reply=body.reply,
    )
    return {"id": r.id, "code": r.code, "triage": r.triage, "referred_to": r.referred_to}


@router.get(
    "/online-reports/{incident_id}/candidates", operation_id="online_report_merge_candidates"
)
def online_report_candidates(
    incident_id: Id,
    session: SessionDep,
    principal: Annotated[Principal, allowed("incident.read")],
) -> list[dict[str, object]]:
    """Open incidents within 500 m reported in the 3 days before the report: what it may
    duplicate (the same subtype first, then nearest)."""
    return triage.candidates(session, principal=principal, incident_id=incident_id)


@router.post("/online-reports/{incident_id}/merge", operation_id="merge_online_report")
def merge_online_report(
    incident_id: Id,
    body: MergeIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("incident.transition")],
) -> dict[str, object]:
    """Merge a duplicate report into another incident: it becomes ``duplicate`` and its
    tracking page follows the other one."""
    inc = flows.report_merge_flow(
        session,
        principal=principal,
        incident_id=incident_id,
        into_incident_id=body.into_incident_id,
    )
    return {"incident_id": inc.id, "state": inc.state, "repeat_of_id": inc.repeat_of_id}


@router.get(
    "/online-reports/{incident_id}/photos/{n}",
    operation_id="get_online_report_photo",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
def get_online_report_photo(
    incident_id: Id,
    n: Annotated[int, Path(ge=1, le=5)],
    session: SessionDep,
    principal: Annotated[Principal, allowed("incident.read")],
) -> Response:
    """One photo of an online report (metadata already stripped); the view is audited."""
    photo = flows.report_photo_flow(session, principal=principal, incident_id=incident_id, n=n)
    return Response(
        photo.data, media_type=photo.content_type, headers={"Cache-Control": "private, no-store"}
    )


def _complaint_read(c: Complaint, stations: dict[int, str], *, full: bool) -> ComplaintRead:
    now = utcnow()
    open_ = c.state in ("received", "accepted", "investigating")
    due = c.accept_due_at if c.state == "received" else c.conclude_due_at
    return ComplaintRead(
        id=c.id,
        code=c.code,
        category=c.category,
        station=stations.get(c.station_id) if c.station_id else None,
        state=c.state,
        level=c.level,
        accept_due_at=c.accept_due_at,
        conclude_due_at=c.conclude_due_at,
        overdue=open_ and due < now,
        created_at=c.created_at,
        phone_masked=mask_phone(c.contact_phone),
        allowed_transitions=service.COMPLAINT_FLOW.allowed(c.state),
        description=c.description if full else None,
        officer_text=c.officer_text if full else None,
        conclusion=c.conclusion,
    )


@router.get("/complaints", operation_id="list_complaints")
def list_complaints(
    session: SessionDep,
    principal: Annotated[Principal, allowed("complaint.read")],
    state: Annotated[str | None, Query(max_length=16)] = None,
    overdue: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> ComplaintPage:
    """Complaints about police conduct (the supervision office only), nearest deadline first;
    no text or contact in the list (open one: audited)."""
    q = service.list_complaints(principal, state=state, overdue=overdue)
    rows = session.scalars(q.limit(limit).offset(offset)).all()
    stations = service.station_names(session, [c.station_id for c in rows])
    return ComplaintPage(
        items=[_complaint_read(c, stations, full=False) for c in rows],
        total=count_rows(session, q),
        limit=limit,
        offset=offset,
    )


@router.get("/complaints/{complaint_id}", operation_id="get_complaint")
def get_complaint(
    complaint_id: Id,
    session: SessionDep,
    principal: Annotated[Principal, allowed("complaint.read")],
) -> ComplaintRead:
    """One complaint with its text (the complainant's phone stays masked); audited."""
    c = flows.complaint_detail_flow(session, principal=principal, complaint_id=complaint_id)
    return _complaint_read(c, service.station_names(session, [c.station_id]), full=True)


@router.post("/complaints/{complaint_id}/transition", operation_id="transition_complaint")
def transition_complaint(
    complaint_id: Id,
    body: ComplaintTransitionIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("complaint.handle")],
) -> ComplaintRead:
    """Accept, investigate, conclude or reject; ``public_note`` is what the complainant reads
    on the tracking page (required to conclude or reject)."""
    c = flows.complaint_transition_flow(
        session,
        principal=principal,
        complaint_id=complaint_id,
        to_state=body.to_state,
        note=body.note,
        public_note=body.public_note,
    )
    return _complaint_read(c, service.station_names(session, [c.station_id]), full=False)


@router.get("/rental-stays", operation_id="list_rental_stays")
def list_rental_stays(
    session: SessionDep,
    principal: Annotated[Principal, allowed("rental.read")],
    state: Annotated[str | None, Query(pattern="^(submitted|accepted|returned)$")] = None,
    premises_id: Id | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> dict[str, object]:
    """Stays registered by landlords in your jurisdiction (the community officer's queue), or
    those of one house (``premises_id``): tenants masked; ``expired`` once the stay has
    ended."""
    q = rental.stays_query(principal, state=state, premises_id=premises_id)
    rows = session.execute(q.limit(limit).offset(offset)).all()
    today = rental.local_today()
    items = [
        StayRead(
            id=s.id,
            premises_id=s.premises_id,
            premises_name=name,
            tenant_count=s.tenant_count,
            start_date=s.start_date,
            end_date=s.end_date,
            tenant_name_masked=rental.masked(s)["tenant_name_masked"],
            tenant_id_masked=rental.masked(s)["tenant_id_masked"],
            state=s.state,
            expired=s.end_date < today,
            in_force=s.state != "returned" and s.start_date <= today <= s.end_date,
            created_at=s.created_at,
        ).model_dump(mode="json")
        for s, name in rows
    ]
    return {"items": items, "total": count_rows(session, q), "limit": limit, "offset": offset}


@router.post("/rental-stays/{stay_id}/review", operation_id="review_rental_stay")
def review_rental_stay(
    stay_id: Id,
    body: StayReviewIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("rental.review")],
) -> dict[str, object]:
    """Accept a stay, or return it to the landlord with a note (audited)."""
    s = flows.rental_review_flow(
        session, principal=principal, stay_id=stay_id, to_state=body.to_state, note=body.note
    )
    return {"id": s.id, "state": s.state}


@router.post("/rental-stays/{stay_id}/reveal", operation_id="reveal_rental_stay")
def reveal_rental_stay(
    stay_id: Id,
    body: RevealIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("rental.review")],
) -> dict[str, str | None]:
    """The tenant's name and ID number and the landlord's phone, audited with your reason."""
    return flows.rental_reveal_flow(
        session, principal=principal, stay_id=stay_id, reason=body.reason
    )


@router.get(
    "/rental-houses/{premises_id}/plate",
    operation_id="rental_house_plate",
    response_class=HTMLResponse,
)
def rental_house_plate(
    premises_id: Id,
    session: SessionDep,
    principal: Annotated[Principal, allowed("rental.read")],
) -> HTMLResponse:
    """The printable QR plate of a rental house (A5; print it from the browser)."""
    house = rental.rental_house(session, premises_id)
    if house is None or not principal.can_see(house.jpath):
        raise NotFound(f"premises {premises_id} is not a rental house in your jurisdiction")
    return HTMLResponse(rental.plate_html(house))


@router.post("/public-notices", status_code=201, operation_id="create_public_notice")
def create_public_notice(
    body: NoticeIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("notice.write")],
) -> dict[str, object]:
    """A safety notice for a community (or a station's whole area), shown on ``/notices``."""
    n = flows.notice_create_flow(
        session,
        principal=principal,
        jurisdiction_code=body.jurisdiction_code,
        title=body.title,
        body=body.body,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
    )
    return {"id": n.id, "title": n.title, "jpath": n.jpath}


@router.put("/officer-profiles/{username}", operation_id="set_officer_profile")
def set_officer_profile(
    username: Annotated[str, Path(max_length=64)],
    body: OfficerProfileIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("notice.write")],
) -> dict[str, object]:
    """Office hours and the public work phone of a community officer (``/officer`` shows them;
    never a private number)."""
    p = flows.officer_profile_flow(
        session,
        principal=principal,
        username=username,
        office_hours=body.office_hours,
        work_phone=body.work_phone,
    )
    return {"user_id": p.user_id, "office_hours": p.office_hours, "work_phone": p.work_phone}


@router.get("/rental-houses", operation_id="list_rental_houses")
def list_rental_houses(
    session: SessionDep,
    principal: Annotated[Principal, allowed("rental.read")],
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Offset = 0,
) -> dict[str, object]:
    """Rental houses in your jurisdiction with the stays in force today, their plate's address,
    and the share of houses with a registered stay (``registered_share``)."""
    q = rental.houses_query(principal)
    houses = session.scalars(q.limit(limit).offset(offset)).all()
    today = rental.local_today()
    in_force = rental.registered_share(session, [h.id for h in houses], today=today)
    total = count_rows(session, q)
    with_stay = rental.houses_with_stays(session, principal, today=today)
    return {
        "items": [
            {
                "premises_id": h.id,
                "name": h.name,
                "address": h.address_text,
                "stays_in_force": in_force.get(h.id, 0),
                "plate": f"/api/v1/rental-houses/{h.id}/plate",
                "qr_url": rental.public_url(rental.make_token(h.id)),
            }
            for h in houses
        ],
        "total": total,
        "houses_with_stay": with_stay,
        "registered_share": round(with_stay / total, 3) if total else None,
        "registered_share_basis": rental.SHARE_BASIS,
        "limit": limit,
        "offset": offset,
    }
