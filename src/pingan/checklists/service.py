"""Duty checklists (一张清单管任务): templates, station overrides, the tasks in officers' queues,
marking them done and the station's completion figures.

The day's tasks are made by :func:`pingan.checklists.scheduler.materialise`. Every function takes
a session and keyword-only arguments and never commits; flows commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from pingan.audit.service import record
from pingan.auth.models import ROLES
from pingan.auth.service import Principal, scope_clause
from pingan.checklists.models import (
    CHECKLIST_FREQUENCIES,
    CHECKLIST_TARGETS,
    ChecklistOverride,
    ChecklistTask,
    ChecklistTemplate,
)
from pingan.errors import Conflict, Invalid, NotFound, PermissionDenied
from pingan.jurisdictions.models import Jurisdiction
from pingan.places.models import PREMISES_KINDS
from pingan.store.base import utcnow
from pingan.workflow import StateMachine

__all__ = [
    "CHECKLIST",
    "checklist_tasks_query",
    "complete_task",
    "create_template",
    "get_task_or_raise",
    "set_override",
    "station_completion",
]

CHECKLIST = StateMachine(
    name="checklist task",
    initial="open",
    transitions={"open": ("done", "late", "missed"), "done": (), "late": (), "missed": ()},
    stamps={"done": "done_at", "late": "done_at"},
)
"""A checklist task is open until done (on time), late (after ``due_at``) or missed (still open
at ``close_at``)."""


# ---------------------------------------------------------------- templates


def _parse_times(times: str | Iterable[str], field_name: str = "times") -> str:
    items = [t.strip() for t in (times.split(",") if isinstance(times, str) else times)]
    out: list[str] = []
    for t in items:
        if not t:
            continue
        try:
            parsed = dt.datetime.strptime(t, "%H:%M")
        except ValueError:
            raise Invalid(field_name, f"{t!r} is not a time; use HH:MM, e.g. 07:30") from None
        out.append(parsed.strftime("%H:%M"))
    return ",".join(sorted(set(out)))


def _check_schedule(frequency: str | None, weekday: int | None, day_of_month: int | None) -> None:
    if frequency is not None and frequency not in CHECKLIST_FREQUENCIES:
        raise Invalid(
            "frequency",
            f"{frequency!r} is not a frequency; use {', '.join(CHECKLIST_FREQUENCIES)}",
        )
    if weekday is not None and not 0 <= weekday <= 6:
        raise Invalid("weekday", "use 0 (Monday) … 6 (Sunday)")
    if day_of_month is not None and not 1 <= day_of_month <= 31:
        raise Invalid("day_of_month", "use 1 … 31 (short months use their last day)")


def create_template(
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
    """Add a bureau-level checklist template (admin, commander); audited."""
    if principal.jpath != "/":
        raise PermissionDenied(
            "only bureau-level admins and commanders define checklist templates; "
            "stations adjust them with overrides",
            field="role",
        )
    if not code.strip() or len(code) > 64:
        raise Invalid("code", "use 1-64 characters")
    if session.scalar(select(ChecklistTemplate.id).where(ChecklistTemplate.code == code)):
        raise Conflict(f"a checklist template with code {code!r} exists", field="code")
    if role not in ROLES:
        raise Invalid("role", f"{role!r} is not a role; use one of {', '.join(ROLES)}")
    _check_schedule(frequency, weekday, day_of_month)
    if target not in CHECKLIST_TARGETS:
        raise Invalid("target", f"{target!r} is not a target; use {', '.join(CHECKLIST_TARGETS)}")
    if target == "premises" and premises_kind not in PREMISES_KINDS:
        raise Invalid("premises_kind", f"name a premises kind: {', '.join(PREMISES_KINDS)}")
    if not 1 <= window_min <= 24 * 60:
        raise Invalid("window_min", "use 1 … 1440 minutes")
    tpl = ChecklistTemplate(
        code=code.strip(),
        name_zh=name_zh,
        name_en=name_en,
        description=description,
        role=role,
        frequency=frequency,
        times=_parse_times(times),
        weekday=weekday,
        day_of_month=day_of_month,
        window_min=window_min,
        target=target,
        premises_kind=premises_kind if target == "premises" else None,
        active=True,
    )
    session.add(tpl)
    session.flush()
    record(
        session,
        actor=principal.actor,
        action="create",
        entity="checklist_template",
        entity_id=tpl.id,
        detail={"code": tpl.code, "frequency": frequency, "target": target, "times": tpl.times},
    )
    return tpl


def set_override(
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
    """A station's adjustment of a template (its chief, or the bureau): disable it, or change
    its frequency, times, weekday or day of month; audited. Replaces any earlier override."""
    tpl = session.get(ChecklistTemplate, template_id)
    if tpl is None:
        raise NotFound(f"checklist template {template_id} does not exist")
    st = session.get(Jurisdiction, station_id)
    if st is None or st.level != "station" or not principal.can_see(st.path):
        raise NotFound(f"station {station_id} does not exist or is outside your jurisdiction")
    _check_schedule(frequency, weekday, day_of_month)
    parsed_times = None if times is None else _parse_times(times)
    ov = session.scalar(
        select(ChecklistOverride).where(
            ChecklistOverride.template_id == template_id,
            ChecklistOverride.station_id == station_id,
        )
    )
    if ov is None:
        ov = ChecklistOverride(template_id=template_id, station_id=station_id)
        session.add(ov)
    ov.disabled = disabled
    ov.frequency = frequency
    ov.times = parsed_times
    ov.weekday = weekday
    ov.day_of_month = day_of_month
    ov.updated_by_id = principal.user_id
    session.flush()
    record(
        session,
        actor=principal.actor,
        action="override",
        entity="checklist_template",
        entity_id=tpl.id,
        jpath=st.path,
        detail={
            "station_id": station_id,
            "disabled": disabled,
            "frequency": frequency,
            "times": parsed_times,
            "weekday": weekday,
            "day_of_month": day_of_month,
        },
    )
    return ov


# ---------------------------------------------------------------- tasks: reads and done


def checklist_tasks_query(
    principal: Principal,
    *,
    mine: bool = True,
    day: dt.date | None = None,
    station_id: int | None = None,
    state: str | None = None,
) -> Select[Any]:
    """Checklist tasks: the caller's own (default) or everything in scope, by due time."""
    q = select(ChecklistTask)
    if mine:
        q = q.where(ChecklistTask.assignee_id == principal.user_id)
    else:
        q = q.where(scope_clause(principal, ChecklistTask.jpath))
    if day is not None:
        q = q.where(ChecklistTask.day == day)
    if station_id is not None:
        q = q.where(ChecklistTask.station_id == station_id)
    if state is not None:
        if state not in CHECKLIST.states:
            raise Invalid(
                "state", f"{state!r} is not a task state; use {', '.join(CHECKLIST.states)}"
            )
        q = q.where(ChecklistTask.state == state)
    return q.order_by(ChecklistTask.due_at, ChecklistTask.id)


def get_task_or_raise(session: Session, *, principal: Principal, task_id: int) -> ChecklistTask:
    """A checklist task assigned to the caller or inside the caller's scope."""
    t = session.get(ChecklistTask, task_id)
    if t is None or not (t.assignee_id == principal.user_id or principal.can_see(t.jpath)):
        raise NotFound(f"checklist task {task_id} does not exist or is outside your jurisdiction")
    return t


def complete_task(
    session: Session,
    *,
    principal: Principal,
    task_id: int,
    note: str = "",
    now: dt.datetime | None = None,
) -> ChecklistTask:
    """Mark a task done — ``done`` before its due time, ``late`` after; a task past its close is
    missed and cannot be done (409). The assignee or the station's chief may mark it; audited."""
    t = get_task_or_raise(session, principal=principal, task_id=task_id)
    now = now or utcnow()
    if t.state == "open" and now > t.close_at:
        raise Conflict(
            f"checklist task {task_id} closed at {t.close_at.isoformat(timespec='minutes')} "
            "and is missed; it can no longer be marked done",
            field="to_state",
            detail={"current": "missed", "allowed": []},
        )
    target = "done" if now <= t.due_at else "late"
    CHECKLIST.check(t.state, target)
    if not (
        t.assignee_id == principal.user_id
        or (principal.role in ("station_chief", "admin") and principal.can_see(t.jpath))
    ):
        raise PermissionDenied(
            "only the assigned officer or the station chief may mark this task done",
            field="assignee",
        )
    CHECKLIST.apply(t, target, at=now, actor=principal.user_id)
    t.done_by_id = principal.user_id
    t.note = note.strip()[:2000]
    record(
        session,
        actor=principal.actor,
        action="complete",
        entity="checklist_task",
        entity_id=t.id,
        jpath=t.jpath,
        detail={"state": target, "template_id": t.template_id, "day": t.day.isoformat()},
    )
    session.flush()
    return t


def station_completion(
    session: Session,
    *,
    principal: Principal,
    station_id: int,
    since: dt.date,
    until: dt.date,
) -> dict[str, Any]:
    """The station's checklist for ``since``..``until`` (inclusive): per template, how many tasks
    were done on time, late, missed or are still open, and the completion rates."""
    st = session.get(Jurisdiction, station_id)
    if st is None or st.level != "station" or not principal.can_see(st.path):
        raise NotFound(f"station {station_id} does not exist or is outside your jurisdiction")
    if until < since:
        raise Invalid("until", "must not be before since")
    T = ChecklistTask
    rows = session.execute(
        select(T.template_id, T.state, func.count(T.id))
        .where(T.station_id == station_id, T.day >= since, T.day <= until)
        .group_by(T.template_id, T.state)
    ).all()
    names = {
        t.id: t
        for t in session.scalars(
            select(ChecklistTemplate).where(
                ChecklistTemplate.id.in_({int(r[0]) for r in rows} or {-1})
            )
        )
    }
    per: dict[int, dict[str, int]] = {}
    for tid, state, n in rows:
        per.setdefault(int(tid), {s: 0 for s in CHECKLIST.states})[str(state)] = int(n)

    def summary(c: dict[str, int]) -> dict[str, Any]:
        total = sum(c.values())
        closed = c["done"] + c["late"] + c["missed"]
        return {
            **c,
            "total": total,
            "completion_rate": round((c["done"] + c["late"]) / closed, 4) if closed else None,
            "on_time_rate": round(c["done"] / closed, 4) if closed else None,
        }

    templates = []
    overall = {s: 0 for s in CHECKLIST.states}
    for tid in sorted(per):
        tpl = names.get(tid)
        for s, n in per[tid].items():
            overall[s] += n
        templates.append(
            {
                "template_id": tid,
                "code": tpl.code if tpl else "",
                "name_zh": tpl.name_zh if tpl else "",
                "name_en": tpl.name_en if tpl else "",
                "frequency": tpl.frequency if tpl else "",
                **summary(per[tid]),
            }
        )
    return {
        "station_id": station_id,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "templates": templates,
        "overall": summary(overall),
        "how": "completion_rate = (done + late) / (done + late + missed); on_time_rate = done / "
        "(done + late + missed); open tasks are not counted until they close",
    }
