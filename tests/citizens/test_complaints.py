"""Complaints about police conduct (网上督察): routed to the supervision office, which station
chiefs cannot read; followed by code; deadlines escalate by the scheduled job."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.audit.service import Actor
from pingan.citizens.models import Complaint, ComplaintEvent
from pingan.citizens.service import escalate_complaints
from tests.citizens.conftest import solved
from tests.conftest import auth
from tests.factories import SmallCity


def _complain(client: TestClient, **extra: object) -> dict:
    body = {
        "category": "attitude",
        "station_code": "T1-S0",
        "description": "办理户籍时民警态度恶劣，拒绝解释所需材料。",
        "officer_text": "警号 012345",
        **solved(client),
        **extra,
    }
    r = client.post("/public/api/complaints", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_complaint_reaches_the_supervision_office_only(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    code = _complain(client, phone="13900001111", consent=True)["code"]
    assert code.startswith("DC")
    # station chiefs (even of the station named) and admins cannot read complaints
    for who in ("chief0", "admin", "commander", "officer0"):
        r = client.get("/api/v1/complaints", headers=auth(city.tokens[who]))
        assert r.status_code == 403, who
        assert "complaint.read" in r.json()["error"]["message"]
    h = auth(city.tokens["supervisor"])
    page = client.get("/api/v1/complaints?state=open", headers=h).json()
    assert page["total"] == 1
    item = page["items"][0]
    assert item["station"] == "第1派出所" and item["phone_masked"] == "139****1111"
    assert item["description"] is None  # the text only in the audited detail
    one = client.get(f"/api/v1/complaints/{item['id']}", headers=h).json()
    assert "态度恶劣" in one["description"] and one["officer_text"] == "警号 012345"
    views = session.scalars(
        select(AuditRecord).where(
            AuditRecord.entity == "complaint", AuditRecord.action == "view_personal"
        )
    ).all()
    assert len(views) == 1
    # raw column is encrypted
    raw = session.connection().exec_driver_sql("SELECT description FROM complaints").scalar()
    assert "态度" not in str(raw)

    # the complainant follows it by code
    t = client.get(f"/public/api/track/{code}").json()
    assert t["kind"] == "complaint" and t["state"] == "received"
    cid = item["id"]
    r = client.post(
        f"/api/v1/complaints/{cid}/transition", json={"to_state": "concluded"}, headers=h
    )
    assert r.status_code == 409  # received → concluded is not a step
    ok = client.post(
        f"/api/v1/complaints/{cid}/transition",
        json={"to_state": "accepted", "public_note": "已受理，将在30日内答复"},
        headers=h,
    )
    assert ok.status_code == 200, ok.text
    no_note = client.post(
        f"/api/v1/complaints/{cid}/transition", json={"to_state": "concluded"}, headers=h
    )
    assert no_note.status_code == 422 and no_note.json()["error"]["field"] == "public_note"
    client.post(
        f"/api/v1/complaints/{cid}/transition",
        json={"to_state": "concluded", "public_note": "经调查属实，已对涉事民警批评教育"},
        headers=h,
    )
    t = client.get(f"/public/api/track/{code}").json()
    assert t["state"] == "concluded"
    assert [r["text"] for r in t["replies"]] == [
        "已受理，将在30日内答复",
        "经调查属实，已对涉事民警批评教育",
    ]
    assert "012345" not in client.get(f"/track/{code}").text


def test_complaint_routed_by_place_and_refused_when_wrong(
    client: TestClient, city: SmallCity
) -> None:
    lon, lat = city.cell_center(12)
    code = _complain(client, station_code=None, lon=lon, lat=lat)["code"]
    h = auth(city.tokens["supervisor"])
    items = client.get("/api/v1/complaints", headers=h).json()["items"]
    assert [i["station"] for i in items if i["code"] == code] == ["第2派出所"]
    body = {
        "category": "attitude",
        "station_code": "NOPE",
        "description": "x" * 20,
        **solved(client),
    }
    r = client.post("/public/api/complaints", json=body)
    assert r.status_code == 422 and r.json()["error"]["field"] == "station_code"
    body = {"category": "bad", "description": "x" * 20, **solved(client)}
    r = client.post("/public/api/complaints", json=body)
    assert r.status_code == 422 and r.json()["error"]["field"] == "category"


def test_overdue_complaints_escalate(client: TestClient, city: SmallCity, session: Session) -> None:
    _complain(client)
    c = session.scalar(select(Complaint))
    assert c is not None
    now = c.created_at + dt.timedelta(days=4)
    assert escalate_complaints(session, actor=Actor.system("t"), now=now) == 1
    assert c.level == 1
    # not again before 3 more days; then again
    assert (
        escalate_complaints(session, actor=Actor.system("t"), now=now + dt.timedelta(days=1)) == 0
    )
    assert (
        escalate_complaints(session, actor=Actor.system("t"), now=now + dt.timedelta(days=3)) == 1
    )
    assert c.level == 2
    kinds = session.scalars(
        select(ComplaintEvent.kind).where(ComplaintEvent.complaint_id == c.id)
    ).all()
    assert kinds.count("escalated") == 2
    h = auth(city.tokens["supervisor"])
    over = client.get("/api/v1/complaints?overdue=true", headers=h).json()
    assert over["total"] == 1 and over["items"][0]["level"] == 2


def test_the_job_runs(own_engine) -> None:  # type: ignore[no-untyped-def]
    from pingan.scheduler.jobs import get_job
    from pingan.store.base import utcnow

    job = get_job("complaints")
    assert job is not None
    assert job.run(own_engine, utcnow()) == {"escalated": 0}
    out = get_job("retention").run(own_engine, utcnow())  # type: ignore[union-attr]
    assert set(out) >= {"purged", "report_contacts", "stays", "counters"}
    assert get_job("rentals").run(own_engine, utcnow()) == {"reminded": 0}  # type: ignore[union-attr]
