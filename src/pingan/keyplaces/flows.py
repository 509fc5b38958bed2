"""Changes of the key places, each committing once with its audit record in the same
transaction: posts and check-ins, police-room shifts, inspections (the premises is rated again
at once, its rating citing the inspection), photos, the steps of rectification orders (an
accepted fix records the feature present and, once every order of the inspection is accepted,
the inspection rectified; the premises is rated again) and the escalation of late orders.
Roles come from the permission table (the views declare the actions)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.service import Actor, record
from pingan.auth.service import Principal
from pingan.evaluation.models import PremisesInspection
from pingan.keyplaces import inspections, orders, photos, service
from pingan.keyplaces.models import KeyplacePhoto, PoliceShift, RectificationOrder, SchoolPost
from pingan.keyplaces.schemas import CheckinRead, InspectionRead, InspectionSubmit, PostCreate
from pingan.ratings.criteria import get_criteria
from pingan.ratings.service import current_rating, rerate, set_feature
from pingan.store.base import utcnow

__all__ = [
    "checkin_flow",
    "inspection_photo_flow",
    "inspection_submit_flow",
    "order_photo_flow",
    "order_step_flow",
    "orders_escalate_flow",
    "post_create_flow",
    "shift_flow",
]


def post_create_flow(session: Session, *, principal: Principal, data: PostCreate) -> SchoolPost:
    """Set up a school gate post (audited)."""
    post = service.create_post(session, principal=principal, data=data)
    record(
        session,
        actor=principal.actor,
        action="create",
        entity="school_post",
        entity_id=post.id,
        jpath=post.jpath,
        detail={"code": post.code, "windows": post.windows, "school_days": post.school_days},
    )
    session.commit()
    return post


def checkin_flow(
    session: Session,
    *,
    principal: Principal,
    post_id: int,
    lon: float,
    lat: float,
    now: dt.datetime | None = None,
) -> CheckinRead:
    """Check in at a post (audited with the distance; a repeat in one window is not stored)."""
    out = service.checkin(session, principal=principal, post_id=post_id, lon=lon, lat=lat, now=now)
    if not out.already:
        post = session.get(SchoolPost, post_id)
        record(
            session,
            actor=principal.actor,
            action="checkin",
            entity="school_post",
            entity_id=post_id,
            jpath=post.jpath if post else principal.jpath,
            detail={"window": out.window, "distance_m": out.distance_m, "day": str(out.day)},
        )
        session.commit()
    return out


def shift_flow(session: Session, *, principal: Principal, room_id: int, start: bool) -> PoliceShift:
    """Go on or off duty in a police room (audited)."""
    fn = service.start_shift if start else service.end_shift
    s = fn(session, principal=principal, room_id=room_id)
    record(
        session,
        actor=principal.actor,
        action="shift_start" if start else "shift_end",
        entity="police_room",
        entity_id=room_id,
        jpath=s.jpath,
        detail={"shift_id": s.id},
    )
    session.commit()
    return s


def _audit_orders(session: Session, principal: Principal, opened: list[RectificationOrder]) -> None:
    for o in opened:
        record(
            session,
            actor=principal.actor,
            action="create",
            entity="rectification_order",
            entity_id=o.id,
            jpath=o.jpath,
            detail={"code": o.code, "item": o.item_code, "deadline": o.deadline.isoformat()},
        )


def inspection_submit_flow(
    session: Session,
    *,
    principal: Principal,
    premises_id: int,
    data: InspectionSubmit,
    now: dt.datetime | None = None,
) -> InspectionRead:
    """Record an inspection item by item, open an order per failed item, rate the premises
    again at once; the inspection with the new stars."""
    row, opened = inspections.submit(
        session, principal=principal, premises_id=premises_id, data=data, now=now
    )
    _audit_orders(session, principal, opened)
    rerate(session, principal=principal, premises_id=premises_id, reason=f"inspection {row.id}")
    session.commit()
    stars = current_rating(session, principal=principal, premises_id=premises_id).stars
    read = inspections.list_inspections(session, principal=principal, premises_id=premises_id)
    mine = next(r for r in read if r.id == row.id)
    return mine.model_copy(update={"stars": stars})


def _photo(
    session: Session,
    *,
    principal: Principal,
    entity: str,
    entity_id: int,
    jpath: str,
    filename: str,
    content_type: str,
    data: bytes,
) -> KeyplacePhoto:
    ph = photos.add_photo(
        session,
        principal=principal,
        entity=entity,
        entity_id=entity_id,
        jpath=jpath,
        filename=filename,
        content_type=content_type,
        data=data,
    )
    record(
        session,
        actor=principal.actor,
        action="attach",
        entity=entity if entity == "inspection" else "rectification_order",
        entity_id=entity_id,
        jpath=jpath,
        detail={"photo_id": ph.id, "sha256": ph.sha256, "bytes": ph.size_bytes},
    )
    session.commit()
    return ph


def inspection_photo_flow(
    session: Session,
    *,
    principal: Principal,
    inspection_id: int,
    filename: str,
    content_type: str,
    data: bytes,
) -> KeyplacePhoto:
    """Attach a photo to an inspection in scope (audited)."""
    from pingan.errors import NotFound

    row = session.get(PremisesInspection, inspection_id)
    if row is None or not principal.can_see(row.jpath):
        raise NotFound(f"inspection {inspection_id} does not exist or is outside your jurisdiction")
    return _photo(
        session,
        principal=principal,
        entity="inspection",
        entity_id=row.id,
        jpath=row.jpath,
        filename=filename,
        content_type=content_type,
        data=data,
    )


def order_photo_flow(
    session: Session,
    *,
    principal: Principal,
    order_id: int,
    filename: str,
    content_type: str,
    data: bytes,
) -> KeyplacePhoto:
    """Attach a photo of the fix to an order in scope (audited, on its timeline)."""
    from pingan.keyplaces.models import OrderEvent
    from pingan.store.timeline import Timeline

    o = orders.get_order_or_raise(session, principal=principal, order_id=order_id)
    Timeline(session, OrderEvent, order_id=o.id)(
        kind="photo", at=utcnow(), actor_id=principal.user_id or None, note=filename[:200]
    )
    return _photo(
        session,
        principal=principal,
        entity="order",
        entity_id=o.id,
        jpath=o.jpath,
        filename=filename,
        content_type=content_type,
        data=data,
    )


def _fixed(session: Session, principal: Principal, o: RectificationOrder) -> None:
    """An accepted order: the feature is recorded present and, once every order of its
    inspection is accepted, the inspection counts as rectified."""
    types = {i.code: i.type for i in get_criteria().items}
    if types.get(o.item_code) == "feature":
        f = set_feature(
            session,
            principal=principal,
            premises_id=o.premises_id,
            code=o.item_code,
            present=True,
            note=f"整改验收 {o.code}",
        )
        f.inspection_id = None  # recorded by the acceptance, not by the failed inspection
    if o.inspection_id is not None:
        still_open = session.scalar(
            select(RectificationOrder.id).where(
                RectificationOrder.inspection_id == o.inspection_id,
                RectificationOrder.state != "accepted",
            )
        )
        insp = session.get(PremisesInspection, o.inspection_id)
        if still_open is None and insp is not None and insp.outcome == "issues_found":
            insp.outcome = "rectified"


def order_step_flow(
    session: Session,
    *,
    principal: Principal,
    order_id: int,
    verb: str,
    note: str = "",
) -> RectificationOrder:
    """Sign, report, accept or reject an order (audited); an accepted fix re-rates the
    premises."""
    o = orders.step(session, principal=principal, order_id=order_id, verb=verb, note=note)
    if verb == "accept":
        _fixed(session, principal, o)
        session.flush()
        rerate(session, principal=principal, premises_id=o.premises_id, reason=f"order {o.code}")
    record(
        session,
        actor=principal.actor,
        action=verb,
        entity="rectification_order",
        entity_id=o.id,
        jpath=o.jpath,
        detail={"code": o.code, "state": o.state, "note": note[:200]},
    )
    session.commit()
    return o


def orders_escalate_flow(
    session: Session, *, actor: Actor, now: dt.datetime | None = None
) -> list[RectificationOrder]:
    """Late orders go up one level (one audit record each)."""
    moved = orders.escalate_late(session, now=now)
    for o in moved:
        record(
            session,
            actor=actor,
            action="escalate",
            entity="rectification_order",
            entity_id=o.id,
            jpath=o.jpath,
            detail={"code": o.code, "level": o.escalation_level, "deadline": str(o.deadline)},
        )
    session.commit()
    return moved
