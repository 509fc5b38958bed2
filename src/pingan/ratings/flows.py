"""Changes of the star ratings: a computation, a revocation, a recorded security feature, a
hazard. Each commits once and writes its audit record in the same transaction. Who may is the
permission table's (``rating.manage``, ``premises.feature``, ``hazard.close``), checked by the
routes and the commands; the services keep the scope.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from pingan.audit.service import Actor, record
from pingan.auth.service import Principal
from pingan.ratings import hazards, service
from pingan.ratings.models import Hazard, PremisesFeature, Rating
from pingan.ratings.schemas import HazardCreate, HazardUpdate
from pingan.store.base import utcnow

__all__ = [
    "feature_set_flow",
    "hazard_close_flow",
    "hazard_create_flow",
    "hazard_update_flow",
    "hazards_escalate_flow",
    "rating_refresh_flow",
    "rating_revoke_flow",
    "ratings_compute_flow",
]


def ratings_compute_flow(
    session: Session,
    *,
    principal: Principal,
    station_code: str | None = None,
    now: dt.datetime | None = None,
) -> service.Computed:
    """Rate every premises in the caller's scope (or one station of it); audited."""
    station = None
    if station_code is not None:
        station = service.get_station_by_code(session, principal=principal, code=station_code)
    out = service.compute(session, principal=principal, station=station, now=now)
    record(
        session,
        actor=principal.actor,
        action="compute",
        entity="ratings",
        entity_id=station_code,
        jpath=station.path if station is not None else principal.jpath,
        detail={
            "criteria_version": out.criteria_version,
            "rated": out.rated,
            "stars": {str(k): v for k, v in out.stars.items()},
        },
    )
    session.commit()
    return out


def rating_refresh_flow(session: Session, *, principal: Principal, premises_id: int) -> Rating:
    """Rate one premises again now (audited); its new rating."""
    service.rerate(session, principal=principal, premises_id=premises_id, reason="requested")
    session.commit()
    return service.current_rating(session, principal=principal, premises_id=premises_id)


def rating_revoke_flow(
    session: Session, *, principal: Principal, premises_id: int, reason: str
) -> Rating:
    """Revoke a premises' current rating: its signs, and older ones, show 「已撤销」."""
    r = service.current_rating(session, principal=principal, premises_id=premises_id)
    r.revoked_at = utcnow()
    r.revoked_reason = reason
    record(
        session,
        actor=principal.actor,
        action="revoke",
        entity="rating",
        entity_id=r.id,
        jpath=r.jpath,
        detail={"premises_id": premises_id, "stars": r.stars, "reason": reason},
    )
    session.commit()
    return r


def feature_set_flow(
    session: Session,
    *,
    principal: Principal,
    premises_id: int,
    code: str,
    present: bool,
    note: str = "",
) -> PremisesFeature:
    """Record a premises' security feature (it counts at the next computation); audited."""
    f = service.set_feature(
        session,
        principal=principal,
        premises_id=premises_id,
        code=code,
        present=present,
        note=note,
    )
    record(
        session,
        actor=principal.actor,
        action="update",
        entity="premises_feature",
        entity_id=f.id,
        jpath=f.jpath,
        detail={"premises_id": premises_id, "code": code, "present": present},
    )
    session.commit()
    return f


def hazard_create_flow(session: Session, *, principal: Principal, data: HazardCreate) -> Hazard:
    """Record a hazard point or segment (audited)."""
    h = hazards.create_hazard(session, principal=principal, data=data)
    record(
        session,
        actor=principal.actor,
        action="create",
        entity="hazard",
        entity_id=h.id,
        jpath=h.jpath,
        detail={"code": h.code, "category": h.category, "level": h.level},
    )
    session.commit()
    return h


def hazard_update_flow(
    session: Session, *, principal: Principal, hazard_id: int, data: HazardUpdate
) -> Hazard:
    """Change a hazard's owner, deadline or status (audited)."""
    h = hazards.update_hazard(
        session,
        principal=principal,
        hazard_id=hazard_id,
        owner=data.owner,
        deadline=data.deadline,
        status=data.status,
    )
    record(
        session,
        actor=principal.actor,
        action="update",
        entity="hazard",
        entity_id=h.id,
        jpath=h.jpath,
        detail=data.model_dump(mode="json", exclude_none=True),
    )
    session.commit()
    return h


def hazard_close_flow(session: Session, *, principal: Principal, hazard_id: int) -> Hazard:
    """Close a rectified hazard (audited); it stops counting at the next rating."""
    h = hazards.close_hazard(session, principal=principal, hazard_id=hazard_id)
    record(
        session,
        actor=principal.actor,
        action="close",
        entity="hazard",
        entity_id=h.id,
        jpath=h.jpath,
        detail={"code": h.code},
    )
    session.commit()
    return h


def hazards_escalate_flow(
    session: Session, *, actor: Actor, now: dt.datetime | None = None
) -> list[Hazard]:
    """Overdue open hazards go up one level of government (one audit record each)."""
    moved = hazards.escalate_overdue(session, now=now)
    for h in moved:
        record(
            session,
            actor=actor,
            action="escalate",
            entity="hazard",
            entity_id=h.id,
            jpath=h.jpath,
            detail={
                "code": h.code,
                "level": h.level,
                "deadline": h.deadline.isoformat() if h.deadline else None,
            },
        )
    session.commit()
    return moved
