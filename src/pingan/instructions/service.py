"""Instructions (指令签收办理): issue, read, and move one recipient along the lifecycle.

An instruction goes to one or more recipients (a station, a unit, an officer, or every station
of a district); each recipient row has its own state in :data:`LIFECYCLE`, with a timestamp per
transition and a timeline entry (:meth:`pingan.workflow.StateMachine.apply`). Lists and rates
are in :mod:`pingan.instructions.queries`, escalation and its notices in
:mod:`pingan.instructions.notices`, files in :mod:`pingan.instructions.attachments`.

Every function takes a session and keyword-only arguments and never commits; flows commit.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from pingan.alerts.models import EarlyWarning
from pingan.audit.service import record
from pingan.auth.models import User
from pingan.auth.service import Principal, scope_clause
from pingan.errors import Invalid, NotFound, PermissionDenied
from pingan.geo.crs import to_wgs84
from pingan.incidents.models import Incident
from pingan.instructions.models import (
    PRIORITIES,
    Instruction,
    InstructionAttachment,
    InstructionEvent,
    InstructionRecipient,
)
from pingan.jurisdictions.models import Jurisdiction
from pingan.permissions import allows
from pingan.places.models import Premises
from pingan.resources.models import Resource
from pingan.store.base import utcnow
from pingan.store.timeline import Timeline
from pingan.workflow import StateMachine

__all__ = [
    "LIFECYCLE",
    "MAX_RECIPIENTS",
    "OPEN_STATES",
    "TODO_STATES",
    "can_act_as_issuer",
    "can_act_as_recipient",
    "create_instruction",
    "get_or_raise",
    "recipient_or_raise",
    "sees_recipient",
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
    stamps={
        "signed": "signed_at",
        "reported": "reported_at",
        "accepted": "accepted_at",
        "closed": "closed_at",
    },
)
"""Per-recipient lifecycle: 签收 → 办理 → 反馈 → 验收 (or 退回重办) → 办结."""

LATE_SEND = dt.timedelta(hours=48)
"""How late a phone may send a step it took offline (``at``)."""

OPEN_STATES: tuple[str, ...] = ("issued", "signed", "in_progress", "returned")
TODO_STATES: tuple[str, ...] = ("signed", "in_progress", "returned")
RECIPIENT_STEPS = frozenset({"signed", "in_progress", "reported"})
ISSUER_STEPS = frozenset({"accepted", "returned", "closed"})
MAX_RECIPIENTS = 500


# ---------------------------------------------------------------- create


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
    ``PermissionDenied`` (403) for a recipient outside the issuer's jurisdiction. Who may issue
    (``instruction.issue``) is the permission table's, checked by the route and the command:
    other domains (disputes) issue on behalf of the system's rules.
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
    Timeline(session, InstructionEvent, instruction_id=ins.id)(
        kind="issued",
        at=now,
        to_state=LIFECYCLE.initial,
        actor_id=issuer.user_id,
        data={"recipients": len(targets)},
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


# ---------------------------------------------------------------- who sees and acts


def sees_recipient(principal: Principal, rec: InstructionRecipient) -> bool:
    """Whether the caller may see one recipient row (in scope, or addressed to the caller)."""
    return principal.can_see(rec.jpath) or rec.officer_id == principal.user_id


def can_act_as_issuer(principal: Principal, ins: Instruction) -> bool:
    """The issuer, or a commander/chief of the issuing office, or an admin."""
    return (
        principal.role == "admin"
        or principal.user_id == ins.issuer_id
        or (allows(principal.role, "instruction.issue") and principal.jpath == ins.jpath)
    )


def can_act_as_recipient(principal: Principal, rec: InstructionRecipient) -> bool:
    """Whether the caller acts for the recipient. An officer recipient acts for himself; a
    station or unit recipient is signed and handled by the station's chief."""
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
    return [r for r in rows if sees_recipient(principal, r)]


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


# ---------------------------------------------------------------- changes


def recipient_or_raise(
    session: Session, *, principal: Principal, instruction_id: int, recipient_id: int
) -> tuple[Instruction, InstructionRecipient]:
    """An instruction and one of its recipients the caller may see, else ``NotFound``."""
    ins = get_or_raise(session, principal=principal, instruction_id=instruction_id)
    rec = session.get(InstructionRecipient, recipient_id)
    if rec is None or rec.instruction_id != ins.id:
        raise NotFound(f"instruction {instruction_id} has no recipient {recipient_id}")
    if not (
        principal.can_see(ins.jpath)
        or can_act_as_issuer(principal, ins)
        or sees_recipient(principal, rec)
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
    ins, rec = recipient_or_raise(
        session, principal=principal, instruction_id=instruction_id, recipient_id=recipient_id
    )
    LIFECYCLE.check(rec.state, to_state)
    if to_state in RECIPIENT_STEPS and not can_act_as_recipient(principal, rec):
        raise PermissionDenied(
            f"only the recipient may move this instruction to {to_state!r}", field="to_state"
        )
    if to_state in ISSUER_STEPS and not can_act_as_issuer(principal, ins):
        raise PermissionDenied(
            f"only the issuing office may move this instruction to {to_state!r}",
            field="to_state",
        )
    when = _aware("at", at) if at is not None else utcnow()
    if at is not None:  # a phone that was offline: bounded, and the audit keeps the receipt
        if when > utcnow() + dt.timedelta(minutes=5):
            raise Invalid("at", "is in the future: send the time the step was taken")
        if when < utcnow() - LATE_SEND:
            raise Invalid("at", "is more than 48 hours ago: steps are accepted up to 48 h late")
        if when < ins.created_at:
            raise Invalid("at", "is before the instruction was issued")
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
    previous = LIFECYCLE.apply(
        rec,
        to_state,
        at=when,
        actor=principal.user_id,
        note=(text or "").strip() if to_state == "reported" else note,
        timeline=Timeline(session, InstructionEvent, instruction_id=ins.id, recipient_id=rec.id),
        kind="report" if to_state == "reported" else "transition",
        data=data,
    )
    rec.updated_at = when
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
