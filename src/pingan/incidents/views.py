"""Incident endpoints under ``/api/v1/incidents``."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.api.deps import GroupWriterDep, SessionDep, allowed, allowed_read
from pingan.api.errors import ErrorBody
from pingan.auth.service import Principal, scope_clause
from pingan.dispatch import service as dispatch
from pingan.dispatch.schemas import IncidentDetail
from pingan.dispatch.views import lang_of
from pingan.errors import Invalid
from pingan.events import service as events
from pingan.incidents import flows, service
from pingan.incidents.models import SOURCES, Incident
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
from pingan.permissions import allows
from pingan.resources.models import Resource
from pingan.schemas import RevealIn
from pingan.store import changes
from pingan.store.base import utcnow
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
def read_taxonomy(_: Annotated[Principal, allowed("reference.read")]) -> dict[str, Any]:
    """Incident classes, subtypes and named groups."""
    return get_taxonomy().to_dict()


@router.post(
    "/incidents", status_code=201, operation_id="create_incident", response_model=IncidentRead
)
async def create_incident(
    body: IncidentCreate,
    principal: Annotated[Principal, allowed_read("incident.create")],
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
    session: SessionDep,
    principal: Annotated[Principal, allowed("incident.read")],
    state: str | None = None,
    subtype: str | None = None,
    klass: Annotated[str | None, Query(alias="class")] = None,
    since: Instant | None = None,
    until: Instant | None = None,
    source: Annotated[str | None, Query(max_length=16)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Offset = 0,
) -> IncidentPage:
    """Incidents in your jurisdiction, newest first, caller data masked; ``source=online``
    keeps the citizens' online reports (the station's queue of them)."""
    if source is not None and source not in SOURCES:
        raise Invalid("source", f"{source!r} is not a source; use one of {', '.join(SOURCES)}")
    page = service.list_page(
        session,
        principal,
        limit=limit,
        offset=offset,
        state=state,
        subtype=subtype,
        klass=klass,
        since=since,
        until=until,
        source=source,
    )
    return IncidentPage(
        items=[to_read(r) for r in page.rows],
        total=page.total,
        total_exact=page.exact,
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
            "description": "server-sent events: `incident` (new or changed), `unit` (status "
            "or position changed) and `post` (staffing of a post of an event under way changed)",
        }
    },
)
async def stream_incidents(
    request: Request,
    principal: Annotated[Principal, allowed("incident.read")],
    after_id: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    poll_s: Annotated[float, Query(ge=0.2, le=10)] = 0.5,
    last_event_id: Annotated[
        str | None, Header(alias="Last-Event-ID", max_length=32, include_in_schema=True)
    ] = None,
) -> StreamingResponse:
    """Changes in your jurisdiction as server-sent events, for the live command center:
    ``event: incident`` for every new or changed incident (state, assignment, note; the data is
    the incident as listed) and ``event: unit`` for every unit whose status, current incident
    or position changed. ``event: post`` is sent when a post of a large event under way is
    assigned, or reported staffed or not (the data: ``id``, ``event_id``, ``shift``,
    ``resource_id``, ``officer_id``, ``staffed_at``), for callers who may read events; it is a
    change against the stream's previous poll, so a change made while a browser was away is
    not re-sent: read the board again on reconnecting. ``after_id`` also sends the incidents
    created after that id. A ``ping`` comment every 15 s keeps proxies from closing it.

    Every event carries an ``id:`` (the change time it reaches, in microseconds since the
    epoch); a browser that reconnects sends it back as ``Last-Event-ID`` and the stream resumes
    from there, re-sending every change since (a few seconds of overlap: a change may come
    twice, never not at all)."""
    engine = request.app.state.engine
    factory = request.app.state.session_factories.get("read") or session_factory(engine)
    cursor = _StreamCursor(after_id=after_id, lang=lang_of(request))
    cursor.resume(last_event_id)
    if cursor.since is None:  # from the moment the request came, not from the first poll (a
        cursor.since = utcnow()  # busy server may poll late: changes in between were lost)

    def poll() -> list[str]:
        with factory() as s:
            return cursor.poll(s, principal)

    async def events() -> AsyncIterator[str]:
        idle = 0.0
        yield "retry: 3000\n\n"
        # read every poll_s, and soon after any write committed in this process (a dispatch
        # made on this worker reaches a second screen in ~0.1 s instead of ~0.25 s on average)
        with changes.waiter() as wake:
            while not await request.is_disconnected():
                items = await run_in_threadpool(poll)
                for item in items:
                    yield item
                t0 = asyncio.get_running_loop().time()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=poll_s)
                    await asyncio.sleep(changes.MIN_GAP_S)  # the commit lands meanwhile
                wake.clear()
                if not items:
                    idle += asyncio.get_running_loop().time() - t0
                    if idle >= 15:
                        idle = 0.0
                        yield ": ping\n\n"

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


class _StreamCursor:
    """What one stream has sent: rows changed since ``since`` (less an overlap for commits that
    land late), each sent once per change (``seen`` holds the change time sent)."""

    OVERLAP = dt.timedelta(seconds=3)

    def __init__(self, *, after_id: int | None, lang: str) -> None:
        self.after_id = after_id
        self.lang = lang
        self.since: dt.datetime | None = None
        self.seen_inc: dict[int, dt.datetime] = {}
        self.seen_unit: dict[int, dt.datetime] = {}
        self.posts: dict[int, dict[str, Any]] | None = None  # staffing at the last poll

    def resume(self, last_event_id: str | None) -> None:
        """Start from the change time a reconnecting client last received (its
        ``Last-Event-ID``); an id that is not one of ours, or lies ahead, is ignored."""
        if not last_event_id or not last_event_id.strip().isdigit():
            return
        try:
            at = dt.datetime.fromtimestamp(int(last_event_id) / 1e6, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            return
        if at <= utcnow() and at >= utcnow() - dt.timedelta(days=1):
            self.since = at

    @property
    def event_id(self) -> str:
        """The id sent with each event: the change time reached, in microseconds."""
        assert self.since is not None
        return str(int(self.since.timestamp() * 1e6))

    def poll(self, s: Session, principal: Principal) -> list[str]:
        """The changes since the last poll, as SSE events with their ids."""
        now = utcnow()
        if self.since is None:
            self.since = now
        out = self._changes(s, principal, now)
        eid = self.event_id
        return [f"id: {eid}\n{item}" for item in out]

    def _changes(self, s: Session, principal: Principal, now: dt.datetime) -> list[str]:
        assert self.since is not None
        out: list[str] = []
        if self.after_id is not None:  # the backfill the client asked for, once
            rows = s.scalars(
                select(Incident)
                .where(Incident.id > self.after_id, scope_clause(principal, Incident.jpath))
                .order_by(Incident.id)
                .limit(500)
            ).all()
            self.after_id = None
            for r in rows:
                self.seen_inc[r.id] = r.updated_at
                out.append(f"event: incident\ndata: {to_read(r).model_dump_json()}\n\n")
        low = self.since - self.OVERLAP
        incs = s.scalars(
            select(Incident)
            .where(Incident.updated_at > low, scope_clause(principal, Incident.jpath))
            .order_by(Incident.updated_at, Incident.id)
            .limit(1000)
        ).all()
        for r in incs:
            if self.seen_inc.get(r.id) == r.updated_at:
                continue
            self.seen_inc[r.id] = r.updated_at
            out.append(f"event: incident\ndata: {to_read(r).model_dump_json()}\n\n")
        units = s.execute(
            select(Resource, Incident.code)
            .outerjoin(Incident, Incident.id == Resource.current_incident_id)
            .where(Resource.updated_at > low, scope_clause(principal, Resource.jpath))
            .order_by(Resource.updated_at, Resource.id)
            .limit(2000)
        ).all()
        fresh = [(u, c) for u, c in units if self.seen_unit.get(u.id) != u.updated_at]
        moveups = dispatch.active_moveups(s, [u.id for u, _ in fresh])
        for u, code in fresh:
            self.seen_unit[u.id] = u.updated_at
            item = json.dumps(
                dispatch.unit_json(u, lang=self.lang, incident_code=code, moveup=moveups.get(u.id))
            )
            out.append(f"event: unit\ndata: {item}\n\n")
        out.extend(self._posts(s, principal, now))
        latest = max([self.since, *(r.updated_at for r in incs), *(u.updated_at for u, _ in units)])
        self.since = min(latest, now)
        keep = self.since - 2 * self.OVERLAP
        self.seen_inc = {k: v for k, v in self.seen_inc.items() if v >= keep}
        self.seen_unit = {k: v for k, v in self.seen_unit.items() if v >= keep}
        return out

    def _posts(self, s: Session, principal: Principal, now: dt.datetime) -> list[str]:
        """``event: post`` for every post of an event under way whose staffing differs from
        the previous poll (the first poll only takes note). Posts carry no change time, so
        they are compared by state: one small query per poll (:func:`events.live_post_states`)."""
        if not allows(principal.role, "event.read"):
            return []
        states = events.live_post_states(s, principal=principal, now=now)
        prev, self.posts = self.posts, states
        if prev is None:
            return []
        return [
            f"event: post\ndata: {json.dumps(v)}\n\n" for k, v in states.items() if prev.get(k) != v
        ]


@router.get("/incidents/{incident_id}", operation_id="get_incident")
def get_incident(
    incident_id: Id,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, allowed("incident.read")],
) -> IncidentDetail:
    """One incident with the units sent to it (``assignments``), its repeat calls and the five
    nearest working cameras; caller data masked (see ``/caller`` to reveal it, audited)."""
    inc = service.get_or_raise(session, principal=principal, incident_id=incident_id)
    rows = dispatch.list_for_incident(session, incident_id=inc.id)
    return IncidentDetail(
        **to_read(inc).model_dump(),
        assignments=dispatch.to_read(session, rows, lang=lang_of(request)),
        **dispatch.context(session, principal=principal, inc=inc),
    )


@router.get("/incidents/{incident_id}/timeline", operation_id="get_incident_timeline")
def get_timeline(
    incident_id: Id,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, allowed("incident.read")],
) -> list[IncidentEventRead]:
    """Every event of the incident in time order; a unit sent is named in the caller's page
    language."""
    events = service.timeline(session, principal=principal, incident_id=incident_id)
    named = dispatch.unit_notes(session, events, lang=lang_of(request))
    reads = [IncidentEventRead.model_validate(e) for e in events]
    return [r.model_copy(update={"note": named[r.id]}) if r.id in named else r for r in reads]


@router.post("/incidents/{incident_id}/transitions", operation_id="transition_incident")
def transition_incident(
    incident_id: Id,
    body: TransitionIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("incident.transition")],
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


@router.post("/incidents/{incident_id}/caller", operation_id="reveal_incident_caller")
def reveal_caller(
    incident_id: Id,
    body: RevealIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("incident.reveal_caller")],
) -> dict[str, str | None]:
    """The unmasked caller name and phone, for the roles that handle calls (403 for others,
    see ``pingan.permissions``); each view is audited with its reason."""
    return flows.incident_reveal_caller_flow(
        session, principal=principal, incident_id=incident_id, reason=body.reason
    )
