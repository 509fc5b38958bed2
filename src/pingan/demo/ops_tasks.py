"""A realistic history of instructions and duty checklists for the demo city.

Called by :func:`pingan.demo.load.load_city` inside its transaction, after the jurisdictions,
users and premises are in: adds the bureau's checklist templates (and two station overrides),
the last two weeks of materialised checklist tasks with their outcomes, and about two months of
instructions with every recipient's timeline; then one escalation pass writes the notices for
what is overdue now. Deterministic for a seed; rows go in with bulk inserts (COPY on
PostgreSQL), a few seconds for the whole city.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.service import Actor
from pingan.auth.models import User
from pingan.checklists import scheduler
from pingan.checklists.models import ChecklistOverride, ChecklistTemplate
from pingan.config import get_settings
from pingan.instructions import notices
from pingan.jurisdictions.models import Jurisdiction
from pingan.store.bulk import bulk_insert, reset_sequence, timestamps_for

__all__ = ["DEMO_TEMPLATES", "load_ops_history"]

DEMO_TEMPLATES: tuple[dict[str, Any], ...] = (
    {
        "code": "school_gate",
        "name_zh": "护学岗上下学时段值守",
        "name_en": "School-gate duty at opening and closing",
        "role": "community_officer",
        "frequency": "daily",
        "times": "07:30,16:30",
        "target": "premises",
        "premises_kind": "school",
        "window_min": 45,
    },
    {
        "code": "hospital_room",
        "name_zh": "医院警务室巡查",
        "name_en": "Hospital police-room round",
        "role": "community_officer",
        "frequency": "daily",
        "times": "10:00",
        "target": "premises",
        "premises_kind": "hospital",
        "window_min": 120,
    },
    {
        "code": "duty_log",
        "name_zh": "所领导值班日志与交接班",
        "name_en": "Station duty log and hand-over",
        "role": "station_chief",
        "frequency": "daily",
        "times": "",
        "target": "station",
    },
    {
        "code": "rental_visit",
        "name_zh": "出租房屋走访核查（每网格每周）",
        "name_en": "Weekly rental-housing visits per grid cell",
        "role": "community_officer",
        "frequency": "weekly",
        "weekday": 0,
        "target": "cell",
    },
    {
        "code": "hotel_inspection",
        "name_zh": "旅馆业治安检查",
        "name_en": "Monthly hotel inspection",
        "role": "community_officer",
        "frequency": "monthly",
        "day_of_month": 5,
        "target": "premises",
        "premises_kind": "hotel",
    },
    {
        "code": "venue_inspection",
        "name_zh": "娱乐场所治安检查",
        "name_en": "Monthly entertainment-venue inspection",
        "role": "community_officer",
        "frequency": "monthly",
        "day_of_month": 15,
        "target": "premises",
        "premises_kind": "entertainment_venue",
    },
    {
        "code": "dispute_rescreen",
        "name_zh": "矛盾纠纷季度复排",
        "name_en": "Quarterly dispute re-screening",
        "role": "community_officer",
        "frequency": "quarterly",
        "day_of_month": 1,
        "target": "officer",
    },
)

_TITLES: tuple[tuple[str, str], ...] = (
    ("夜间巡查电动车盗窃高发点", "近期辖区电动车被盗案件上升，请组织夜间巡查并反馈巡查情况。"),
    ("核查出租房屋登记情况", "请对辖区出租房屋开展登记核查，重点核对新租户信息。"),
    ("加强校园周边上下学时段防控", "请落实护学岗，确保上下学时段见警察、见警车、见警灯。"),
    ("开展寄递物流安全检查", "请对辖区寄递网点开展安全检查，落实实名收寄和开箱验视。"),
    ("排查化解矛盾纠纷", "请对辖区重点矛盾纠纷逐一回访，防止矛盾激化。"),
    ("节日期间重点部位安保", "节日期间请加强商圈、车站等人员密集场所巡逻防控。"),
    ("防范电信网络诈骗宣传", "请组织进社区、进校园开展反诈宣传，并反馈宣传场次。"),
    ("消防隐患排查整改", "请对辖区九小场所开展消防隐患排查，建立整改台账。"),
    ("处置两抢一盗预警", "系统预警辖区两抢一盗警情高于基线，请研判并调整巡逻力量。"),
    ("核查重点人员落脚点", "请核查指定地址实有人口变动情况并反馈。"),
)
_REPORTS: tuple[str, ...] = (
    "已组织巡组开展巡查，未发现异常。",
    "已完成核查，更新登记信息 12 条。",
    "已落实，增派 2 个巡组，情况平稳。",
    "已走访相关当事人，矛盾已初步化解。",
    "已开展宣传 3 场，覆盖群众约 400 人。",
)


def _ids_of_level(session: Session, level: str) -> list[tuple[int, str, int | None]]:
    return [
        (int(i), str(p), None if par is None else int(par))
        for i, p, par in session.execute(
            select(Jurisdiction.id, Jurisdiction.path, Jurisdiction.parent_id)
            .where(Jurisdiction.level == level)
            .order_by(Jurisdiction.id)
        )
    ]


def _add_templates(session: Session, stations: Sequence[tuple[int, str, int | None]]) -> None:
    for spec in DEMO_TEMPLATES:
        session.add(ChecklistTemplate(active=True, description="", **spec))
    session.flush()
    by_code = {t.code: t.id for t in session.scalars(select(ChecklistTemplate))}
    if len(stations) >= 2:
        # a station without a hospital police room, and one whose schools open earlier
        session.add(
            ChecklistOverride(
                template_id=by_code["hospital_room"], station_id=stations[0][0], disabled=True
            )
        )
        session.add(
            ChecklistOverride(
                template_id=by_code["school_gate"], station_id=stations[1][0], times="07:10,16:40"
            )
        )
    session.flush()


def _checklist_history(
    session: Session, rng: np.random.Generator, *, today: dt.date, now_s: int, days: int
) -> int:
    conn = session.connection()
    cols = (*scheduler.TASK_COLUMNS, "done_at", "done_by_id")
    total = 0
    for back in range(days, -1, -1):
        day = today - dt.timedelta(days=back)
        due = scheduler.due_tasks(session, day=day)
        n = len(due)
        if not n:
            continue
        due_s = np.asarray(due.due_s, dtype=np.int64)
        close_s = np.asarray(due.close_s, dtype=np.int64)
        created_s = int(
            dt.datetime.combine(day, dt.time(0, 5), ZoneInfo("Asia/Shanghai")).timestamp()
        )
        u = rng.random(n)
        closed = close_s < now_s
        # closed tasks: 82 % on time, 11 % late, 7 % missed; still-open ones partly done
        state = np.where(
            closed,
            np.where(u < 0.82, "done", np.where(u < 0.93, "late", "missed")),
            np.where((u < 0.6) & (due_s - 3600 < now_s), "done", "open"),
        )
        early = rng.integers(5 * 60, 50 * 60, n)
        after = (rng.random(n) * np.maximum(close_s - due_s, 60)).astype(np.int64)
        done_s = np.where(state == "done", np.minimum(due_s - early, now_s), -1)
        done_s = np.where(state == "late", np.minimum(due_s + after, now_s), done_s)
        due_txt = timestamps_for(conn, due_s)
        close_txt = timestamps_for(conn, close_s)
        done_txt = timestamps_for(conn, done_s)
        created_txt = timestamps_for(conn, np.array([created_s], dtype=np.int64))[0]
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
                due_txt[i],
                close_txt[i],
                str(state[i]),
                "",
                created_txt,
                done_txt[i],
                due.assignee_id[i] if done_s[i] >= 0 else None,
            )
            for i in range(n)
        )
        total += bulk_insert(conn, "checklist_tasks", cols, rows)
    return total


@dataclass(frozen=True)
class _People:
    """Who issues and receives the demo instructions."""

    districts: list[Any]
    stations: list[Any]
    jpath: dict[int, str]
    commander: Any
    chief_of: dict[Any, Any]
    officers_of: dict[int, list[Any]]
    district_commanders: dict[Any, Any]


def _people(session: Session) -> _People | None:
    districts = _ids_of_level(session, "district")
    stations = _ids_of_level(session, "station")
    if not stations:
        return None
    jpath = {
        int(i): str(p)
        for i, p in session.execute(
            select(Jurisdiction.id, Jurisdiction.path).where(Jurisdiction.level != "cell")
        )
    }
    users = session.execute(
        select(User.id, User.username, User.role, User.jurisdiction_id).order_by(User.id)
    ).all()
    commander = next(
        (u for u in users if u.role == "commander" and u.jurisdiction_id is None), None
    )
    chief_of = {u.jurisdiction_id: u for u in users if u.role == "station_chief"}
    station_ids = {s[0] for s in stations}
    officers_of: dict[int, list[Any]] = {}
    for u in users:
        if u.role == "community_officer" and u.jurisdiction_id is not None:
            path = jpath.get(u.jurisdiction_id, "")
            st = next((int(p) for p in path.split("/") if p and int(p) in station_ids), None)
            if st is not None:
                officers_of.setdefault(st, []).append(u)
    district_commanders = {
        u.jurisdiction_id: u for u in users if u.role == "commander" and u.jurisdiction_id
    }
    return _People(
        districts, stations, jpath, commander, chief_of, officers_of, district_commanders
    )


def _instruction_history(
    session: Session, rng: np.random.Generator, *, now_s: int, days: int, per_day: float
) -> dict[str, int]:
    people = _people(session)
    if people is None:
        return {}
    districts, stations, jpath = people.districts, people.stations, people.jpath
    commander, chief_of, officers_of = people.commander, people.chief_of, people.officers_of
    district_commanders = people.district_commanders
    n_ins = int(days * per_day)
    next_id = 1
    ins_rows: list[tuple[Any, ...]] = []
    rec_rows: list[tuple[Any, ...]] = []
    ev_rows: list[tuple[Any, ...]] = []
    rid = 0
    steps = ("signed", "in_progress", "reported", "accepted", "closed")
    stamp_col = {"signed": 0, "in_progress": 1, "reported": 2, "accepted": 3, "closed": 4}
    for _ in range(n_ins):
        created = now_s - int(rng.random() ** 1.5 * days * 86400)
        pick = rng.random()
        if pick < 0.45 and commander is not None:
            issuer, level, ipath, ijid = commander, "bureau", "/", None
            if rng.random() < 0.35 and districts:
                d = districts[int(rng.integers(len(districts)))]
                targets = [(s[0], s[1]) for s in stations if s[2] == d[0]]
            else:
                s = stations[int(rng.integers(len(stations)))]
                targets = [(s[0], s[1])]
            recips = [("station", sid, None, p) for sid, p in targets]
        elif pick < 0.6 and district_commanders:
            did = list(district_commanders)[int(rng.integers(len(district_commanders)))]
            issuer, level, ipath, ijid = district_commanders[did], "district", jpath[did], did
            own = [(s[0], s[1]) for s in stations if s[2] == did] or [
                (stations[0][0], stations[0][1])
            ]
            sid, p = own[int(rng.integers(len(own)))]
            recips = [("station", sid, None, p)]
        else:
            s = stations[int(rng.integers(len(stations)))]
            chief = chief_of.get(s[0])
            offs = officers_of.get(s[0], [])
            if chief is None or not offs:
                continue
            issuer, level, ipath, ijid = chief, "station", s[1], s[0]
            chosen = {int(rng.integers(len(offs))) for _ in range(1 + int(rng.integers(2)))}
            recips = [
                ("officer", s[0], offs[j].id, jpath.get(offs[j].jurisdiction_id, s[1]))
                for j in sorted(chosen)
            ]
        if not recips:
            continue
        title, text = _TITLES[int(rng.integers(len(_TITLES)))]
        prio = str(rng.choice(["normal", "high", "urgent", "low"], p=[0.55, 0.3, 0.1, 0.05]))
        sign_h = {"urgent": 1, "high": 2, "normal": 8, "low": 24}[prio]
        sign_by = created + sign_h * 3600
        complete_by = created + int(rng.choice([1, 2, 3, 7])) * 86400
        iid = next_id
        next_id += 1
        ins_rows.append(
            (iid, f"ZL{dt.datetime.fromtimestamp(created, dt.UTC):%Y%m%d}-D{iid:05d}", title, text,
             prio, issuer.id, level, ijid, ipath, sign_by, complete_by, len(recips), created)
        )  # fmt: skip
        ev_rows.append((iid, None, created, "issued", None, "issued", issuer.id, ""))
        for kind, st, officer_id, rpath in recips:
            rid += 1
            # how far this recipient got, by the instruction's age: old ones are mostly closed
            age = now_s - created
            t = created + int(rng.uniform(0.1, 1.3) * (sign_by - created))
            stamps: list[int] = [-1] * 5
            state = "issued"
            actor = officer_id if officer_id is not None else getattr(chief_of.get(st), "id", None)
            reworks = 0
            first_report = -1
            for step in steps:
                if t > now_s:
                    break
                if step == "accepted" and rng.random() < 0.08 and reworks == 0:
                    # returned once for rework, then reported again
                    ev_rows.append(
                        (
                            iid,
                            rid,
                            t,
                            "transition",
                            "reported",
                            "returned",
                            issuer.id,
                            "请补充现场照片",
                        )
                    )
                    t += int(rng.uniform(2, 20) * 3600)
                    if t > now_s:
                        state = "returned"
                        break
                    ev_rows.append(
                        (iid, rid, t, "transition", "returned", "in_progress", actor, "")
                    )
                    t += int(rng.uniform(1, 10) * 3600)
                    if t > now_s:
                        state = "in_progress"
                        break
                    ev_rows.append(
                        (iid, rid, t, "report", "in_progress", "reported", actor, _REPORTS[0])
                    )
                    reworks = 1
                    stamps[2] = t
                    t += int(rng.uniform(1, 12) * 3600)
                    if t > now_s:
                        state = "reported"
                        break
                prev = state
                state = step
                stamps[stamp_col[step]] = t
                who = issuer.id if step in ("accepted", "closed") else actor
                note = _REPORTS[int(rng.integers(len(_REPORTS)))] if step == "reported" else ""
                ev_rows.append(
                    (
                        iid,
                        rid,
                        t,
                        "report" if step == "reported" else "transition",
                        prev,
                        step,
                        who,
                        note,
                    )
                )
                if step == "reported" and first_report < 0:
                    first_report = t
                gap = {
                    "signed": rng.uniform(0.5, 6) * 3600,
                    "in_progress": rng.uniform(0.2, 1.2) * (complete_by - created),
                    "reported": rng.uniform(1, 30) * 3600,
                    "accepted": rng.uniform(1, 24) * 3600,
                    "closed": 0,
                }[step]
                t += int(gap)
                if (age < 86400 and rng.random() < 0.5) or rng.random() < 0.015:
                    break  # still being handled, or stalled (escalated below)
            report = _REPORTS[int(rng.integers(len(_REPORTS)))] if first_report >= 0 else None
            rec_rows.append(
                (rid, iid, kind, st, None, officer_id, rpath, state, prio, sign_by, complete_by,
                 stamps[0], stamps[1], first_report, stamps[2], stamps[3], stamps[4], reworks,
                 report, False, False, created, max([created, *[s for s in stamps if s > 0]]))
            )  # fmt: skip
    if not ins_rows:
        return {}
    return _write_instruction_history(session.connection(), ins_rows, rec_rows, ev_rows)


def _write_instruction_history(
    conn: Any,
    ins_rows: list[tuple[Any, ...]],
    rec_rows: list[tuple[Any, ...]],
    ev_rows: list[tuple[Any, ...]],
) -> dict[str, int]:
    def ts(values: Sequence[int]) -> list[str | None]:
        return timestamps_for(conn, np.asarray(values, dtype=np.int64))

    ic = list(zip(*ins_rows, strict=True))
    sb, cb, ca = ts(ic[9]), ts(ic[10]), ts(ic[12])
    n = bulk_insert(
        conn,
        "instructions",
        (
            "id",
            "code",
            "title",
            "text",
            "priority",
            "issuer_id",
            "issuer_level",
            "issuer_jurisdiction_id",
            "jpath",
            "sign_by",
            "complete_by",
            "recipient_count",
            "created_at",
            "updated_at",
        ),
        ((*r[:9], sb[i], cb[i], r[11], ca[i], ca[i]) for i, r in enumerate(ins_rows)),
    )
    reset_sequence(conn, "instructions")
    rc = list(zip(*rec_rows, strict=True))
    tcols = {j: ts(rc[j]) for j in (9, 10, 11, 12, 13, 14, 15, 16, 21, 22)}
    nr = bulk_insert(
        conn,
        "instruction_recipients",
        (
            "id",
            "instruction_id",
            "kind",
            "station_id",
            "resource_id",
            "officer_id",
            "jpath",
            "state",
            "priority",
            "sign_by",
            "complete_by",
            "signed_at",
            "started_at",
            "first_reported_at",
            "reported_at",
            "accepted_at",
            "closed_at",
            "rework_count",
            "report_text",
            "sign_overdue",
            "complete_overdue",
            "created_at",
            "updated_at",
        ),
        (
            tuple(tcols[j][i] if j in tcols else v for j, v in enumerate(r))
            for i, r in enumerate(rec_rows)
        ),
    )
    reset_sequence(conn, "instruction_recipients")
    et = ts([e[2] for e in ev_rows])
    ne = bulk_insert(
        conn,
        "instruction_events",
        (
            "instruction_id",
            "recipient_id",
            "at",
            "kind",
            "from_state",
            "to_state",
            "actor_id",
            "note",
            "data",
        ),
        ((e[0], e[1], et[i], e[3], e[4], e[5], e[6], e[7], "{}") for i, e in enumerate(ev_rows)),
    )
    return {"instructions": n, "instruction_recipients": nr, "instruction_events": ne}


def load_ops_history(
    session: Session,
    *,
    seed: int = 20261122,
    now: dt.datetime | None = None,
    checklist_days: int = 14,
    instruction_days: int = 60,
    instructions_per_day: float = 12.0,
) -> dict[str, int]:
    """Add templates, two weeks of checklist tasks and two months of instructions to the demo
    database in the caller's transaction; returns row counts per table."""
    rng = np.random.default_rng(seed + 6)
    now = now or dt.datetime.now(dt.UTC)
    now_s = int(now.timestamp())
    today = now.astimezone(ZoneInfo(get_settings().timezone)).date()
    stations = _ids_of_level(session, "station")
    _add_templates(session, stations)
    counts = {"checklist_templates": len(DEMO_TEMPLATES)}
    counts["checklist_tasks"] = _checklist_history(
        session, rng, today=today, now_s=now_s, days=checklist_days
    )
    counts.update(
        _instruction_history(
            session, rng, now_s=now_s, days=instruction_days, per_day=instructions_per_day
        )
    )
    esc = notices.escalate(session, actor=Actor.system("demo"), now=now)
    counts["task_notices"] = esc.total
    session.flush()
    return counts
