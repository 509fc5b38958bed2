"""Early-warning flows: each commits once with its audit record."""

from __future__ import annotations

from sqlalchemy.orm import Session

from pingan.alerts import service
from pingan.alerts.models import EarlyWarning
from pingan.auth.service import Principal

__all__ = ["warning_transition_flow"]

HANDLER_ROLES = frozenset({"admin", "commander", "station_chief", "analyst", "dispatcher"})


def warning_transition_flow(
    session: Session, *, principal: Principal, warning_id: int, to_state: str, reason: str
) -> EarlyWarning:
    """Acknowledge, dismiss or action a warning, and commit."""
    from pingan.errors import PermissionDenied

    if principal.role not in HANDLER_ROLES:
        raise PermissionDenied(f"role {principal.role!r} may not handle warnings", field="role")
    w = service.transition(
        session, principal=principal, warning_id=warning_id, to_state=to_state, reason=reason
    )
    session.commit()
    return w
