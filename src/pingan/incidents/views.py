"""Incident endpoints under ``/api/v1/incidents``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from pingan.api.deps import CurrentUser, CurrentUserRead, GroupWriterDep, ReadSession, WriteSession
from pingan.api.errors import ErrorBody
from pingan.auth.service import scope_clause
from pingan.incidents import flows, service
from pingan.incidents.models import Incident
from pingan.incidents.schemas import (
    IncidentCreate,
    IncidentEventRead,
    IncidentPage,
    IncidentRead,
    TransitionIn,
)
from pingan.incidents.taxonomy import get_taxonomy
from pingan.inputs import Id, Instant, Offset
from pingan.masking import mask_name, mask_phone
from pingan.store.engine import session_factory

router = APIRouter(prefix="/api/v1", tags=["incidents"], responses=ErrorBody)


def to_read(inc: Incident) -> IncidentRead:
    """The list/detail form of an incident with the caller masked."""
    out = IncidentRead.model_validate(inc)
    out.caller_name_masked = mask_name(inc.caller_name)
    out.caller_phone_masked = mask_phone(inc.caller_phone)
    out.allowed_transitions = service.LIFECYCLE.allowed(inc.state)
    return out


def row_to_read(row: service.IncidentRow) -> IncidentRead:
    """:func:`to_read` of an incident's stored row (as the create flow returns it)."""
    return IncidentRead.model_validate(
        {
            **row,
            "caller_name_masked": mask_name(row["caller_name"]),
            "caller_phone_masked": mask_phone(row["caller_phone"]),
            "allowed_transitions": service.LIFECYCLE.allowed(row["state"]),
        }
    )


@router.get("/taxonomy", operation_id="get_taxonomy")
def read_taxonomy(_: CurrentUser) -> dict[str, Any]:
    """Incident classes, subtypes and named groups."""
    return get_taxonomy().to_dict()


@router.post(
    "/incidents", status_code=201, operation_id="create_incident", response_model=IncidentRead
)
async def create_incident(
    body: IncidentCreate,
    principal: CurrentUserRead,
    writer: GroupWriterDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Response:
    """Create an incident. Send an ``Idempotency-Key`` to make retries safe: the same key and
    body return the first incident (``Idempotency-Replayed: true``); the same key with another
    body is a 409. The 201 comes after the commit that holds the incident."""
    # concurrent creations share one commit (pingan.store.group); the answer is built after it
    prepare, apply = flows.incident_create_steps(
        principal=principal, data=body, idempotency_key=idempotency_key
    )

    def finish(result: tuple[service.IncidentRow, bool]) -> tuple[bytes, bool]:
        # serialised once, here (FastAPI would validate the model again, then encode it)
        return row_to_read(result[0]).model_dump_json().encode(), result[1]

    out, created = await writer.run(prepare, apply, finish, many=flows.incident_create_many)
    return Response(
        out,
        status_code=201,
        media_type="application/json",
        headers=None if created else {"Idempotency-Replayed": "true"},
    )


@router.get("/incidents", operation_id="list_incidents")
def list_incidents(
    session: ReadSession,
    principal: CurrentUser,
    state: str | None = None,
    subtype: str | None = None,
    klass: Annotated[str | None, Query(alias="class")] = None,
    since: Instant | None = None,
    until: Instant | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Offset = 0,
) -> IncidentPage:
    """Incidents in your jurisdiction, newest first, caller data masked."""
    q = service.list_query(
        principal, state=state, subtype=subtype, klass=klass, since=since, until=until
    )
    rows = session.scalars(q.limit(limit).offset(offset)).all()
    return IncidentPage(
        items=[to_read(r) for r in rows],
        total=service.count(session, q),
        limit=limit,
        offset=offset,
    )


@router.get(
    "/incidents/stream",
    operation_id="stream_incidents",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "server-sent events: one `incident` event per new incident",
        }
    },
)
async def stream_incidents(
    request: Request,
    principal: CurrentUser,
    after_id: Offset | None = None,
    poll_s: Annotated[float, Query(ge=0.2, le=10)] = 1.0,
) -> StreamingResponse:
    """New incidents in your jurisdiction as server-sent events (``event: incident``), for the
    live command-center map; a ``ping`` comment every 15 s keeps proxies from closing it."""
    engine = request.app.state.engine
    factory = request.app.state.session_factories.get("read") or session_factory(engine)

    def poll(last: int) -> tuple[int, list[str]]:
        with factory() as s:
            if last < 0:
                last = int(s.scalar(select(func.coalesce(func.max(Incident.id), 0))) or 0)
                return last, []
            rows = s.scalars(
                select(Incident)
                .where(Incident.id > last, scope_clause(principal, Incident.jpath))
                .order_by(Incident.id)
                .limit(500)
            ).all()
            out = [to_read(r).model_dump_json() for r in rows]
            if rows:
                last = rows[-1].id
            else:
                top = s.scalar(select(func.max(Incident.id)))
                last = max(last, int(top or 0))
            return last, out

    async def events() -> AsyncIterator[str]:
        last = -1 if after_id is None else after_id
        idle = 0.0
        yield "retry: 3000\n\n"
        while not await request.is_disconnected():
            last, items = await run_in_threadpool(poll, last)
            for item in items:
                yield f"event: incident\ndata: {item}\n\n"
            if not items:
                idle += poll_s
                if idle >= 15:
                    idle = 0.0
                    yield ": ping\n\n"
                await asyncio.sleep(poll_s)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/incidents/{incident_id}", operation_id="get_incident")
def get_incident(incident_id: Id, session: ReadSession, principal: CurrentUser) -> IncidentRead:
    """One incident (caller data masked; see ``/caller`` to reveal it, audited)."""
    return to_read(service.get_or_raise(session, principal=principal, incident_id=incident_id))


@router.get("/incidents/{incident_id}/timeline", operation_id="get_incident_timeline")
def get_timeline(
    incident_id: Id, session: ReadSession, principal: CurrentUser
) -> list[IncidentEventRead]:
    """Every event of the incident in time order."""
    events = service.timeline(session, principal=principal, incident_id=incident_id)
    return [IncidentEventRead.model_validate(e) for e in events]


@router.post("/incidents/{incident_id}/transitions", operation_id="transition_incident")
def transition_incident(
    incident_id: Id, body: TransitionIn, session: WriteSession, principal: CurrentUser
) -> IncidentRead:
    """Move the incident along its lifecycle; an illegal step is a 409 naming the allowed ones."""
    inc = flows.incident_transition_flow(
        session,
        principal=principal,
        incident_id=incident_id,
        to_state=body.to_state,
        note=body.note,
        at=body.at,
    )
    return to_read(inc)


class RevealIn(BaseModel):
    """Why the caller's contact data is needed (written to the audit log)."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


@router.post("/incidents/{incident_id}/caller", operation_id="reveal_incident_caller")
def reveal_caller(
    incident_id: Id, body: RevealIn, session: WriteSession, principal: CurrentUser
) -> dict[str, str | None]:
    """The unmasked caller name and phone; each view is audited with its reason."""
    return flows.incident_reveal_caller_flow(
        session, principal=principal, incident_id=incident_id, reason=body.reason
    )
