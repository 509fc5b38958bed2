"""Instructions (指令签收办理) and duty checklists (一张清单管任务): reads and writes.

Instructions go to one or more recipients (a station, a unit, an officer, or every station of
a district); each recipient row has its own state in :data:`LIFECYCLE`, with a timestamp per
transition and a timeline entry. Overdue recipients are escalated by :func:`escalate` (a notice
to the issuer's level). Checklist templates are materialised per day by :func:`materialise`
into :class:`~pingan.tasks.models.ChecklistTask` rows, idempotently.

Every function takes a session and keyword-only arguments and never commits; flows commit.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, true, update
from sqlalchemy.orm import Session

from pingan.alerts.models import EarlyWarning
from pingan.audit.service import Actor, record
from pingan.auth.models import ROLES, User
from pingan.auth.service import Principal, scope_clause
from pingan.config import get_settings
from pingan.errors import Conflict, Invalid, NotFound, PermissionDenied
from pingan.geo.crs import to_wgs84
from pingan.incidents.models import Incident
from pingan.jurisdictions.models import Jurisdiction
from pingan.places.models import PREMISES_KINDS, Premises
from pingan.resources.models import Resource
from pingan.store.base import utcnow
from pingan.store.bulk import bulk_insert, timestamps_for
from pingan.tasks.models import (
    CHECKLIST_FREQUENCIES,
    CHECKLIST_TARGETS,
    PRIORITIES,
    ChecklistOverride,
    ChecklistTask,
    ChecklistTemplate,
    Instruction,
    InstructionAttachment,
    InstructionEvent,
    InstructionRecipient,
    Notice,
)
from pingan.workflow import StateMachine

__all__ = [
    "ALLOWED_CONTENT_TYPES",
    "CHECKLIST",
    "ISSUER_ROLES",
    "LIFECYCLE",
    "MAX_ATTACHMENT_BYTES",
    "MAX_RECIPIENTS",
    "OPEN_STATES",
    "DueTasks",
    "EscalationResult",
    "MaterialiseResult",
    "add_attachment",
    "attachment_path",
    "attachments_of",
    "board_query",
    "can_act_as_issuer",
    "checklist_tasks_query",
    "complete_task",
    "create_instruction",
    "create_template",
    "due_tasks",
    "escalate",
    "get_attachment_or_raise",
    "get_or_raise",
    "get_task_or_raise",
    "issued_query",
    "mark_all_notices_read",
    "mark_missed",
    "mark_notice_read",
    "materialise",
    "notices_query",
    "queue_query",
    "rates",
    "recipient_names",
    "recipients_for",
    "set_override",
    "station_completion",
    "timeline",
    "transition",
    "visible_recipients",
]

LIFECYCLE = StateMachine(
    name="instruction",
    initial="issued",
    transitions={
        "issued": ("signed",),
        "signed": ("in_progress",),
        "in_progress": ("reported",),
        "reported": ("accepted", "returned"),
        "returned": ("in_progress",),
        "accepted": ("closed",),
        "closed": (),
    },
)
"""Per-recipient lifecycle: 签收 → 办理 → 反馈 → 验收 (or 退回重办) → 办结."""

CHECKLIST = StateMachine(
    name="checklist task",
    initial="open",
    transitions={"open": ("done", "late", "missed"), "done": (), "late": (), "missed": ()},
)
"""A checklist task is open until done (on time), late (after ``due_at``) or missed (still open
at ``close_at``)."""

OPEN_STATES: tuple[str, ...] = ("issued", "signed", "in_progress", "returned")
TODO_STATES: tuple[str, ...] = ("signed", "in_progress", "returned")
RECIPIENT_STEPS = frozenset({"signed", "in_progress", "reported"})
ISSUER_STEPS = frozenset({"accepted", "returned", "closed"})
ISSUER_ROLES = frozenset({"admin", "commander", "station_chief"})
TEMPLATE_ROLES = frozenset({"admin", "commander"})
MAX_RECIPIENTS = 500
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ALLOWED_CONTENT_TYPES: tuple[str, ...] = (
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/heic",
    "application/pdf",
    "text/plain",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
_STAMP = {
    "signed": "signed_at",
    "reported": "reported_at",
    "accepted": "accepted_at",
    "closed": "closed_at",
}
_GRACE = {
    "daily": dt.timedelta(hours=12),
    "weekly": dt.timedelta(days=2),
    "monthly": dt.timedelta(days=5),
    "quarterly": dt.timedelta(days=10),
}

Box = Literal["to_sign", "to_do", "overdue", "done", "all"]


# ---------------------------------------------------------------- instructions: create


def _aware(name: str, value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise Invalid(name, "must include a timezone, e.g. 2026-12-02T18:00:00+08:00")
    return value.astimezone(dt.UTC)


def _issuer_level(session: Session, principal: Principal) -> str:
    if principal.jurisdiction_id is None:
        return "bureau"
    j = session.get(Jurisdiction, principal.jurisdiction_id)
    return "bureau" if j is None else j.level


def _station_of_path(session: Session, path: str) -> int | None:
    ids = [int(p) for p in path.split("/") if p]
    if not ids:
        return None
    return session.scalar(
        select(Jurisdiction.id).where(Jurisdiction.id.in_(ids), Jurisdiction.level == "station")
    )


@dataclass(frozen=True)
class _Target:
    kind: str
    station_id: int | None
    resource_id: int | None
    officer_id: int | None
    jpath: str


def _resolve_recipients(
    session: Session, principal: Principal, recipients: Sequence[tuple[str, int]]
) -> list[_Target]:
    if not recipients:
        raise Invalid("recipients", "name at least one station, unit, officer or district")
    out: list[_Target] = []
    seen: set[tuple[str, int]] = set()

    def outside(kind: str, rid: int) -> PermissionDenied:
        return PermissionDenied(
            f"recipient {kind} {rid} is outside your jurisdiction", field="recipients"
        )

    def add(t: _Target, key: tuple[str, int]) -> None:
        if key not in seen:
            seen.add(key)
            out.append(t)

    for i, item in enumerate(recipients):
        try:
            kind, rid = str(item[0]), int(item[1])
        except (TypeError, ValueError, IndexError):
            raise Invalid(f"recipients[{i}]", "expected a (kind, id) pair") from None
        if kind in ("station", "district"):
            j = session.get(Jurisdiction, rid)
            if j is None or j.level != kind:
                raise Invalid(f"recipients[{i}]", f"no {kind} with id {rid}")
            if not principal.can_see(j.path):
                raise outside(kind, rid)
            if kind == "station":
                add(_Target("station", j.id, None, None, j.path), ("station", j.id))
                continue
            stations = session.execute(
                select(Jurisdiction.id, Jurisdiction.path)
                .where(
                    Jurisdiction.level == "station",
                    Jurisdiction.path.startswith(j.path, autoescape=True),
                )
                .order_by(Jurisdiction.id)
            ).all()
            if not stations:
                raise Invalid(f"recipients[{i}]", f"district {rid} has no stations")
            for sid, spath in stations:
                add(_Target("station", sid, None, None, spath), ("station", sid))
        elif kind == "unit":
            r = session.get(Resource, rid)
            if r is None:
                raise Invalid(f"recipients[{i}]", f"no unit with id {rid}")
            if not principal.can_see(r.jpath):
                raise outside(kind, rid)
            add(_Target("unit", r.station_id, r.id, None, r.jpath), ("unit", r.id))
        elif kind == "officer":
            u = session.get(User, rid)
            if u is None or not u.is_active or u.jurisdiction_id is None:
                raise Invalid(f"recipients[{i}]", f"no officer with id {rid}")
            j = session.get(Jurisdiction, u.jurisdiction_id)
            path = j.path if j is not None else "/"
            if not principal.can_see(path):
                raise outside(kind, rid)
            station_id = _station_of_path(session, path)
            add(_Target("officer", station_id, None, u.id, path), ("officer", u.id))
        else:
            raise Invalid(
                f"recipients[{i}]",
                f"{kind!r} is not a recipient kind; use station, unit, officer or district",
            )
    if len(out) > MAX_RECIPIENTS:
        raise Invalid("recipients", f"{len(out)} recipients; at most {MAX_RECIPIENTS}")
    return out


def _check_links(
    session: Session,
    principal: Principal,
    *,
    incident_id: int | None,
    warning_id: int | None,
    dispute_id: int | None,
    premises_id: int | None,
) -> None:
    links: list[tuple[str, type[Any], int | None]] = [
        ("incident_id", Incident, incident_id),
        ("warning_id", EarlyWarning, warning_id),
        ("premises_id", Premises, premises_id),
    ]
    for name, model, value in links:
        if value is None:
            continue
        row = session.get(model, value)
        if row is None or not principal.can_see(row.jpath):
            raise Invalid(
                name, f"{name[:-3]} {value} does not exist or is outside your jurisdiction"
            )
    if dispute_id is not None and dispute_id <= 0:
        raise Invalid("dispute_id", "must be a positive dispute id")


def create_instruction(
    session: Session,
    *,
    issuer: Principal,
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
    """Issue an instruction to ``recipients`` — ``(kind, id)`` pairs with kind ``station``,
    ``unit``, ``officer`` or ``district`` (every station of the district) — one recipient row
    each, in state ``issued``; audited.

    Raises ``Invalid`` (422) for a deadline in the past, an unknown priority, recipient or link;
    ``PermissionDenied`` (403) for a recipient outside the issuer's jurisdiction. The role check
    is :func:`pingan.tasks.flows.instruction_issue_flow`'s: other domains (disputes) may issue on
    behalf of the system's rules.
    """
    title, text = title.strip(), text.strip()
    if not title:
        raise Invalid("title", "must not be empty")
    if len(title) > 200:
        raise Invalid("title", "too long: at most 200 characters")
    if not text:
        raise Invalid("text", "must not be empty: say what is to be done")
    if priority not in PRIORITIES:
        raise Invalid("priority", f"{priority!r} is not a priority; use {', '.join(PRIORITIES)}")
    now = utcnow()
    sign_by = _aware("sign_by", sign_by)
    complete_by = _aware("complete_by", complete_by)
    if sign_by <= now:
        raise Invalid("sign_by", f"is in the past ({sign_by.isoformat(timespec='minutes')})")
    if complete_by <= now:
        raise Invalid(
            "complete_by", f"is in the past ({complete_by.isoformat(timespec='minutes')})"
        )
    if complete_by < sign_by:
        raise Invalid("complete_by", "must not be before sign_by")
    targets = _resolve_recipients(session, issuer, recipients)
    _check_links(
        session,
        issuer,
        incident_id=incident_id,
        warning_id=warning_id,
        dispute_id=dispute_id,
        premises_id=premises_id,
    )
    ins = Instruction(
        code=f"ZL{now:%Y%m%d}-{secrets.token_hex(4).upper()}",
        title=title,
        text=text,
        priority=priority,
        issuer_id=issuer.user_id,
        issuer_level=_issuer_level(session, issuer),
        issuer_jurisdiction_id=issuer.jurisdiction_id,
        jpath=issuer.jpath,
        sign_by=sign_by,
        complete_by=complete_by,
        incident_id=incident_id,
        warning_id=warning_id,
        dispute_id=dispute_id,
        premises_id=premises_id,
        recipient_count=len(targets),
        created_at=now,
    )
    session.add(ins)
    session.flush()
    session.add_all(
        InstructionRecipient(
            instruction_id=ins.id,
            kind=t.kind,
            station_id=t.station_id,
            resource_id=t.resource_id,
            officer_id=t.officer_id,
            jpath=t.jpath,
            state=LIFECYCLE.initial,
            priority=priority,
            sign_by=sign_by,
            complete_by=complete_by,
            created_at=now,
        )
        for t in targets
    )
    session.add(
        InstructionEvent(
            instruction_id=ins.id,
            at=now,
            kind="issued",
            to_state=LIFECYCLE.initial,
            actor_id=issuer.user_id,
            data=json.dumps({"recipients": len(targets)}),
        )
    )
    record(
        session,
        actor=issuer.actor,
        action="create",
        entity="instruction",
        entity_id=ins.id,
        jpath=ins.jpath,
        detail={
            "code": ins.code,
            "priority": priority,
            "recipients": [
                [t.kind, t.officer_id or t.resource_id or t.station_id] for t in targets
            ][:100],
            "links": {
                "incident_id": incident_id,
                "warning_id": warning_id,
                "dispute_id": dispute_id,
                "premises_id": premises_id,
            },
        },
    )
    session.flush()
    return ins


# ---------------------------------------------------------------- instructions: reads


def _sees_recipient(principal: Principal, rec: InstructionRecipient) -> bool:
    return principal.can_see(rec.jpath) or rec.officer_id == principal.user_id


def can_act_as_issuer(principal: Principal, ins: Instruction) -> bool:
    """The issuer, or a commander/chief of the issuing office, or an admin."""
    return (
        principal.role == "admin"
        or principal.user_id == ins.issuer_id
        or (principal.role in ISSUER_ROLES and principal.jpath == ins.jpath)
    )


def _can_act_as_recipient(principal: Principal, rec: InstructionRecipient) -> bool:
    """An officer recipient acts for himself; a station or unit recipient is signed and handled
    by the station's chief."""
    if rec.kind == "officer":
        return rec.officer_id == principal.user_id
    return (
        principal.role == "station_chief"
        and rec.station_id is not None
        and principal.jurisdiction_id == rec.station_id
    )


def get_or_raise(session: Session, *, principal: Principal, instruction_id: int) -> Instruction:
    """The instruction if the caller issued it, is in the issuing office's scope, or is (or
    oversees) one of its recipients; else ``NotFound``."""
    ins = session.get(Instruction, instruction_id)
    if ins is not None and (principal.can_see(ins.jpath) or can_act_as_issuer(principal, ins)):
        return ins
    if ins is not None:
        conds: list[ColumnElement[bool]] = [InstructionRecipient.officer_id == principal.user_id]
        if principal.jpath != "/":
            conds.append(scope_clause(principal, InstructionRecipient.jpath))
        hit = session.scalar(
            select(InstructionRecipient.id)
            .where(InstructionRecipient.instruction_id == ins.id, or_(*conds))
            .limit(1)
        )
        if hit is not None:
            return ins
    raise NotFound(f"instruction {instruction_id} does not exist or is outside your jurisdiction")


def visible_recipients(
    session: Session, *, principal: Principal, ins: Instruction
) -> list[InstructionRecipient]:
    """The recipients of ``ins`` the caller may see (all of them for the issuing side)."""
    rows = list(
        session.scalars(
            select(InstructionRecipient)
            .where(InstructionRecipient.instruction_id == ins.id)
            .order_by(InstructionRecipient.id)
        )
    )
    if principal.can_see(ins.jpath) or can_act_as_issuer(principal, ins):
        return rows
    return [r for r in rows if _sees_recipient(principal, r)]


def recipients_for(
    session: Session, instruction_ids: Sequence[int]
) -> dict[int, list[InstructionRecipient]]:
    """Recipients of several instructions in one query (for a page of instructions)."""
    out: dict[int, list[InstructionRecipient]] = {i: [] for i in instruction_ids}
    if not instruction_ids:
        return out
    for r in session.scalars(
        select(InstructionRecipient)
        .where(InstructionRecipient.instruction_id.in_(list(instruction_ids)))
        .order_by(InstructionRecipient.id)
    ):
        out[r.instruction_id].append(r)
    return out


def recipient_names(
    session: Session, recipients: Iterable[InstructionRecipient]
) -> dict[int, tuple[str, str]]:
    """``{recipient id: (name_zh, name_en)}`` for showing recipients: the station's name, the
    unit's name, or the officer's display name — three queries at most for a page."""
    recs = list(recipients)
    ids: dict[str, set[int]] = {"station": set(), "unit": set(), "officer": set()}
    for r in recs:
        rid = {"station": r.station_id, "unit": r.resource_id, "officer": r.officer_id}[r.kind]
        if rid is not None:
            ids[r.kind].add(rid)
    stations = (
        {
            int(i): (str(zh), str(en))
            for i, zh, en in session.execute(
                select(Jurisdiction.id, Jurisdiction.name_zh, Jurisdiction.name_en).where(
                    Jurisdiction.id.in_(ids["station"])
                )
            )
        }
        if ids["station"]
        else {}
    )
    units = (
        {
            int(i): (str(zh), str(en))
            for i, zh, en in session.execute(
                select(Resource.id, Resource.name_zh, Resource.name_en).where(
                    Resource.id.in_(ids["unit"])
                )
            )
        }
        if ids["unit"]
        else {}
    )
    officers = (
        {
            int(i): (str(n or u), str(n or u))
            for i, n, u in session.execute(
                select(User.id, User.display_name, User.username).where(User.id.in_(ids["officer"]))
            )
        }
        if ids["officer"]
        else {}
    )
    out: dict[int, tuple[str, str]] = {}
    for r in recs:
        if r.kind == "station" and r.station_id in stations:
            out[r.id] = stations[r.station_id]
        elif r.kind == "unit" and r.resource_id in units:
            out[r.id] = units[r.resource_id]
        elif r.kind == "officer" and r.officer_id in officers:
            zh, en = officers[r.officer_id]
            out[r.id] = (f"民警 {zh}", f"Officer {en}")
    return out


def _mine(principal: Principal) -> ColumnElement[bool]:
    own = InstructionRecipient.officer_id == principal.user_id
    if principal.role == "station_chief" and principal.jurisdiction_id is not None:
        return or_(
            own,
            and_(
                InstructionRecipient.kind.in_(("station", "unit")),
                InstructionRecipient.station_id == principal.jurisdiction_id,
            ),
        )
    return own


def _box_clause(box: Box, now: dt.datetime) -> ColumnElement[bool]:
    state = InstructionRecipient.state
    if box == "to_sign":
        return state == "issued"
    if box == "to_do":
        return state.in_(TODO_STATES)
    if box == "overdue":
        return or_(
            and_(state == "issued", InstructionRecipient.sign_by < now),
            and_(state.in_(OPEN_STATES), InstructionRecipient.complete_by < now),
        )
    if box == "done":
        return state.in_(("reported", "accepted", "closed"))
    return true()


def queue_query(principal: Principal, *, box: Box = "all", now: dt.datetime | None = None) -> Any:
    """The caller's own queue: recipient rows addressed to the caller (and, for a station chief,
    to the station and its units), with their instruction; ordered by the nearest deadline."""
    now = now or utcnow()
    order = (
        (InstructionRecipient.sign_by, InstructionRecipient.id)
        if box == "to_sign"
        else (InstructionRecipient.complete_by, InstructionRecipient.id)
        if box in ("to_do", "overdue")
        else (InstructionRecipient.created_at.desc(), InstructionRecipient.id.desc())
    )
    return (
        select(InstructionRecipient, Instruction)
        .join(Instruction, Instruction.id == InstructionRecipient.instruction_id)
        .where(_mine(principal), _box_clause(box, now))
        .order_by(*order)
    )


def board_query(
    principal: Principal,
    *,
    station_id: int | None = None,
    box: Box = "all",
    now: dt.datetime | None = None,
) -> Any:
    """Every recipient row in the caller's jurisdiction (or one station), newest first."""
    now = now or utcnow()
    q = (
        select(InstructionRecipient, Instruction)
        .join(Instruction, Instruction.id == InstructionRecipient.instruction_id)
        .where(scope_clause(principal, InstructionRecipient.jpath), _box_clause(box, now))
    )
    if station_id is not None:
        q = q.where(InstructionRecipient.station_id == station_id)
    return q.order_by(InstructionRecipient.created_at.desc(), InstructionRecipient.id.desc())


def issued_query(
    principal: Principal, *, issuer: Literal["me", "office", "scope"] = "me"
) -> Select[Any]:
    """Instructions issued by the caller, by the caller's office, or anywhere in scope."""
    if issuer == "me":
        cond: ColumnElement[bool] = Instruction.issuer_id == principal.user_id
    elif issuer == "office":
        cond = Instruction.jpath == principal.jpath
    else:
        cond = scope_clause(principal, Instruction.jpath)
    return (
        select(Instruction)
        .where(cond)
        .order_by(Instruction.created_at.desc(), Instruction.id.desc())
    )


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


def timeline(
    session: Session, *, principal: Principal, instruction_id: int
) -> list[InstructionEvent]:
    """The instruction's timeline in time order (the caller's visible recipients only)."""
    ins = get_or_raise(session, principal=principal, instruction_id=instruction_id)
    visible = {r.id for r in visible_recipients(session, principal=principal, ins=ins)}
    rows = session.scalars(
        select(InstructionEvent)
        .where(InstructionEvent.instruction_id == ins.id)
        .order_by(InstructionEvent.at, InstructionEvent.id)
    )
    return [e for e in rows if e.recipient_id is None or e.recipient_id in visible]


def rates(
    session: Session,
    *,
    principal: Principal,
    station_id: int | None = None,
    issued_by_me: bool = False,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """On-time sign and completion counts and rates over recipient rows in scope.

    ``sign_rate`` = signed on time / recipients whose sign-by has passed or who signed;
    ``completion_rate`` = reported back on time / recipients whose complete-by has passed or
    who reported. Rates are ``None`` when nothing is due yet.
    """
    now = now or utcnow()
    R = InstructionRecipient
    conds: list[Any] = [scope_clause(principal, R.jpath)]
    if station_id is not None:
        conds.append(R.station_id == station_id)
    if since is not None:
        conds.append(R.created_at >= since)
    if until is not None:
        conds.append(R.created_at < until)
    q = select(
        func.count(R.id),
        func.count(R.signed_at),
        func.sum(case((and_(R.signed_at.is_not(None), R.signed_at <= R.sign_by), 1), else_=0)),
        func.sum(case((or_(R.signed_at.is_not(None), R.sign_by < now), 1), else_=0)),
        func.count(R.first_reported_at),
        func.sum(
            case(
                (and_(R.first_reported_at.is_not(None), R.first_reported_at <= R.complete_by), 1),
                else_=0,
            )
        ),
        func.sum(case((or_(R.first_reported_at.is_not(None), R.complete_by < now), 1), else_=0)),
        func.sum(
            case(
                (
                    or_(
                        and_(R.state == "issued", R.sign_by < now),
                        and_(R.state.in_(OPEN_STATES), R.complete_by < now),
                    ),
                    1,
                ),
                else_=0,
            )
        ),
    ).where(*conds)
    if issued_by_me:
        q = q.join(Instruction, Instruction.id == R.instruction_id).where(
            Instruction.issuer_id == principal.user_id
        )
    row = session.execute(q).one()
    total, signed, signed_ok, sign_due, reported, reported_ok, complete_due, overdue = (
        int(v or 0) for v in row
    )
    return {
        "recipients": total,
        "signed": signed,
        "signed_on_time": signed_ok,
        "sign_due": sign_due,
        "sign_rate": round(signed_ok / sign_due, 4) if sign_due else None,
        "reported": reported,
        "reported_on_time": reported_ok,
        "complete_due": complete_due,
        "completion_rate": round(reported_ok / complete_due, 4) if complete_due else None,
        "overdue_open": overdue,
        "how": "sign_rate = signed_on_time / sign_due; completion_rate = reported_on_time / "
        "complete_due; 'due' counts recipients whose deadline has passed or who already acted",
    }


# ---------------------------------------------------------------- instructions: changes


def _recipient_or_raise(
    session: Session, *, principal: Principal, instruction_id: int, recipient_id: int
) -> tuple[Instruction, InstructionRecipient]:
    ins = get_or_raise(session, principal=principal, instruction_id=instruction_id)
    rec = session.get(InstructionRecipient, recipient_id)
    if rec is None or rec.instruction_id != ins.id:
        raise NotFound(f"instruction {instruction_id} has no recipient {recipient_id}")
    if not (
        principal.can_see(ins.jpath)
        or can_act_as_issuer(principal, ins)
        or _sees_recipient(principal, rec)
    ):
        raise NotFound(f"instruction {instruction_id} has no recipient {recipient_id}")
    return ins, rec


def transition(
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
) -> InstructionRecipient:
    """Move one recipient along :data:`LIFECYCLE`; audited, with a timeline entry.

    The recipient side signs, starts and reports back (``reported`` needs ``text``; a location
    and photos are optional); the issuing side accepts, returns for rework (with a ``note``) and
    closes. Illegal steps raise ``StateTransition`` (409) naming the allowed ones; the wrong side
    raises ``PermissionDenied`` (403).
    """
    ins, rec = _recipient_or_raise(
        session, principal=principal, instruction_id=instruction_id, recipient_id=recipient_id
    )
    LIFECYCLE.check(rec.state, to_state)
    if to_state in RECIPIENT_STEPS and not _can_act_as_recipient(principal, rec):
        raise PermissionDenied(
            f"only the recipient may move this instruction to {to_state!r}", field="to_state"
        )
    if to_state in ISSUER_STEPS and not can_act_as_issuer(principal, ins):
        raise PermissionDenied(
            f"only the issuing office may move this instruction to {to_state!r}",
            field="to_state",
        )
    when = _aware("at", at) if at is not None else utcnow()
    data: dict[str, Any] = {}
    if to_state == "reported":
        body = (text or "").strip()
        if not body:
            raise Invalid("text", "is required to report back: say what was done")
        if len(body) > 10_000:
            raise Invalid("text", "too long: at most 10000 characters")
        if (lon is None) != (lat is None):
            raise Invalid("lat" if lat is None else "lon", "give both lon and lat, or neither")
        if lon is not None and lat is not None:
            try:
                wl, wa = to_wgs84([lon], [lat], crs)
            except ValueError as exc:
                raise Invalid("lon", str(exc)) from None
            rec.report_lon, rec.report_lat = float(wl[0]), float(wa[0])
            data["location"] = [rec.report_lon, rec.report_lat]
        if attachment_ids:
            found = set(
                session.scalars(
                    select(InstructionAttachment.id).where(
                        InstructionAttachment.id.in_(list(attachment_ids)),
                        InstructionAttachment.instruction_id == ins.id,
                        InstructionAttachment.recipient_id == rec.id,
                    )
                )
            )
            missing = [a for a in attachment_ids if a not in found]
            if missing:
                raise Invalid(
                    "attachment_ids",
                    f"attachment {missing[0]} is not an upload of this recipient; "
                    "upload photos with recipient_id first",
                )
            data["attachment_ids"] = list(attachment_ids)
        rec.report_text = body
        if rec.first_reported_at is None:
            rec.first_reported_at = when
    if to_state == "returned":
        if not note.strip():
            raise Invalid("note", "say why the report is returned for rework")
        rec.rework_count += 1
    if to_state == "in_progress" and rec.started_at is None:
        rec.started_at = when
    previous = rec.state
    rec.state = to_state
    stamp = _STAMP.get(to_state)
    if stamp is not None:
        setattr(rec, stamp, when)
    rec.updated_at = when
    session.add(
        InstructionEvent(
            instruction_id=ins.id,
            recipient_id=rec.id,
            at=when,
            kind="report" if to_state == "reported" else "transition",
            from_state=previous,
            to_state=to_state,
            actor_id=principal.user_id,
            note=(text or "").strip() if to_state == "reported" else note,
            data=json.dumps(data),
        )
    )
    record(
        session,
        actor=principal.actor,
        action="transition",
        entity="instruction_recipient",
        entity_id=rec.id,
        jpath=rec.jpath,
        detail={"instruction_id": ins.id, "from": previous, "to": to_state, **data},
    )
    session.flush()
    return rec


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
            session.add(
                InstructionEvent(
                    instruction_id=ins.id,
                    recipient_id=rec.id,
                    at=now,
                    kind="escalated",
                    note=kind,
                )
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


def attachment_path(sha256: str) -> Path:
    """Where the bytes of an attachment live (content-addressed under ``data_dir``)."""
    return get_settings().data_dir / "attachments" / sha256[:2] / sha256


def add_attachment(
    session: Session,
    *,
    principal: Principal,
    instruction_id: int,
    filename: str,
    content_type: str,
    data: bytes,
    recipient_id: int | None = None,
) -> InstructionAttachment:
    """Store a file for an instruction (issuing side) or a recipient's report (recipient side);
    at most :data:`MAX_ATTACHMENT_BYTES`, of a type in :data:`ALLOWED_CONTENT_TYPES`."""
    if recipient_id is None:
        ins = get_or_raise(session, principal=principal, instruction_id=instruction_id)
        if not can_act_as_issuer(principal, ins):
            raise PermissionDenied(
                "only the issuing office may attach files to the instruction; recipients attach "
                "photos to their report with recipient_id",
                field="recipient_id",
            )
    else:
        ins, rec = _recipient_or_raise(
            session, principal=principal, instruction_id=instruction_id, recipient_id=recipient_id
        )
        if not _can_act_as_recipient(principal, rec):
            raise PermissionDenied("only the recipient may attach report photos", field="file")
    if not data:
        raise Invalid("file", "is empty")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise Invalid(
            "file", f"is {len(data)} bytes; at most {MAX_ATTACHMENT_BYTES} bytes (10 MiB)"
        )
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype not in ALLOWED_CONTENT_TYPES:
        raise Invalid(
            "file",
            f"type {ctype or 'unknown'!r} is not accepted; use photos (JPEG, PNG), PDF, "
            "text, Word or Excel files",
        )
    name = Path(filename or "file").name.strip()[:200] or "file"
    digest = hashlib.sha256(data).hexdigest()
    path = attachment_path(digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    att = InstructionAttachment(
        instruction_id=ins.id,
        recipient_id=recipient_id,
        filename=name,
        content_type=ctype,
        size_bytes=len(data),
        sha256=digest,
        storage_path=str(path.relative_to(get_settings().data_dir)),
        uploaded_by_id=principal.user_id,
    )
    session.add(att)
    session.flush()
    session.add(
        InstructionEvent(
            instruction_id=ins.id,
            recipient_id=recipient_id,
            at=utcnow(),
            kind="attachment",
            actor_id=principal.user_id,
            note=name,
            data=json.dumps({"attachment_id": att.id, "size_bytes": len(data)}),
        )
    )
    record(
        session,
        actor=principal.actor,
        action="attach",
        entity="instruction",
        entity_id=ins.id,
        jpath=ins.jpath,
        detail={"attachment_id": att.id, "filename": name, "sha256": digest, "bytes": len(data)},
    )
    return att


def get_attachment_or_raise(
    session: Session, *, principal: Principal, instruction_id: int, attachment_id: int
) -> InstructionAttachment:
    """An attachment of an instruction the caller can see."""
    ins = get_or_raise(session, principal=principal, instruction_id=instruction_id)
    att = session.get(InstructionAttachment, attachment_id)
    if att is None or att.instruction_id != ins.id:
        raise NotFound(f"instruction {instruction_id} has no attachment {attachment_id}")
    if att.recipient_id is not None:
        visible = {r.id for r in visible_recipients(session, principal=principal, ins=ins)}
        if att.recipient_id not in visible:
            raise NotFound(f"instruction {instruction_id} has no attachment {attachment_id}")
    return att


def attachments_of(session: Session, *, instruction_id: int) -> list[InstructionAttachment]:
    """Every attachment of an instruction (the caller filters by visible recipients)."""
    return list(
        session.scalars(
            select(InstructionAttachment)
            .where(InstructionAttachment.instruction_id == instruction_id)
            .order_by(InstructionAttachment.id)
        )
    )


# ---------------------------------------------------------------- checklists: templates


def _parse_times(times: str | Iterable[str], field_name: str = "times") -> str:
    items = [t.strip() for t in (times.split(",") if isinstance(times, str) else times)]
    out: list[str] = []
    for t in items:
        if not t:
            continue
        try:
            parsed = dt.datetime.strptime(t, "%H:%M")
        except ValueError:
            raise Invalid(field_name, f"{t!r} is not a time; use HH:MM, e.g. 07:30") from None
        out.append(parsed.strftime("%H:%M"))
    return ",".join(sorted(set(out)))


def _check_schedule(frequency: str | None, weekday: int | None, day_of_month: int | None) -> None:
    if frequency is not None and frequency not in CHECKLIST_FREQUENCIES:
        raise Invalid(
            "frequency",
            f"{frequency!r} is not a frequency; use {', '.join(CHECKLIST_FREQUENCIES)}",
        )
    if weekday is not None and not 0 <= weekday <= 6:
        raise Invalid("weekday", "use 0 (Monday) … 6 (Sunday)")
    if day_of_month is not None and not 1 <= day_of_month <= 31:
        raise Invalid("day_of_month", "use 1 … 31 (short months use their last day)")


def create_template(
    session: Session,
    *,
    principal: Principal,
    code: str,
    name_zh: str,
    name_en: str,
    role: str,
    frequency: str,
    target: str,
    times: str | Sequence[str] = "",
    weekday: int = 0,
    day_of_month: int = 1,
    window_min: int = 60,
    premises_kind: str | None = None,
    description: str = "",
) -> ChecklistTemplate:
    """Add a bureau-level checklist template (admin, commander); audited."""
    if principal.role not in TEMPLATE_ROLES or principal.jpath != "/":
        raise PermissionDenied(
            "only bureau-level admins and commanders define checklist templates; "
            "stations adjust them with overrides",
            field="role",
        )
    if not code.strip() or len(code) > 64:
        raise Invalid("code", "use 1-64 characters")
    if session.scalar(select(ChecklistTemplate.id).where(ChecklistTemplate.code == code)):
        raise Conflict(f"a checklist template with code {code!r} exists", field="code")
    if role not in ROLES:
        raise Invalid("role", f"{role!r} is not a role; use one of {', '.join(ROLES)}")
    _check_schedule(frequency, weekday, day_of_month)
    if target not in CHECKLIST_TARGETS:
        raise Invalid("target", f"{target!r} is not a target; use {', '.join(CHECKLIST_TARGETS)}")
    if target == "premises" and premises_kind not in PREMISES_KINDS:
        raise Invalid("premises_kind", f"name a premises kind: {', '.join(PREMISES_KINDS)}")
    if not 1 <= window_min <= 24 * 60:
        raise Invalid("window_min", "use 1 … 1440 minutes")
    tpl = ChecklistTemplate(
        code=code.strip(),
        name_zh=name_zh,
        name_en=name_en,
        description=description,
        role=role,
        frequency=frequency,
        times=_parse_times(times),
        weekday=weekday,
        day_of_month=day_of_month,
        window_min=window_min,
        target=target,
        premises_kind=premises_kind if target == "premises" else None,
        active=True,
    )
    session.add(tpl)
    session.flush()
    record(
        session,
        actor=principal.actor,
        action="create",
        entity="checklist_template",
        entity_id=tpl.id,
        detail={"code": tpl.code, "frequency": frequency, "target": target, "times": tpl.times},
    )
    return tpl


def set_override(
    session: Session,
    *,
    principal: Principal,
    template_id: int,
    station_id: int,
    disabled: bool = False,
    frequency: str | None = None,
    times: str | Sequence[str] | None = None,
    weekday: int | None = None,
    day_of_month: int | None = None,
) -> ChecklistOverride:
    """A station's adjustment of a template (its chief, or the bureau): disable it, or change
    its frequency, times, weekday or day of month; audited. Replaces any earlier override."""
    tpl = session.get(ChecklistTemplate, template_id)
    if tpl is None:
        raise NotFound(f"checklist template {template_id} does not exist")
    st = session.get(Jurisdiction, station_id)
    if st is None or st.level != "station" or not principal.can_see(st.path):
        raise NotFound(f"station {station_id} does not exist or is outside your jurisdiction")
    if principal.role not in ("admin", "commander", "station_chief"):
        raise PermissionDenied(
            f"role {principal.role!r} may not adjust the checklist; allowed: admin, commander, "
            "station_chief",
            field="role",
        )
    _check_schedule(frequency, weekday, day_of_month)
    parsed_times = None if times is None else _parse_times(times)
    ov = session.scalar(
        select(ChecklistOverride).where(
            ChecklistOverride.template_id == template_id,
            ChecklistOverride.station_id == station_id,
        )
    )
    if ov is None:
        ov = ChecklistOverride(template_id=template_id, station_id=station_id)
        session.add(ov)
    ov.disabled = disabled
    ov.frequency = frequency
    ov.times = parsed_times
    ov.weekday = weekday
    ov.day_of_month = day_of_month
    ov.updated_by_id = principal.user_id
    session.flush()
    record(
        session,
        actor=principal.actor,
        action="override",
        entity="checklist_template",
        entity_id=tpl.id,
        jpath=st.path,
        detail={
            "station_id": station_id,
            "disabled": disabled,
            "frequency": frequency,
            "times": parsed_times,
            "weekday": weekday,
            "day_of_month": day_of_month,
        },
    )
    return ov


# ---------------------------------------------------------------- checklists: the scheduler


@dataclass(frozen=True)
class _Rule:
    frequency: str
    times: tuple[str, ...]
    weekday: int
    day_of_month: int


def _effective(tpl: ChecklistTemplate, ov: ChecklistOverride | None) -> _Rule | None:
    if ov is not None and ov.disabled:
        return None
    freq = (ov.frequency if ov is not None and ov.frequency else None) or tpl.frequency
    times = ov.times if ov is not None and ov.times is not None else tpl.times
    weekday = ov.weekday if ov is not None and ov.weekday is not None else tpl.weekday
    dom = ov.day_of_month if ov is not None and ov.day_of_month is not None else tpl.day_of_month
    return _Rule(freq, tuple(t for t in times.split(",") if t), weekday, dom)


def _is_due(rule: _Rule, day: dt.date) -> bool:
    if rule.frequency == "daily":
        return True
    if rule.frequency == "weekly":
        return day.weekday() == rule.weekday
    if rule.frequency == "quarterly" and day.month not in (1, 4, 7, 10):
        return False
    last = calendar.monthrange(day.year, day.month)[1]
    return day.day == min(rule.day_of_month, last)


def _period_end(rule: _Rule, day: dt.date) -> dt.date:
    if rule.frequency == "daily":
        return day + dt.timedelta(days=1)
    if rule.frequency == "weekly":
        return day + dt.timedelta(days=7)
    months = 1 if rule.frequency == "monthly" else 3
    y, m = divmod(day.month - 1 + months, 12)
    return day.replace(year=day.year + y, month=m + 1, day=1)


@dataclass
class _Targets:
    """Who does what, loaded once per run: stations, officers, cells, premises."""

    station_path: dict[int, str]
    chief_of: dict[int, int]
    station_of_path: dict[str, int]
    officers: dict[str, list[tuple[int, str, int]]]  # role → (user id, jpath, station)
    cells: list[tuple[int, str, int | None, int]]  # id, path, owner, station
    premises: dict[str, list[tuple[int, str, int | None, int]]]  # kind → id, jpath, owner, st

    def station_for(self, path: str) -> int | None:
        """The station whose path prefixes ``path``."""
        parts = [p for p in path.split("/") if p]
        for k in range(len(parts), 0, -1):
            hit = self.station_of_path.get("/" + "/".join(parts[:k]) + "/")
            if hit is not None:
                return hit
        return None


def _load_targets(session: Session, kinds: set[str]) -> _Targets:
    J = Jurisdiction
    station_path = dict(session.execute(select(J.id, J.path).where(J.level == "station")).all())
    spath = {p: i for i, p in station_path.items()}
    t = _Targets(station_path, {}, spath, {}, [], {})
    jpaths = dict(session.execute(select(J.id, J.path).where(J.level != "cell")).all())
    for uid, role, jid in session.execute(
        select(User.id, User.role, User.jurisdiction_id)
        .where(User.is_active.is_(True), User.jurisdiction_id.is_not(None))
        .order_by(User.id)
    ):
        path = jpaths.get(jid) if jid is not None else None
        if path is None:
            continue
        st = t.station_for(path)
        if st is None:
            continue
        if role == "station_chief" and jid == st:
            t.chief_of.setdefault(st, uid)
        t.officers.setdefault(role, []).append((uid, path, st))
    if "cell" in kinds or "premises" in kinds:
        cell_rows = session.execute(
            select(J.id, J.path, J.owner_id).where(J.level == "cell").order_by(J.id)
        ).all()
        owner = {}
        for cid, cpath, own in cell_rows:
            st = t.station_for(cpath)
            owner[cid] = own
            if st is not None:
                t.cells.append((cid, cpath, own, st))
        if "premises" in kinds:
            for pid, kind, jid, ppath in session.execute(
                select(
                    Premises.id, Premises.kind, Premises.jurisdiction_id, Premises.jpath
                ).order_by(Premises.id)
            ):
                st = t.station_for(ppath)
                if st is not None:
                    t.premises.setdefault(kind, []).append((pid, ppath, owner.get(jid), st))
    return t


TASK_COLUMNS: tuple[str, ...] = (
    "template_id",
    "station_id",
    "assignee_id",
    "target_kind",
    "target_id",
    "jpath",
    "day",
    "slot",
    "due_at",
    "close_at",
    "state",
    "note",
    "created_at",
)


@dataclass
class DueTasks:
    """The occurrences due on one day, as columns (epoch seconds for times)."""

    template_id: list[int] = field(default_factory=list)
    station_id: list[int] = field(default_factory=list)
    assignee_id: list[int | None] = field(default_factory=list)
    target_kind: list[str] = field(default_factory=list)
    target_id: list[int] = field(default_factory=list)
    jpath: list[str] = field(default_factory=list)
    slot: list[str] = field(default_factory=list)
    due_s: list[int] = field(default_factory=list)
    close_s: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.template_id)


def due_tasks(session: Session, *, day: dt.date) -> DueTasks:
    """Every checklist occurrence due on ``day`` (local date), after station overrides."""
    tz = ZoneInfo(get_settings().timezone)
    templates = list(
        session.scalars(
            select(ChecklistTemplate)
            .where(ChecklistTemplate.active.is_(True))
            .order_by(ChecklistTemplate.id)
        )
    )
    overrides: dict[tuple[int, int], ChecklistOverride] = {
        (o.template_id, o.station_id): o for o in session.scalars(select(ChecklistOverride))
    }
    out = DueTasks()
    if not templates:
        return out
    targets = _load_targets(session, {t.target for t in templates})
    for tpl in templates:
        base = _effective(tpl, None)
        assert base is not None
        rules: dict[int, _Rule | None] = {
            st: _effective(tpl, overrides.get((tpl.id, st))) for st in targets.station_path
        }
        if tpl.target == "station":
            items = [
                (st, targets.chief_of.get(st), st, targets.station_path[st])
                for st in targets.station_path
            ]
        elif tpl.target == "officer":
            items = [(uid, uid, st, path) for uid, path, st in targets.officers.get(tpl.role, [])]
        elif tpl.target == "cell":
            items = [(cid, own, st, path) for cid, path, own, st in targets.cells]
        else:
            items = [
                (pid, own, st, path)
                for pid, path, own, st in targets.premises.get(tpl.premises_kind or "", [])
            ]
        slot_cache: dict[_Rule, list[tuple[str, int, int]]] = {}
        for target_id, assignee, st, path in items:
            rule = rules.get(st, base)
            if rule is None or not _is_due(rule, day):
                continue
            slots = slot_cache.get(rule)
            if slots is None:
                end = dt.datetime.combine(_period_end(rule, day), dt.time(), tz)
                grace = _GRACE[rule.frequency]
                slots = []
                if rule.times:
                    for hhmm in rule.times:
                        h, m = (int(x) for x in hhmm.split(":"))
                        due = dt.datetime.combine(day, dt.time(h, m), tz) + dt.timedelta(
                            minutes=tpl.window_min
                        )
                        slots.append((hhmm, int(due.timestamp()), int((due + grace).timestamp())))
                else:
                    slots.append(("", int(end.timestamp()), int((end + grace).timestamp())))
                slot_cache[rule] = slots
            for slot, due_s, close_s in slots:
                out.template_id.append(tpl.id)
                out.station_id.append(st)
                out.assignee_id.append(assignee)
                out.target_kind.append(tpl.target)
                out.target_id.append(target_id)
                out.jpath.append(path)
                out.slot.append(slot)
                out.due_s.append(due_s)
                out.close_s.append(close_s)
    return out


@dataclass(frozen=True)
class MaterialiseResult:
    """What one scheduler run did for a day."""

    day: dt.date
    created: int
    existing: int
    missed: int

    def message(self) -> str:
        """One line for the CLI and the API."""
        return (
            f"{self.day.isoformat()}: {self.created} checklist tasks created, "
            f"{self.existing} already existed; {self.missed} overdue tasks marked missed"
        )


def mark_missed(session: Session, *, now: dt.datetime | None = None) -> int:
    """Open checklist tasks past their ``close_at`` become ``missed``; returns how many."""
    now = now or utcnow()
    res = session.execute(
        update(ChecklistTask)
        .where(ChecklistTask.state == "open", ChecklistTask.close_at < now)
        .values(state="missed")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(res, "rowcount", 0) or 0)


def materialise(
    session: Session,
    *,
    day: dt.date,
    actor: Actor | None = None,
    now: dt.datetime | None = None,
) -> MaterialiseResult:
    """Create the checklist tasks due on ``day`` in each officer's queue, idempotently.

    Occurrences already stored (same template, target, day and slot — a unique key) are
    counted as ``existing`` and not created again. Also marks open tasks past their close as
    missed. Rows go in with one bulk insert (COPY on PostgreSQL); one audit record per run.
    """
    now = now or utcnow()
    due = due_tasks(session, day=day)
    existing_keys = set(
        session.execute(
            select(ChecklistTask.template_id, ChecklistTask.target_id, ChecklistTask.slot).where(
                ChecklistTask.day == day
            )
        ).all()
    )
    keep = [
        i
        for i in range(len(due))
        if (due.template_id[i], due.target_id[i], due.slot[i]) not in existing_keys
    ]
    conn = session.connection()
    created = 0
    if keep:
        idx = np.asarray(keep, dtype=np.int64)
        due_txt = timestamps_for(conn, np.asarray(due.due_s, dtype=np.int64)[idx])
        close_txt = timestamps_for(conn, np.asarray(due.close_s, dtype=np.int64)[idx])
        now_txt = timestamps_for(conn, np.array([int(now.timestamp())], dtype=np.int64))[0]
        day_txt = day.isoformat()
        rows = (
            (
                due.template_id[i],
                due.station_id[i],
                due.assignee_id[i],
                due.target_kind[i],
                due.target_id[i],
                due.jpath[i],
                day_txt,
                due.slot[i],
                due_txt[k],
                close_txt[k],
                "open",
                "",
                now_txt,
            )
            for k, i in enumerate(keep)
        )
        created = bulk_insert(conn, "checklist_tasks", TASK_COLUMNS, rows)
    missed = mark_missed(session, now=now)
    result = MaterialiseResult(day, created, len(due) - len(keep), missed)
    record(
        session,
        actor=actor or Actor.system("scheduler"),
        action="materialise",
        entity="checklist_task",
        detail={
            "day": day.isoformat(),
            "created": result.created,
            "existing": result.existing,
            "missed": result.missed,
        },
    )
    return result


# ---------------------------------------------------------------- checklists: reads and done


def checklist_tasks_query(
    principal: Principal,
    *,
    mine: bool = True,
    day: dt.date | None = None,
    station_id: int | None = None,
    state: str | None = None,
) -> Select[Any]:
    """Checklist tasks: the caller's own (default) or everything in scope, by due time."""
    q = select(ChecklistTask)
    if mine:
        q = q.where(ChecklistTask.assignee_id == principal.user_id)
    else:
        q = q.where(scope_clause(principal, ChecklistTask.jpath))
    if day is not None:
        q = q.where(ChecklistTask.day == day)
    if station_id is not None:
        q = q.where(ChecklistTask.station_id == station_id)
    if state is not None:
        if state not in CHECKLIST.states:
            raise Invalid(
                "state", f"{state!r} is not a task state; use {', '.join(CHECKLIST.states)}"
            )
        q = q.where(ChecklistTask.state == state)
    return q.order_by(ChecklistTask.due_at, ChecklistTask.id)


def get_task_or_raise(session: Session, *, principal: Principal, task_id: int) -> ChecklistTask:
    """A checklist task assigned to the caller or inside the caller's scope."""
    t = session.get(ChecklistTask, task_id)
    if t is None or not (t.assignee_id == principal.user_id or principal.can_see(t.jpath)):
        raise NotFound(f"checklist task {task_id} does not exist or is outside your jurisdiction")
    return t


def complete_task(
    session: Session,
    *,
    principal: Principal,
    task_id: int,
    note: str = "",
    now: dt.datetime | None = None,
) -> ChecklistTask:
    """Mark a task done — ``done`` before its due time, ``late`` after; a task past its close is
    missed and cannot be done (409). The assignee or the station's chief may mark it; audited."""
    t = get_task_or_raise(session, principal=principal, task_id=task_id)
    now = now or utcnow()
    if t.state == "open" and now > t.close_at:
        raise Conflict(
            f"checklist task {task_id} closed at {t.close_at.isoformat(timespec='minutes')} "
            "and is missed; it can no longer be marked done",
            field="to_state",
            detail={"current": "missed", "allowed": []},
        )
    target = "done" if now <= t.due_at else "late"
    CHECKLIST.check(t.state, target)
    if not (
        t.assignee_id == principal.user_id
        or (principal.role in ("station_chief", "admin") and principal.can_see(t.jpath))
    ):
        raise PermissionDenied(
            "only the assigned officer or the station chief may mark this task done",
            field="assignee",
        )
    t.state = target
    t.done_at = now
    t.done_by_id = principal.user_id
    t.note = note.strip()[:2000]
    record(
        session,
        actor=principal.actor,
        action="complete",
        entity="checklist_task",
        entity_id=t.id,
        jpath=t.jpath,
        detail={"state": target, "template_id": t.template_id, "day": t.day.isoformat()},
    )
    session.flush()
    return t


def station_completion(
    session: Session,
    *,
    principal: Principal,
    station_id: int,
    since: dt.date,
    until: dt.date,
) -> dict[str, Any]:
    """The station's checklist for ``since``..``until`` (inclusive): per template, how many tasks
    were done on time, late, missed or are still open, and the completion rates."""
    st = session.get(Jurisdiction, station_id)
    if st is None or st.level != "station" or not principal.can_see(st.path):
        raise NotFound(f"station {station_id} does not exist or is outside your jurisdiction")
    if until < since:
        raise Invalid("until", "must not be before since")
    T = ChecklistTask
    rows = session.execute(
        select(T.template_id, T.state, func.count(T.id))
        .where(T.station_id == station_id, T.day >= since, T.day <= until)
        .group_by(T.template_id, T.state)
    ).all()
    names = {
        t.id: t
        for t in session.scalars(
            select(ChecklistTemplate).where(
                ChecklistTemplate.id.in_({int(r[0]) for r in rows} or {-1})
            )
        )
    }
    per: dict[int, dict[str, int]] = {}
    for tid, state, n in rows:
        per.setdefault(int(tid), {s: 0 for s in CHECKLIST.states})[str(state)] = int(n)

    def summary(c: dict[str, int]) -> dict[str, Any]:
        total = sum(c.values())
        closed = c["done"] + c["late"] + c["missed"]
        return {
            **c,
            "total": total,
            "completion_rate": round((c["done"] + c["late"]) / closed, 4) if closed else None,
            "on_time_rate": round(c["done"] / closed, 4) if closed else None,
        }

    templates = []
    overall = {s: 0 for s in CHECKLIST.states}
    for tid in sorted(per):
        tpl = names.get(tid)
        for s, n in per[tid].items():
            overall[s] += n
        templates.append(
            {
                "template_id": tid,
                "code": tpl.code if tpl else "",
                "name_zh": tpl.name_zh if tpl else "",
                "name_en": tpl.name_en if tpl else "",
                "frequency": tpl.frequency if tpl else "",
                **summary(per[tid]),
            }
        )
    return {
        "station_id": station_id,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "templates": templates,
        "overall": summary(overall),
        "how": "completion_rate = (done + late) / (done + late + missed); on_time_rate = done / "
        "(done + late + missed); open tasks are not counted until they close",
    }
