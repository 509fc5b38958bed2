"""The rating API: computed by hand (see conftest), scoped, role-checked, audited, kept as
history; the five-star list."""

from __future__ import annotations

import datetime as dt
import io

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.ratings.models import Rating
from pingan.store.base import utcnow
from tests.conftest import auth
from tests.ratings.conftest import Schools


def _compute(client: TestClient, token: str, **body: object) -> dict:  # type: ignore[type-arg]
    r = client.post("/api/v1/ratings/compute", json=body, headers=auth(token))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_every_score_explains_itself(client: TestClient, schools: Schools) -> None:
    tok = schools.city.tokens["admin"]
    out = _compute(client, tok)
    assert out["rated"] == 3
    assert out["criteria_version"] == "2026.2"
    assert out["stars"] == {"1": 1, "2": 0, "3": 1, "4": 0, "5": 1}
    good = client.get(f"/api/v1/premises/{schools.good.id}/rating", headers=auth(tok)).json()
    assert (good["stars"], good["colour"], good["score"]) == (5, "green", 110.0)
    assert good["criteria_version"] == "2026.2"
    assert good["valid_until"] > utcnow().date().isoformat()
    items = {i["code"]: i for i in good["items"]}
    assert set(items) == {
        "staffed_gate",
        "visitor_registration",
        "lighting",
        "patrols",
        "alarm_link",
        "cameras",
        "fire_inspection",
        "open_hazards",
        "rectification",
        "incidents",
    }
    assert items["cameras"]["points"] == items["cameras"]["max"] == 15
    assert [e["text"].split()[0] for e in items["cameras"]["evidence"]] == ["CAM-1", "CAM-2"]
    assert items["fire_inspection"]["evidence"][0]["table"] == "premises_inspections"
    assert items["incidents"]["evidence"] == []  # the 400-day-old one is outside the window
    poor = client.get(f"/api/v1/premises/{schools.poor.id}/rating", headers=auth(tok)).json()
    assert (poor["stars"], poor["colour"], poor["score"]) == (1, "red", 15.0)
    pitems = {i["code"]: i for i in poor["items"]}
    assert pitems["open_hazards"]["points"] == 5.0
    assert pitems["open_hazards"]["evidence"][0]["text"] == "HZ-1 消防通道堵塞"
    assert pitems["incidents"]["points"] == 0
    assert sorted(e["id"] for e in pitems["incidents"]["evidence"]) == sorted(schools.incidents)
    # the incident's type by its Chinese name, as the other evidence ("JQ-R0 扒窃 2026-…")
    assert {e["text"].split()[1] for e in pitems["incidents"]["evidence"]} == {"扒窃"}
    assert "median of the kind 0" in pitems["incidents"]["note"]
    assert pitems["lighting"]["evidence"][0]["text"] == "无 · 路灯损坏"
    fair = client.get(f"/api/v1/premises/{schools.fair.id}/rating", headers=auth(tok)).json()
    assert (fair["stars"], fair["colour"], fair["score"]) == (3, "yellow", 72.5)


def test_rating_is_scoped_and_unrated_is_404(client: TestClient, schools: Schools) -> None:
    toks = schools.city.tokens
    r = client.get(f"/api/v1/premises/{schools.good.id}/rating", headers=auth(toks["admin"]))
    assert r.status_code == 404
    assert r.json()["error"]["message"].startswith(
        f"premises {schools.good.id} has no rating yet; run `pingan ratings compute`"
    )
    _compute(client, toks["admin"])
    assert (
        client.get(
            f"/api/v1/premises/{schools.good.id}/rating", headers=auth(toks["chief0"])
        ).status_code
        == 200
    )
    r = client.get(f"/api/v1/premises/{schools.good.id}/rating", headers=auth(toks["chief1"]))
    assert r.status_code == 404
    assert "outside your jurisdiction" in r.json()["error"]["message"]
    assert (
        client.get("/api/v1/premises/99999999999/rating", headers=auth(toks["admin"])).status_code
        == 422
    )


def test_compute_is_role_checked_scoped_audited_and_kept(
    client: TestClient, session: Session, schools: Schools
) -> None:
    toks = schools.city.tokens
    r = client.post("/api/v1/ratings/compute", json={}, headers=auth(toks["dispatcher"]))
    assert r.status_code == 403
    assert r.json()["error"]["message"] == (
        "role 'dispatcher' may not compute and revoke ratings (rating.manage); "
        "allowed: admin, commander, station_chief"
    )
    r = client.post(
        "/api/v1/ratings/compute", json={"station": "NOPE"}, headers=auth(toks["admin"])
    )
    assert r.status_code == 422
    assert (
        r.json()["error"]["message"] == "station: no station with code 'NOPE' in your jurisdiction"
    )
    r = client.post(
        "/api/v1/ratings/compute", json={"station": "T1-S1"}, headers=auth(toks["chief0"])
    )
    assert r.status_code == 422  # another station's code is not in chief0's jurisdiction
    assert _compute(client, toks["chief0"])["rated"] == 2
    assert _compute(client, toks["admin"], station="T1-S0")["rated"] == 2
    rows = session.scalars(select(Rating).where(Rating.premises_id == schools.good.id)).all()
    assert len(rows) == 2 and sum(r.current for r in rows) == 1
    assert (
        session.scalar(select(Rating.premises_id).where(Rating.premises_id == schools.fair.id))
        is None
    )
    n = session.scalar(
        select(func.count())
        .select_from(AuditRecord)
        .where(AuditRecord.entity == "ratings", AuditRecord.action == "compute")
    )
    assert n == 2


def test_list_filters_and_awards(client: TestClient, schools: Schools) -> None:
    tok = schools.city.tokens["admin"]
    _compute(client, tok)
    red = client.get("/api/v1/ratings?colour=red", headers=auth(tok)).json()
    assert [i["code"] for i in red["items"]] == ["S-POOR"]
    allp = client.get("/api/v1/ratings?kind=school", headers=auth(tok)).json()
    assert [i["stars"] for i in allp["items"]] == [5, 3, 1]
    year = utcnow().year
    aw = client.get(f"/api/v1/ratings/awards?year={year}", headers=auth(tok)).json()
    assert [(a["code"], a["station_code"]) for a in aw["items"]] == [("S-GOOD", "T1-S0")]
    assert (
        client.get(f"/api/v1/ratings/awards?year={year - 1}", headers=auth(tok)).json()["items"]
        == []
    )
    x = client.get(f"/api/v1/ratings/awards.xlsx?year={year}", headers=auth(tok))
    assert x.status_code == 200
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(x.content)).active
    assert ws is not None
    assert [c.value for c in ws[3]][2:4] == ["S-GOOD", "学校S-GOOD"]
    chief1 = client.get(
        f"/api/v1/ratings/awards?year={year}", headers=auth(schools.city.tokens["chief1"])
    ).json()
    assert chief1["items"] == []


def test_features_are_recorded_by_officers_and_count(client: TestClient, schools: Schools) -> None:
    toks = schools.city.tokens
    url = f"/api/v1/premises/{schools.poor.id}/features/staffed_gate"
    r = client.put(url, json={"present": True}, headers=auth(toks["officer0"]))
    assert r.status_code == 200, r.text
    r = client.put(
        f"/api/v1/premises/{schools.poor.id}/features/moat",
        json={"present": True},
        headers=auth(toks["admin"]),
    )
    assert r.status_code == 422
    assert r.json()["error"]["message"].startswith("code: 'moat' is not a feature item")
    _compute(client, toks["admin"])
    poor = client.get(
        f"/api/v1/premises/{schools.poor.id}/rating", headers=auth(toks["admin"])
    ).json()
    assert poor["score"] == 30.0  # 15 staffed gate + 5 (one hazard) + 10 (no order due)


def test_an_inspection_rates_the_premises_again(client: TestClient, schools: Schools) -> None:
    toks = schools.city.tokens
    _compute(client, toks["admin"])
    before = client.get(
        f"/api/v1/premises/{schools.fair.id}/rating", headers=auth(toks["admin"])
    ).json()
    assert before["stars"] == 3
    r = client.post(
        "/api/v1/evaluation/inspections",
        json={
            "premises_id": schools.fair.id,
            "outcome": "ok",
            "inspected_at": (utcnow() - dt.timedelta(hours=1)).isoformat(),
        },
        headers=auth(toks["admin"]),
    )
    assert r.status_code in (200, 201), r.text
    after = client.get(
        f"/api/v1/premises/{schools.fair.id}/rating", headers=auth(toks["admin"])
    ).json()
    # 72.5 + 10 for a passed inspection (a school's maximum): 82.5 / 110 = 0.75
    assert (after["stars"], after["score"]) == (4, 82.5)
    inc = {i["code"]: i for i in after["items"]}["incidents"]
    assert "median of the kind 0" in inc["note"]
    r = client.post(
        f"/api/v1/premises/{schools.poor.id}/rating/compute", headers=auth(toks["officer0"])
    )
    assert r.status_code == 200 and r.json()["stars"] == 1
    r = client.post(
        f"/api/v1/premises/{schools.poor.id}/rating/compute", headers=auth(toks["dispatcher"])
    )
    assert r.status_code == 403
