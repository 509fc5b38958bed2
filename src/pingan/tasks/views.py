"""Instruction and checklist endpoints under ``/api/v1/instructions`` and
``/api/v1/checklists``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import FileResponse
from sqlalchemy import select

from pingan.api.deps import CurrentUser, ReadSession, WriteSession
from pingan.api.errors import ErrorBody
from pingan.auth.service import Principal
from pingan.config import get_settings
from pingan.errors import Invalid, NotFound, PermissionDenied
from pingan.incidents.service import count
from pingan.inputs import Day, Id, Instant, Offset
from pingan.store.base import utcnow
from pingan.tasks import flows, service
from pingan.tasks.models import (
    ChecklistTask,
    ChecklistTemplate,
    Instruction,
    InstructionRecipient,
)
from pingan.tasks.schemas import (
    AttachmentRead,
    ChecklistTaskPage,
    ChecklistTaskRead,
    CompletionRead,
    EscalateOut,
    InstructionCreate,
    InstructionDetail,
    InstructionEventRead,
    InstructionPage,
    InstructionRead,
    NoticePage,
    NoticeRead,
    NoticesReadOut,
    OverrideIn,
    OverrideRead,
    QueueItem,
    QueuePage,
    RatesRead,
    RecipientRead,
    RecipientTransitionIn,
    ReportIn,
    ScheduleIn,
    ScheduleOut,
    TaskDoneIn,
    TemplateCreate,
    TemplateRead,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["instructions"], responses=ErrorBody)

Limit = Annotated[int, Query(ge=1, le=500)]
BoxQ = Literal["to_sign", "to_do", "overdue", "done", "all"]


def recipient_read(
    rec: InstructionRecipient,
    now: dt.datetime | None = None,
    names: dict[int, tuple[str, str]] | None = None,
) -> RecipientRead:
    """A recipient with its overdue flag, the steps allowed now and its name if known."""
    now = now or utcnow()
    out = RecipientRead.model_validate(rec)
    if names and rec.id in names:
        out.name_zh, out.name_en = names[rec.id]
    out.overdue = (rec.state == "issued" and rec.sign_by < now) or (
        rec.state in service.OPEN_STATES and rec.complete_by < now
    )
    out.allowed_transitions = service.LIFECYCLE.allowed(rec.state)
    return out


def instruction_read(
    ins: Instruction,
    recipients: list[InstructionRecipient],
    names: dict[int, tuple[str, str]] | None = None,
) -> InstructionRead:
    """An instruction with the count of its recipients per state."""
    out = InstructionRead.model_validate(ins)
    counts: dict[str, int] = {}
    for r in recipients:
        counts[r.state] = counts.get(r.state, 0) + 1
    out.status_counts = counts
    now = utcnow()
    out.recipients = [recipient_read(r, now, names) for r in recipients]
    return out


def _queue_page(session: Any, q: Any, limit: int, offset: int) -> QueuePage:
    rows = session.execute(q.limit(limit).offset(offset)).all()
    now = utcnow()
    names = service.recipient_names(session, [rec for rec, _ in rows])
    items = [
        QueueItem(
            recipient=recipient_read(rec, now, names),
            instruction_id=ins.id,
            code=ins.code,
            title=ins.title,
            priority=ins.priority,
            issuer_level=ins.issuer_level,
            created_at=ins.created_at,
        )
        for rec, ins in rows
    ]
    return QueuePage(items=items, total=count(session, q), limit=limit, offset=offset)


# ---------------------------------------------------------------- instructions


@router.post("/instructions", status_code=201, operation_id="issue_instruction")
def issue_instruction(
    body: InstructionCreate, session: WriteSession, principal: CurrentUser
) -> InstructionDetail:
    """Issue an instruction to stations, units, officers or every station of a district.

    Deadlines in the past are a 422 naming the field; a recipient outside your jurisdiction is
    a 403. From an early warning (``warning_id``, or ``link_kind: "warning"``) the warning is
    marked actioned."""
    ins = flows.instruction_issue_flow(
        session,
        principal=principal,
        title=body.title,
        text=body.text,
        priority=body.priority,
        recipients=[(r.kind, r.id) for r in body.recipients],
        sign_by=body.sign_by,
        complete_by=body.complete_by,
        incident_id=body.incident_id,
        warning_id=body.warning_id,
        dispute_id=body.dispute_id,
        premises_id=body.premises_id,
    )
    return _detail(session, principal, ins)


def _detail(session: Any, principal: Principal, ins: Instruction) -> InstructionDetail:
    recs = service.visible_recipients(session, principal=principal, ins=ins)
    base = instruction_read(ins, recs, service.recipient_names(session, recs))
    visible = {r.id for r in recs}
    atts = [
        AttachmentRead.model_validate(a)
        for a in service.attachments_of(session, instruction_id=ins.id)
        if a.recipient_id is None or a.recipient_id in visible
    ]
    return InstructionDetail(**base.model_dump(), attachments=atts)


@router.get("/instructions", operation_id="list_instructions")
def list_instructions(
    session: ReadSession,
    principal: CurrentUser,
    issuer: Literal["me", "office", "scope"] = "me",
    limit: Limit = 50,
    offset: Offset = 0,
) -> InstructionPage:
    """Instructions issued by you (``issuer=me``), your office, or anywhere in your jurisdiction,
    newest first, each with its recipients' states."""
    q = service.issued_query(principal, issuer=issuer)
    rows = list(session.scalars(q.limit(limit).offset(offset)))
    recs = service.recipients_for(session, [r.id for r in rows])
    names = service.recipient_names(session, [x for xs in recs.values() for x in xs])
    return InstructionPage(
        items=[instruction_read(r, recs[r.id], names) for r in rows],
        total=count(session, q),
        limit=limit,
        offset=offset,
    )


@router.get("/instructions/queue", operation_id="instruction_queue")
def instruction_queue(
    session: ReadSession,
    principal: CurrentUser,
    box: BoxQ = "to_sign",
    limit: Limit = 50,
    offset: Offset = 0,
) -> QueuePage:
    """Your own queue: ``to_sign``, ``to_do``, ``overdue``, ``done`` or ``all`` — instructions to
    you (and, for a station chief, to the station and its units), nearest deadline first."""
    return _queue_page(session, service.queue_query(principal, box=box), limit, offset)


@router.get("/instructions/board", operation_id="instruction_board")
def instruction_board(
    session: ReadSession,
    principal: CurrentUser,
    station_id: Id | None = None,
    box: BoxQ = "all",
    limit: Limit = 50,
    offset: Offset = 0,
) -> QueuePage:
    """The station board: every recipient in your jurisdiction (or ``station_id``) with its
    state, newest first."""
    q = service.board_query(principal, station_id=station_id, box=box)
    return _queue_page(session, q, limit, offset)


@router.get("/instructions/rates", operation_id="instruction_rates")
def instruction_rates(
    session: ReadSession,
    principal: CurrentUser,
    station_id: Id | None = None,
    issued_by_me: bool = False,
    since: Instant | None = None,
    until: Instant | None = None,
) -> RatesRead:
    """On-time sign and completion rates over recipients in your jurisdiction."""
    return RatesRead(
        **service.rates(
            session,
            principal=principal,
            station_id=station_id,
            issued_by_me=issued_by_me,
            since=since,
            until=until,
        )
    )


@router.get("/instructions/notices", operation_id="list_instruction_notices")
def list_notices(
    session: ReadSession,
    principal: CurrentUser,
    unread_only: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> NoticePage:
    """Escalation notices to your office: recipients overdue to sign or to complete."""
    q = service.notices_query(principal, unread_only=unread_only)
    rows = session.scalars(q.limit(limit).offset(offset)).all()
    return NoticePage(
        items=[NoticeRead.model_validate(n) for n in rows],
        total=count(session, q),
        limit=limit,
        offset=offset,
    )


@router.post("/instructions/notices/read-all", operation_id="read_all_instruction_notices")
def read_all_notices(session: WriteSession, principal: CurrentUser) -> NoticesReadOut:
    """Mark every unread escalation notice to your office read (one audit record)."""
    marked = flows.notices_read_all_flow(session, principal=principal)
    return NoticesReadOut(
        marked=marked,
        message="1 notice marked read" if marked == 1 else f"{marked} notices marked read",
    )


@router.post("/instructions/notices/{notice_id}/read", operation_id="read_instruction_notice")
def read_notice(notice_id: Id, session: WriteSession, principal: CurrentUser) -> NoticeRead:
    """Mark one escalation notice to your office read (audited; again is a no-op). A notice to
    another office is a 404."""
    return NoticeRead.model_validate(
        flows.notice_read_flow(session, principal=principal, notice_id=notice_id)
    )


@router.post("/instructions/escalate", operation_id="escalate_instructions")
def escalate_instructions(session: WriteSession, principal: CurrentUser) -> EscalateOut:
    """Run the escalation pass now (admins; it also runs on schedule). Idempotent."""
    if principal.role != "admin":
        raise PermissionDenied("only admins run the escalation pass by hand", field="role")
    out = flows.instruction_escalate_flow(session, actor=principal.actor)
    return EscalateOut(
        sign_overdue=out.sign_overdue,
        complete_overdue=out.complete_overdue,
        message=f"{out.sign_overdue} overdue to sign, {out.complete_overdue} overdue to "
        "complete escalated",
    )


@router.get("/instructions/{instruction_id}", operation_id="get_instruction")
def get_instruction(
    instruction_id: Id, session: ReadSession, principal: CurrentUser
) -> InstructionDetail:
    """One instruction with the recipients and attachments you may see."""
    ins = service.get_or_raise(session, principal=principal, instruction_id=instruction_id)
    return _detail(session, principal, ins)


@router.get("/instructions/{instruction_id}/timeline", operation_id="get_instruction_timeline")
def get_instruction_timeline(
    instruction_id: Id, session: ReadSession, principal: CurrentUser
) -> list[InstructionEventRead]:
    """Every transition, report, escalation and attachment in time order."""
    events = service.timeline(session, principal=principal, instruction_id=instruction_id)
    return [InstructionEventRead.model_validate(e) for e in events]


@router.post(
    "/instructions/{instruction_id}/recipients/{recipient_id}/transitions",
    operation_id="transition_instruction_recipient",
)
def transition_recipient(
    instruction_id: Id,
    recipient_id: Id,
    body: RecipientTransitionIn,
    session: WriteSession,
    principal: CurrentUser,
) -> RecipientRead:
    """Sign, start, accept, return (with a note) or close; an illegal step is a 409 naming the
    allowed ones, the wrong side a 403."""
    rec = flows.instruction_transition_flow(
        session,
        principal=principal,
        instruction_id=instruction_id,
        recipient_id=recipient_id,
        to_state=body.to_state,
        note=body.note,
        text=body.text,
        lon=body.lon,
        lat=body.lat,
        attachment_ids=body.attachment_ids,
    )
    return recipient_read(rec)


@router.post(
    "/instructions/{instruction_id}/recipients/{recipient_id}/report",
    operation_id="report_instruction_recipient",
)
def report_recipient(
    instruction_id: Id,
    recipient_id: Id,
    body: ReportIn,
    session: WriteSession,
    principal: CurrentUser,
) -> RecipientRead:
    """Report back (反馈): ``text`` is required; a location and photos are optional."""
    rec = flows.instruction_transition_flow(
        session,
        principal=principal,
        instruction_id=instruction_id,
        recipient_id=recipient_id,
        to_state="reported",
        text=body.text,
        lon=body.lon,
        lat=body.lat,
        crs=body.crs,
        attachment_ids=body.attachment_ids,
    )
    return recipient_read(rec)


@router.post(
    "/instructions/{instruction_id}/attachments",
    status_code=201,
    operation_id="upload_instruction_attachment",
)
def upload_attachment(
    instruction_id: Id,
    session: WriteSession,
    principal: CurrentUser,
    file: Annotated[UploadFile, File(description="at most 10 MiB: photo, PDF, text, Office")],
    recipient_id: Annotated[Id | None, Form()] = None,
) -> AttachmentRead:
    """Attach a file to the instruction (issuing side) or a photo to a recipient's report."""
    data = file.file.read(service.MAX_ATTACHMENT_BYTES + 1)
    att = flows.instruction_attach_flow(
        session,
        principal=principal,
        instruction_id=instruction_id,
        filename=file.filename or "file",
        content_type=file.content_type or "",
        data=data,
        recipient_id=recipient_id,
    )
    return AttachmentRead.model_validate(att)


@router.get(
    "/instructions/{instruction_id}/attachments/{attachment_id}",
    operation_id="download_instruction_attachment",
    response_class=FileResponse,
)
def download_attachment(
    instruction_id: Id, attachment_id: Id, session: ReadSession, principal: CurrentUser
) -> FileResponse:
    """The bytes of an attachment."""
    att = service.get_attachment_or_raise(
        session, principal=principal, instruction_id=instruction_id, attachment_id=attachment_id
    )
    path = get_settings().data_dir / att.storage_path
    if not path.is_file():
        raise NotFound(f"the file of attachment {attachment_id} is missing from the store")
    return FileResponse(path, media_type=att.content_type, filename=att.filename)


# ---------------------------------------------------------------- checklists


def _today() -> dt.date:
    return dt.datetime.now(ZoneInfo(get_settings().timezone)).date()


@router.get("/checklists/templates", operation_id="list_checklist_templates", tags=["checklists"])
def list_templates(session: ReadSession, _: CurrentUser) -> list[TemplateRead]:
    """The bureau's checklist templates."""
    rows = session.scalars(select(ChecklistTemplate).order_by(ChecklistTemplate.id))
    return [TemplateRead.model_validate(t) for t in rows]


@router.post(
    "/checklists/templates",
    status_code=201,
    operation_id="create_checklist_template",
    tags=["checklists"],
)
def create_template(
    body: TemplateCreate, session: WriteSession, principal: CurrentUser
) -> TemplateRead:
    """Add a bureau-level duty (admins and commanders of the bureau)."""
    tpl = service.create_template(session, principal=principal, **body.model_dump())
    session.commit()
    return TemplateRead.model_validate(tpl)


@router.put(
    "/checklists/templates/{template_id}/stations/{station_id}",
    operation_id="set_checklist_override",
    tags=["checklists"],
)
def set_override(
    template_id: Id,
    station_id: Id,
    body: OverrideIn,
    session: WriteSession,
    principal: CurrentUser,
) -> OverrideRead:
    """Adjust a template for one station: disable it or change its frequency and times."""
    ov = service.set_override(
        session,
        principal=principal,
        template_id=template_id,
        station_id=station_id,
        **body.model_dump(),
    )
    session.commit()
    return OverrideRead.model_validate(ov)


@router.post("/checklists/schedule", operation_id="schedule_checklist", tags=["checklists"])
def schedule_checklist(
    body: ScheduleIn, session: WriteSession, principal: CurrentUser
) -> ScheduleOut:
    """Materialise a day's checklist tasks (admins; it also runs on schedule). Running it twice
    creates nothing twice: ``existing`` says how many were already there."""
    if principal.role != "admin":
        raise PermissionDenied("only admins run the checklist scheduler by hand", field="role")
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


@router.get("/checklists/tasks", operation_id="list_checklist_tasks", tags=["checklists"])
def list_tasks(
    session: ReadSession,
    principal: CurrentUser,
    mine: bool = True,
    day: Day | None = None,
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
    task_id: Id, body: TaskDoneIn, session: WriteSession, principal: CurrentUser
) -> ChecklistTaskRead:
    """Mark a task done (``late`` after its due time); a missed task is a 409."""
    t: ChecklistTask = flows.checklist_task_done_flow(
        session, principal=principal, task_id=task_id, note=body.note
    )
    return ChecklistTaskRead.model_validate(t)


@router.get(
    "/checklists/stations/{station_id}/completion",
    operation_id="station_checklist_completion",
    tags=["checklists"],
)
def station_completion(
    station_id: Id,
    session: ReadSession,
    principal: CurrentUser,
    since: Day | None = None,
    until: Day | None = None,
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
