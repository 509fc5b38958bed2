"""Disputes: register (place → cell, station, owning officer), the declared workflow, mediation
log, follow-up visits, flags, audited reveal of parties, escalation-risk assessment, and reads in
the caller's scope.

Every write records an audit entry in the caller's transaction; flows commit.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from scipy.spatial import cKDTree
from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from pingan.audit.service import Actor, record
from pingan.auth.models import User
from pingan.auth.service import Principal, get_scoped, scope_clause
from pingan.config import get_settings
from pingan.disputes.models import (
    Dispute,
    DisputeEvent,
    DisputeFollowUp,
    DisputeParty,
    MediationStep,
)
from pingan.disputes.risk import (
    LEVEL_ORDER,
    CaseFacts,
    NearbyCall,
    RiskAssessment,
    RuleSet,
    evaluate,
    get_rules,
)
from pingan.disputes.schemas import (
    DisputeCreate,
    DisputeFlagsIn,
    FollowUpIn,
    FollowUpRecordIn,
    MediationStepIn,
)
from pingan.errors import Conflict, Invalid, NotFound, PermissionDenied
from pingan.geo.crs import haversine_m, to_wgs84
from pingan.incidents.models import Incident
from pingan.jurisdictions.models import Jurisdiction
from pingan.jurisdictions.service import assign_points
from pingan.permissions import check
from pingan.places.models import Address, Premises
from pingan.store.base import count_rows, utcnow
from pingan.store.timeline import Timeline
from pingan.workflow import StateMachine

__all__ = [
    "DEFAULT_FOLLOW_UP_DAYS",
    "LIFECYCLE",
    "OPEN_STATES",
    "Assessment",
    "add_event",
    "add_mediation_step",
    "assess",
    "count",
    "create",
    "event_note",
    "facts_of",
    "follow_ups_of",
    "get_or_raise",
    "list_query",
    "near_point",
    "nearby_calls",
    "nearby_calls_bulk",
    "parties_for",
    "record_follow_up",
    "require_writer",
    "reveal_parties",
    "risk_of",
    "schedule_follow_up",
    "station_of",
    "steps_of",
    "timeline",
    "transition",
    "update_flags",
]

LIFECYCLE = StateMachine(
    name="dispute",
    initial="registered",
    transitions={
        "registered": ("mediating", "referred"),
        "mediating": ("resolved", "referred"),
        "resolved": ("closed",),
        "referred": ("closed",),
        "closed": (),
    },
    stamps={
        "mediating": "mediating_at",
        "resolved": "resolved_at",
        "referred": "referred_at",
        "closed": "closed_at",
    },
)
OPEN_STATES: tuple[str, ...] = ("registered", "mediating")
DEFAULT_FOLLOW_UP_DAYS = 14


def require_writer(principal: Principal) -> None:
    """Raise ``PermissionDenied`` unless the caller's role may change disputes
    (``dispute.handle`` in :mod:`pingan.permissions`)."""
    check(principal.role, "dispute.handle")


def _today() -> dt.date:
    return dt.datetime.now(ZoneInfo(get_settings().timezone)).date()


def add_event(
    session: Session,
    d: Dispute,
    *,
    kind: str,
    actor_id: int | None,
    note: str = "",
    from_state: str | None = None,
    to_state: str | None = None,
    data: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
    note_code: str | None = None,
    note_params: dict[str, Any] | None = None,
    note_texts: dict[str, str] | None = None,
) -> None:
    """Append one entry to the dispute's timeline (the caller audits and commits).

    ``note`` is the readable (English) text the API returns. A note the system writes also
    carries ``note_code`` with ``note_params`` (translated by the pages as
    ``casework.note.<code>``) or ``note_texts`` (``{"zh-CN": ..., "en": ...}``), so that it is
    shown in the reader's language; see :func:`event_note`. Free text typed by a user has
    neither and is shown as typed.
    """
    Timeline(session, DisputeEvent, dispute_id=d.id)(
        kind=kind,
        at=at or utcnow(),
        from_state=from_state,
        to_state=to_state,
        actor_id=actor_id,
        note=note,
        data=_note_data(data, note_code, note_params, note_texts),
    )


def _note_data(
    data: dict[str, Any] | None,
    note_code: str | None = None,
    note_params: dict[str, Any] | None = None,
    note_texts: dict[str, str] | None = None,
) -> dict[str, Any]:
    payload = dict(data or {})
    if note_code is not None:
        payload["note_code"] = note_code
        payload["note_params"] = note_params or {}
    if note_texts is not None:
        payload["note_texts"] = note_texts
    return payload


# Notes written before they carried a code: the English text and the code it stands for.
_LEGACY_NOTES = {"first mediation step": "first_step"}


def event_note(e: DisputeEvent) -> dict[str, Any]:
    """How a timeline note is shown: ``code`` and ``params`` (a ``casework.note.<code>``
    message), ``texts`` (one text per language), and ``text`` (the stored readable note)."""
    try:
        data = json.loads(e.data or "{}")
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    code = data.get("note_code") or _LEGACY_NOTES.get(e.note)
    params = data.get("note_params") or {}
    texts = data.get("note_texts") or {}
    return {
        "code": str(code) if code else None,
        "params": {str(k): v for k, v in params.items()} if isinstance(params, dict) else {},
        "texts": {str(k): str(v) for k, v in texts.items()} if isinstance(texts, dict) else {},
        "text": e.note,
    }


# ---------------------------------------------------------------- create


def _place(
    session: Session, principal: Principal, data: DisputeCreate
) -> tuple[float, float, str | None]:
    """The WGS-84 point and address text of the dispute from the first place given."""
    if data.lon is not None or data.lat is not None:
        if data.lon is None or data.lat is None:
            missing = "lat" if data.lat is None else "lon"
            raise Invalid(missing, "give both lon and lat")
        try:
            x, y = to_wgs84([data.lon], [data.lat], data.crs)
        except ValueError as exc:
            raise Invalid("lon", str(exc)) from None
        return float(x[0]), float(y[0]), data.address_text
    if data.address_id is not None:
        a = _address(session, principal, data.address_id)
        return a.lon, a.lat, data.address_text or a.text_zh
    if data.premises_id is not None:
        p = _premises(session, principal, data.premises_id)
        return p.lon, p.lat, data.address_text or p.address_text or p.name
    if data.incident_id is not None:
        inc = _incident(session, principal, data.incident_id)
        return inc.lon, inc.lat, data.address_text or inc.address_text
    raise Invalid("lon", "give the place: lon and lat, address_id, premises_id or incident_id")


def _address(session: Session, principal: Principal, address_id: int) -> Address:
    return get_scoped(
        session, Address, address_id, principal=principal, what="address", field="address_id"
    )


def _premises(session: Session, principal: Principal, premises_id: int) -> Premises:
    return get_scoped(
        session, Premises, premises_id, principal=principal, what="premises", field="premises_id"
    )


def _incident(session: Session, principal: Principal, incident_id: int) -> Incident:
    return get_scoped(
        session, Incident, incident_id, principal=principal, what="incident", field="incident_id"
    )


def _owner(session: Session, principal: Principal, owner_id: int) -> int:
    u = session.get(User, owner_id)
    if u is None or not u.is_active:
        raise Invalid("owner_id", f"no active user with id {owner_id}")
    path = "/"
    if u.jurisdiction_id is not None:
        j = session.get(Jurisdiction, u.jurisdiction_id)
        path = j.path if j is not None else "/"
    if not principal.can_see(path):
        raise PermissionDenied(f"officer {owner_id} is outside your jurisdiction", field="owner_id")
    return u.id


def create(session: Session, *, principal: Principal, data: DisputeCreate) -> Dispute:
    """Register a dispute in the cell containing its place, owned by that cell's officer.

    Raises ``Invalid`` (422) for a missing or unknown place, a vulnerability without its reason,
    a registration time in the future; ``PermissionDenied`` (403) for a place or owner outside
    the caller's jurisdiction.
    """
    require_writer(principal)
    for i, party in enumerate(data.parties):
        if party.vulnerable and party.vulnerable_reason is None:
            raise Invalid(
                f"parties.{i}.vulnerable_reason", "say why the party is vulnerable (a category)"
            )
        if not party.vulnerable and party.vulnerable_reason is not None:
            raise Invalid(f"parties.{i}.vulnerable", "set vulnerable to give a reason")
    lon, lat, address_text = _place(session, principal, data)
    # every reference is checked, also those the place was not taken from (a missing row
    # was a foreign-key violation, a 500)
    if data.address_id is not None:
        _address(session, principal, data.address_id)
    if data.premises_id is not None:
        _premises(session, principal, data.premises_id)
    if data.incident_id is not None:
        _incident(session, principal, data.incident_id)
    assigned = assign_points(session, [lon], [lat])
    jid = int(assigned.jurisdiction_id[0])
    if jid < 0:
        raise Invalid("lon", f"point ({lon:.6f}, {lat:.6f}) is outside every jurisdiction")
    jpath = str(assigned.jpath[0])
    if not principal.can_see(jpath):
        raise PermissionDenied("the dispute place is outside your jurisdiction", field="lon")
    at = data.registered_at or utcnow()
    if at.tzinfo is None:
        raise Invalid("registered_at", "must include a timezone, e.g. 2026-12-02T08:00:00+08:00")
    if at > utcnow() + dt.timedelta(minutes=5):
        raise Invalid("registered_at", "is in the future")
    cell = session.get(Jurisdiction, jid)
    owner_id = (
        _owner(session, principal, data.owner_id)
        if data.owner_id is not None
        else (cell.owner_id if cell is not None else None)
    )
    d = Dispute(
        code=f"JF{at:%Y%m%d}-{secrets.token_hex(4).upper()}",
        kind=data.kind,
        state=LIFECYCLE.initial,
        source=data.source,
        summary=data.summary,
        address_text=address_text,
        address_id=data.address_id,
        premises_id=data.premises_id,
        incident_id=data.incident_id,
        lon=lon,
        lat=lat,
        jurisdiction_id=jid,
        jpath=jpath,
        owner_id=owner_id,
        threats_reported=data.threats_reported,
        violence_reported=data.violence_reported,
        weapons_mentioned=data.weapons_mentioned,
        risk_level="low",
        risk_rules="[]",
        registered_at=at,
        created_by_id=principal.user_id,
    )
    session.add(d)
    session.flush()
    for party in data.parties:
        session.add(
            DisputeParty(
                dispute_id=d.id,
                role=party.role,
                display_name=party.display_name,
                phone=party.phone,
                vulnerable=party.vulnerable,
                vulnerable_reason=party.vulnerable_reason,
            )
        )
    add_event(session, d, kind="registered", actor_id=principal.user_id, to_state=d.state, at=at)
    record(
        session,
        actor=principal.actor,
        action="create",
        entity="dispute",
        entity_id=d.id,
        jpath=jpath,
        detail={
            "code": d.code,
            "kind": d.kind,
            "source": d.source,
            "parties": len(data.parties),
            "owner_id": owner_id,
            "incident_id": d.incident_id,
        },
    )
    session.flush()
    return d


# ---------------------------------------------------------------- reads


def get_or_raise(session: Session, *, principal: Principal, dispute_id: int) -> Dispute:
    """The dispute if it exists and is inside the caller's scope, else ``NotFound``."""
    return get_scoped(session, Dispute, dispute_id, principal=principal, what="dispute")


def list_query(
    principal: Principal,
    *,
    state: str | None = None,
    kind: str | None = None,
    risk: str | None = None,
    cell: int | None = None,
    owner_id: int | None = None,
    open_only: bool = False,
) -> Select[Any]:
    """A scoped, filtered query of disputes, newest first (the caller pages it)."""
    conds: list[Any] = [scope_clause(principal, Dispute.jpath)]
    if state:
        conds.append(Dispute.state == state)
    if kind:
        conds.append(Dispute.kind == kind)
    if risk:
        conds.append(Dispute.risk_level == risk)
    if cell is not None:
        conds.append(Dispute.jurisdiction_id == cell)
    if owner_id is not None:
        conds.append(Dispute.owner_id == owner_id)
    if open_only:
        conds.append(Dispute.state.in_(OPEN_STATES))
    return (
        select(Dispute)
        .where(and_(*conds))
        .order_by(Dispute.registered_at.desc(), Dispute.id.desc())
    )


count = count_rows
"""Number of rows a list query matches (:func:`pingan.store.base.count_rows`)."""


def parties_for(session: Session, ids: Sequence[int]) -> dict[int, list[DisputeParty]]:
    """The parties of many disputes in one query (a page's worth)."""
    out: dict[int, list[DisputeParty]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = session.scalars(
        select(DisputeParty)
        .where(DisputeParty.dispute_id.in_(list(ids)))
        .order_by(DisputeParty.dispute_id, DisputeParty.id)
    )
    for p in rows:
        out[p.dispute_id].append(p)
    return out


def steps_of(session: Session, dispute_id: int) -> list[MediationStep]:
    """The mediation log of a dispute in date order."""
    return list(
        session.scalars(
            select(MediationStep)
            .where(MediationStep.dispute_id == dispute_id)
            .order_by(MediationStep.held_on, MediationStep.id)
        )
    )


def follow_ups_of(session: Session, dispute_id: int) -> list[DisputeFollowUp]:
    """The follow-up visits of a dispute by due date."""
    return list(
        session.scalars(
            select(DisputeFollowUp)
            .where(DisputeFollowUp.dispute_id == dispute_id)
            .order_by(DisputeFollowUp.due_on, DisputeFollowUp.id)
        )
    )


def timeline(session: Session, *, principal: Principal, dispute_id: int) -> list[DisputeEvent]:
    """Every event of a dispute in time order."""
    get_or_raise(session, principal=principal, dispute_id=dispute_id)
    return list(
        session.scalars(
            select(DisputeEvent)
            .where(DisputeEvent.dispute_id == dispute_id)
            .order_by(DisputeEvent.at, DisputeEvent.id)
        )
    )


def station_of(session: Session, jpath: str) -> Jurisdiction | None:
    """The station whose area contains a row with ``jpath``."""
    ids = [int(p) for p in jpath.split("/") if p]
    if not ids:
        return None
    return session.scalar(
        select(Jurisdiction).where(Jurisdiction.id.in_(ids), Jurisdiction.level == "station")
    )


def near_point(
    session: Session, *, principal: Principal, lon: float, lat: float, radius_m: float
) -> list[tuple[Dispute, float]]:
    """Disputes in the caller's scope within ``radius_m`` of a point, nearest first."""
    dlat = radius_m / 111_000.0
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    rows = session.scalars(
        select(Dispute).where(
            scope_clause(principal, Dispute.jpath),
            Dispute.lat.between(lat - dlat, lat + dlat),
            Dispute.lon.between(lon - dlon, lon + dlon),
        )
    ).all()
    if not rows:
        return []
    dist = haversine_m(lon, lat, np.array([r.lon for r in rows]), np.array([r.lat for r in rows]))
    out = [(r, float(m)) for r, m in zip(rows, dist, strict=True) if m <= radius_m]
    out.sort(key=lambda t: (t[1], -t[0].registered_at.timestamp()))
    return out


# ---------------------------------------------------------------- workflow


def transition(
    session: Session,
    *,
    principal: Principal,
    dispute_id: int,
    to_state: str,
    note: str = "",
    referral_target: str | None = None,
    follow_up_on: dt.date | None = None,
) -> Dispute:
    """Move a dispute along its workflow; illegal steps raise ``StateTransition`` (409).

    Referring needs a ``referral_target``; resolving schedules a follow-up visit on
    ``follow_up_on`` (default 14 days later)."""
    require_writer(principal)
    d = get_or_raise(session, principal=principal, dispute_id=dispute_id)
    LIFECYCLE.check(d.state, to_state)
    if to_state == "referred" and referral_target is None:
        raise Invalid(
            "referral_target",
            "required to refer a dispute: use court, mediation_committee or other_department",
        )
    if to_state != "referred" and referral_target is not None:
        raise Invalid("referral_target", "only a referral has a target")
    if follow_up_on is not None and to_state != "resolved":
        raise Invalid("follow_up_on", "a follow-up visit is scheduled when resolving")
    if follow_up_on is not None and follow_up_on < _today():
        raise Invalid("follow_up_on", f"is in the past ({follow_up_on.isoformat()})")
    now = utcnow()
    previous = LIFECYCLE.apply(
        d,
        to_state,
        at=now,
        actor=principal.user_id,
        note=note,
        timeline=Timeline(session, DisputeEvent, dispute_id=d.id),
        data={"referral_target": referral_target} if referral_target else None,
    )
    if to_state == "referred":
        d.referral_target = referral_target
        d.referral_note = note or None
    detail: dict[str, Any] = {"from": previous, "to": to_state}
    if referral_target:
        detail["referral_target"] = referral_target
    if to_state == "resolved":
        due = follow_up_on or _today() + dt.timedelta(days=DEFAULT_FOLLOW_UP_DAYS)
        session.add(
            DisputeFollowUp(
                dispute_id=d.id,
                due_on=due,
                note="scheduled on resolution",
                scheduled_by_id=principal.user_id,
            )
        )
        detail["follow_up_on"] = due.isoformat()
    record(
        session,
        actor=principal.actor,
        action="transition",
        entity="dispute",
        entity_id=d.id,
        jpath=d.jpath,
        detail=detail,
    )
    session.flush()
    return d


def add_mediation_step(
    session: Session, *, principal: Principal, dispute_id: int, data: MediationStepIn
) -> MediationStep:
    """Record a mediation step; the first one moves a registered dispute to ``mediating``."""
    require_writer(principal)
    d = get_or_raise(session, principal=principal, dispute_id=dispute_id)
    if d.state not in OPEN_STATES:
        raise Conflict(
            f"mediation steps are recorded while a dispute is registered or mediating; "
            f"dispute {d.code} is {d.state}",
            field="state",
            detail={"current": d.state, "allowed_states": list(OPEN_STATES)},
        )
    today = _today()
    if data.held_on > today:
        raise Invalid("held_on", f"is in the future ({data.held_on.isoformat()})")
    if data.held_on < d.registered_at.date() - dt.timedelta(days=1):
        raise Invalid("held_on", "is before the dispute was registered")
    if data.next_on is not None:
        if data.next_on < today:
            raise Invalid("next_on", f"is in the past ({data.next_on.isoformat()})")
        if data.next_on < data.held_on:
            raise Invalid("next_on", "must not be before held_on")
    step = MediationStep(
        dispute_id=d.id,
        held_on=data.held_on,
        mediator=data.mediator.strip(),
        method=data.method,
        outcome=data.outcome,
        next_on=data.next_on,
        note=data.note,
        recorded_by_id=principal.user_id,
    )
    session.add(step)
    if d.state == "registered":
        LIFECYCLE.apply(
            d,
            "mediating",
            at=utcnow(),
            actor=principal.user_id,
            note="first mediation step",
            timeline=Timeline(session, DisputeEvent, dispute_id=d.id),
            data=_note_data(None, note_code="first_step"),
        )
    session.flush()
    add_event(
        session,
        d,
        kind="mediation",
        actor_id=principal.user_id,
        note=f"{data.method}: {data.outcome}",
        data={"step_id": step.id, "held_on": data.held_on, "next_on": data.next_on},
        note_code="mediation",
        note_params={"method": data.method, "outcome": data.outcome},
    )
    record(
        session,
        actor=principal.actor,
        action="mediation_step",
        entity="dispute",
        entity_id=d.id,
        jpath=d.jpath,
        detail={"step_id": step.id, "outcome": data.outcome, "method": data.method},
    )
    return step


def update_flags(
    session: Session, *, principal: Principal, dispute_id: int, data: DisputeFlagsIn
) -> Dispute:
    """Change the reported facts (threats, violence, weapons) of an open case."""
    require_writer(principal)
    d = get_or_raise(session, principal=principal, dispute_id=dispute_id)
    changes = {
        k: v
        for k, v in data.model_dump(exclude={"note"}).items()
        if v is not None and getattr(d, k) != v
    }
    if not changes:
        return d
    for k, v in changes.items():
        setattr(d, k, v)
    add_event(session, d, kind="facts", actor_id=principal.user_id, note=data.note, data=changes)
    record(
        session,
        actor=principal.actor,
        action="update",
        entity="dispute",
        entity_id=d.id,
        jpath=d.jpath,
        detail={"facts": changes},
    )
    session.flush()
    return d


def schedule_follow_up(
    session: Session, *, principal: Principal, dispute_id: int, data: FollowUpIn
) -> DisputeFollowUp:
    """Schedule a follow-up visit of a resolved dispute."""
    require_writer(principal)
    d = get_or_raise(session, principal=principal, dispute_id=dispute_id)
    if d.state != "resolved":
        raise Conflict(
            f"follow-up visits are scheduled after resolution; dispute {d.code} is {d.state}",
            field="state",
            detail={"current": d.state, "allowed_states": ["resolved"]},
        )
    if data.due_on < _today():
        raise Invalid("due_on", f"is in the past ({data.due_on.isoformat()})")
    f = DisputeFollowUp(
        dispute_id=d.id, due_on=data.due_on, note=data.note, scheduled_by_id=principal.user_id
    )
    session.add(f)
    session.flush()
    add_event(
        session,
        d,
        kind="follow_up_scheduled",
        actor_id=principal.user_id,
        data={"follow_up_id": f.id, "due_on": data.due_on},
    )
    record(
        session,
        actor=principal.actor,
        action="follow_up_scheduled",
        entity="dispute",
        entity_id=d.id,
        jpath=d.jpath,
        detail={"follow_up_id": f.id, "due_on": data.due_on.isoformat()},
    )
    return f


def record_follow_up(
    session: Session,
    *,
    principal: Principal,
    dispute_id: int,
    follow_up_id: int,
    data: FollowUpRecordIn,
) -> DisputeFollowUp:
    """Record a scheduled follow-up visit as done with its outcome."""
    require_writer(principal)
    d = get_or_raise(session, principal=principal, dispute_id=dispute_id)
    f = session.get(DisputeFollowUp, follow_up_id)
    if f is None or f.dispute_id != d.id:
        raise NotFound(f"follow-up {follow_up_id} of dispute {dispute_id} does not exist")
    if f.done_at is not None:
        raise Conflict(
            f"follow-up {follow_up_id} was already recorded on "
            f"{f.done_at.isoformat(timespec='minutes')}",
            field="follow_up_id",
        )
    f.done_at = utcnow()
    f.outcome = data.outcome
    f.note = data.note or f.note
    f.recorded_by_id = principal.user_id
    add_event(
        session,
        d,
        kind="follow_up",
        actor_id=principal.user_id,
        note=data.outcome,
        data={"follow_up_id": f.id},
        note_code="follow_up",
        note_params={"result": data.outcome},
    )
    record(
        session,
        actor=principal.actor,
        action="follow_up_recorded",
        entity="dispute",
        entity_id=d.id,
        jpath=d.jpath,
        detail={"follow_up_id": f.id, "outcome": data.outcome},
    )
    session.flush()
    return f


def reveal_parties(
    session: Session, *, principal: Principal, dispute_id: int, reason: str
) -> list[dict[str, Any]]:
    """The unmasked names and phones of a dispute's parties; the view is audited with its
    reason. Only the mediators may (``dispute.reveal_parties``)."""
    check(principal.role, "dispute.reveal_parties")
    if not reason.strip():
        raise Invalid("reason", "say why you need the parties' contact data")
    d = get_or_raise(session, principal=principal, dispute_id=dispute_id)
    parties = parties_for(session, [d.id])[d.id]
    record(
        session,
        actor=principal.actor,
        action="view_personal",
        entity="dispute",
        entity_id=d.id,
        jpath=d.jpath,
        detail={
            "fields": ["display_name", "phone"],
            "parties": [p.id for p in parties],
            "reason": reason.strip(),
        },
    )
    return [
        {"id": p.id, "role": p.role, "display_name": p.display_name, "phone": p.phone}
        for p in parties
    ]


# ---------------------------------------------------------------- risk


def _related_call_filter(rules: RuleSet) -> Any:
    spec = rules.spec("repeat_calls") or {}
    classes = list(spec.get("classes", ()))
    subtypes = list(spec.get("subtypes", ()))
    return or_(Incident.klass.in_(classes), Incident.subtype.in_(subtypes))


_CALL_COLUMNS = (
    Incident.id,
    Incident.subtype,
    Incident.klass,
    Incident.reported_at,
    Incident.lon,
    Incident.lat,
)
"""The columns of a nearby call, in :class:`NearbyCall`'s order (then lon, lat)."""


def nearby_calls(
    session: Session, *, lon: float, lat: float, at: dt.datetime, rules: RuleSet | None = None
) -> list[NearbyCall]:
    """Related incidents (rule ``repeat_calls``) within its radius and window before ``at``."""
    rs = rules or get_rules()
    radius = rs.call_radius_m
    dlat = radius / 111_000.0
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    since = at - dt.timedelta(days=rs.call_window_days)
    rows = session.execute(
        select(*_CALL_COLUMNS).where(
            Incident.reported_at.between(since, at),
            Incident.lat.between(lat - dlat, lat + dlat),
            Incident.lon.between(lon - dlon, lon + dlon),
            Incident.state.not_in(("cancelled",)),
            _related_call_filter(rs),
        )
    ).all()
    if not rows:
        return []
    dist = haversine_m(lon, lat, np.array([r[4] for r in rows]), np.array([r[5] for r in rows]))
    return [
        NearbyCall(int(r[0]), r[1], r[2], r[3], float(m))
        for r, m in zip(rows, dist, strict=True)
        if m <= radius
    ]


def nearby_calls_bulk(
    session: Session,
    *,
    lon: Sequence[float],
    lat: Sequence[float],
    at: dt.datetime,
    rules: RuleSet | None = None,
) -> list[list[NearbyCall]]:
    """:func:`nearby_calls` for many places at once: one query of the window's related calls
    and a k-d tree in a local metric frame; O((n + m) log m)."""
    rs = rules or get_rules()
    if not len(lon):
        return []
    since = at - dt.timedelta(days=rs.call_window_days)
    rows = session.execute(
        select(*_CALL_COLUMNS).where(
            Incident.reported_at.between(since, at),
            Incident.state.not_in(("cancelled",)),
            _related_call_filter(rs),
        )
    ).all()
    out: list[list[NearbyCall]] = [[] for _ in lon]
    if not rows:
        return out
    lat0 = float(np.mean(lat))
    kx = 111_320.0 * math.cos(math.radians(lat0))
    pts = np.column_stack([[r[4] * kx for r in rows], [r[5] * 110_574.0 for r in rows]])
    qs = np.column_stack([np.asarray(lon) * kx, np.asarray(lat) * 110_574.0])
    tree = cKDTree(pts)
    radius = rs.call_radius_m
    hits = tree.query_ball_point(qs, r=radius * 1.02)
    for i, idx in enumerate(hits):
        if not idx:
            continue
        cand = [rows[j] for j in idx]
        d = haversine_m(
            float(lon[i]),
            float(lat[i]),
            np.array([c[4] for c in cand]),
            np.array([c[5] for c in cand]),
        )
        out[i] = [
            NearbyCall(int(c[0]), c[1], c[2], c[3], float(m))
            for c, m in zip(cand, d, strict=True)
            if m <= radius
        ]
    return out


def facts_of(
    session: Session, d: Dispute, *, calls: Sequence[NearbyCall] | None, at: dt.datetime
) -> CaseFacts:
    """The facts the rules look at for one case."""
    steps = session.execute(
        select(MediationStep.held_on, MediationStep.outcome).where(MediationStep.dispute_id == d.id)
    ).all()
    vulnerable = session.scalars(
        select(DisputeParty.vulnerable_reason).where(
            DisputeParty.dispute_id == d.id, DisputeParty.vulnerable.is_(True)
        )
    ).all()
    if calls is None:
        calls = nearby_calls(session, lon=d.lon, lat=d.lat, at=at)
    return CaseFacts(
        threats_reported=d.threats_reported,
        violence_reported=d.violence_reported,
        weapons_mentioned=d.weapons_mentioned,
        mediation_outcomes=[(s[0], s[1]) for s in steps],
        vulnerable_reasons=[v or "other" for v in vulnerable],
        nearby_calls=calls,
    )


@dataclass(frozen=True)
class Assessment:
    """The outcome of :func:`assess`: previous and new level, and the rules' result."""

    previous: str
    result: RiskAssessment

    @property
    def rose(self) -> bool:
        """Whether the level went up."""
        return LEVEL_ORDER[self.result.level] > LEVEL_ORDER[self.previous]

    @property
    def changed(self) -> bool:
        """Whether the level changed."""
        return self.result.level != self.previous


def assess(
    session: Session,
    *,
    actor: Actor,
    dispute: Dispute,
    at: dt.datetime | None = None,
    calls: Sequence[NearbyCall] | None = None,
) -> Assessment:
    """Re-evaluate the case's risk and store the level and fired rules on it; a changed level
    is written to the timeline and the audit log."""
    when = at or utcnow()
    facts = facts_of(session, dispute, calls=calls, at=when)
    res = evaluate(facts, at=when)
    previous = dispute.risk_level
    fired = [f.to_dict() for f in res.fired]
    dispute.risk_rules = json.dumps(
        {"fired": fired, "reason_zh": res.reason_zh, "reason_en": res.reason_en},
        ensure_ascii=False,
    )
    dispute.risk_level = res.level
    dispute.risk_evaluated_at = when
    out = Assessment(previous, res)
    if out.changed:
        add_event(
            session,
            dispute,
            kind="risk",
            actor_id=actor.id,
            note=res.reason_en,
            data={"from": previous, "to": res.level, "rules": [f.code for f in res.fired]},
            at=when,
            note_texts={"zh-CN": res.reason_zh, "en": res.reason_en},
        )
        record(
            session,
            actor=actor,
            action="risk_change",
            entity="dispute",
            entity_id=dispute.id,
            jpath=dispute.jpath,
            detail={"from": previous, "to": res.level, "rules": [f.code for f in res.fired]},
        )
    session.flush()
    return out


def risk_of(d: Dispute) -> dict[str, Any]:
    """The stored risk explanation of a case (``fired``, ``reason_zh``, ``reason_en``)."""
    try:
        data = json.loads(d.risk_rules or "{}")
    except ValueError:
        data = {}
    if isinstance(data, list):  # rows written before the first assessment
        data = {"fired": data}
    return {
        "fired": list(data.get("fired", [])),
        "reason_zh": str(data.get("reason_zh", "未评估")),
        "reason_en": str(data.get("reason_en", "not assessed yet")),
    }
