"""Incident flows: each commits once, with its audit record in the same transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy.orm import Session

from pingan.auth.service import Principal
from pingan.incidents import service
from pingan.incidents.models import Incident
from pingan.incidents.schemas import IncidentCreate
from pingan.permissions import check

__all__ = [
    "incident_create_apply",
    "incident_create_many",
    "incident_create_steps",
    "incident_reveal_caller_flow",
    "incident_transition_flow",
]


Prepared = tuple[Principal, service.PreparedIncident]
"""A creation checked by its caller and ready to write."""


def incident_create_steps(
    *, principal: Principal, data: IncidentCreate, idempotency_key: str | None
) -> tuple[
    Callable[[Session], Prepared],
    Callable[[Session, Prepared], tuple[service.IncidentRow, bool]],
]:
    """The create flow in the steps of a group writer (:mod:`pingan.store.group`): check and
    compute, then write; the writer commits, and writes concurrent creations together with
    :func:`incident_create_many`. The role is checked at once."""
    check(principal.role, "incident.create")

    def prepare(session: Session) -> Prepared:
        return principal, service.prepare_create(
            session, principal=principal, data=data, idempotency_key=idempotency_key
        )

    return prepare, incident_create_apply


def incident_create_apply(session: Session, prepared: Prepared) -> tuple[service.IncidentRow, bool]:
    """Write one prepared creation (the group writer commits)."""
    return service.write_create_many(session, [prepared])[0]


def incident_create_many(
    session: Session, prepared: list[Prepared]
) -> list[tuple[service.IncidentRow, bool]]:
    """Write several prepared creations at once, as if one after another (the writer commits);
    each result is the stored row, not an ORM object."""
    return service.write_create_many(session, prepared)


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
    check(principal.role, "incident.transition")
    inc = service.transition(
        session, principal=principal, incident_id=incident_id, to_state=to_state, note=note, at=at
    )
    session.commit()
    return inc


def incident_reveal_caller_flow(
    session: Session, *, principal: Principal, incident_id: int, reason: str
) -> dict[str, str | None]:
    """Show the caller's contact data, audited with the reason, and commit the audit record."""
    check(principal.role, "incident.reveal_caller")
    out = service.reveal_caller(
        session, principal=principal, incident_id=incident_id, reason=reason
    )
    session.commit()
    return out
