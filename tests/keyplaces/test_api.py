"""Key places through the API: a school gate post with check-ins refused by distance (422) and
window (409), daily compliance; a police room's shifts; an inspection item by item opening a
rectification order that is signed, reported with a photo, sent back, reported again and
accepted, the rating citing the inspection and rising; late orders escalate (the job)."""

from __future__ import annotations

import datetime as dt
import io

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.keyplaces import service
from pingan.keyplaces.models import PoliceRoom, RectificationOrder
from pingan.store.base import utcnow
from tests.conftest import auth
from tests.ratings.conftest import Schools

DEG_M = 111_000.0
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def _around_now() -> str:
    """A duty window from 30 minutes ago to 30 minutes from now (local), clipped to the day."""
    local = utcnow().astimezone(service.local_tz())
    a = max(local - dt.timedelta(minutes=30), local.replace(hour=0, minute=0))
    b = min(local + dt.timedelta(minutes=30), local.replace(hour=23, minute=59))
    return f"{a:%H:%M}-{b:%H:%M}"


def test_school_post_check_in_and_compliance(client: TestClient, schools: Schools) -> None:
    toks = schools.city.tokens
    r = client.post(
        "/api/v1/school-posts",
        json={"premises_id": schools.good.id, "windows": _around_now(), "school_days": "1234567"},
        headers=auth(toks["chief0"]),
    )
    assert r.status_code == 201, r.text
    post = r.json()
    bad = client.post(
        "/api/v1/school-posts",
        json={"premises_id": schools.good.id, "windows": "7:30"},
        headers=auth(toks["chief0"]),
    )
    assert bad.status_code == 422 and "windows" in bad.text
    officer = client.post(
        "/api/v1/school-posts",
        json={"premises_id": schools.good.id},
        headers=auth(toks["officer0"]),
    )
    assert officer.status_code == 403
    url = f"/api/v1/school-posts/{post['id']}/checkins"
    far = client.post(
        url,
        json={"lon": post["lon"] + 300 / DEG_M, "lat": post["lat"]},
        headers=auth(toks["officer0"]),
    )
    assert far.status_code == 422
    err = far.json()["error"]
    assert err["field"] == "lon" and "m from the gate" in err["message"]
    assert 250 < err["detail"]["distance_m"] < 300
    ok = client.post(
        url,
        json={"lon": post["lon"] + 40 / DEG_M, "lat": post["lat"]},
        headers=auth(toks["officer0"]),
    )
    assert ok.status_code == 201, ok.text
    assert 30 < ok.json()["distance_m"] < 45 and ok.json()["officer"] == "officer0"
    again = client.post(
        url, json={"lon": post["lon"], "lat": post["lat"]}, headers=auth(toks["officer0"])
    )
    assert again.status_code == 200 and again.json()["already"] is True
    comp = client.get("/api/v1/school-posts/compliance", headers=auth(toks["chief0"])).json()
    assert (comp["due"], comp["staffed"], comp["share"]) == (1, 1, 1.0)
    assert comp["stations"][0]["station_code"] == "T1-S0"
    assert comp["posts"][0]["slots"][0]["checkins"][0]["officer"] == "officer0"
    # outside every window: 409 naming the windows
    r2 = client.post(
        "/api/v1/school-posts",
        json={"premises_id": schools.good.id, "windows": "00:00-00:01", "school_days": "1234567"},
        headers=auth(toks["chief0"]),
    )
    late = client.post(
        f"/api/v1/school-posts/{r2.json()['id']}/checkins",
        json={"lon": post["lon"], "lat": post["lat"]},
        headers=auth(toks["officer0"]),
    )
    local = utcnow().astimezone(service.local_tz())
    if local.strftime("%H:%M") > "00:01":
        assert late.status_code == 409
        assert "outside the duty windows" in late.json()["error"]["message"]
        assert "00:00-00:01" in late.json()["error"]["message"]
    other = client.get("/api/v1/school-posts/compliance", headers=auth(toks["chief1"])).json()
    assert other["posts"] == []  # station 1 sees none of station 0's posts
    day = client.get("/api/v1/school-posts/compliance?day=2026-02-30", headers=auth(toks["chief0"]))
    assert day.status_code == 422


def test_police_room_shifts(client: TestClient, session: Session, schools: Schools) -> None:
    toks = schools.city.tokens
    session.add(
        PoliceRoom(
            premises_id=schools.good.id,
            name="医院警务室",
            phone="110",
            staffed_from="08:00",
            staffed_to="20:00",
            jpath=schools.good.jpath,
        )
    )
    session.commit()
    rooms = client.get("/api/v1/police-rooms", headers=auth(toks["chief0"])).json()
    assert rooms[0]["on_duty"] == [] and rooms[0]["required_h_7d"] == 84.0
    rid = rooms[0]["id"]
    r = client.post(f"/api/v1/police-rooms/{rid}/shifts/start", headers=auth(toks["officer0"]))
    assert r.status_code == 200 and r.json()[0]["on_duty"] == ["officer0"]
    r = client.post(f"/api/v1/police-rooms/{rid}/shifts/start", headers=auth(toks["officer0"]))
    assert r.status_code == 409 and "already on duty" in r.text
    r = client.post(f"/api/v1/police-rooms/{rid}/shifts/end", headers=auth(toks["officer0"]))
    assert r.status_code == 200 and r.json()[0]["on_duty"] == []


def test_inspection_opens_an_order_followed_to_acceptance(
    client: TestClient, session: Session, schools: Schools
) -> None:
    toks = schools.city.tokens
    client.post("/api/v1/ratings/compute", json={}, headers=auth(toks["admin"]))
    pid = schools.fair.id  # station 1; chief1 and an officer of station 1 would handle it
    form = client.get(f"/api/v1/premises/{pid}/inspection-form", headers=auth(toks["chief1"]))
    assert form.status_code == 200
    codes = [i["code"] for i in form.json()["items"]]
    assert codes == [
        "staffed_gate",
        "visitor_registration",
        "lighting",
        "patrols",
        "alarm_link",
        "fire_inspection",
    ]
    before = client.get(f"/api/v1/premises/{pid}/rating", headers=auth(toks["chief1"])).json()
    body = {
        "items": [
            {"code": "staffed_gate", "result": "pass"},
            {"code": "lighting", "result": "fail", "note": "东门路灯不亮"},
            {"code": "fire_inspection", "result": "pass"},
            {"code": "visitor_registration", "result": "na"},
        ],
        "note": "例行检查",
        "lon": schools.fair.lon,
        "lat": schools.fair.lat,
        "owner": "王校长",
    }
    bad = client.post(
        f"/api/v1/premises/{pid}/inspections",
        json={"items": [{"code": "cameras", "result": "pass"}]},
        headers=auth(toks["chief1"]),
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "items[0].code"
    r = client.post(f"/api/v1/premises/{pid}/inspections", json=body, headers=auth(toks["chief1"]))
    assert r.status_code == 201, r.text
    insp = r.json()
    assert insp["outcome"] == "issues_found" and len(insp["orders"]) == 1
    ph = client.post(
        f"/api/v1/inspections/{insp['id']}/photos",
        files={"file": ("gate.png", io.BytesIO(PNG), "image/png")},
        headers=auth(toks["chief1"]),
    )
    assert ph.status_code == 201, ph.text
    assert client.get(ph.json()["url"], headers=auth(toks["chief1"])).content == PNG
    txt = client.post(
        f"/api/v1/inspections/{insp['id']}/photos",
        files={"file": ("x.txt", io.BytesIO(b"hi"), "text/plain")},
        headers=auth(toks["chief1"]),
    )
    assert txt.status_code == 422 and "not a photo" in txt.text
    rating = client.get(f"/api/v1/premises/{pid}/rating", headers=auth(toks["chief1"])).json()
    items = {i["code"]: i for i in rating["items"]}
    assert items["lighting"]["points"] == 0
    assert {"table": "premises_inspections", "id": insp["id"]}.items() <= items["lighting"][
        "evidence"
    ][1].items()
    assert items["fire_inspection"]["points"] == 0  # the latest inspection found issues
    page = client.get(
        f"/api/v1/rectification-orders?premises_id={pid}", headers=auth(toks["chief1"])
    ).json()
    assert page["total"] == 1
    order = page["items"][0]
    assert order["state"] == "issued" and order["owner"] == "王校长"
    assert order["next"] == ["sign"] and order["item_label"] == "照明设施"
    oid = order["id"]
    url = f"/api/v1/rectification-orders/{oid}"
    r = client.post(url + "/accept", json={}, headers=auth(toks["chief1"]))
    assert r.status_code == 409 and "allowed" in r.text.lower()
    assert client.post(url + "/sign", json={}, headers=auth(toks["chief1"])).status_code == 200
    r = client.post(url + "/report", json={}, headers=auth(toks["chief1"]))
    assert r.status_code == 422 and r.json()["error"]["field"] == "note"
    client.post(
        url + "/photos",
        files={"file": ("fixed.png", io.BytesIO(PNG), "image/png")},
        headers=auth(toks["chief1"]),
    )
    r = client.post(url + "/report", json={"note": "已更换灯泡"}, headers=auth(toks["chief1"]))
    assert r.json()["state"] == "reported"
    r = client.post(url + "/reject", json={"note": "北门仍暗"}, headers=auth(toks["chief1"]))
    assert r.json()["state"] == "rework" and r.json()["next"] == ["report"]
    client.post(url + "/report", json={"note": "北门已装灯"}, headers=auth(toks["chief1"]))
    officer = client.post(url + "/accept", json={}, headers=auth(toks["officer0"]))
    assert officer.status_code == 403
    r = client.post(url + "/accept", json={"note": "验收合格"}, headers=auth(toks["chief1"]))
    assert r.status_code == 200 and r.json()["state"] == "accepted"
    kinds = [e["kind"] for e in r.json()["events"]]
    assert kinds == ["issued", "sign", "photo", "report", "reject", "report", "accept"]
    assert len(r.json()["photos"]) == 1
    after = client.get(f"/api/v1/premises/{pid}/rating", headers=auth(toks["chief1"])).json()
    aitems = {i["code"]: i for i in after["items"]}
    assert aitems["lighting"]["points"] == aitems["lighting"]["max"]
    assert aitems["fire_inspection"]["points"] == 10  # the inspection is now rectified
    assert aitems["rectification"]["evidence"][0]["text"].startswith(order["code"])
    assert after["score"] > before["score"]
    n = session.scalar(
        select(func.count()).where(
            AuditRecord.entity == "rectification_order", AuditRecord.entity_id == str(oid)
        )
    )
    assert n and n >= 6


def test_late_orders_escalate_and_cost_points(
    client: TestClient, session: Session, schools: Schools
) -> None:
    from pingan.scheduler.jobs import get_job

    toks = schools.city.tokens
    pid = schools.good.id
    r = client.post(
        f"/api/v1/premises/{pid}/inspections",
        json={"items": [{"code": "patrols", "result": "fail"}], "deadline_days": 1},
        headers=auth(toks["officer0"]),
    )
    assert r.status_code == 201, r.text
    o = session.scalar(select(RectificationOrder).where(RectificationOrder.premises_id == pid))
    assert o is not None
    o.deadline = utcnow().date() - dt.timedelta(days=10)
    session.commit()
    job = get_job("rectification")
    assert job is not None
    out = job.run(session.get_bind(), utcnow())  # type: ignore[arg-type]
    assert out["orders_escalated"] == 1 and out["to_district"] == 1
    again = job.run(session.get_bind(), utcnow())  # type: ignore[arg-type]
    assert again["orders_escalated"] == 0
    session.expire_all()  # the job wrote through its own connection
    page = client.get("/api/v1/rectification-orders?late=true", headers=auth(toks["chief0"]))
    item = page.json()["items"][0]
    assert item["late"] is True and item["escalation_level"] == 2
    client.post(f"/api/v1/premises/{pid}/rating/compute", headers=auth(toks["chief0"]))
    rating = client.get(f"/api/v1/premises/{pid}/rating", headers=auth(toks["chief0"])).json()
    rect = {i["code"]: i for i in rating["items"]}["rectification"]
    assert rect["points"] == 0 and "逾期" in rect["evidence"][0]["text"]


def test_hazards_near_a_premises_and_their_status(client: TestClient, schools: Schools) -> None:
    toks = schools.city.tokens
    near = client.get(
        f"/api/v1/hazards?premises_id={schools.poor.id}", headers=auth(toks["chief0"])
    ).json()
    assert [h["code"] for h in near["items"]] == ["HZ-1"]
    far = client.get(
        f"/api/v1/hazards?premises_id={schools.good.id}", headers=auth(toks["chief0"])
    ).json()
    assert far["items"] == []  # 330 m away and not linked
    hid = near["items"][0]["id"]
    r = client.patch(
        f"/api/v1/hazards/{hid}",
        json={"status": "rectifying", "owner": "区住建局", "deadline": "2026-12-31"},
        headers=auth(toks["chief0"]),
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["owner"]) == ("rectifying", "区住建局")
    r = client.patch(
        f"/api/v1/hazards/{hid}", json={"status": "closed"}, headers=auth(toks["chief0"])
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "status"
    r = client.patch(
        f"/api/v1/hazards/{hid}", json={"status": "open"}, headers=auth(toks["analyst"])
    )
    assert r.status_code == 403
