"""The checklist scheduler: which duties fall due on a day (after station overrides), and the
idempotent run that materialises them as tasks in officers' queues (one bulk insert, COPY on
PostgreSQL) and marks open tasks past their close as missed."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pingan.audit.service import Actor, record
from pingan.auth.models import User
from pingan.checklists.models import (
    ChecklistOverride,
    ChecklistTask,
    ChecklistTemplate,
)
from pingan.config import get_settings
from pingan.jurisdictions.models import Jurisdiction
from pingan.places.models import Premises
from pingan.store.base import utcnow
from pingan.store.bulk import bulk_insert, timestamps_for

__all__ = [
    "TASK_COLUMNS",
    "DueTasks",
    "MaterialiseResult",
    "due_tasks",
    "mark_missed",
    "materialise",
]

_GRACE = {
    "daily": dt.timedelta(hours=12),
    "weekly": dt.timedelta(days=2),
    "monthly": dt.timedelta(days=5),
    "quarterly": dt.timedelta(days=10),
}
"""How long after its due time a task of each frequency stays open before it is missed."""


@dataclass(frozen=True)
class _Rule:
    frequency: str
    times: tuple[str, ...]
    weekday: int
    day_of_month: int


def _effective(tpl: ChecklistTemplate, ov: ChecklistOverride | None) -> _Rule | None:
    if ov is not None and ov.disabled:
        return None
    freq = (ov.frequency if ov is not None and ov.frequency else None) or tpl.frequency
    times = ov.times if ov is not None and ov.times is not None else tpl.times
    weekday = ov.weekday if ov is not None and ov.weekday is not None else tpl.weekday
    dom = ov.day_of_month if ov is not None and ov.day_of_month is not None else tpl.day_of_month
    return _Rule(freq, tuple(t for t in times.split(",") if t), weekday, dom)


def _is_due(rule: _Rule, day: dt.date) -> bool:
    if rule.frequency == "daily":
        return True
    if rule.frequency == "weekly":
        return day.weekday() == rule.weekday
    if rule.frequency == "quarterly" and day.month not in (1, 4, 7, 10):
        return False
    last = calendar.monthrange(day.year, day.month)[1]
    return day.day == min(rule.day_of_month, last)


def _period_end(rule: _Rule, day: dt.date) -> dt.date:
    if rule.frequency == "daily":
        return day + dt.timedelta(days=1)
    if rule.frequency == "weekly":
        return day + dt.timedelta(days=7)
    months = 1 if rule.frequency == "monthly" else 3
    y, m = divmod(day.month - 1 + months, 12)
    return day.replace(year=day.year + y, month=m + 1, day=1)


@dataclass
class _Targets:
    """Who does what, loaded once per run: stations, officers, cells, premises."""

    station_path: dict[int, str]
    chief_of: dict[int, int]
    station_of_path: dict[str, int]
    officers: dict[str, list[tuple[int, str, int]]]  # role → (user id, jpath, station)
    cells: list[tuple[int, str, int | None, int]]  # id, path, owner, station
    premises: dict[str, list[tuple[int, str, int | None, int]]]  # kind → id, jpath, owner, st

    def station_for(self, path: str) -> int | None:
        """The station whose path prefixes ``path``."""
        parts = [p for p in path.split("/") if p]
        for k in range(len(parts), 0, -1):
            hit = self.station_of_path.get("/" + "/".join(parts[:k]) + "/")
            if hit is not None:
                return hit
        return None


def _load_targets(session: Session, kinds: set[str]) -> _Targets:
    J = Jurisdiction
    station_path = dict(session.execute(select(J.id, J.path).where(J.level == "station")).all())
    spath = {p: i for i, p in station_path.items()}
    t = _Targets(station_path, {}, spath, {}, [], {})
    jpaths = dict(session.execute(select(J.id, J.path).where(J.level != "cell")).all())
    for uid, role, jid in session.execute(
        select(User.id, User.role, User.jurisdiction_id)
        .where(User.is_active.is_(True), User.jurisdiction_id.is_not(None))
        .order_by(User.id)
    ):
        path = jpaths.get(jid) if jid is not None else None
        if path is None:
            continue
        st = t.station_for(path)
        if st is None:
            continue
        if role == "station_chief" and jid == st:
            t.chief_of.setdefault(st, uid)
        t.officers.setdefault(role, []).append((uid, path, st))
    if "cell" in kinds or "premises" in kinds:
        cell_rows = session.execute(
            select(J.id, J.path, J.owner_id).where(J.level == "cell").order_by(J.id)
        ).all()
        owner = {}
        for cid, cpath, own in cell_rows:
            st = t.station_for(cpath)
            owner[cid] = own
            if st is not None:
                t.cells.append((cid, cpath, own, st))
        if "premises" in kinds:
            for pid, kind, jid, ppath in session.execute(
                select(
                    Premises.id, Premises.kind, Premises.jurisdiction_id, Premises.jpath
                ).order_by(Premises.id)
            ):
                st = t.station_for(ppath)
                if st is not None:
                    t.premises.setdefault(kind, []).append((pid, ppath, owner.get(jid), st))
    return t


TASK_COLUMNS: tuple[str, ...] = (
    "template_id",
    "station_id",
    "assignee_id",
    "target_kind",
    "target_id",
    "jpath",
    "day",
    "slot",
    "due_at",
    "close_at",
    "state",
    "note",
    "created_at",
)


@dataclass
class DueTasks:
    """The occurrences due on one day, as columns (epoch seconds for times)."""

    template_id: list[int] = field(default_factory=list)
    station_id: list[int] = field(default_factory=list)
    assignee_id: list[int | None] = field(default_factory=list)
    target_kind: list[str] = field(default_factory=list)
    target_id: list[int] = field(default_factory=list)
    jpath: list[str] = field(default_factory=list)
    slot: list[str] = field(default_factory=list)
    due_s: list[int] = field(default_factory=list)
    close_s: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.template_id)


def due_tasks(session: Session, *, day: dt.date) -> DueTasks:
    """Every checklist occurrence due on ``day`` (local date), after station overrides."""
    tz = ZoneInfo(get_settings().timezone)
    templates = list(
        session.scalars(
            select(ChecklistTemplate)
            .where(ChecklistTemplate.active.is_(True))
            .order_by(ChecklistTemplate.id)
        )
    )
    overrides: dict[tuple[int, int], ChecklistOverride] = {
        (o.template_id, o.station_id): o for o in session.scalars(select(ChecklistOverride))
    }
    out = DueTasks()
    if not templates:
        return out
    targets = _load_targets(session, {t.target for t in templates})
    for tpl in templates:
        base = _effective(tpl, None)
        assert base is not None
        rules: dict[int, _Rule | None] = {
            st: _effective(tpl, overrides.get((tpl.id, st))) for st in targets.station_path
        }
        if tpl.target == "station":
            items = [
                (st, targets.chief_of.get(st), st, targets.station_path[st])
                for st in targets.station_path
            ]
        elif tpl.target == "officer":
            items = [(uid, uid, st, path) for uid, path, st in targets.officers.get(tpl.role, [])]
        elif tpl.target == "cell":
            items = [(cid, own, st, path) for cid, path, own, st in targets.cells]
        else:
            items = [
                (pid, own, st, path)
                for pid, path, own, st in targets.premises.get(tpl.premises_kind or "", [])
            ]
        slot_cache: dict[_Rule, list[tuple[str, int, int]]] = {}
        for target_id, assignee, st, path in items:
            rule = rules.get(st, base)
            if rule is None or not _is_due(rule, day):
                continue
            slots = slot_cache.get(rule)
            if slots is None:
                end = dt.datetime.combine(_period_end(rule, day), dt.time(), tz)
                grace = _GRACE[rule.frequency]
                slots = []
                if rule.times:
                    for hhmm in rule.times:
                        h, m = (int(x) for x in hhmm.split(":"))
                        due = dt.datetime.combine(day, dt.time(h, m), tz) + dt.timedelta(
                            minutes=tpl.window_min
                        )
                        slots.append((hhmm, int(due.timestamp()), int((due + grace).timestamp())))
                else:
                    slots.append(("", int(end.timestamp()), int((end + grace).timestamp())))
                slot_cache[rule] = slots
            for slot, due_s, close_s in slots:
                out.template_id.append(tpl.id)
                out.station_id.append(st)
                out.assignee_id.append(assignee)
                out.target_kind.append(tpl.target)
                out.target_id.append(target_id)
                out.jpath.append(path)
                out.slot.append(slot)
                out.due_s.append(due_s)
                out.close_s.append(close_s)
    return out


@dataclass(frozen=True)
class MaterialiseResult:
    """What one scheduler run did for a day."""

    day: dt.date
    created: int
    existing: int
    missed: int

    def message(self) -> str:
        """One line for the CLI and the API."""
        return (
            f"{self.day.isoformat()}: {self.created} checklist tasks created, "
            f"{self.existing} already existed; {self.missed} overdue tasks marked missed"
        )


def mark_missed(session: Session, *, now: dt.datetime | None = None) -> int:
    """Open checklist tasks past their ``close_at`` become ``missed``; returns how many."""
    now = now or utcnow()
    res = session.execute(
        update(ChecklistTask)
        .where(ChecklistTask.state == "open", ChecklistTask.close_at < now)
        .values(state="missed")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(res, "rowcount", 0) or 0)


def materialise(
    session: Session,
    *,
    day: dt.date,
    actor: Actor | None = None,
    now: dt.datetime | None = None,
) -> MaterialiseResult:
    """Create the checklist tasks due on ``day`` in each officer's queue, idempotently.

    Occurrences already stored (same template, target, day and slot — a unique key) are
    counted as ``existing`` and not created again. Also marks open tasks past their close as
    missed. Rows go in with one bulk insert (COPY on PostgreSQL); one audit record per run.
    """
    now = now or utcnow()
    due = due_tasks(session, day=day)
    existing_keys = set(
        session.execute(
            select(ChecklistTask.template_id, ChecklistTask.target_id, ChecklistTask.slot).where(
                ChecklistTask.day == day
            )
        ).all()
    )
    keep = [
        i
        for i in range(len(due))
        if (due.template_id[i], due.target_id[i], due.slot[i]) not in existing_keys
    ]
    conn = session.connection()
    created = 0
    if keep:
        idx = np.asarray(keep, dtype=np.int64)
        due_txt = timestamps_for(conn, np.asarray(due.due_s, dtype=np.int64)[idx])
        close_txt = timestamps_for(conn, np.asarray(due.close_s, dtype=np.int64)[idx])
        now_txt = timestamps_for(conn, np.array([int(now.timestamp())], dtype=np.int64))[0]
        day_txt = day.isoformat()
        rows = (
            (
                due.template_id[i],
                due.station_id[i],
                due.assignee_id[i],
                due.target_kind[i],
                due.target_id[i],
                due.jpath[i],
                day_txt,
                due.slot[i],
                due_txt[k],
                close_txt[k],
                "open",
                "",
                now_txt,
            )
            for k, i in enumerate(keep)
        )
        created = bulk_insert(conn, "checklist_tasks", TASK_COLUMNS, rows)
    missed = mark_missed(session, now=now)
    result = MaterialiseResult(day, created, len(due) - len(keep), missed)
    record(
        session,
        actor=actor or Actor.system("scheduler"),
        action="materialise",
        entity="checklist_task",
        detail={
            "day": day.isoformat(),
            "created": result.created,
            "existing": result.existing,
            "missed": result.missed,
        },
    )
    return result
