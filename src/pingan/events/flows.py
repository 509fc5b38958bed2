"""Event-security flows: each commits once, with its audit record in the same transaction."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from pingan.auth.service import Principal
from pingan.events import plan_edits, service
from pingan.events.models import Event, EventCheck, EventLogEntry, EventPost, EventZone
from pingan.events.schemas import EventCreate, PostCreate, PostPlace, ZoneEdit

__all__ = [
    "event_check_done_flow",
    "event_create_flow",
    "event_log_flow",
    "event_post_add_flow",
    "event_post_delete_flow",
    "event_post_place_flow",
    "event_post_update_flow",
    "event_zone_edit_flow",
]


def event_create_flow(
    session: Session, *, principal: Principal, data: EventCreate, data_dir: Path | None
) -> Event:
    """Create an event with its plan and commit (audited)."""
    e = service.create(session, principal=principal, data=data, data_dir=data_dir)
    session.commit()
    return e


def event_post_update_flow(
    session: Session,
    *,
    principal: Principal,
    post_id: int,
    resource_id: int | None = None,
    officer_id: int | None = None,
    staffed: bool | None = None,
) -> EventPost:
    """Assign or report a post staffed and commit (audited)."""
    p = service.update_post(
        session,
        principal=principal,
        post_id=post_id,
        resource_id=resource_id,
        officer_id=officer_id,
        staffed=staffed,
    )
    session.commit()
    return p


def event_check_done_flow(
    session: Session, *, principal: Principal, check_id: int, note: str = ""
) -> EventCheck:
    """Mark a check done and commit (audited)."""
    c = service.check_done(session, principal=principal, check_id=check_id, note=note)
    session.commit()
    return c


def event_log_flow(
    session: Session, *, principal: Principal, event_id: int, kind: str, text: str
) -> EventLogEntry:
    """Append to the event log and commit (audited)."""
    e = service.get_or_raise(session, principal=principal, event_id=event_id)
    row = service.add_log(session, principal=principal, event=e, kind=kind, text=text)
    session.commit()
    return row


def event_post_add_flow(
    session: Session, *, principal: Principal, event_id: int, data: PostCreate
) -> EventPost:
    """Add a post to the plan and commit (audited)."""
    p = plan_edits.add_post(session, principal=principal, event_id=event_id, data=data)
    session.commit()
    return p


def event_post_place_flow(
    session: Session, *, principal: Principal, post_id: int, data: PostPlace
) -> EventPost:
    """Move, rename or resize a post and commit (audited)."""
    p = plan_edits.place_post(session, principal=principal, post_id=post_id, data=data)
    session.commit()
    return p


def event_post_delete_flow(session: Session, *, principal: Principal, post_id: int) -> None:
    """Remove a post from the plan and commit (audited)."""
    plan_edits.delete_post(session, principal=principal, post_id=post_id)
    session.commit()


def event_zone_edit_flow(
    session: Session, *, principal: Principal, zone_id: int, data: ZoneEdit
) -> EventZone:
    """Reshape the perimeter or the control ring and commit (audited)."""
    z = plan_edits.edit_zone(session, principal=principal, zone_id=zone_id, data=data)
    session.commit()
    return z
