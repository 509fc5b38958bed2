"""The station's triage of online reports: accept, refer, reject (the citizen reads why on the
tracking page), merge a duplicate found among the open incidents nearby; the queue filtered by
triage, scoped to the station, every step audited; bad input names the field."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.citizens.models import OnlineReport
from pingan.incidents.models import Incident
from tests.citizens.conftest import post_report
from tests.conftest import auth
from tests.factories import SmallCity


def _incident(session: Session, code: str) -> int:
    iid = session.scalar(select(OnlineReport.incident_id).where(OnlineReport.code == code))
    assert iid is not None
    return int(iid)


def test_accept_refer_reject_show_on_the_tracking_page(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    lon, lat = city.cell_center(0)
    cats = ("noise", "gambling", "disorder")  # three kinds: the repeat-call rule links none
    codes = [
        post_report(client, lon=lon + k * 0.001, lat=lat, category=c).json()["code"]
        for k, c in enumerate(cats)
    ]
    ids = [_incident(session, c) for c in codes]
    h = auth(city.tokens["chief0"])
    queue = client.get("/api/v1/online-reports?triage=pending", headers=h).json()
    assert queue["total"] == 3 and {r["triage"] for r in queue["items"]} == {"pending"}
    # the other station sees none of them, and cannot triage them (404, no existence leak)
    other = auth(city.tokens["chief1"])
    assert client.get("/api/v1/online-reports?triage=pending", headers=other).json()["total"] == 0
    r = client.post(
        f"/api/v1/online-reports/{ids[0]}/triage", json={"to": "accepted"}, headers=other
    )
    assert r.status_code == 404

    r = client.post(
        f"/api/v1/online-reports/{ids[0]}/triage",
        json={"to": "accepted", "reply": "已受理，社区民警今天联系您"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert r.json()["triage"] == "accepted"
    inc = session.get(Incident, ids[0])
    assert inc is not None and inc.state == "received"  # stays in the queue for dispatch
    t = client.get(f"/public/api/track/{codes[0]}").json()
    assert t["state"] == "received" and t["replies"][0]["text"] == "已受理，社区民警今天联系您"
    again = client.post(
        f"/api/v1/online-reports/{ids[0]}/triage", json={"to": "rejected"}, headers=h
    )
    assert again.status_code == 409 and "already accepted" in again.json()["error"]["message"]

    # refer: needs the body and the reason; the citizen reads both
    bad = client.post(
        f"/api/v1/online-reports/{ids[1]}/triage", json={"to": "referred", "reason": "x"}, headers=h
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "referred_to"
    ok = client.post(
        f"/api/v1/online-reports/{ids[1]}/triage",
        json={"to": "referred", "referred_to": "城管执法", "reason": "占道经营由城管处理"},
        headers=h,
    )
    assert ok.status_code == 200, ok.text
    t = client.get(f"/public/api/track/{codes[1]}").json()
    assert t["state"] == "referred" and t["referred_to"] == "城管执法"
    assert "占道经营由城管处理" in t["replies"][-1]["text"]
    assert session.get(Incident, ids[1]).state == "transferred"  # type: ignore[union-attr]
    page = client.get(f"/track/{codes[1]}")
    assert "已转交其他部门办理" in page.text and "城管执法" in page.text

    # reject: needs a reason
    bad = client.post(f"/api/v1/online-reports/{ids[2]}/triage", json={"to": "rejected"}, headers=h)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "reason"
    bad = client.post(f"/api/v1/online-reports/{ids[2]}/triage", json={"to": "lost"}, headers=h)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "to"
    ok = client.post(
        f"/api/v1/online-reports/{ids[2]}/triage",
        json={"to": "rejected", "reason": "不属于公安机关管辖"},
        headers=h,
    )
    assert ok.status_code == 200
    t = client.get(f"/public/api/track/{codes[2]}").json()
    assert t["state"] == "rejected" and t["replies"][-1]["text"] == "不属于公安机关管辖"
    assert session.get(Incident, ids[2]).state == "cancelled"  # type: ignore[union-attr]

    assert client.get("/api/v1/online-reports?triage=pending", headers=h).json()["total"] == 0
    rej = client.get("/api/v1/online-reports?triage=rejected", headers=h).json()["items"]
    assert [r["triage_reason"] for r in rej] == ["不属于公安机关管辖"]
    audited = session.scalars(
        select(AuditRecord).where(
            AuditRecord.entity == "online_report", AuditRecord.action == "triage"
        )
    ).all()
    assert len(audited) == 3


def test_candidates_and_merge_mark_the_report_merged(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    lon, lat = city.cell_center(1)
    a = post_report(client, lon=lon, lat=lat).json()["code"]
    b = post_report(client, lon=lon + 0.002, lat=lat, category="noise").json()["code"]
    far = post_report(client, lon=lon + 0.02, lat=lat).json()["code"]
    ia, ib = _incident(session, a), _incident(session, b)
    h = auth(city.tokens["chief0"])
    cands = client.get(f"/api/v1/online-reports/{ib}/candidates", headers=h).json()
    assert [c["incident_id"] for c in cands] == [ia]
    assert cands[0]["same_subtype"] is False and 150 < cands[0]["distance_m"] < 250
    assert _incident(session, far) not in [c["incident_id"] for c in cands]
    r = client.post(f"/api/v1/online-reports/{ib}/merge", json={"into_incident_id": ia}, headers=h)
    assert r.status_code == 200, r.text
    merged = client.get("/api/v1/online-reports?triage=merged", headers=h).json()["items"]
    assert [m["code"] for m in merged] == [b]
    # analysts read incidents but may not triage
    r = client.post(
        f"/api/v1/online-reports/{ia}/triage",
        json={"to": "accepted"},
        headers=auth(city.tokens["analyst"]),
    )
    assert r.status_code == 403 and r.json()["error"]["field"] == "role"
    not_online = session.scalar(select(Incident.id).where(Incident.source != "online"))
    if not_online is not None:
        r = client.get(f"/api/v1/online-reports/{not_online}/candidates", headers=h)
        assert r.status_code == 404
