"""Incident flows: each commits once, with its audit record in the same transaction."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from pingan.auth.service import Principal, require_role
from pingan.incidents import service
from pingan.incidents.models import Incident
from pingan.incidents.schemas import IncidentCreate

__all__ = ["incident_create_flow", "incident_reveal_caller_flow", "incident_transition_flow"]


def incident_create_flow(
    session: Session, *, principal: Principal, data: IncidentCreate, idempotency_key: str | None
) -> tuple[Incident, bool]:
    """Create (or replay, by idempotency key) an incident and commit."""
    require_role(principal, "incidents")
    inc, created = service.create(
        session, principal=principal, data=data, idempotency_key=idempotency_key
    )
    session.commit()
    return inc, created


def incident_transition_flow(
    session: Session,
    *,
    principal: Principal,
    incident_id: int,
    to_state: str,
    note: str = "",
    at: dt.datetime | None = None,
) -> Incident:
    """Apply one lifecycle transition and commit."""
    require_role(principal, "incidents")
    inc = service.transition(
        session, principal=principal, incident_id=incident_id, to_state=to_state, note=note, at=at
    )
    session.commit()
    return inc


def incident_reveal_caller_flow(
    session: Session, *, principal: Principal, incident_id: int, reason: str
) -> dict[str, str | None]:
    """Show the caller's contact data, audited with the reason, and commit the audit record."""
    out = service.reveal_caller(
        session, principal=principal, incident_id=incident_id, reason=reason
    )
    session.commit()
    return out
