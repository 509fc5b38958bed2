"""Changes of the volunteer teams, each committing once with its audit record in the same
transaction: teams, members (personal data: the record says a member was added, never the
name or phone), shifts, the assignment of a team to a hot cell, check-in and check-out."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from pingan.audit.service import Entry, record, record_many
from pingan.auth.service import Principal
from pingan.volunteers import service
from pingan.volunteers.schemas import (
    AssignIn,
    CheckIn,
    MemberCreate,
    MemberRead,
    ShiftCreate,
    ShiftRead,
    TeamCreate,
    TeamRead,
)

__all__ = [
    "check_flow",
    "member_create_flow",
    "shift_create_flow",
    "team_assign_flow",
    "team_create_flow",
]


def team_create_flow(session: Session, *, principal: Principal, data: TeamCreate) -> TeamRead:
    """Set up a volunteer team (audited)."""
    team = service.create_team(session, principal=principal, data=data)
    record(
        session,
        actor=principal.actor,
        action="create",
        entity="volunteer_team",
        entity_id=team.id,
        jpath=team.jpath,
        detail={"code": team.code, "kind": team.kind},
    )
    out = service.list_teams(session, principal=principal, community_id=team.community_id)
    session.commit()
    return next(t for t in out if t.id == team.id)


def member_create_flow(
    session: Session, *, principal: Principal, team_id: int, data: MemberCreate
) -> MemberRead:
    """Add a member to a team (audited without the name or phone); the member masked."""
    m = service.create_member(session, principal=principal, team_id=team_id, data=data)
    record(
        session,
        actor=principal.actor,
        action="create",
        entity="volunteer_member",
        entity_id=m.id,
        jpath=m.jpath,
        detail={"team_id": m.team_id, "user_id": m.user_id, "phone": m.phone is not None},
    )
    out = next(
        r
        for r in service.list_members(session, principal=principal, team_id=team_id)
        if r.id == m.id
    )
    session.commit()
    return out


def shift_create_flow(
    session: Session, *, principal: Principal, team_id: int, data: ShiftCreate
) -> ShiftRead:
    """Plan a member's shift (audited)."""
    s = service.create_shift(session, principal=principal, team_id=team_id, data=data)
    record(
        session,
        actor=principal.actor,
        action="create",
        entity="volunteer_shift",
        entity_id=s.id,
        jpath=s.jpath,
        detail={"member_id": s.member_id, "cell_id": s.cell_id, "day": s.day.isoformat()},
    )
    out = service.shift_read(session, s)
    session.commit()
    return out


def team_assign_flow(session: Session, *, principal: Principal, data: AssignIn) -> list[ShiftRead]:
    """Send a team to a hot cell: a shift per active member (each audited)."""
    shifts = service.assign_team(session, principal=principal, data=data)
    record_many(
        session,
        [
            Entry(
                principal.actor,
                "assign",
                "volunteer_shift",
                s.id,
                s.jpath,
                {"team_id": s.team_id, "cell_id": s.cell_id, "day": s.day.isoformat()},
            )
            for s in shifts
        ],
    )
    out = service.shift_reads(session, shifts)
    session.commit()
    return out


def check_flow(
    session: Session,
    *,
    principal: Principal,
    shift_id: int,
    data: CheckIn,
    out: bool,
    now: dt.datetime | None = None,
) -> ShiftRead:
    """Check in to or out of a shift (audited with the time and the point)."""
    s = service.check(session, principal=principal, shift_id=shift_id, data=data, out=out, now=now)
    record(
        session,
        actor=principal.actor,
        action="check_out" if out else "check_in",
        entity="volunteer_shift",
        entity_id=s.id,
        jpath=s.jpath,
        detail={"at": data.at.isoformat(), "lon": data.lon, "lat": data.lat},
    )
    res = service.shift_read(session, s)
    session.commit()
    return res
