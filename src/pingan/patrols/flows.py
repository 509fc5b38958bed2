"""Patrol-plan flows: each commits once, with its audit record in the same transaction."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session

from pingan.auth.service import Principal
from pingan.patrols import service
from pingan.patrols.models import PatrolItem, PatrolPlan
from pingan.patrols.planner import PlanMemo

__all__ = [
    "patrol_item_update_flow",
    "patrol_plan_delete_flow",
    "patrol_plan_generate_flow",
    "patrol_plan_publish_flow",
]


def patrol_plan_generate_flow(
    session: Session,
    *,
    principal: Principal,
    station: int | str,
    day: dt.date,
    block: int,
    data_dir: Path,
    n_cells: int = 80,
    time_limit_s: float = 3.0,
    max_iterations: int | None = None,
    no_improvement: int | None = None,
    memo: PlanMemo | None = None,
) -> PatrolPlan:
    """Make the station's plan for a block from the forecast and commit (audited)."""
    st = service.station_or_raise(session, principal=principal, station=station)
    plan = service.generate(
        session,
        principal=principal,
        station=st,
        day=day,
        block=block,
        data_dir=data_dir,
        n_cells=n_cells,
        time_limit_s=time_limit_s,
        max_iterations=max_iterations,
        no_improvement=no_improvement,
        memo=memo,
    )
    session.commit()
    return plan


def patrol_plan_publish_flow(
    session: Session, *, principal: Principal, plan_id: int, published: bool = True
) -> PatrolPlan:
    """Publish a plan (or take it back to draft) and commit (audited)."""
    plan = service.get_plan_or_raise(session, principal=principal, plan_id=plan_id)
    service.publish(session, principal=principal, plan=plan, published=published)
    session.commit()
    return plan


def patrol_plan_delete_flow(session: Session, *, principal: Principal, plan_id: int) -> None:
    """Delete a draft plan and commit (audited)."""
    plan = service.get_plan_or_raise(session, principal=principal, plan_id=plan_id)
    service.delete_plan(session, principal=principal, plan=plan)
    session.commit()


def patrol_item_update_flow(
    session: Session,
    *,
    principal: Principal,
    item_id: int,
    resource_id: int | None = None,
    officer_id: int | None = None,
    clear_officer: bool = False,
    label: str | None = None,
) -> PatrolItem:
    """Assign a unit or officer to an item and commit (audited)."""
    it = service.update_item(
        session,
        principal=principal,
        item_id=item_id,
        resource_id=resource_id,
        officer_id=officer_id,
        clear_officer=clear_officer,
        label=label,
    )
    session.commit()
    return it
