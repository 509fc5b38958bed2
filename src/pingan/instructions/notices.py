"""Escalation (督办): recipients overdue to sign or to complete get one notice each to the
issuer's office, idempotently; the office reads them. Notices belong to instructions: each
names one recipient of one instruction and goes to the instruction's issuing office."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from pingan.audit.service import Actor, record
from pingan.auth.service import Principal
from pingan.config import get_settings
from pingan.errors import NotFound
from pingan.instructions.models import (
    Instruction,
    InstructionEvent,
    InstructionRecipient,
    Notice,
)
from pingan.instructions.queries import recipient_names
from pingan.instructions.service import OPEN_STATES
from pingan.store.base import utcnow
from pingan.store.timeline import Timeline

__all__ = [
    "EscalationResult",
    "escalate",
    "mark_all_notices_read",
    "mark_notice_read",
    "notices_query",
]


def notices_query(principal: Principal, *, unread_only: bool = False) -> Select[Any]:
    """Escalation notices addressed to the caller's level (the issuing office)."""
    q = select(Notice).where(Notice.jpath == principal.jpath)
    if unread_only:
        q = q.where(Notice.read_at.is_(None))
    return q.order_by(Notice.created_at.desc(), Notice.id.desc())


def mark_notice_read(
    session: Session, *, principal: Principal, notice_id: int, now: dt.datetime | None = None
) -> Notice:
    """Mark one notice to the caller's office read; audited. Marking a read notice again keeps
    its first ``read_at`` and writes nothing. A notice to another office is ``NotFound``."""
    n = session.get(Notice, notice_id)
    if n is None or n.jpath != principal.jpath:
        raise NotFound(f"notice {notice_id} does not exist or is not addressed to your office")
    if n.read_at is None:
        n.read_at = now or utcnow()
        record(
            session,
            actor=principal.actor,
            action="read",
            entity="instruction_notice",
            entity_id=n.id,
            jpath=n.jpath,
            detail={"instruction_id": n.instruction_id, "kind": n.kind},
        )
        session.flush()
    return n


def mark_all_notices_read(
    session: Session, *, principal: Principal, now: dt.datetime | None = None
) -> int:
    """Mark every unread notice to the caller's office read; one audit record with the ids.
    Returns how many were marked (0 writes nothing)."""
    now = now or utcnow()
    rows = list(session.scalars(notices_query(principal, unread_only=True)))
    for n in rows:
        n.read_at = now
    if rows:
        record(
            session,
            actor=principal.actor,
            action="read_all",
            entity="instruction_notice",
            jpath=principal.jpath,
            detail={"count": len(rows), "ids": sorted(n.id for n in rows)},
        )
        session.flush()
    return len(rows)


@dataclass(frozen=True)
class EscalationResult:
    """What one :func:`escalate` pass did."""

    sign_overdue: int
    complete_overdue: int

    @property
    def total(self) -> int:
        """Notices written by this pass."""
        return self.sign_overdue + self.complete_overdue


def escalate(session: Session, *, actor: Actor, now: dt.datetime | None = None) -> EscalationResult:
    """Mark recipients overdue to sign or to complete and write one notice each to the issuer's
    level, with a timeline entry. Idempotent: a recipient is escalated once per kind."""
    now = now or utcnow()
    tz = ZoneInfo(get_settings().timezone)
    R = InstructionRecipient
    passes = (
        ("sign_overdue", and_(R.state == "issued", R.sign_by < now, R.sign_overdue.is_(False))),
        (
            "complete_overdue",
            and_(R.state.in_(OPEN_STATES), R.complete_by < now, R.complete_overdue.is_(False)),
        ),
    )
    counts: dict[str, int] = {}
    for kind, cond in passes:
        rows = session.execute(
            select(R, Instruction).join(Instruction, Instruction.id == R.instruction_id).where(cond)
        ).all()
        names = recipient_names(session, [rec for rec, _ in rows])
        for rec, ins in rows:
            setattr(rec, kind, True)
            deadline = rec.sign_by if kind == "sign_overdue" else rec.complete_by
            local = f"{deadline.astimezone(tz):%Y-%m-%d %H:%M}"
            verb_zh, verb_en = ("签收", "sign") if kind == "sign_overdue" else ("办结", "complete")
            rid = rec.officer_id or rec.resource_id or rec.station_id
            who_zh, who_en = names.get(rec.id, (f"{rec.kind} {rid}", f"{rec.kind} {rid}"))
            session.add(
                Notice(
                    kind=kind,
                    jpath=ins.jpath,
                    instruction_id=ins.id,
                    recipient_id=rec.id,
                    message_zh=f"指令 {ins.code}《{ins.title}》：{who_zh} 超期未{verb_zh}"
                    f"（时限 {local}）",
                    message_en=f"instruction {ins.code} '{ins.title}': {who_en} is overdue to "
                    f"{verb_en} (deadline {local})",
                    created_at=now,
                )
            )
            Timeline(session, InstructionEvent, instruction_id=ins.id, recipient_id=rec.id)(
                kind="escalated", at=now, note=kind
            )
        counts[kind] = len(rows)
    result = EscalationResult(counts["sign_overdue"], counts["complete_overdue"])
    if result.total:
        record(
            session,
            actor=actor,
            action="escalate",
            entity="instruction",
            detail={
                "sign_overdue": result.sign_overdue,
                "complete_overdue": result.complete_overdue,
            },
        )
    session.flush()
    return result
