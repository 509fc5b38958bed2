"""Dispute endpoints under ``/api/v1/disputes``, and ``/api/v1/incidents/{id}/disputes`` for
dispatch. Thin: validation at the boundary, flows for changes, parties masked in every read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from pingan.api.deps import SessionDep, allowed
from pingan.api.errors import ErrorBody
from pingan.auth.service import Principal
from pingan.disputes import flows, service
from pingan.disputes.models import Dispute, DisputeParty
from pingan.disputes.risk import get_rules
from pingan.disputes.schemas import (
    DisputeCreate,
    DisputeEventRead,
    DisputeFlagsIn,
    DisputePage,
    DisputeRead,
    DisputeSummary,
    FollowUpIn,
    FollowUpRead,
    FollowUpRecordIn,
    Kind,
    MediationStepIn,
    MediationStepRead,
    PartyRead,
    RiskRead,
    State,
    TransitionIn,
)
from pingan.incidents import service as incidents
from pingan.inputs import Id, Offset
from pingan.masking import mask_name, mask_phone
from pingan.schemas import RevealIn

__all__ = ["router", "to_read"]

router = APIRouter(prefix="/api/v1", tags=["disputes"], responses=ErrorBody)
Risk = Annotated[str | None, Query(pattern="^(low|medium|high)$")]


def _party(p: DisputeParty) -> PartyRead:
    return PartyRead(
        id=p.id,
        role=p.role,
        display_name_masked=mask_name(p.display_name),
        phone_masked=mask_phone(p.phone),
        vulnerable=p.vulnerable,
        vulnerable_reason=p.vulnerable_reason,
    )


def to_read(d: Dispute, parties: list[DisputeParty]) -> DisputeRead:
    """The list/detail form of a dispute with its parties masked."""
    return DisputeRead(
        id=d.id,
        code=d.code,
        kind=d.kind,
        state=d.state,
        source=d.source,
        summary=d.summary,
        address_text=d.address_text,
        address_id=d.address_id,
        premises_id=d.premises_id,
        incident_id=d.incident_id,
        lon=d.lon,
        lat=d.lat,
        jurisdiction_id=d.jurisdiction_id,
        owner_id=d.owner_id,
        threats_reported=d.threats_reported,
        violence_reported=d.violence_reported,
        weapons_mentioned=d.weapons_mentioned,
        referral_target=d.referral_target,
        risk_level=d.risk_level,
        fired_rules=service.risk_of(d)["fired"],
        risk_evaluated_at=d.risk_evaluated_at,
        registered_at=d.registered_at,
        mediating_at=d.mediating_at,
        resolved_at=d.resolved_at,
        referred_at=d.referred_at,
        closed_at=d.closed_at,
        parties=[_party(p) for p in parties],
        allowed_transitions=service.LIFECYCLE.allowed(d.state),
    )


def _detail(session: SessionDep, d: Dispute) -> DisputeRead:
    out = to_read(d, service.parties_for(session, [d.id])[d.id])
    out.mediation_steps = [
        MediationStepRead.model_validate(s) for s in service.steps_of(session, d.id)
    ]
    out.follow_ups = [FollowUpRead.model_validate(f) for f in service.follow_ups_of(session, d.id)]
    return out


@router.post("/disputes", status_code=201, operation_id="create_dispute")
def create_dispute(
    body: DisputeCreate,
    session: SessionDep,
    principal: Annotated[Principal, allowed("dispute.handle")],
) -> DisputeRead:
    """Register a dispute. The place (lon/lat, an address, a premises or the 110 incident) sets
    the grid cell, station and owning officer; the escalation risk is assessed at once."""
    d = flows.dispute_create_flow(session, principal=principal, data=body)
    return _detail(session, d)


@router.get("/disputes", operation_id="list_disputes")
def list_disputes(
    session: SessionDep,
    principal: Annotated[Principal, allowed("dispute.read")],
    state: State | None = None,
    kind: Kind | None = None,
    risk: Risk = None,
    cell: Id | None = None,
    owner_id: Id | None = None,
    open_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> DisputePage:
    """Disputes in your jurisdiction, newest first, parties masked, with risk and fired rules."""
    q = service.list_query(
        principal,
        state=state,
        kind=kind,
        risk=risk,
        cell=cell,
        owner_id=owner_id,
        open_only=open_only,
    )
    rows = list(session.scalars(q.limit(limit).offset(offset)))
    parties = service.parties_for(session, [r.id for r in rows])
    return DisputePage(
        items=[to_read(r, parties[r.id]) for r in rows],
        total=service.count(session, q),
        limit=limit,
        offset=offset,
    )


@router.get("/disputes/{dispute_id}", operation_id="get_dispute")
def get_dispute(
    dispute_id: Id, session: SessionDep, principal: Annotated[Principal, allowed("dispute.read")]
) -> DisputeRead:
    """One dispute with its mediation log and follow-ups (parties masked)."""
    return _detail(
        session, service.get_or_raise(session, principal=principal, dispute_id=dispute_id)
    )


@router.get("/disputes/{dispute_id}/timeline", operation_id="get_dispute_timeline")
def get_dispute_timeline(
    dispute_id: Id, session: SessionDep, principal: Annotated[Principal, allowed("dispute.read")]
) -> list[DisputeEventRead]:
    """Every event of the dispute in time order: transitions, steps, risk changes."""
    events = service.timeline(session, principal=principal, dispute_id=dispute_id)
    out = []
    for e in events:
        n = service.event_note(e)
        row = DisputeEventRead.model_validate(e)
        row.note_code, row.note_params, row.note_texts = n["code"], n["params"], n["texts"]
        out.append(row)
    return out


@router.get("/disputes/{dispute_id}/risk", operation_id="get_dispute_risk")
def get_dispute_risk(
    dispute_id: Id, session: SessionDep, principal: Annotated[Principal, allowed("dispute.read")]
) -> RiskRead:
    """The case's escalation risk: the level, why, and each fired rule with its facts."""
    d = service.get_or_raise(session, principal=principal, dispute_id=dispute_id)
    r = service.risk_of(d)
    return RiskRead(
        level=d.risk_level,
        reason_zh=r["reason_zh"],
        reason_en=r["reason_en"],
        evaluated_at=d.risk_evaluated_at,
        fired=r["fired"],
        rules_version=get_rules().version,
        instruction_id=d.risk_instruction_id,
    )


@router.post("/disputes/{dispute_id}/transitions", operation_id="transition_dispute")
def transition_dispute(
    dispute_id: Id,
    body: TransitionIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("dispute.handle")],
) -> DisputeRead:
    """Move the dispute along registered → mediating → resolved | referred → closed; an illegal
    step is a 409 naming the allowed ones; a referral needs ``referral_target``."""
    d = flows.dispute_transition_flow(
        session,
        principal=principal,
        dispute_id=dispute_id,
        to_state=body.to_state,
        note=body.note,
        referral_target=body.referral_target,
        follow_up_on=body.follow_up_on,
    )
    return _detail(session, d)


@router.patch("/disputes/{dispute_id}/facts", operation_id="update_dispute_facts")
def update_dispute_facts(
    dispute_id: Id,
    body: DisputeFlagsIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("dispute.handle")],
) -> DisputeRead:
    """Change the reported facts (threats, violence, weapons); the risk is re-assessed."""
    d = flows.dispute_flags_flow(session, principal=principal, dispute_id=dispute_id, data=body)
    return _detail(session, d)


@router.post(
    "/disputes/{dispute_id}/mediation-steps", status_code=201, operation_id="add_mediation_step"
)
def add_mediation_step(
    dispute_id: Id,
    body: MediationStepIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("dispute.handle")],
) -> MediationStepRead:
    """Record a mediation step (date, mediator, method, outcome, next date)."""
    step = flows.dispute_mediation_flow(
        session, principal=principal, dispute_id=dispute_id, data=body
    )
    return MediationStepRead.model_validate(step)


@router.post(
    "/disputes/{dispute_id}/follow-ups", status_code=201, operation_id="schedule_dispute_follow_up"
)
def schedule_follow_up(
    dispute_id: Id,
    body: FollowUpIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("dispute.handle")],
) -> FollowUpRead:
    """Schedule a follow-up visit of a resolved dispute."""
    f = flows.dispute_follow_up_flow(session, principal=principal, dispute_id=dispute_id, data=body)
    return FollowUpRead.model_validate(f)


@router.post(
    "/disputes/{dispute_id}/follow-ups/{follow_up_id}/record",
    operation_id="record_dispute_follow_up",
)
def record_follow_up(
    dispute_id: Id,
    follow_up_id: Id,
    body: FollowUpRecordIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("dispute.handle")],
) -> FollowUpRead:
    """Record a follow-up visit as done with its outcome."""
    f = flows.dispute_follow_up_record_flow(
        session, principal=principal, dispute_id=dispute_id, follow_up_id=follow_up_id, data=body
    )
    return FollowUpRead.model_validate(f)


@router.post("/disputes/{dispute_id}/parties/reveal", operation_id="reveal_dispute_parties")
def reveal_parties(
    dispute_id: Id,
    body: RevealIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("dispute.reveal_parties")],
) -> list[dict[str, object]]:
    """The unmasked names and phones of the parties; each view is audited with its reason."""
    return list(
        flows.dispute_reveal_parties_flow(
            session, principal=principal, dispute_id=dispute_id, reason=body.reason
        )
    )


@router.get("/incidents/{incident_id}/disputes", operation_id="list_incident_disputes")
def incident_disputes(
    incident_id: Id,
    session: SessionDep,
    principal: Annotated[Principal, allowed("dispute.read")],
    radius_m: Annotated[float, Query(gt=0, le=1000)] = 50.0,
) -> list[DisputeSummary]:
    """The dispute history at an incident's place (within ``radius_m``), nearest first, with
    state and risk, so that dispatch sees it."""
    inc = incidents.get_or_raise(session, principal=principal, incident_id=incident_id)
    rows = service.near_point(
        session, principal=principal, lon=inc.lon, lat=inc.lat, radius_m=radius_m
    )
    return [
        DisputeSummary(
            id=d.id,
            code=d.code,
            kind=d.kind,
            state=d.state,
            risk_level=d.risk_level,
            fired_rules=[f["code"] for f in service.risk_of(d)["fired"]],
            registered_at=d.registered_at,
            distance_m=round(m, 1),
            address_text=d.address_text,
        )
        for d, m in rows
    ]
