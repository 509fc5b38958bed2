"""Checklist flows: each commits once, with its audit records in the same transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.orm import Session

from pingan.audit.service import Actor
from pingan.auth.service import Principal
from pingan.checklists import scheduler, service
from pingan.checklists.models import ChecklistOverride, ChecklistTask, ChecklistTemplate
from pingan.errors import Invalid
from pingan.store.base import utcnow

__all__ = [
    "checklist_override_flow",
    "checklist_schedule_flow",
    "checklist_task_done_flow",
    "checklist_template_create_flow",
]


def checklist_template_create_flow(
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
    """Add a bureau-level checklist template and commit (audited)."""
    tpl = service.create_template(
        session,
        principal=principal,
        code=code,
        name_zh=name_zh,
        name_en=name_en,
        role=role,
        frequency=frequency,
        target=target,
        times=times,
        weekday=weekday,
        day_of_month=day_of_month,
        window_min=window_min,
        premises_kind=premises_kind,
        description=description,
    )
    session.commit()
    return tpl


def checklist_override_flow(
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
    """Set a station's adjustment of a template and commit (audited)."""
    ov = service.set_override(
        session,
        principal=principal,
        template_id=template_id,
        station_id=station_id,
        disabled=disabled,
        frequency=frequency,
        times=times,
        weekday=weekday,
        day_of_month=day_of_month,
    )
    session.commit()
    return ov


def checklist_schedule_flow(
    session: Session, *, actor: Actor, day: dt.date, now: dt.datetime | None = None
) -> scheduler.MaterialiseResult:
    """Materialise one day's checklist tasks and commit."""
    out = scheduler.materialise(session, day=day, actor=actor, now=now)
    session.commit()
    return out


def checklist_task_done_flow(
    session: Session,
    *,
    principal: Principal,
    task_id: int,
    note: str = "",
    at: dt.datetime | None = None,
) -> ChecklistTask:
    """Mark a checklist task done (or late) at ``at`` (default now: a phone that was offline
    sends the time it was done) and commit."""
    if at is not None and at > utcnow() + dt.timedelta(minutes=5):
        raise Invalid("at", "is in the future: send the time the task was done")
    if at is not None and at < utcnow() - dt.timedelta(hours=48):
        raise Invalid("at", "is more than 48 hours ago: tasks are accepted up to 48 h late")
    t = service.complete_task(session, principal=principal, task_id=task_id, note=note, now=at)
    session.commit()
    return t
