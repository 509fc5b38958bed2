"""Volunteer-team endpoints (群防群治): teams, members (masked), shifts, check-in and check-out
from the field app's volunteer mode, hours and the recognition list, and the hot cells without
a team shift this week. Thin: reads call the service, changes call the flows; each route takes
its action from the permission table."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from pingan.api.deps import SessionDep, allowed
from pingan.api.errors import ErrorBody
from pingan.auth.service import Principal
from pingan.inputs import Day, Id
from pingan.volunteers import flows, service
from pingan.volunteers.schemas import (
    AssignIn,
    CheckIn,
    HotCellRead,
    HoursRead,
    MemberCreate,
    MemberRead,
    ShiftCreate,
    ShiftRead,
    TeamCreate,
    TeamRead,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/volunteers", tags=["volunteer teams"], responses=ErrorBody)


@router.get("/teams", operation_id="list_volunteer_teams")
def list_teams(
    session: SessionDep,
    principal: Annotated[Principal, allowed("volunteer.read")],
    community_id: Annotated[Id | None, Query()] = None,
) -> list[TeamRead]:
    """The volunteer teams of your jurisdiction (or one community) with their members."""
    return service.list_teams(session, principal=principal, community_id=community_id)


@router.post("/teams", status_code=201, operation_id="create_volunteer_team")
def create_team(
    body: TeamCreate,
    session: SessionDep,
    principal: Annotated[Principal, allowed("volunteer.manage")],
) -> TeamRead:
    """Set up a team of a community: residents' patrol, red armbands or compound security."""
    return flows.team_create_flow(session, principal=principal, data=body)


@router.get("/teams/{team_id}/members", operation_id="list_volunteer_members")
def list_members(
    team_id: Id,
    session: SessionDep,
    principal: Annotated[Principal, allowed("volunteer.read")],
) -> list[MemberRead]:
    """The members of a team, name and phone masked."""
    return service.list_members(session, principal=principal, team_id=team_id)


@router.post("/teams/{team_id}/members", status_code=201, operation_id="create_volunteer_member")
def create_member(
    team_id: Id,
    body: MemberCreate,
    session: SessionDep,
    principal: Annotated[Principal, allowed("volunteer.manage")],
) -> MemberRead:
    """Add a member (name and phone encrypted at rest, masked when listed)."""
    return flows.member_create_flow(session, principal=principal, team_id=team_id, data=body)


@router.post("/teams/{team_id}/shifts", status_code=201, operation_id="create_volunteer_shift")
def create_shift(
    team_id: Id,
    body: ShiftCreate,
    session: SessionDep,
    principal: Annotated[Principal, allowed("volunteer.manage")],
) -> ShiftRead:
    """Plan a member's shift on a patrol area (a grid cell) or at a point."""
    return flows.shift_create_flow(session, principal=principal, team_id=team_id, data=body)


@router.post("/assignments", status_code=201, operation_id="assign_volunteer_team")
def assign(
    body: AssignIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("volunteer.manage")],
) -> list[ShiftRead]:
    """Send a team to a hot cell: a shift for each active member."""
    return flows.team_assign_flow(session, principal=principal, data=body)


@router.get("/shifts", operation_id="list_volunteer_shifts")
def list_shifts(
    session: SessionDep,
    principal: Annotated[Principal, allowed("volunteer.shift")],
    mine: Annotated[bool, Query(description="only your own (always so for volunteers)")] = False,
    day: Annotated[Day | None, Query(description="a local day (default today)")] = None,
    since: Annotated[Day | None, Query()] = None,
    until: Annotated[Day | None, Query()] = None,
    team_id: Annotated[Id | None, Query()] = None,
) -> list[ShiftRead]:
    """Shifts: a volunteer's own of the day (``mine=1``); staff: those of their jurisdiction on
    a day or between two days, optionally of one team."""
    return service.list_shifts(
        session,
        principal=principal,
        mine=mine,
        day=day,
        since=since,
        until=until,
        team_id=team_id,
    )


@router.post("/shifts/{shift_id}/check-in", operation_id="volunteer_check_in")
def check_in(
    shift_id: Id,
    body: CheckIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("volunteer.shift")],
) -> ShiftRead:
    """Check in to a shift with the phone's time and place (409 when already checked in)."""
    return flows.check_flow(session, principal=principal, shift_id=shift_id, data=body, out=False)


@router.post("/shifts/{shift_id}/check-out", operation_id="volunteer_check_out")
def check_out(
    shift_id: Id,
    body: CheckIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("volunteer.shift")],
) -> ShiftRead:
    """Check out of a shift (409 before a check-in or after a check-out)."""
    return flows.check_flow(session, principal=principal, shift_id=shift_id, data=body, out=True)


@router.get("/hours", operation_id="volunteer_hours")
def hours(
    session: SessionDep,
    principal: Annotated[Principal, allowed("volunteer.read")],
    since: Annotated[Day | None, Query()] = None,
    until: Annotated[Day | None, Query()] = None,
    min_hours: Annotated[float, Query(ge=0, le=1000)] = 4.0,
) -> HoursRead:
    """Hours per member (masked) and team; the recognition list."""
    return service.hours(
        session, principal=principal, since=since, until=until, min_hours=min_hours
    )


@router.get("/hot-cells", operation_id="volunteer_hot_cells")
def hot_cells(
    session: SessionDep,
    principal: Annotated[Principal, allowed("volunteer.read")],
    day: Annotated[Day | None, Query(description="a day of the week (default today)")] = None,
) -> list[HotCellRead]:
    """Hot cells of the patrol plans with no volunteer shift this week, with the teams of their
    communities."""
    return service.hot_cells_without_team(session, principal=principal, day=day)
