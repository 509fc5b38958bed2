"""Instruction endpoints under ``/api/v1/instructions``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import FileResponse

from pingan.api.deps import SessionDep, allowed
from pingan.api.errors import ErrorBody
from pingan.auth.service import Principal
from pingan.config import get_settings
from pingan.errors import NotFound
from pingan.incidents.service import count
from pingan.inputs import Id, Instant, Offset
from pingan.instructions import attachments, flows, notices, queries, service
from pingan.instructions.models import Instruction, InstructionRecipient
from pingan.instructions.schemas import (
    AttachmentRead,
    EscalateOut,
    InstructionCreate,
    InstructionDetail,
    InstructionEventRead,
    InstructionPage,
    InstructionRead,
    NoticePage,
    NoticeRead,
    NoticesReadOut,
    QueueItem,
    QueuePage,
    RatesRead,
    RecipientRead,
    RecipientTransitionIn,
    ReportIn,
)
from pingan.store.base import utcnow

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["instructions"], responses=ErrorBody)

# the callers each route lets in (pingan.permissions)
Handler = Annotated[Principal, allowed("instruction.handle")]
Supervisor = Annotated[Principal, allowed("instruction.supervise")]
Issuer = Annotated[Principal, allowed("instruction.issue")]
JobRunner = Annotated[Principal, allowed("job.run")]

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
    names = queries.recipient_names(session, [rec for rec, _ in rows])
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
    body: InstructionCreate,
    session: SessionDep,
    principal: Issuer,
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
    base = instruction_read(ins, recs, queries.recipient_names(session, recs))
    visible = {r.id for r in recs}
    atts = [
        AttachmentRead.model_validate(a)
        for a in attachments.attachments_of(session, instruction_id=ins.id)
        if a.recipient_id is None or a.recipient_id in visible
    ]
    return InstructionDetail(**base.model_dump(), attachments=atts)


@router.get("/instructions", operation_id="list_instructions")
def list_instructions(
    session: SessionDep,
    principal: Handler,
    issuer: Literal["me", "office", "scope"] = "me",
    limit: Limit = 50,
    offset: Offset = 0,
) -> InstructionPage:
    """Instructions issued by you (``issuer=me``), your office, or anywhere in your jurisdiction,
    newest first, each with its recipients' states."""
    q = queries.issued_query(principal, issuer=issuer)
    rows = list(session.scalars(q.limit(limit).offset(offset)))
    recs = queries.recipients_for(session, [r.id for r in rows])
    names = queries.recipient_names(session, [x for xs in recs.values() for x in xs])
    return InstructionPage(
        items=[instruction_read(r, recs[r.id], names) for r in rows],
        total=count(session, q),
        limit=limit,
        offset=offset,
    )


@router.get("/instructions/queue", operation_id="instruction_queue")
def instruction_queue(
    session: SessionDep,
    principal: Handler,
    box: BoxQ = "to_sign",
    limit: Limit = 50,
    offset: Offset = 0,
) -> QueuePage:
    """Your own queue: ``to_sign``, ``to_do``, ``overdue``, ``done`` or ``all`` — instructions to
    you (and, for a station chief, to the station and its units), nearest deadline first."""
    return _queue_page(session, queries.queue_query(principal, box=box), limit, offset)


@router.get("/instructions/board", operation_id="instruction_board")
def instruction_board(
    session: SessionDep,
    principal: Supervisor,
    station_id: Id | None = None,
    box: BoxQ = "all",
    limit: Limit = 50,
    offset: Offset = 0,
) -> QueuePage:
    """The station board: every recipient in your jurisdiction (or ``station_id``) with its
    state, newest first."""
    q = queries.board_query(principal, station_id=station_id, box=box)
    return _queue_page(session, q, limit, offset)


@router.get("/instructions/rates", operation_id="instruction_rates")
def instruction_rates(
    session: SessionDep,
    principal: Supervisor,
    station_id: Id | None = None,
    issued_by_me: bool = False,
    since: Instant | None = None,
    until: Instant | None = None,
) -> RatesRead:
    """On-time sign and completion rates over recipients in your jurisdiction."""
    return RatesRead(
        **queries.rates(
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
    session: SessionDep,
    principal: Handler,
    unread_only: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> NoticePage:
    """Escalation notices to your office: recipients overdue to sign or to complete."""
    q = notices.notices_query(principal, unread_only=unread_only)
    rows = session.scalars(q.limit(limit).offset(offset)).all()
    return NoticePage(
        items=[NoticeRead.model_validate(n) for n in rows],
        total=count(session, q),
        limit=limit,
        offset=offset,
    )


@router.post("/instructions/notices/read-all", operation_id="read_all_instruction_notices")
def read_all_notices(session: SessionDep, principal: Handler) -> NoticesReadOut:
    """Mark every unread escalation notice to your office read (one audit record)."""
    marked = flows.notices_read_all_flow(session, principal=principal)
    return NoticesReadOut(
        marked=marked,
        message="1 notice marked read" if marked == 1 else f"{marked} notices marked read",
    )


@router.post("/instructions/notices/{notice_id}/read", operation_id="read_instruction_notice")
def read_notice(
    notice_id: Id,
    session: SessionDep,
    principal: Handler,
) -> NoticeRead:
    """Mark one escalation notice to your office read (audited; again is a no-op). A notice to
    another office is a 404."""
    return NoticeRead.model_validate(
        flows.notice_read_flow(session, principal=principal, notice_id=notice_id)
    )


@router.post("/instructions/escalate", operation_id="escalate_instructions")
def escalate_instructions(session: SessionDep, principal: JobRunner) -> EscalateOut:
    """Run the escalation pass now (admins; it also runs on schedule). Idempotent."""
    out = flows.instruction_escalate_flow(session, actor=principal.actor)
    return EscalateOut(
        sign_overdue=out.sign_overdue,
        complete_overdue=out.complete_overdue,
        message=f"{out.sign_overdue} overdue to sign, {out.complete_overdue} overdue to "
        "complete escalated",
    )


@router.get("/instructions/{instruction_id}", operation_id="get_instruction")
def get_instruction(
    instruction_id: Id,
    session: SessionDep,
    principal: Handler,
) -> InstructionDetail:
    """One instruction with the recipients and attachments you may see."""
    ins = service.get_or_raise(session, principal=principal, instruction_id=instruction_id)
    return _detail(session, principal, ins)


@router.get("/instructions/{instruction_id}/timeline", operation_id="get_instruction_timeline")
def get_instruction_timeline(
    instruction_id: Id,
    session: SessionDep,
    principal: Handler,
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
    session: SessionDep,
    principal: Handler,
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
        at=body.at,
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
    session: SessionDep,
    principal: Handler,
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
        at=body.at,
    )
    return recipient_read(rec)


@router.post(
    "/instructions/{instruction_id}/attachments",
    status_code=201,
    operation_id="upload_instruction_attachment",
)
def upload_attachment(
    instruction_id: Id,
    session: SessionDep,
    principal: Handler,
    file: Annotated[UploadFile, File(description="at most 10 MiB: photo, PDF, text, Office")],
    recipient_id: Annotated[Id | None, Form()] = None,
) -> AttachmentRead:
    """Attach a file to the instruction (issuing side) or a photo to a recipient's report."""
    data = file.file.read(attachments.MAX_ATTACHMENT_BYTES + 1)
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
    instruction_id: Id,
    attachment_id: Id,
    session: SessionDep,
    principal: Handler,
) -> FileResponse:
    """The bytes of an attachment."""
    att = attachments.get_attachment_or_raise(
        session, principal=principal, instruction_id=instruction_id, attachment_id=attachment_id
    )
    path = get_settings().data_dir / att.storage_path
    if not path.is_file():
        raise NotFound(f"the file of attachment {attachment_id} is missing from the store")
    return FileResponse(path, media_type=att.content_type, filename=att.filename)
