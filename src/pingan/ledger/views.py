"""Services-ledger endpoints (服务台账): record a service from the field app, list the entries,
count them per officer, cell or community per day or month. Thin: reads call the service,
changes call the flows; each route takes its action from the permission table."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from pingan.api.deps import SessionDep, allowed
from pingan.api.errors import ErrorBody
from pingan.auth.service import Principal
from pingan.inputs import Day, Id, Instant, Offset
from pingan.ledger import flows, service
from pingan.ledger.schemas import By, EntryCreate, EntryPage, EntryRead, Kind, Period, SummaryRead

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/ledger", tags=["services ledger"], responses=ErrorBody)


@router.post("/entries", status_code=201, operation_id="create_ledger_entry")
def create_entry(
    body: EntryCreate,
    session: SessionDep,
    principal: Annotated[Principal, allowed("ledger.record")],
) -> EntryRead:
    """Record a service you did for people (a visit, a mediation, help, …): its kind, time,
    place, minutes and an optional note without personal data of the person served. The cell
    and community come from the point; the officer is you."""
    return flows.entry_create_flow(session, principal=principal, data=body)


@router.get("/entries", operation_id="list_ledger_entries")
def list_entries(
    session: SessionDep,
    principal: Annotated[Principal, allowed("ledger.read")],
    since: Annotated[Instant | None, Query(description="from this time (inclusive)")] = None,
    until: Annotated[Instant | None, Query(description="up to this time (exclusive)")] = None,
    officer_id: Annotated[Id | None, Query()] = None,
    cell_id: Annotated[Id | None, Query()] = None,
    community_id: Annotated[Id | None, Query()] = None,
    kind: Annotated[Kind | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[Offset, Query()] = 0,
) -> EntryPage:
    """The ledger entries of your jurisdiction (a community officer: your own), newest first."""
    return service.list_entries(
        session,
        principal=principal,
        since=since,
        until=until,
        officer_id=officer_id,
        cell_id=cell_id,
        community_id=community_id,
        kind=kind,
        limit=limit,
        offset=offset,
    )


@router.get("/summary", operation_id="ledger_summary")
def summary(
    session: SessionDep,
    principal: Annotated[Principal, allowed("ledger.read")],
    by: Annotated[By, Query()] = "officer",
    period: Annotated[Period, Query()] = "day",
    since: Annotated[Day | None, Query(description="first local day")] = None,
    until: Annotated[Day | None, Query(description="last local day (default: today)")] = None,
    limit: Annotated[
        int | None,
        Query(ge=1, le=10_000, description="at most this many rows, the latest periods first"),
    ] = None,
) -> SummaryRead:
    """Entries and minutes per officer, cell or community and per local day or month; with
    ``limit``, only the rows of the latest periods (the totals count every row)."""
    return service.summary(
        session, principal=principal, by=by, period=period, since=since, until=until, limit=limit
    )
