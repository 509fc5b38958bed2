"""Checklist endpoints under ``/api/v1/checklists``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from sqlalchemy import select

from pingan.api.deps import SessionDep, allowed
from pingan.api.errors import ErrorBody
from pingan.auth.service import Principal
from pingan.checklists import flows, service
from pingan.checklists.models import ChecklistTask, ChecklistTemplate
from pingan.checklists.schemas import (
    ChecklistTaskPage,
    ChecklistTaskRead,
    CompletionRead,
    OverrideIn,
    OverrideRead,
    ScheduleIn,
    ScheduleOut,
    TaskDoneIn,
    TemplateCreate,
    TemplateRead,
)
from pingan.config import get_settings
from pingan.errors import Invalid
from pingan.incidents.service import count
from pingan.inputs import Id

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["checklists"], responses=ErrorBody)

# the callers each route lets in (pingan.permissions)
Handler = Annotated[Principal, allowed("instruction.handle")]
Supervisor = Annotated[Principal, allowed("instruction.supervise")]
TemplateManager = Annotated[Principal, allowed("checklist.manage")]
JobRunner = Annotated[Principal, allowed("job.run")]

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]


def _today() -> dt.date:
    return dt.datetime.now(ZoneInfo(get_settings().timezone)).date()


@router.get("/checklists/templates", operation_id="list_checklist_templates")
def list_templates(session: SessionDep, _: Handler) -> list[TemplateRead]:
    """The bureau's checklist templates."""
    rows = session.scalars(select(ChecklistTemplate).order_by(ChecklistTemplate.id))
    return [TemplateRead.model_validate(t) for t in rows]


@router.post(
    "/checklists/templates",
    status_code=201,
    operation_id="create_checklist_template",
)
def create_template(
    body: TemplateCreate,
    session: SessionDep,
    principal: TemplateManager,
) -> TemplateRead:
    """Add a bureau-level duty (admins and commanders of the bureau)."""
    tpl = flows.checklist_template_create_flow(session, principal=principal, **body.model_dump())
    return TemplateRead.model_validate(tpl)


@router.put(
    "/checklists/templates/{template_id}/stations/{station_id}",
    operation_id="set_checklist_override",
)
def set_override(
    template_id: Id,
    station_id: Id,
    body: OverrideIn,
    session: SessionDep,
    principal: Supervisor,
) -> OverrideRead:
    """Adjust a template for one station: disable it or change its frequency and times."""
    ov = flows.checklist_override_flow(
        session,
        principal=principal,
        template_id=template_id,
        station_id=station_id,
        **body.model_dump(),
    )
    return OverrideRead.model_validate(ov)


@router.post("/checklists/schedule", operation_id="schedule_checklist")
def schedule_checklist(body: ScheduleIn, session: SessionDep, principal: JobRunner) -> ScheduleOut:
    """Materialise a day's checklist tasks (admins; it also runs on schedule). Running it twice
    creates nothing twice: ``existing`` says how many were already there."""
    day = body.day or _today()
    out = flows.checklist_schedule_flow(session, actor=principal.actor, day=day)
    return ScheduleOut(
        day=out.day,
        created=out.created,
        existing=out.existing,
        missed=out.missed,
        message=out.message(),
    )


def _task_page(session: Any, q: Any, limit: int, offset: int) -> ChecklistTaskPage:
    rows = list(session.scalars(q.limit(limit).offset(offset)))
    ids = {r.template_id for r in rows}
    names = (
        {
            t.id: t
            for t in session.scalars(select(ChecklistTemplate).where(ChecklistTemplate.id.in_(ids)))
        }
        if ids
        else {}
    )
    items = []
    for r in rows:
        item = ChecklistTaskRead.model_validate(r)
        tpl = names.get(r.template_id)
        if tpl is not None:
            item.name_zh, item.name_en = tpl.name_zh, tpl.name_en
        items.append(item)
    return ChecklistTaskPage(items=items, total=count(session, q), limit=limit, offset=offset)


@router.get("/checklists/tasks", operation_id="list_checklist_tasks")
def list_tasks(
    session: SessionDep,
    principal: Handler,
    mine: bool = True,
    day: dt.date | None = None,
    station_id: Id | None = None,
    state: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> ChecklistTaskPage:
    """Checklist tasks: your own (default ``mine=true``) or all in your jurisdiction."""
    q = service.checklist_tasks_query(
        principal, mine=mine, day=day, station_id=station_id, state=state
    )
    return _task_page(session, q, limit, offset)


@router.post(
    "/checklists/tasks/{task_id}/done", operation_id="complete_checklist_task", tags=["checklists"]
)
def complete_task(
    task_id: Id,
    body: TaskDoneIn,
    session: SessionDep,
    principal: Handler,
) -> ChecklistTaskRead:
    """Mark a task done (``late`` after its due time); a missed task is a 409."""
    t: ChecklistTask = flows.checklist_task_done_flow(
        session, principal=principal, task_id=task_id, note=body.note, at=body.at
    )
    return ChecklistTaskRead.model_validate(t)


@router.get(
    "/checklists/stations/{station_id}/completion",
    operation_id="station_checklist_completion",
)
def station_completion(
    station_id: Id,
    session: SessionDep,
    principal: Supervisor,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> CompletionRead:
    """The station's checklist completion per duty (default: the last 7 days)."""
    until = until or _today()
    since = since or until - dt.timedelta(days=6)
    if (until - since).days > 400:
        raise Invalid("since", "the period may be at most 400 days")
    return CompletionRead(
        **service.station_completion(
            session, principal=principal, station_id=station_id, since=since, until=until
        )
    )
