"""Duty checklists: templates, station overrides, the idempotent scheduler, done/late/missed,
station completion."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.audit.service import Actor, verify
from pingan.auth.service import principal_for
from pingan.checklists import scheduler
from pingan.checklists import service as checklist_service
from pingan.checklists.models import ChecklistTask
from pingan.errors import Conflict, Invalid, PermissionDenied
from pingan.instructions import notices
from pingan.places.models import Premises
from tests.conftest import auth
from tests.factories import SmallCity

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = dt.date(2026, 12, 7)


def _templates(client: TestClient, city: SmallCity) -> dict[str, int]:
    h = auth(city.tokens["admin"])
    specs: list[dict[str, Any]] = [
        {
            "code": "school_gate",
            "name_zh": "护学岗",
            "name_en": "School-gate duty",
            "frequency": "daily",
            "times": ["07:30", "16:30"],
            "target": "premises",
            "premises_kind": "school",
        },
        {
            "code": "rental_visit",
            "name_zh": "出租房走访",
            "name_en": "Rental-housing visits",
            "frequency": "weekly",
            "weekday": 0,
            "target": "cell",
        },
        {
            "code": "duty_log",
            "name_zh": "值班日志",
            "name_en": "Duty log",
            "frequency": "daily",
            "target": "station",
            "role": "station_chief",
        },
        {
            "code": "dispute_rescreen",
            "name_zh": "矛盾纠纷季度复排",
            "name_en": "Quarterly dispute re-screening",
            "frequency": "quarterly",
            "day_of_month": 1,
            "target": "officer",
        },
    ]
    out = {}
    for s in specs:
        r = client.post("/api/v1/checklists/templates", json=s, headers=h)
        assert r.status_code == 201, r.text
        out[s["code"]] = r.json()["id"]
    return out


def _school(session: Session, city: SmallCity) -> Premises:
    lon, lat = city.cell_center(0)
    p = Premises(
        code="P-SCH-1",
        kind="school",
        name="第一小学",
        lon=lon,
        lat=lat,
        jurisdiction_id=city.cells[0].id,
        jpath=city.cells[0].path,
    )
    session.add(p)
    session.flush()
    return p


def test_scheduler_is_idempotent_and_says_how_many_existed(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    tpl = _templates(client, city)
    _school(session, city)
    h = auth(city.tokens["admin"])
    r = client.post("/api/v1/checklists/schedule", json={"day": MONDAY.isoformat()}, headers=h)
    assert r.status_code == 200, r.text
    first = r.json()
    # 2 school-gate slots + 16 cells (weekly on Monday) + 2 station duty logs
    assert first["created"] == 2 + 16 + 2 and first["existing"] == 0
    r = client.post("/api/v1/checklists/schedule", json={"day": MONDAY.isoformat()}, headers=h)
    again = r.json()
    assert again["created"] == 0 and again["existing"] == 20
    assert again["message"] == (
        "2026-12-07: 0 checklist tasks created, 20 already existed; 0 overdue tasks marked missed"
    )
    n = session.scalar(select(func.count(ChecklistTask.id)).where(ChecklistTask.day == MONDAY))
    assert n == 20
    gate = session.scalars(
        select(ChecklistTask).where(ChecklistTask.template_id == tpl["school_gate"])
    ).all()
    assert sorted(t.slot for t in gate) == ["07:30", "16:30"]
    assert {t.assignee_id for t in gate} == {city.users["officer0"].id}  # the cell's owner
    first_due = min(t.due_at for t in gate).astimezone(TZ)
    assert (first_due.hour, first_due.minute) == (8, 30)  # 07:30 + 60 min window
    runs = session.scalar(
        select(func.count(AuditRecord.id)).where(AuditRecord.action == "materialise")
    )
    assert runs == 2 and verify(session).ok
    # a Tuesday has no weekly visits; 1 January has the quarterly re-screening per officer
    tue = scheduler.materialise(session, day=MONDAY + dt.timedelta(days=1))
    assert tue.created == 4
    jan = scheduler.materialise(session, day=dt.date(2027, 1, 1))
    assert jan.created == 2 + 2 + 1


def test_station_override_disables_or_moves_a_duty(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    tpl = _templates(client, city)
    _school(session, city)
    s0, s1 = city.stations[0].id, city.stations[1].id
    r = client.put(
        f"/api/v1/checklists/templates/{tpl['duty_log']}/stations/{s0}",
        json={"disabled": True},
        headers=auth(city.tokens["chief0"]),
    )
    assert r.status_code == 200, r.text
    r = client.put(
        f"/api/v1/checklists/templates/{tpl['school_gate']}/stations/{s0}",
        json={"times": ["07:00", "17:00", "12:00"]},
        headers=auth(city.tokens["chief0"]),
    )
    assert r.json()["times"] == "07:00,12:00,17:00"
    r = client.put(
        f"/api/v1/checklists/templates/{tpl['duty_log']}/stations/{s1}",
        json={"disabled": True},
        headers=auth(city.tokens["chief0"]),
    )
    assert r.status_code == 404  # the other station is outside chief0's jurisdiction
    r = client.put(
        f"/api/v1/checklists/templates/{tpl['school_gate']}/stations/{s0}",
        json={"times": ["7h30"]},
        headers=auth(city.tokens["chief0"]),
    )
    assert r.status_code == 422
    assert r.json()["error"]["message"] == "times: '7h30' is not a time; use HH:MM, e.g. 07:30"
    out = scheduler.materialise(session, day=MONDAY + dt.timedelta(days=1))
    assert out.created == 3 + 1  # three school-gate slots at station 0, duty log at station 1


def test_done_late_missed_and_completion(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    _templates(client, city)
    _school(session, city)
    day = MONDAY
    scheduler.materialise(session, day=day, now=dt.datetime.combine(day, dt.time(), TZ))
    officer = principal_for(session, city.users["officer0"])
    tasks = session.scalars(
        select(ChecklistTask)
        .where(ChecklistTask.assignee_id == officer.user_id, ChecklistTask.day == day)
        .order_by(ChecklistTask.due_at)
    ).all()
    gate = [t for t in tasks if t.slot]
    on_time = gate[0].due_at - dt.timedelta(minutes=5)
    assert (
        checklist_service.complete_task(
            session, principal=officer, task_id=gate[0].id, now=on_time
        ).state
        == "done"
    )
    late = gate[1].due_at + dt.timedelta(minutes=5)
    assert (
        checklist_service.complete_task(
            session, principal=officer, task_id=gate[1].id, now=late
        ).state
        == "late"
    )
    with pytest.raises(
        Conflict, match=r"checklist task .* is missed; it can no longer be marked done"
    ):
        checklist_service.complete_task(
            session,
            principal=officer,
            task_id=tasks[-1].id,
            now=tasks[-1].close_at + dt.timedelta(seconds=1),
        )
    with pytest.raises(Exception, match="checklist task cannot go from 'done' to 'done'"):
        checklist_service.complete_task(session, principal=officer, task_id=gate[0].id, now=on_time)
    chief1 = principal_for(session, city.users["chief1"])
    theirs = next(t for t in tasks if t.station_id == city.stations[0].id and t.state == "open")
    with pytest.raises(Exception, match="does not exist or is outside your jurisdiction"):
        checklist_service.complete_task(session, principal=chief1, task_id=theirs.id)
    # the sweep marks what is still open past its close as missed
    far = dt.datetime.combine(day, dt.time(), TZ) + dt.timedelta(days=30)
    assert scheduler.mark_missed(session, now=far) == len(
        session.scalars(select(ChecklistTask).where(ChecklistTask.state == "missed")).all()
    )
    # API: my tasks today and the station's completion
    h = auth(city.tokens["officer0"])
    mine = client.get(f"/api/v1/checklists/tasks?day={day.isoformat()}", headers=h).json()
    assert mine["total"] == len(tasks) and mine["items"][0]["name_zh"]
    comp = client.get(
        f"/api/v1/checklists/stations/{city.stations[0].id}/completion"
        f"?since={day.isoformat()}&until={day.isoformat()}",
        headers=auth(city.tokens["chief0"]),
    ).json()
    gate_row = next(t for t in comp["templates"] if t["code"] == "school_gate")
    assert gate_row["done"] == 1 and gate_row["late"] == 1 and gate_row["completion_rate"] == 1.0
    assert gate_row["on_time_rate"] == 0.5


def test_template_rules(client: TestClient, city: SmallCity, session: Session) -> None:
    chief = principal_for(session, city.users["chief0"])
    with pytest.raises(PermissionDenied, match="only bureau-level admins and commanders"):
        checklist_service.create_template(
            session,
            principal=chief,
            code="x",
            name_zh="x",
            name_en="x",
            role="community_officer",
            frequency="daily",
            target="station",
        )
    admin = principal_for(session, city.users["admin"])
    with pytest.raises(Invalid, match="premises_kind: name a premises kind"):
        checklist_service.create_template(
            session,
            principal=admin,
            code="x",
            name_zh="x",
            name_en="x",
            role="community_officer",
            frequency="daily",
            target="premises",
        )
    r = client.post(
        "/api/v1/checklists/templates",
        json={"code": "y", "name_zh": "y", "name_en": "y", "frequency": "hourly", "target": "cell"},
        headers=auth(city.tokens["admin"]),
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "frequency"
    r = client.post("/api/v1/checklists/schedule", json={}, headers=auth(city.tokens["chief0"]))
    assert r.status_code == 403
    assert r.json()["error"]["message"] == (
        "role 'station_chief' may not run scheduled jobs (job.run); allowed: admin"
    )
    assert notices.escalate(session, actor=Actor.system("t")).total == 0
