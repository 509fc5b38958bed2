"""Early-warning flows: each commits once with its audit record."""

from __future__ import annotations

from sqlalchemy.orm import Session

from pingan.alerts import service
from pingan.alerts.models import EarlyWarning
from pingan.auth.service import Principal
from pingan.permissions import check

__all__ = ["warning_transition_flow"]


def warning_transition_flow(
    session: Session, *, principal: Principal, warning_id: int, to_state: str, reason: str
) -> EarlyWarning:
    """Acknowledge, dismiss or action a warning, and commit."""
    check(principal.role, "warning.handle")
    w = service.transition(
        session, principal=principal, warning_id=warning_id, to_state=to_state, reason=reason
    )
    session.commit()
    return w
