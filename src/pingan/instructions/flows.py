"""Instruction flows: each commits once, with its audit records in the same transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.orm import Session

from pingan.alerts import service as alerts
from pingan.audit.service import Actor
from pingan.auth.service import Principal
from pingan.instructions import attachments, notices, service
from pingan.instructions.models import Instruction, InstructionAttachment, Notice
from pingan.instructions.models import InstructionRecipient as Recipient

__all__ = [
    "instruction_attach_flow",
    "instruction_escalate_flow",
    "instruction_issue_flow",
    "instruction_transition_flow",
    "notice_read_flow",
    "notices_read_all_flow",
]


def instruction_issue_flow(
    session: Session,
    *,
    principal: Principal,
    title: str,
    text: str,
    priority: str,
    recipients: list[tuple[str, int]],
    sign_by: dt.datetime,
    complete_by: dt.datetime,
    incident_id: int | None = None,
    warning_id: int | None = None,
    dispute_id: int | None = None,
    premises_id: int | None = None,
) -> Instruction:
    """Issue an instruction and commit (who may: ``instruction.issue`` in the permission
    table, checked by the route and the command).

    An instruction made from an early warning marks the warning ``actioned`` with the
    instruction's id, in the same transaction.
    """
    ins = service.create_instruction(
        session,
        issuer=principal,
        title=title,
        text=text,
        priority=priority,
        recipients=recipients,
        sign_by=sign_by,
        complete_by=complete_by,
        incident_id=incident_id,
        warning_id=warning_id,
        dispute_id=dispute_id,
        premises_id=premises_id,
    )
    if warning_id is not None:
        w = alerts.get_or_raise(session, principal=principal, warning_id=warning_id)
        if "actioned" in alerts.LIFECYCLE.allowed(w.status):
            alerts.transition(
                session,
                principal=principal,
                warning_id=warning_id,
                to_state="actioned",
                reason=f"instruction {ins.code}",
                instruction_id=ins.id,
            )
    session.commit()
    return ins


def instruction_transition_flow(
    session: Session,
    *,
    principal: Principal,
    instruction_id: int,
    recipient_id: int,
    to_state: str,
    note: str = "",
    text: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    crs: str = "WGS84",
    attachment_ids: Sequence[int] = (),
    at: dt.datetime | None = None,
) -> Recipient:
    """One recipient's step (sign, start, report back, accept, return, close) at ``at``
    (default now) and commit."""
    rec = service.transition(
        session,
        principal=principal,
        instruction_id=instruction_id,
        recipient_id=recipient_id,
        to_state=to_state,
        note=note,
        text=text,
        lon=lon,
        lat=lat,
        crs=crs,
        attachment_ids=attachment_ids,
        at=at,
    )
    session.commit()
    return rec


def instruction_attach_flow(
    session: Session,
    *,
    principal: Principal,
    instruction_id: int,
    filename: str,
    content_type: str,
    data: bytes,
    recipient_id: int | None = None,
) -> InstructionAttachment:
    """Store an attachment and commit its metadata."""
    att = attachments.add_attachment(
        session,
        principal=principal,
        instruction_id=instruction_id,
        filename=filename,
        content_type=content_type,
        data=data,
        recipient_id=recipient_id,
    )
    session.commit()
    return att


def instruction_escalate_flow(
    session: Session, *, actor: Actor, now: dt.datetime | None = None
) -> notices.EscalationResult:
    """The scheduled escalation pass, committed."""
    out = notices.escalate(session, actor=actor, now=now)
    session.commit()
    return out


def notice_read_flow(session: Session, *, principal: Principal, notice_id: int) -> Notice:
    """Mark one escalation notice to the caller's office read and commit (audited)."""
    n = notices.mark_notice_read(session, principal=principal, notice_id=notice_id)
    session.commit()
    return n


def notices_read_all_flow(session: Session, *, principal: Principal) -> int:
    """Mark every unread notice to the caller's office read and commit (one audit record)."""
    marked = notices.mark_all_notices_read(session, principal=principal)
    session.commit()
    return marked
