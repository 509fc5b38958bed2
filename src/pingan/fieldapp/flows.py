"""Multi-step work of the field app: each commits once, with its audit record."""

from __future__ import annotations

from sqlalchemy.orm import Session

from pingan.auth.service import Principal
from pingan.fieldapp import service
from pingan.fieldapp.models import FieldUnit
from pingan.fieldapp.schemas import FieldMe
from pingan.permissions import scope_of
from pingan.resources import service as resources
from pingan.resources.models import Resource
from pingan.resources.schemas import PositionIn

__all__ = ["duty_switch_flow", "position_report_flow", "unit_link_flow"]


def duty_switch_flow(session: Session, *, principal: Principal, on_duty: bool) -> FieldMe:
    """Switch the caller on or off duty and commit."""
    service.set_duty(session, principal=principal, on_duty=on_duty)
    session.commit()
    return service.me(session, principal=principal)


def unit_link_flow(
    session: Session, *, principal: Principal, username: str, unit_code: str
) -> FieldUnit:
    """Link an officer to his unit and commit."""
    link = service.link_unit(session, principal=principal, username=username, unit_code=unit_code)
    session.commit()
    return link


def position_report_flow(
    session: Session, *, principal: Principal, resource_id: int, data: PositionIn
) -> Resource:
    """A unit's position report, committed. A caller whose scope of ``resource.position`` is
    ``own`` (a community officer's phone) reports only his linked unit, and only on duty."""
    if scope_of(principal.role, "resource.position") == "own":
        unit = service.own_unit_or_raise(session, principal=principal, resource_id=resource_id)
        r = resources.record_position(session, principal=principal, resource=unit, data=data)
    else:
        r = resources.report_position(
            session, principal=principal, resource_id=resource_id, data=data
        )
    session.commit()
    return r
